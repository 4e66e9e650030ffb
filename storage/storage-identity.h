/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The identity of the storage behind a disk path: the facts that say
 * which file on which export, or which LUN, a path leads to on this host,
 * and that stay the same while the guest runs (no sizes, no allocation).
 * The source publishes its disks' identities; the destination computes
 * the identity of the same paths and compares (storage-compare.h), so a
 * migration without storage copy cannot start the guest on a stale file
 * where an export should be mounted, or on another LUN under the same name.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "basic/macro.h"

typedef enum StorageKind {
        STORAGE_LOCAL_FS,  /* a file on a file system only this host sees */
        STORAGE_SHARED_FS, /* a file on a network or cluster file system (shared-fs.h) */
        STORAGE_BLOCK,     /* a block device */
        _STORAGE_KIND_MAX,
        _STORAGE_KIND_INVALID = -1,
} StorageKind;

/* "local", "shared-fs", "block"; NULL / _STORAGE_KIND_INVALID otherwise. */
const char *storage_kind_to_string(StorageKind k);
StorageKind storage_kind_from_string(const char *s);

/* Where the kernel's views are, injectable for fixture trees. */
typedef struct StorageRoots {
        const char *proc_root; /* "/proc": self/mountinfo */
        const char *sys_root;  /* "/sys": dev/block/MAJ:MIN */
        const char *dev_root;  /* "/dev": disk/by-id */
} StorageRoots;

/* The running system's roots; a NULL StorageRoots or field means these. */
extern const StorageRoots storage_roots_system;

typedef struct StorageIdentity {
        StorageKind kind;
        /* files */
        char *fstype;      /* mountinfo file system type: "nfs4", "fuse.glusterfs", "ext4" */
        char *source;      /* mountinfo mount source: "192.0.2.10:/export", "/dev/vda1" */
        char *server_addr; /* nfs: the server address the kernel mounted (addr= option) */
        char *root_path;   /* the file in the mounted tree: mountinfo root + path below the mount point */
        uint64_t ino;      /* st_ino; 0 unknown */
        /* block devices */
        unsigned partition; /* sysfs partition number; 0 the whole device */
        char *wwid;         /* SCSI device/wwid or NVMe wwid: "naa.6001405f..." */
        char *serial;       /* SCSI VPD page 0x80 (device/vpd_pg80) or device/serial */
        char *dm_uuid;      /* dm/uuid: "mpath-3600...", "LVM-..." */
        char *loop_backing; /* loop/backing_file */
        char **by_id;       /* names in /dev/disk/by-id leading to this device, sorted; NULL none */
} StorageIdentity;

void storage_identity_done(StorageIdentity *id);

/*
 * The identity of @path (absolute, no "." or ".." components) under
 * @roots (NULL: the system's).  Directories on the way may be symlinks
 * (QEMU follows them too: the identity is of what it opens); a symlink in
 * the last component must lead to a block device (/dev/disk/by-id/...,
 * /dev/mapper/...).  -EINVAL a relative or unsafe path, -ENOENT missing,
 * -ELOOP a symlink to anything but a block device, -EMEDIUMTYPE neither a
 * regular file nor a block device, -ENXIO no mount holds it.
 */
int storage_identity_of(const StorageRoots *roots, const char *path, StorageIdentity *ret);

/*
 * The same for @path (canonical: no symlinks, no repeated slashes) whose
 * lstat() is @st, without looking at @path itself: the mount is found by
 * @st->st_dev in mountinfo, a block device by @st->st_rdev in sysfs.
 * For tests, and for callers that hold the file open already.
 */
int storage_identity_of_stat(const StorageRoots *roots, const char *path, const struct stat *st, StorageIdentity *ret);

/*
 * Storage another host can see: a shared file system, or a block device
 * with a SAN identity (wwid, serial, a multipath or LVM dm uuid).  A loop
 * device's backing file identifies it for the comparison, but is no SAN.
 */
bool storage_identity_is_shared(const StorageIdentity *id);

/*
 * For publishing in the domain's metadata: alternating names and values
 * ("kind", "block", "wwid", "naa.6001405f...", ...; by-id names joined by
 * spaces), leaving out what is unknown.  from_pairs() reads them back
 * (untrusted: the source wrote them): unknown names are ignored, a bad
 * kind or number, a control character or an over-long value is -EBADMSG.
 */
int storage_identity_to_pairs(const StorageIdentity *id, char ***ret);
int storage_identity_from_pairs(char *const *pairs, StorageIdentity *ret);
