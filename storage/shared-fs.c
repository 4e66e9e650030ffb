/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's shared file systems by mountinfo name (see shared-fs.h).
 * libvirt matches statfs() magics; these are the kernel's file system
 * names for the same magics, and the FUSE subtypes libvirt names itself.
 */
#include "storage/shared-fs.h"

#include <stddef.h>

#include "basic/macro.h"

typedef struct SharedFs {
        const char *fstype;
        const char *family;
        bool keeps_inodes;
} SharedFs;

static const SharedFs shared_fs_table[] = {
        /* VIR_FILE_SHFS_NFS, NFS_SUPER_MAGIC: both NFS file system types */
        { "nfs", "nfs", true },
        { "nfs4", "nfs", true },
        { "gfs2", "gfs2", true },   /* VIR_FILE_SHFS_GFS2, GFS2_MAGIC */
        { "ocfs2", "ocfs2", true }, /* VIR_FILE_SHFS_OCFS, OCFS2_SUPER_MAGIC */
        { "afs", "afs", false },    /* VIR_FILE_SHFS_AFS, AFS_FS_MAGIC (kAFS) */
        /* VIR_FILE_SHFS_SMB (SMB_SUPER_MAGIC: the old smbfs) and
         * VIR_FILE_SHFS_CIFS (CIFS_SUPER_MAGIC: cifs.ko's "cifs" and "smb3") */
        { "smbfs", "cifs", false },
        { "cifs", "cifs", false },
        { "smb3", "cifs", false },
        { "ceph", "ceph", true },      /* VIR_FILE_SHFS_CEPH, CEPH_SUPER_MAGIC */
        { "gpfs", "gpfs", false },     /* VIR_FILE_SHFS_GPFS, GPFS_SUPER_MAGIC */
        { "acfs", "acfs", false },     /* VIR_FILE_SHFS_ACFS, VIR_ACFS_MAGIC */
        { "beegfs", "beegfs", false }, /* VIR_FILE_SHFS_BEEGFS, VIR_BEEGFS_MAGIC */
        { "fhgfs", "beegfs", false },  /* BeeGFS's former name, same magic */
        /* FUSE_SUPER_MAGIC: only these subtypes (virFileSharedFsFUSE[]) */
        { "fuse.glusterfs", "fuse.glusterfs", true }, /* VIR_FILE_SHFS_GLUSTERFS */
        { "fuse.quobyte", "fuse.quobyte", false },    /* VIR_FILE_SHFS_QB */
};

static const SharedFs *shared_fs_find(const char *fstype) {
        for (size_t i = 0; fstype && i < ELEMENTSOF(shared_fs_table); i++)
                if (streq(fstype, shared_fs_table[i].fstype))
                        return &shared_fs_table[i];
        return NULL;
}

bool shared_fs_type(const char *fstype) {
        return shared_fs_find(fstype) != NULL;
}

const char *shared_fs_family(const char *fstype) {
        const SharedFs *s = shared_fs_find(fstype);
        return s ? s->family : fstype;
}

bool shared_fs_keeps_inodes(const char *fstype) {
        const SharedFs *s = shared_fs_find(fstype);
        return s && s->keeps_inodes;
}
