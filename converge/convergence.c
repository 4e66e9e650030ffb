/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A running guest's convergence forecast (see convergence.h). */
#include "converge/convergence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/alloc-util.h"
#include "converge/dirty-rate.h"
#include "converge/guest-ram.h"
#include "core/libvirt-daemon.h"
#include "core/virt-util.h"

#define MIB (1024.0 * 1024.0)
/* libvirt reports an unlimited migration speed as a huge number */
#define UNLIMITED_MIB (1UL << 30)

void convergence_done(Convergence *c) {
        free(c->text);
        *c = (Convergence){ 0 };
}

int convergence_describe(const ForecastInput *in, const Forecast *f, bool assumed_link, char **ret) {
        char link[96], head[256];
        snprintf(link, sizeof(link), "%s%.0f MiB/s", assumed_link ? "an assumed 1 Gbit/s, " : "", in->bandwidth / MIB);
        snprintf(head, sizeof(head), "%.0f MiB in use, dirty %.1f MiB/s (%.0f s), %.1f MiB/s (%.0f s) against %s",
                 in->memory / MIB, in->rate_short / MIB, in->window_short, in->rate_long / MIB, in->window_long, link);
        int r = f->converges ? asprintf(ret,
                                        "%s: converges in about %.0f s (%u round%s after the first copy), downtime "
                                        "about %.0f ms (max %.0f ms)",
                                        head, f->total, f->iterations, f->iterations == 1 ? "" : "s",
                                        f->downtime * 1000, in->max_downtime * 1000)
                             : asprintf(ret,
                                        "%s: will not converge; needs >= %.1f s downtime (max %.0f ms), or "
                                        "--auto-converge / --postcopy / a higher --bandwidth",
                                        head, f->needed_downtime, in->max_downtime * 1000);
        return r < 0 ? -ENOMEM : 0;
}

/* What the first round sends (guest-ram.h); the whole memory when
 * QEMU's mappings cannot be read (another host's libvirt, no /proc). */
static double memory_to_send(virDomainPtr dom, double memory) {
        const char *name = virDomainGetName(dom);
        _cleanup_free_ char *uri = virConnectGetURI(virDomainGetConnect(dom));
        pid_t pid;
        uint64_t resident;
        /* only this host's QEMU is in this host's /proc */
        if (!uri || strncmp(uri, "qemu:///", 8) != 0)
                return memory;
        if (name && libvirt_qemu_pid(LIBVIRT_RUN_ROOT, name, &pid) >= 0 &&
            guest_ram_resident(pid, (uint64_t) memory, &resident) >= 0 && resident > 0)
                return (double) resident;
        return memory;
}

static int read_limits(virDomainPtr dom, unsigned long bandwidth_mib, Convergence *c) {
        virDomainInfo info;
        unsigned long speed = 0;
        unsigned long long downtime_ms = 300;
        if (virDomainGetInfo(dom, &info) < 0)
                return -EIO;
        c->in.memory = memory_to_send(dom, (double) info.memory * 1024);
        if (bandwidth_mib == 0 && virDomainMigrateGetMaxSpeed(dom, &speed, 0) == 0 && speed > 0 &&
            speed < UNLIMITED_MIB)
                bandwidth_mib = speed;
        c->assumed_link = bandwidth_mib == 0;
        c->in.bandwidth = (double) (bandwidth_mib ? bandwidth_mib : CONVERGE_ASSUMED_LINK_MIB) * MIB;
        /* libvirt's default, when it cannot tell (it is QEMU's: 300 ms) */
        (void) virDomainMigrateGetMaxDowntime(dom, &downtime_ms, 0);
        c->in.max_downtime = (double) downtime_ms / 1000;
        return 0;
}

int convergence_check(virDomainPtr dom, unsigned long bandwidth_mib, usec_t deadline, Convergence *ret) {
        Convergence c = { .in = { .window_short = CONVERGE_WINDOW_SHORT, .window_long = CONVERGE_WINDOW_LONG } };
        int r = read_limits(dom, bandwidth_mib, &c);
        if (r >= 0)
                r = dirty_rate_measure(dom, CONVERGE_WINDOW_SHORT, DIRTY_RATE_SAMPLING, deadline, &c.in.rate_short);
        if (r >= 0)
                r = dirty_rate_measure(dom, CONVERGE_WINDOW_LONG, DIRTY_RATE_SAMPLING, deadline, &c.in.rate_long);
        if (r >= 0)
                r = forecast_precopy(&c.in, &c.forecast);
        if (r >= 0)
                r = convergence_describe(&c.in, &c.forecast, c.assumed_link, &c.text);
        if (r < 0) {
                convergence_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}
