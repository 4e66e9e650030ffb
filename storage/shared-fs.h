/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which file systems are shared between hosts, by their mountinfo name.
 * This mirrors libvirt's own list (src/util/virfile.c: virFileIsSharedFS()
 * over virFileSharedFs[] by superblock magic, and virFileIsSharedFsFUSE()
 * over virFileSharedFsFUSE[] by mount type), which qemuMigrationSrcIsSafe()
 * consults on the source: a disk libvirt lets migrate without a storage
 * copy is on one of these, and the destination must find the same one.
 */
#pragma once

#include <stdbool.h>

/* @fstype (mountinfo, e.g. "nfs4", "fuse.glusterfs") is a shared file system. */
bool shared_fs_type(const char *fstype);

/*
 * The family two mounts must share to be the same storage: one name for
 * the kernel types of one protocol ("nfs" for nfs and nfs4, "cifs" for
 * cifs, smb3 and smbfs), the type itself otherwise.  NULL for NULL.
 */
const char *shared_fs_family(const char *fstype);

/*
 * Whether every client sees the server's inode number as st_ino (NFS
 * fileid, CephFS, GlusterFS's GFID-derived numbers, GFS2 and OCFS2 on one
 * shared device), so equal paths with different inodes are different files.
 */
bool shared_fs_keeps_inodes(const char *fstype);
