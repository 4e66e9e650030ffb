/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Migration thread names of every QEMU generation (see migration-thread.h). */
#include "pinning/migration-thread.h"

#include <string.h>

#include "basic/macro.h"

/*
 * QEMU 7.2 - 9.0 (qemu_thread_create() names in migration/):
 *   live_migration       source, every migration (dirty page scan, send, xbzrle encode)
 *   return path          source, postcopy / return-path capability
 *   bg_snapshot          background snapshot
 *   multifdsend_N        source, --parallel (send, zlib/zstd, TLS)
 *   multifdrecv_N        destination, --parallel
 *   compress             source, --compressed --comp-methods mt (deflate)
 *   decompress           destination, the same (inflate; made by the main
 *                        loop, so it inherits nothing: it must be named here)
 *   fault-default        destination, --postcopy (page faults)
 *   fault-fast           destination, postcopy-preempt
 *   postcopy/listen      destination, --postcopy (page load)
 *   COLO incoming        destination, COLO
 *   get_dirtyrate        calc-dirty-rate (page sampling; 7.2 - 9.1)
 * QEMU 9.1+ renamed them all under "mig/": mig/src/main, mig/src/send_N,
 * mig/src/tls (multifd TLS handshake), mig/src/return (9.1: mig/src/rp-thr),
 * mig/dst/recv_N, mig/dst/fault, mig/dst/preempt, mig/dst/listen,
 * mig/dst/colo, mig/snapshot, mig/dirtyrate (10.0); the mt compression
 * threads were removed in 9.1.
 * Not matched, on purpose: "worker" (the block layer's AIO pool),
 * "io-task-worker" (also chardev reconnects), GLib "pool-*" (any pool):
 * those made by a migration thread inherit its placement.  Unnamed: the
 * multifd TLS handshake thread before 9.1 (its name is over 15
 * characters) and multifd channels 100 and above from 9.1 on.
 */
static const char *const exact[] = {
        "live_migration", "return path", "bg_snapshot",     "compress",      "decompress",
        "fault-default",  "fault-fast",  "postcopy/listen", "COLO incoming", "get_dirtyrate",
};
static const char *const prefixes[] = { "mig/", "multifdsend_", "multifdrecv_" };

bool migration_thread_name(const char *comm) {
        if (!comm)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(exact); i++)
                if (streq(comm, exact[i]))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (strncmp(comm, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}
