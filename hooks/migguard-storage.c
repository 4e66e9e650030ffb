/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard-storage: the hook's only libvirt client, a separate program so
 * that migguard-hook itself does not load libvirt (about 9 ms of dynamic
 * linking on every domain start, stop and migration).  The hook runs it
 * only when a migration needs images provisioned.
 *
 *   migguard-storage ensure DIR [MISSING-PATH...]
 *     make an active, fresh storage pool cover DIR; print its name.
 */
#include <stdio.h>
#include <string.h>

#include "alloc-util.h"
#include "storage-pool.h"

int main(int argc, char *argv[]) {
        _cleanup_(virConnectClosep) virConnectPtr conn = NULL;
        _cleanup_free_ char *name = NULL, *err = NULL;

        if (argc < 3 || strcmp(argv[1], "ensure") != 0) {
                fprintf(stderr, "usage: migguard-storage ensure DIR [MISSING-PATH...]\n");
                return 2;
        }
        if (storage_connect("qemu:///system", &conn) < 0) {
                fprintf(stderr, "cannot connect to libvirt's storage driver\n");
                return 1;
        }
        if (storage_pool_ensure(conn, argv[2], argc > 3 ? argv + 3 : NULL, &name, &err) < 0) {
                fprintf(stderr, "%s\n", err ? err : "cannot prepare storage pool");
                return 1;
        }
        printf("%s\n", name);
        return 0;
}
