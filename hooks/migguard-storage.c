/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard-storage: the hook's only libvirt client for storage, a
 * separate program so that migguard-hook itself does not load libvirt
 * (about 9 ms of dynamic linking on every domain start, stop and
 * migration).  The hook runs it only when a migration needs images
 * provisioned.
 *
 *   migguard-storage ensure [--within-ms MS] DIR [MISSING-PATH...]
 *     make an active, fresh storage pool cover DIR; print its name.
 *     MS: what is left of the hook's deadline (waits for a busy pool end
 *     by then).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/paths.h"
#include "core/virt-util.h"
#include "provision/storage-pool.h"

int main(int argc, char *argv[]) {
        _cleanup_(virConnectClosep) virConnectPtr conn = NULL;
        _cleanup_free_ char *name = NULL, *err = NULL;
        usec_t deadline = USEC_INFINITY;
        int first = 2;

        if (argc < 3 || strcmp(argv[1], "ensure") != 0)
                goto usage;
        if (streq(argv[2], "--within-ms")) {
                char *end;
                long ms = argc > 3 ? strtol(argv[3], &end, 10) : -1;
                if (ms < 0 || *end)
                        goto usage;
                deadline = deadline_in((usec_t) ms * USEC_PER_MSEC);
                first = 4;
        }
        if (argc <= first)
                goto usage;
        if (storage_connect(LIBVIRT_DEFAULT_URI, &conn) < 0) {
                fprintf(stderr, "cannot connect to libvirt's storage driver\n");
                return 1;
        }
        if (storage_pool_ensure(conn, argv[first], argc > first + 1 ? argv + first + 1 : NULL, deadline, &name, &err) <
            0) {
                fprintf(stderr, "%s\n", err ? err : "cannot prepare storage pool");
                return 1;
        }
        printf("%s\n", name);
        return 0;
usage:
        fprintf(stderr, "usage: migguard-storage ensure [--within-ms MS] DIR [MISSING-PATH...]\n");
        return 2;
}
