/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A block device's persistent IDs from sysfs, and its /dev/disk/by-id
 * names (see block-identity.h).  Every read is relative to the device's
 * sysfs directory, reached through SYS_ROOT/dev/block/MAJ:MIN, so a
 * fixture tree stands in for /sys.
 */
#include "storage/block-identity.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basic/alloc-util.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/macro.h"
#include "basic/strv.h"

#define SYSFS_ATTR_MAX 4096

/*
 * @len bytes of @s without control characters (and, @ascii, without bytes
 * past ASCII), spaces trimmed: what goes into a one-line message.
 * -ENODATA if nothing is left.
 */
static int printable_trimmed(const char *s, size_t len, bool ascii, char **ret) {
        _cleanup_free_ char *out = malloc(len + 1);
        size_t n = 0;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c == 0x7f || (ascii && c > 0x7f) || (n == 0 && c == ' '))
                        continue;
                out[n++] = (char) c;
        }
        while (n > 0 && out[n - 1] == ' ')
                n--;
        if (n == 0)
                return -ENODATA;
        out[n] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

/* A sysfs attribute below @dirfd (which may go through symlinks such as "device/"). */
static int read_attr_raw(int dirfd, const char *name, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, SYSFS_ATTR_MAX, ret, ret_len);
}

/* A text attribute, one line, trimmed; -ENODATA if empty, -ENOENT if absent. */
static int read_attr(int dirfd, const char *name, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_attr_raw(dirfd, name, &buf, &len);
        if (r < 0)
                return r;
        if (!buf)
                return -ENODATA; /* not reached: for the analyzer */
        len = strcspn(buf, "\n");
        return printable_trimmed(buf, len, false, ret);
}

int block_vpd_pg80_serial(const uint8_t *page, size_t len, char **ret) {
        if (len < 4 || page[1] != 0x80)
                return -EBADMSG;
        size_t n = (size_t) page[2] << 8 | page[3];
        if (n > len - 4)
                n = len - 4;                                             /* a short read: what is there */
        return printable_trimmed((const char *) page + 4, n, true, ret); /* SPC: ASCII */
}

static int read_vpd_serial(int dirfd, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_attr_raw(dirfd, "device/vpd_pg80", &buf, &len);
        if (r < 0)
                return r;
        return block_vpd_pg80_serial((const uint8_t *) buf, len, ret);
}

/* A missing or unreadable attribute is no fact (the caller compares what
 * it found): only memory is an error. */
static int fact(int r, const char *name) {
        if (r == -ENOMEM)
                return r;
        if (r < 0 && r != -ENOENT)
                log_debug_errno(r, "Cannot read block device attribute %s: %m", name);
        return 0;
}

static int read_partition(int devfd, unsigned *ret) {
        _cleanup_free_ char *s = NULL;
        int r = read_attr(devfd, "partition", &s);
        if (r == -ENOENT) {
                *ret = 0;
                return 0;
        }
        if (r < 0)
                return r;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v == 0 || v > 65535)
                return -EBADMSG;
        *ret = (unsigned) v;
        return 0;
}

/* The disk's IDs (a partition's parent directory is its disk, in sysfs as in /sys/block). */
static int read_disk_ids(int fd, StorageIdentity *id) {
        int r = fact(read_attr(fd, "device/wwid", &id->wwid), "device/wwid");
        if (r >= 0 && !id->wwid)
                r = fact(read_attr(fd, "wwid", &id->wwid), "wwid"); /* NVMe namespace */
        if (r >= 0)
                r = fact(read_vpd_serial(fd, &id->serial), "device/vpd_pg80");
        if (r >= 0 && !id->serial)
                r = fact(read_attr(fd, "device/serial", &id->serial), "device/serial");
        if (r >= 0)
                r = fact(read_attr(fd, "dm/uuid", &id->dm_uuid), "dm/uuid");
        if (r >= 0)
                r = fact(read_attr(fd, "loop/backing_file", &id->loop_backing), "loop/backing_file");
        return r;
}

static int open_sysfs_device(const char *sys_root, dev_t rdev) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/dev/block/%u:%u", sys_root, major(rdev), minor(rdev)) < 0)
                return -ENOMEM;
        int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

int block_identity_fill(const char *sys_root, const char *dev_root, dev_t rdev, StorageIdentity *id) {
        _cleanup_close_ int devfd = open_sysfs_device(sys_root, rdev);
        _cleanup_close_ int diskfd = -1;
        if (devfd < 0)
                return devfd;
        int r = read_partition(devfd, &id->partition);
        if (r < 0)
                return r;
        if (id->partition > 0) {
                diskfd = openat(devfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (diskfd < 0)
                        return negative_errno();
        }
        r = read_disk_ids(diskfd >= 0 ? diskfd : devfd, id);
        if (r < 0)
                return r;
        return block_by_id_names(dev_root, rdev, &id->by_id);
}

static bool is_link_to(int dirfd, const char *name, dev_t rdev) {
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                return false;
        /* a relative target resolves from by-id/, as udev's "../../sdb" does */
        return fstatat(dirfd, name, &st, 0) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == rdev;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int block_by_id_names(const char *dev_root, dev_t rdev, char ***ret) {
        _cleanup_free_ char *p = NULL;
        _cleanup_strv_free_ char **names = NULL;

        if (asprintf(&p, "%s/disk/by-id", dev_root) < 0)
                return -ENOMEM;
        _cleanup_(closedirp) DIR *d = opendir(p);
        if (!d && errno != ENOENT)
                return log_debug_errno(errno, "Cannot read %s: %m", p);
        for (struct dirent *de; d && (de = readdir(d));) {
                if (de->d_name[0] == '.' || !is_link_to(dirfd(d), de->d_name, rdev))
                        continue;
                if (strv_push(&names, de->d_name) < 0)
                        return -ENOMEM;
        }
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_names);
        *ret = TAKE_PTR(names);
        return 0;
}
