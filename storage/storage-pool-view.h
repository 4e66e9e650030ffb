/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What another host's libvirt shows about a shared file system: the
 * network file system pool (type netfs or gluster) whose target covers a
 * path, and the export it mounts there ("host:/dir").  `migguard check`
 * compares that with where the disk is on the source; only the
 * destination's hook sees everything else (mounts made outside libvirt,
 * block devices).
 */
#pragma once

#include <libvirt/libvirt.h>

typedef struct PoolView {
        char *name;   /* the pool's name */
        char *type;   /* netfs, gluster */
        char *source; /* "host:/dir", as mountinfo shows an NFS mount */
        char *target; /* where it is mounted */
} PoolView;

void pool_view_done(PoolView *v);

/* The active network pool of @conn whose target directory holds @path:
 * 1 found, 0 none, <0 error. */
int pool_view_of(virConnectPtr conn, const char *path, PoolView *ret);
