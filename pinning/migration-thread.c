/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Migration thread names of both QEMU generations (see migration-thread.h). */
#include "pinning/migration-thread.h"

#include <string.h>

#include "basic/macro.h"

bool migration_thread_name(const char *comm) {
        static const char *const exact[] = { "live_migration",  "return path", "postcopy/listen", "postcopy/fault",
                                             "postcopy/prempt", "fault-fwd",   "mig-rp-thread" };
        static const char *const prefixes[] = { "mig/src/", "mig/dst/", "multifdsend_", "multifdrecv_" };

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
