/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drop every capability migguardd does not use, once the proc connector
 * (CAP_NET_ADMIN) is bound and before any other thread exists
 * (capabilities are per thread; new threads inherit them).  Kept:
 * CAP_SYS_NICE to set the affinity of QEMU's threads (another user's),
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH to read guests' images
 * (qemu-img info) and to remove images libvirt pre-created in an image
 * directory root does not own.  The bounding set shrinks too where
 * migguardd may change it (CAP_SETPCAP: started as root by hand); under
 * the unit, CapabilityBoundingSet= already says the same to systemd.
 */
#include <cap-ng.h>
#include <linux/capability.h>
#include <unistd.h>

#include <errno.h>

#include "basic/log.h"
#include "daemon.h"

int daemon_drop_privileges(void) {
        if (geteuid() != 0)
                return 0; /* tests as a user: nothing to drop */
        /* Under the unit the bounding set is already systemd's; changing
         * it needs CAP_SETPCAP, which the unit does not give us. */
        if (capng_get_caps_process() < 0)
                return log_error_errno(-EIO, "Cannot read this process's capabilities");
        capng_select_t what =
                capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS;
        capng_clear(what);
        if (capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET, CAP_SYS_NICE,
                          CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, -1) < 0)
                return log_error_errno(-EINVAL, "Cannot compute the capability set");
        int r = capng_apply(what);
        if (r < 0)
                return log_error_errno(-EPERM, "Cannot drop capabilities (capng_apply: %d)", r);
        log_debug("Capabilities dropped to CAP_SYS_NICE, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH");
        return 0;
}
