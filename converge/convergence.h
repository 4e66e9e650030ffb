/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The convergence forecast of one running guest, as `migguard check`
 * gives it: its memory, the bandwidth the migration may use (the guest's
 * migration speed cap, or what the admin says the link carries), the max
 * downtime, and its dirty rate measured over two windows; then the
 * pre-copy model (forecast.h) and one line for the admin.
 */
#pragma once

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "basic/time-util.h"
#include "converge/forecast.h"

#define CONVERGE_WINDOW_SHORT 1 /* seconds */
#define CONVERGE_WINDOW_LONG 3
/* What an unlimited migration is assumed to get: 1 Gbit/s, less overhead. */
#define CONVERGE_ASSUMED_LINK_MIB 112

typedef struct Convergence {
        ForecastInput in;
        Forecast forecast;
        bool assumed_link; /* no cap and no --bandwidth: CONVERGE_ASSUMED_LINK_MIB */
        char *text;        /* "convergence: ..." without the check's name */
} Convergence;

void convergence_done(Convergence *c);

/* @bandwidth_mib: MiB/s, 0 for the guest's own cap.  -EBUSY: migrating. */
int convergence_check(virDomainPtr dom, unsigned long bandwidth_mib, usec_t deadline, Convergence *ret);

/* The admin's line for a forecast (exposed for tests). */
int convergence_describe(const ForecastInput *in, const Forecast *f, bool assumed_link, char **ret);
