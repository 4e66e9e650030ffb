/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Comparing the source's storage identity of a disk with this host's, and
 * the admin's one-line explanation when they differ (see storage-compare.h).
 */
#include "storage/storage-compare.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macro.h"
#include "basic/path-util.h"
#include "storage/shared-fs.h"

/* Return 1 with the formatted line in *ret, or -ENOMEM. */
_printf_(2, 3) static int refuse(char **ret, const char *format, ...) {
        char *line = NULL;
        va_list ap;
        va_start(ap, format);
        int k = vasprintf(&line, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        *ret = line;
        return 1;
}

/* The persistent IDs of a block device, strongest first. */
typedef enum BlockId {
        BLOCK_ID_WWID,
        BLOCK_ID_DM_UUID,
        BLOCK_ID_SERIAL,
        BLOCK_ID_LOOP,
        _BLOCK_ID_MAX,
        _BLOCK_ID_NONE = -1,
} BlockId;

static const char *block_id(const StorageIdentity *id, BlockId b) {
        const char *const v[_BLOCK_ID_MAX] = { id->wwid, id->dm_uuid, id->serial, id->loop_backing };
        return b >= 0 && b < _BLOCK_ID_MAX ? v[b] : NULL;
}

static BlockId block_id_best(const StorageIdentity *id) {
        for (BlockId b = 0; b < _BLOCK_ID_MAX; b++)
                if (block_id(id, b))
                        return b;
        return _BLOCK_ID_NONE;
}

/* "naa.6001405f...", "a loop device backed by X", "partition 2 of ..." */
static int describe_block(const StorageIdentity *id, BlockId b, char **ret) {
        _cleanup_free_ char *what = NULL;
        const char *v = block_id(id, b);
        int k;

        if (b == BLOCK_ID_LOOP)
                k = asprintf(&what, "a loop device backed by %s", v);
        else
                k = asprintf(&what, "%s", v ? v : "a block device without a persistent id");
        if (k < 0)
                return -ENOMEM;
        if (id->partition == 0) {
                *ret = TAKE_PTR(what);
                return 0;
        }
        return asprintf(ret, "partition %u of %s", id->partition, what) < 0 ? -ENOMEM : 0;
}

/* "on nfs 192.0.2.10:/export", "on ext4 (/dev/vda1)", or a block device's best ID. */
static int describe(const StorageIdentity *id, char **ret) {
        const char *fstype = id->fstype ? id->fstype : "an unknown file system";
        switch (id->kind) {
        case STORAGE_SHARED_FS: return asprintf(ret, "on %s %s", fstype, strna(id->source)) < 0 ? -ENOMEM : 0;
        case STORAGE_LOCAL_FS: return asprintf(ret, "on %s (%s)", fstype, strna(id->source)) < 0 ? -ENOMEM : 0;
        case STORAGE_BLOCK: return describe_block(id, block_id_best(id), ret);
        default: return -EINVAL;
        }
}

/* "disk T: P here is HERE, on the source SOURCE_PREFIX SOURCE: REASON" */
static int refuse_described(char **ret, const char *disk, const char *path, const StorageIdentity *source,
                            const StorageIdentity *here, const char *source_prefix, const char *reason) {
        _cleanup_free_ char *s = NULL, *h = NULL;
        int r = describe(source, &s);
        if (r >= 0)
                r = describe(here, &h);
        if (r < 0)
                return r;
        return refuse(ret, "disk %s: %s here is %s, on the source %s%s: %s", disk, path, h, source_prefix, s, reason);
}

static bool is_nfs(const StorageIdentity *id) {
        return streq_ptr(shared_fs_family(id->fstype), "nfs");
}

/* The "/export" of an NFS source "host:/export" ("[2001:db8::1]:/export"), NULL elsewhere. */
static const char *nfs_export(const StorageIdentity *id) {
        const char *e = is_nfs(id) && id->source ? strstr(id->source, ":/") : NULL;
        return e ? e + 1 : NULL;
}

typedef enum SharedKey {
        KEY_SERVER, /* NFS: the address the kernel mounted (@by_addr) or the host as written; elsewhere the source */
        KEY_EXPORT, /* NFS: the export path; elsewhere nothing (the source said it all) */
        KEY_PLACE,  /* where the file is on the server: NFS export + root path; elsewhere the root path */
} SharedKey;

static int shared_key(const StorageIdentity *id, SharedKey key, bool by_addr, char **ret) {
        const char *export = nfs_export(id);
        char *k = NULL;
        int n;

        if (key == KEY_SERVER && export && by_addr)
                n = asprintf(&k, "%s", id->server_addr);
        else if (key == KEY_SERVER && export)
                n = asprintf(&k, "%.*s", (int) (export - 1 - id->source), id->source);
        else if (key == KEY_SERVER)
                n = asprintf(&k, "%s", strna(id->source));
        else if (key == KEY_EXPORT)
                n = asprintf(&k, "%s", export ? export : "");
        else
                n = asprintf(&k, "%s/%s", export ? export : "", strna(id->root_path));
        if (n < 0)
                return -ENOMEM;
        path_normalize_slashes(k);
        *ret = k;
        return 0;
}

/* 1 when @a and @b agree on @key, 0 when not, -ENOMEM. */
static int same_key(const StorageIdentity *a, const StorageIdentity *b, SharedKey key) {
        _cleanup_free_ char *ka = NULL, *kb = NULL;
        bool by_addr = a->server_addr && b->server_addr; /* else both by the name as written */
        if (shared_key(a, key, by_addr, &ka) < 0 || shared_key(b, key, by_addr, &kb) < 0)
                return -ENOMEM;
        return streq(ka, kb);
}

/*
 * 1 when @here is on the export the source's file is on (or the file is
 * at the same place on the same server), 0 when not, -ENOMEM.
 */
static int same_export(const StorageIdentity *source, const StorageIdentity *here, bool *ret_same_place) {
        if (!streq_ptr(shared_fs_family(source->fstype), shared_fs_family(here->fstype)))
                return 0;
        int r = same_key(source, here, KEY_SERVER);
        if (r <= 0)
                return r;
        r = same_key(source, here, KEY_PLACE);
        if (r < 0)
                return r;
        *ret_same_place = r;
        /* another NFS export can hold the same file: nas:/e at /m here, nas:/e/d at /m/d there */
        return r ? 1 : same_key(source, here, KEY_EXPORT);
}

static bool inodes_differ(const StorageIdentity *source, const StorageIdentity *here) {
        return source->ino > 0 && here->ino > 0 && shared_fs_keeps_inodes(source->fstype) && source->ino != here->ino;
}

static int compare_shared_files(const char *disk, const char *path, const StorageIdentity *source,
                                const StorageIdentity *here, char **ret) {
        bool same_place = false;

        if (here->kind != STORAGE_SHARED_FS)
                return refuse_described(ret, disk, path, source, here, "it is ",
                                        "the export is not mounted here, or a stale copy is in the way");
        int r = same_export(source, here, &same_place);
        if (r < 0)
                return r;
        if (r == 0)
                return refuse_described(ret, disk, path, source, here, "", "another export is mounted at this path");
        if (inodes_differ(source, here))
                return refuse(ret,
                              "disk %s: %s here is another file on the same export (inode %" PRIu64 " here, %" PRIu64
                              " on the source): a copy, not the source's image",
                              disk, path, here->ino, source->ino);
        if (!same_place)
                return refuse(ret,
                              "disk %s: %s here is another file on the same export (%s here, %s on the source): a "
                              "copy, not the source's image",
                              disk, path, strna(here->root_path), strna(source->root_path));
        return 0;
}

/* The strongest ID both have and disagree on, and whether any agrees. */
static BlockId block_conflict(const StorageIdentity *a, const StorageIdentity *b, bool *ret_match) {
        BlockId conflict = _BLOCK_ID_NONE;
        *ret_match = false;
        for (BlockId i = 0; i < _BLOCK_ID_MAX; i++) {
                const char *x = block_id(a, i), *y = block_id(b, i);
                if (!x || !y)
                        continue;
                if (streq(x, y))
                        *ret_match = true;
                else if (conflict == _BLOCK_ID_NONE)
                        conflict = i;
        }
        return conflict;
}

static int refuse_blocks(char **ret, const char *disk, const char *path, const StorageIdentity *source,
                         const StorageIdentity *here, BlockId b) {
        _cleanup_free_ char *s = NULL, *h = NULL;
        int r = describe_block(source, b == _BLOCK_ID_NONE ? block_id_best(source) : b, &s);
        if (r >= 0)
                r = describe_block(here, b == _BLOCK_ID_NONE ? block_id_best(here) : b, &h);
        if (r < 0)
                return r;
        return refuse(ret, "disk %s: %s here is %s, on the source %s: name the disk by /dev/disk/by-id", disk, path, h,
                      s);
}

static int compare_blocks(const char *disk, const char *path, const StorageIdentity *source,
                          const StorageIdentity *here, char **ret) {
        bool match;

        if (here->kind != STORAGE_BLOCK)
                return refuse_described(ret, disk, path, source, here, "it is ",
                                        "the disk is not attached here, or a file is in the way");
        if (block_id_best(source) == _BLOCK_ID_NONE)
                return refuse(ret,
                              "disk %s: %s is a block device without a persistent id on the source: nothing "
                              "proves it is the same disk here",
                              disk, path);
        BlockId conflict = block_conflict(source, here, &match);
        if (conflict != _BLOCK_ID_NONE || !match || source->partition != here->partition)
                return refuse_blocks(ret, disk, path, source, here, conflict);
        return 0;
}

int storage_identity_compare(const char *disk_target, const char *path, const StorageIdentity *source,
                             const StorageIdentity *here, char **ret_refusal) {
        _cleanup_free_ char *where = NULL;

        if (source->kind < 0 || source->kind >= _STORAGE_KIND_MAX || here->kind < 0 || here->kind >= _STORAGE_KIND_MAX)
                return -EINVAL;
        switch (source->kind) {
        case STORAGE_SHARED_FS: return compare_shared_files(disk_target, path, source, here, ret_refusal);
        case STORAGE_BLOCK: return compare_blocks(disk_target, path, source, here, ret_refusal);
        default:
                if (describe(source, &where) < 0)
                        return -ENOMEM;
                return refuse(
                        ret_refusal,
                        "disk %s: %s on the source is %s, which only the source sees: copy it with --copy-storage-all",
                        disk_target, path, where);
        }
}

int storage_refusal_add_precreated_hint(char **refusal) {
        char *s = NULL;
        if (asprintf(&s, "%s; " STORAGE_PRECREATED_HINT, *refusal) < 0)
                return -ENOMEM;
        free(*refusal);
        *refusal = s;
        return 0;
}
