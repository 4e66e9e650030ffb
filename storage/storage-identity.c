/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Storage identities: what a path leads to on this host (see
 * storage-identity.h), its kind, and its published form.  The facts
 * themselves come from file-identity.c (mountinfo) and block-identity.c
 * (sysfs, /dev/disk/by-id).
 */
#include "storage/storage-identity.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/path-util.h"
#include "basic/strv.h"
#include "storage/block-identity.h"
#include "storage/file-identity.h"
#include "storage/shared-fs.h"

const StorageRoots storage_roots_system = { .proc_root = "/proc", .sys_root = "/sys", .dev_root = "/dev" };

static const char *const storage_kind_table[_STORAGE_KIND_MAX] = {
        [STORAGE_LOCAL_FS] = "local",
        [STORAGE_SHARED_FS] = "shared-fs",
        [STORAGE_BLOCK] = "block",
};

const char *storage_kind_to_string(StorageKind k) {
        return k >= 0 && k < _STORAGE_KIND_MAX ? storage_kind_table[k] : NULL;
}

StorageKind storage_kind_from_string(const char *s) {
        for (int k = 0; s && k < _STORAGE_KIND_MAX; k++)
                if (streq(s, storage_kind_table[k]))
                        return (StorageKind) k;
        return _STORAGE_KIND_INVALID;
}

void storage_identity_done(StorageIdentity *id) {
        free(id->fstype);
        free(id->source);
        free(id->server_addr);
        free(id->root_path);
        free(id->wwid);
        free(id->serial);
        free(id->dm_uuid);
        free(id->loop_backing);
        strv_free(id->by_id);
        *id = (StorageIdentity){ .kind = _STORAGE_KIND_INVALID };
}

static const char *root_or_system(const char *root, const char *system) {
        return root ? root : system;
}

int storage_identity_of_stat(const StorageRoots *roots, const char *path, const struct stat *st, StorageIdentity *ret) {
        _cleanup_(storage_identity_done) StorageIdentity id = { .kind = _STORAGE_KIND_INVALID };
        const StorageRoots *sys = &storage_roots_system;
        int r;

        if (!roots)
                roots = sys;
        if (S_ISREG(st->st_mode)) {
                if (!path || path[0] != '/')
                        return -EINVAL;
                r = file_identity_fill(root_or_system(roots->proc_root, sys->proc_root), path, st->st_dev, &id);
                id.kind = shared_fs_type(id.fstype) ? STORAGE_SHARED_FS : STORAGE_LOCAL_FS;
                id.ino = (uint64_t) st->st_ino;
        } else if (S_ISBLK(st->st_mode)) {
                r = block_identity_fill(root_or_system(roots->sys_root, sys->sys_root),
                                        root_or_system(roots->dev_root, sys->dev_root), st->st_rdev, &id);
                id.kind = STORAGE_BLOCK;
        } else
                return S_ISLNK(st->st_mode) ? -ELOOP : -EMEDIUMTYPE;
        if (r < 0)
                return r;
        *ret = id;
        id = (StorageIdentity){ .kind = _STORAGE_KIND_INVALID };
        return 0;
}

/* lstat() @base in @dir; a symlink only when it leads to a block device (by-id, mapper names). */
static int stat_last(const char *dir, const char *base, struct stat *ret) {
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat target;

        if (dfd < 0)
                return negative_errno();
        if (fstatat(dfd, base, ret, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (!S_ISLNK(ret->st_mode))
                return 0;
        if (fstatat(dfd, base, &target, 0) < 0 || !S_ISBLK(target.st_mode))
                return -ELOOP;
        *ret = target;
        return 0;
}

int storage_identity_of(const StorageRoots *roots, const char *path, StorageIdentity *ret) {
        _cleanup_free_ char *norm = NULL, *dir = NULL, *base = NULL, *real_dir = NULL, *canonical = NULL;
        struct stat st = {};
        int r;

        if (!path_is_safe_absolute(path))
                return -EINVAL;
        norm = strdup(path);
        if (!norm)
                return -ENOMEM;
        path_normalize_slashes(norm);
        r = path_split(norm, &dir, &base);
        if (r < 0)
                return r;
        /* the mount is matched by path: name the directory without symlinks */
        real_dir = realpath(dir, NULL);
        if (!real_dir)
                return negative_errno();
        r = stat_last(real_dir, base, &st);
        if (r < 0)
                return r;
        if (asprintf(&canonical, "%s/%s", streq(real_dir, "/") ? "" : real_dir, base) < 0)
                return -ENOMEM;
        return storage_identity_of_stat(roots, canonical, &st, ret);
}

/* kpartx names a partition of a multipath map "partN-mpath-...". */
static bool dm_uuid_is_san(const char *uuid) {
        if (!uuid)
                return false;
        if (strncmp(uuid, "part", 4) == 0 && strchr(uuid, '-'))
                uuid = strchr(uuid, '-') + 1;
        return strncmp(uuid, "mpath-", 6) == 0 || strncmp(uuid, "LVM-", 4) == 0;
}

bool storage_identity_is_shared(const StorageIdentity *id) {
        switch (id->kind) {
        case STORAGE_SHARED_FS: return true;
        case STORAGE_BLOCK: return id->wwid || id->serial || dm_uuid_is_san(id->dm_uuid);
        default: return false;
        }
}

/* The text fields, by their published names. */
static const struct {
        const char *name;
        size_t offset;
} identity_strings[] = {
        { "fstype", offsetof(StorageIdentity, fstype) },
        { "source", offsetof(StorageIdentity, source) },
        { "server-addr", offsetof(StorageIdentity, server_addr) },
        { "root-path", offsetof(StorageIdentity, root_path) },
        { "wwid", offsetof(StorageIdentity, wwid) },
        { "serial", offsetof(StorageIdentity, serial) },
        { "dm-uuid", offsetof(StorageIdentity, dm_uuid) },
        { "loop-backing", offsetof(StorageIdentity, loop_backing) },
};

static char **identity_string(StorageIdentity *id, size_t i) {
        return (char **) ((char *) id + identity_strings[i].offset);
}

static int push_pair(char ***l, const char *name, const char *value) {
        if (!value)
                return 0;
        int r = strv_push(l, name);
        return r < 0 ? r : strv_push(l, value);
}

static int push_numbers(char ***l, const StorageIdentity *id) {
        char n[32];
        int r = 0;

        if (id->ino > 0) {
                snprintf(n, sizeof(n), "%" PRIu64, id->ino);
                r = push_pair(l, "ino", n);
        }
        if (r >= 0 && id->partition > 0) {
                snprintf(n, sizeof(n), "%u", id->partition);
                r = push_pair(l, "partition", n);
        }
        return r;
}

int storage_identity_to_pairs(const StorageIdentity *id, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        _cleanup_free_ char *by_id = NULL;
        int r;

        if (!l)
                return -ENOMEM;
        r = push_pair(&l, "kind", storage_kind_to_string(id->kind));
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(identity_strings); i++)
                r = push_pair(&l, identity_strings[i].name, *identity_string((StorageIdentity *) id, i));
        if (r >= 0)
                r = push_numbers(&l, id);
        if (r >= 0 && id->by_id && id->by_id[0])
                r = strv_join(id->by_id, " ", &by_id);
        if (r >= 0)
                r = push_pair(&l, "by-id", by_id);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* Digits only (no sign, no space), at most @max. */
static int parse_number(const char *s, uint64_t max, uint64_t *ret) {
        if (!*s || strspn(s, "0123456789") != strlen(s))
                return -EBADMSG;
        errno = 0;
        unsigned long long v = strtoull(s, NULL, 10);
        if (errno || v > max)
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int set_number(StorageIdentity *id, const char *name, const char *value) {
        uint64_t v;
        if (streq(name, "ino"))
                return parse_number(value, UINT64_MAX, &id->ino);
        int r = parse_number(value, 65535, &v);
        if (r >= 0)
                id->partition = (unsigned) v;
        return r;
}

static int set_strings(StorageIdentity *id, const char *name, const char *value) {
        for (size_t i = 0; i < ELEMENTSOF(identity_strings); i++)
                if (streq(name, identity_strings[i].name)) {
                        char *copy = strdup(value);
                        if (!copy)
                                return -ENOMEM;
                        free(*identity_string(id, i));
                        *identity_string(id, i) = copy;
                        return 0;
                }
        if (!streq(name, "by-id"))
                return 0; /* a newer source's fact: not ours to judge */
        strv_free(id->by_id);
        id->by_id = NULL;
        int r = strv_split_ws(value, &id->by_id);
        if (r >= 0 && strv_length(id->by_id) == 0) {
                free(id->by_id);
                id->by_id = NULL;
        }
        return r;
}

static int set_pair(StorageIdentity *id, const char *name, const char *value) {
        if (strlen(value) > PATH_MAX_LEN)
                return -EBADMSG;
        for (const char *c = value; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return -EBADMSG; /* it ends up in a one-line message */
        if (streq(name, "kind")) {
                id->kind = storage_kind_from_string(value);
                return id->kind < 0 ? -EBADMSG : 0;
        }
        if (streq(name, "ino") || streq(name, "partition"))
                return set_number(id, name, value);
        return set_strings(id, name, value);
}

int storage_identity_from_pairs(char *const *pairs, StorageIdentity *ret) {
        _cleanup_(storage_identity_done) StorageIdentity id = { .kind = _STORAGE_KIND_INVALID };
        size_t i = 0;

        for (; pairs && pairs[i] && pairs[i + 1]; i += 2) {
                int r = set_pair(&id, pairs[i], pairs[i + 1]);
                if (r < 0)
                        return r;
        }
        if ((pairs && pairs[i]) || id.kind < 0)
                return -EBADMSG;
        *ret = id;
        id = (StorageIdentity){ .kind = _STORAGE_KIND_INVALID };
        return 0;
}
