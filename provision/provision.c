/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* See provision.h for the three steps and why libvirt's pre-creation is used. */
#include "provision/provision.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/path-util.h"
#include "basic/strv.h"

bool disk_is_copy_candidate(const DomainDisk *disk) {
        if (disk->readonly || disk->shareable || disk->transient || !disk->source)
                return false;
        return streq(disk->device, "disk") || streq(disk->device, "lun");
}

/* One refusal line for disk @target: "disk vda: ...". */
#define add_refusal(refusals, target, fmt, ...)                                                                        \
        findings_addf((refusals), CHECK_KIND_PROVISION, "disk %s: " fmt, (target), __VA_ARGS__)

int provision_free_space_refusal(const Policy *p, const char *dir, unsigned long long free_percent, char **ret) {
        *ret = NULL;
        if (free_percent >= p->min_free_percent)
                return 0;
        return asprintf(ret, "%s has %llu%% free, policy [provision] min-free-percent is %u%%", dir, free_percent,
                        p->min_free_percent) < 0
                       ? -ENOMEM
                       : 1;
}

static int check_free_space(const Policy *p, const char *dir, const DomainDisk *disk, Findings *refusals) {
        _cleanup_free_ char *why = NULL;
        struct statvfs sv;
        if (statvfs(dir, &sv) < 0)
                return add_refusal(refusals, disk->target, "cannot examine directory %s", dir);
        if (sv.f_blocks == 0)
                return 0;
        int r = provision_free_space_refusal(p, dir, (unsigned long long) sv.f_bavail * 100 / sv.f_blocks, &why);
        return r <= 0 ? r : add_refusal(refusals, disk->target, "%s", why);
}

int provision_path_refusal(const DomainDisk *disk, char **ret) {
        *ret = NULL;
        if (!path_is_safe_absolute(disk->source))
                return asprintf(ret,
                                "path '%s' is not a plain absolute path (relative, '.', '..' or control characters)",
                                disk->source) < 0
                               ? -ENOMEM
                               : 1;
        return 0;
}

int provision_policy_refusal(const Policy *p, const DomainDisk *disk, char **ret) {
        *ret = NULL;
        if (!policy_path_allowed(p, disk->source))
                return asprintf(ret, "image '%s' is missing and outside [provision] allowed-dirs", disk->source) < 0
                               ? -ENOMEM
                               : 1;
        if (!image_format_supported(disk->format))
                return asprintf(ret, "cannot provision image format '%s' (qcow2 or raw only)",
                                disk->format ? disk->format : "unknown") < 0
                               ? -ENOMEM
                               : 1;
        return 0;
}

/* Decide one disk: refuse, ignore, or plan.  Returns 1 if planned. */
static int plan_disk(const Policy *p, const DomainXml *d, const DomainDisk *disk, IncomingState *s,
                     Findings *refusals) {
        struct stat st;
        int r;

        if (!disk_is_copy_candidate(disk) || !streq(disk->type, "file"))
                return 0;
        _cleanup_free_ char *bad_path = NULL;
        r = provision_path_refusal(disk, &bad_path);
        if (r != 0)
                return r < 0 ? r : add_refusal(refusals, disk->target, "%s", bad_path);

        r = path_lstat_nofollow(disk->source, &st);
        if (r == -ELOOP)
                return add_refusal(refusals, disk->target, "path '%s' goes through a symlink", disk->source);
        if (r >= 0) {
                if (S_ISREG(st.st_mode))
                        return 0; /* existing image: used as is, never touched */
                if (S_ISBLK(st.st_mode))
                        return add_refusal(refusals, disk->target,
                                           "destination '%s' is a block device, not an image file", disk->source);
                if (S_ISDIR(st.st_mode))
                        return add_refusal(refusals, disk->target, "destination '%s' is a directory", disk->source);
                if (S_ISLNK(st.st_mode))
                        return add_refusal(refusals, disk->target, "destination '%s' is a symlink", disk->source);
                return add_refusal(refusals, disk->target, "destination '%s' is not a regular file", disk->source);
        }
        if (r != -ENOENT)
                return add_refusal(refusals, disk->target, "cannot examine '%s'", disk->source);

        /* Missing image: migguard's business from here on. */
        if (!p->provision_enabled)
                return 0;
        _cleanup_free_ char *why = NULL;
        r = provision_policy_refusal(p, disk, &why);
        if (r != 0)
                return r < 0 ? r : add_refusal(refusals, disk->target, "%s", why);

        _cleanup_free_ char *dir = NULL;
        if (path_split(disk->source, &dir, NULL) < 0)
                return -ENOMEM;
        struct stat dst;
        if (stat(dir, &dst) < 0 || !S_ISDIR(dst.st_mode))
                return add_refusal(refusals, disk->target, "image directory '%s' does not exist", dir);
        size_t n_refusals = refusals->n;
        r = check_free_space(p, dir, disk, refusals);
        if (r < 0)
                return r;
        if (refusals->n > n_refusals)
                return 0; /* refused: not planned */

        ImageInfo opts;
        const ImageInfo *facts = domain_xml_find_facts(d, disk->target);
        image_info_init(&opts);
        if (facts && streq_ptr(facts->format, disk->format))
                opts = *facts; /* borrowed: add_disk copies */
        opts.target = disk->target;
        opts.format = disk->format;
        r = incoming_state_add_disk(s, disk->source, &opts);
        return r < 0 ? r : 1;
}

int provision_plan(const Policy *p, const DomainXml *d, IncomingState **ret_state, Findings *ret_refusals) {
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        Findings refusals = { 0 };
        int r;

        r = incoming_state_new(d->uuid, d->name, &s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < d->n_disks; i++) {
                r = plan_disk(p, d, &d->disks[i], s, &refusals);
                if (r < 0) {
                        findings_done(&refusals);
                        return r;
                }
        }
        *ret_state = TAKE_PTR(s);
        *ret_refusals = refusals;
        return 0;
}

int provision_plan_dirs(const IncomingState *s, char ***ret) {
        _cleanup_strv_free_ char **dirs = calloc(1, sizeof(char *));
        if (!dirs)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_disks; i++) {
                _cleanup_free_ char *dir = NULL;
                if (path_split(s->disks[i].path, &dir, NULL) < 0)
                        return -ENOMEM;
                if (!strv_contains(dirs, dir) && strv_push(&dirs, dir) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(dirs);
        return 0;
}

/* "disk vda: STEP 'PATH': reason"; a step cut short by the deadline says so. */
static int seterr(char **ret_error, const IncomingDisk *d, const char *what, int r) {
        if (ret_error && asprintf(ret_error, "disk %s: %s '%s': %s", strna(d->opts.target), what, d->path,
                                  r == -ETIMEDOUT ? "ran out of time (the hook's deadline passed)" : strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

/* libvirt pre-creation rounds qcow2 capacity up to KiB; the source's exact
 * size (published facts) wins when it is what was rounded. */
static uint64_t pick_size(const IncomingDisk *d, uint64_t precreated) {
        uint64_t src = d->opts.virtual_size;
        if (src && (src + 1023) / 1024 * 1024 == precreated)
                return src;
        return precreated;
}

static int copy_identity(int dfd, const char *tmp, const struct stat *st) {
        _cleanup_close_ int fd = openat(dfd, tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

/* Keep the SELinux label libvirt's file got, where there is one. */
static int copy_label(int dfd, const char *from, const char *to) {
        char label[512];
        _cleanup_close_ int f = openat(dfd, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int t = openat(dfd, to, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (f < 0 || t < 0)
                return -errno;
        ssize_t n = fgetxattr(f, "security.selinux", label, sizeof(label));
        if (n <= 0)
                return 0;
        if (fsetxattr(t, "security.selinux", label, (size_t) n, 0) < 0 && errno != ENOTSUP)
                return -errno;
        return 0;
}

static int replace_one(const Policy *p, IncomingDisk *d, IncomingState *s, const char *incoming_dir, usec_t deadline,
                       char **ret_error) {
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *base = NULL, *dir = NULL, *tmp = NULL, *tmppath = NULL, *qerr = NULL;
        struct stat st;
        int r;

        r = path_open_parent_nofollow(d->path, &dfd, &base);
        if (r < 0)
                return seterr(ret_error, d, "cannot open directory of", r);
        if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0; /* libvirt did not pre-create it: disk not copied */
                return seterr(ret_error, d, "cannot examine", -errno);
        }
        if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
                return seterr(ret_error, d, "refusing to replace", -EPERM);
        if ((int64_t) st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000 < s->begin_usec - 2000000)
                return seterr(ret_error, d, "file predates this migration, not replacing", -EEXIST);

        /* libvirt's file is now ours to remove if the migration fails. */
        d->created = true;
        d->dev = st.st_dev;
        d->ino = st.st_ino;
        s->phase = INCOMING_PREPARED;
        r = incoming_state_save(incoming_dir, s);
        if (r < 0)
                return seterr(ret_error, d, "cannot record state for", r);

        ImageInfo pre;
        r = image_info_query(d->path, deadline, &pre);
        if (r < 0)
                return seterr(ret_error, d, "cannot read pre-created image (qemu-img info)", r);
        uint64_t size = pick_size(d, pre.virtual_size);
        image_info_done(&pre);

        uint64_t rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                return seterr(ret_error, d, "no randomness for temporary name of", -EIO);
        if (path_split(d->path, &dir, NULL) < 0 ||
            asprintf(&tmp, ".%s.migguard-%016llx", base, (unsigned long long) rnd) < 0 ||
            asprintf(&tmppath, "%s/%s", dir, tmp) < 0)
                return -ENOMEM;

        r = image_create(tmppath, d->opts.format, size, &d->opts, p->sparse, deadline, &qerr);
        if (r < 0) {
                (void) unlinkat(dfd, tmp, 0);
                if (!qerr)
                        return seterr(ret_error, d, "cannot create image (qemu-img create)", r);
                if (ret_error && asprintf(ret_error, "disk %s: cannot create image '%s': %s", strna(d->opts.target),
                                          d->path, qerr) < 0)
                        *ret_error = NULL;
                return r;
        }
        r = copy_identity(dfd, tmp, &st);
        if (r >= 0)
                r = copy_label(dfd, base, tmp);
        if (r >= 0 && renameat(dfd, tmp, dfd, base) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dfd, tmp, 0);
                return seterr(ret_error, d, "cannot put thin image in place at", r);
        }
        if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return seterr(ret_error, d, "cannot examine", -errno);
        d->dev = st.st_dev;
        d->ino = st.st_ino;
        d->opts.virtual_size = size;
        r = incoming_state_save(incoming_dir, s);
        return r < 0 ? seterr(ret_error, d, "cannot record state for", r) : 1;
}

int provision_prepare(const Policy *p, IncomingState *s, const char *incoming_dir, usec_t deadline, char **ret_error) {
        int replaced = 0;
        for (size_t i = 0; i < s->n_disks; i++) {
                int r = replace_one(p, &s->disks[i], s, incoming_dir, deadline, ret_error);
                if (r < 0)
                        return r;
                replaced += r;
        }
        return replaced;
}

static int remove_if(const char *path, bool (*match)(const struct stat *, const void *), const void *arg,
                     char ***removed) {
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *base = NULL;
        struct stat st;

        if (path_open_parent_nofollow(path, &dfd, &base) < 0)
                return 0;
        if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) || !match(&st, arg))
                return 0;
        if (unlinkat(dfd, base, 0) < 0)
                return -errno;
        return strv_push(removed, path);
}

static bool same_file(const struct stat *st, const void *arg) {
        const IncomingDisk *d = arg;
        return d->created && st->st_dev == d->dev && st->st_ino == d->ino;
}

int provision_cleanup(const IncomingState *s, char ***ret_removed) {
        _cleanup_strv_free_ char **removed = calloc(1, sizeof(char *));
        int ret = 0;
        if (!removed)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_disks; i++) {
                int r = remove_if(s->disks[i].path, same_file, &s->disks[i], &removed);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        *ret_removed = TAKE_PTR(removed);
        return ret;
}

static bool made_since(const struct stat *st, const void *arg) {
        const IncomingState *s = arg;
        int64_t mtime = (int64_t) st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000;
        return st->st_nlink == 1 && mtime >= s->begin_usec - 2000000;
}

int provision_cleanup_unprepared(const IncomingState *s, char ***ret_removed) {
        _cleanup_strv_free_ char **removed = calloc(1, sizeof(char *));
        int ret = 0;
        if (!removed)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_disks; i++) {
                int r = remove_if(s->disks[i].path, made_since, s, &removed);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        *ret_removed = TAKE_PTR(removed);
        return ret;
}
