/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The block facts of a storage identity, from sysfs and /dev/disk/by-id:
 * the persistent IDs a LUN carries wherever it is attached (SCSI and NVMe
 * WWIDs, the VPD 0x80 serial, device-mapper UUIDs) and a loop device's
 * backing file.  A partition takes its disk's IDs plus its number.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "storage/storage-identity.h"

/*
 * Fill @id's block fields for device @rdev from SYS_ROOT/dev/block/MAJ:MIN
 * and DEV_ROOT/disk/by-id.  -ENOENT: sysfs does not know the device.
 * Partial fields are left for the caller to free.
 */
int block_identity_fill(const char *sys_root, const char *dev_root, dev_t rdev, StorageIdentity *id);

/*
 * The unit serial number in a SCSI VPD page 0x80 (bytes 4.. up to the
 * page length in bytes 2-3), printable characters only, trimmed.
 * -EBADMSG not a page 0x80, -ENODATA no serial in it.
 */
int block_vpd_pg80_serial(const uint8_t *page, size_t len, char **ret);

/* The sorted names in DEV_ROOT/disk/by-id that lead to block device @rdev. */
int block_by_id_names(const char *dev_root, dev_t rdev, char ***ret);
