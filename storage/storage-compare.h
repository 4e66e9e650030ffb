/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is the storage at a disk's path here the storage the source uses?  For
 * a disk libvirt does not copy, the destination compares the identity the
 * source published with the one it computes (storage-identity.h), before
 * any data moves, and explains a difference in one line for the admin:
 *
 *   disk vda: /var/lib/libvirt/images/db.qcow2 here is on ext4 (/dev/vda1),
 *   on the source it is on nfs 192.0.2.10:/export: the export is not
 *   mounted here, or a stale copy is in the way
 */
#pragma once

#include "storage/storage-identity.h"

/*
 * Files on a shared file system are the same when the file system family
 * (nfs and nfs4 are one), the mount source and the path in the mounted
 * tree are (for NFS: the server, by the address the kernel mounted when
 * both know it, and the file's path below the server's exports), and the
 * inode number too where every client sees the server's.
 * Block devices are the same when a persistent ID matches (wwid, dm uuid,
 * serial, loop backing file) and none differs.  Storage only the source
 * sees (a local file system) is never the same.
 *
 * 0 the same; 1 not, with "disk TARGET: PATH ..." in *ret_refusal;
 * -EINVAL an identity without a kind; -ENOMEM.
 */
int storage_identity_compare(const char *disk_target, const char *path, const StorageIdentity *source,
                             const StorageIdentity *here, char **ret_refusal);

/*
 * For a disk libvirt copies off shared storage onto a file someone
 * created at the same path here: the fix, appended to a refusal from
 * storage_identity_compare() as "...; remove that file, or set [storage]
 * identity = warn for this domain" (its MG_POLICY_XMLNS metadata).
 */
#define STORAGE_PRECREATED_HINT "remove that file, or set [storage] identity = warn for this domain"
int storage_refusal_add_precreated_hint(char **refusal);
