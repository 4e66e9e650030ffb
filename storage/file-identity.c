/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A file's mount and its place in the mounted tree (see file-identity.h).
 * libmount parses mountinfo (escapes, optional fields, the super options
 * where NFS keeps the server's address); nothing here parses it by hand.
 */
#include "storage/file-identity.h"

#include <errno.h>
#include <libmount/libmount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "basic/log.h"
#include "basic/macro.h"
#include "basic/path-util.h"
#include "storage/shared-fs.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

/* How much of @path the mount point @target covers: 0 when it does not. */
static size_t target_covers(const char *target, const char *path) {
        if (!target || target[0] != '/')
                return 0;
        if (streq(target, "/"))
                return 1;
        if (streq(target, path) || path_startswith_dir(path, target))
                return strlen(target);
        return 0;
}

/*
 * The mount holding @path: the one with the longest target covering @path
 * among those on @dev (any device when !@by_dev), the last listed (the
 * topmost) on a tie.
 */
static struct libmnt_fs *mount_of(struct libmnt_table *tb, const char *path, dev_t dev, bool by_dev) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs, *best = NULL;
        size_t best_len = 0;

        if (!itr)
                return NULL;
        while (mnt_table_next_fs(tb, itr, &fs) == 0) {
                if (by_dev && mnt_fs_get_devno(fs) != dev)
                        continue;
                size_t n = target_covers(mnt_fs_get_target(fs), path);
                if (n > 0 && n >= best_len) {
                        best = fs;
                        best_len = n;
                }
        }
        return best;
}

/* mountinfo's root field joined with @path below @target. */
static int root_path_of(const char *root, const char *target, const char *path, char **ret) {
        const char *below = streq(target, "/") ? path : path + strlen(target);
        char *p = NULL;

        if (!root || streq(root, "/"))
                root = "";
        if (asprintf(&p, "%s/%s", root, below) < 0)
                return -ENOMEM;
        path_normalize_slashes(p);
        *ret = p;
        return 0;
}

/* NFS keeps the address it mounted (a name resolved once) as addr=. */
static int server_addr_of(struct libmnt_fs *fs, char **ret) {
        char *value = NULL;
        size_t len = 0;

        if (!streq_ptr(shared_fs_family(mnt_fs_get_fstype(fs)), "nfs"))
                return 0;
        if (mnt_optstr_get_option(mnt_fs_get_fs_options(fs), "addr", &value, &len) != 0 || len == 0)
                return 0;
        *ret = strndup(value, len);
        return *ret ? 0 : -ENOMEM;
}

static int dup_field(const char *s, char **ret) {
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int fill_from_mount(struct libmnt_fs *fs, const char *path, StorageIdentity *id) {
        int r = dup_field(mnt_fs_get_fstype(fs), &id->fstype);
        if (r >= 0)
                r = dup_field(mnt_fs_get_source(fs), &id->source);
        if (r >= 0)
                r = server_addr_of(fs, &id->server_addr);
        if (r >= 0)
                r = root_path_of(mnt_fs_get_root(fs), mnt_fs_get_target(fs), path, &id->root_path);
        return r;
}

int file_identity_fill(const char *proc_root, const char *path, dev_t dev, StorageIdentity *id) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        _cleanup_free_ char *mountinfo = NULL;
        int r;

        if (!tb || asprintf(&mountinfo, "%s/self/mountinfo", proc_root) < 0)
                return -ENOMEM;
        r = mnt_table_parse_file(tb, mountinfo);
        if (r < 0)
                return log_debug_errno(r, "Cannot read %s: %m", mountinfo);

        struct libmnt_fs *fs = mount_of(tb, path, dev, true);
        if (!fs) {
                /* st_dev of a btrfs subvolume or an overlayfs file need not be a mount's */
                log_debug("No mount of device %u:%u holds %s, matching the path alone", major(dev), minor(dev), path);
                fs = mount_of(tb, path, dev, false);
        }
        if (!fs)
                return -ENXIO;
        return fill_from_mount(fs, path, id);
}
