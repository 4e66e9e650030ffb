/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Will a pre-copy live migration converge?  QEMU sends all of the guest's
 * memory, then, round after round, what the guest dirtied meanwhile, and
 * stops the guest for the rest once that rest fits the max downtime at
 * the migration's bandwidth.  The guest dirties pages at a rate that
 * falls with the window it is measured over once it rewrites the same
 * pages (its writable working set): so the forecast takes the dirty rate
 * over two windows, a short and a long one, and models the bytes dirtied
 * in t seconds as a working set rewritten at random, S (1 - e^(-t/tau)),
 * through both measurements (a straight line from the origin within the
 * short window, and when the long window shows no working set).  Pure arithmetic: the measuring is the
 * caller's (libvirt's dirty-rate calculation, or a migration's own job
 * statistics).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct ForecastInput {
        double memory;       /* bytes the first round sends: the guest memory in use */
        double rate_short;   /* bytes/s dirtied, measured over window_short seconds */
        double window_short; /* seconds */
        double rate_long;    /* bytes/s dirtied, measured over window_long seconds (> window_short) */
        double window_long;  /* seconds; 0: only the short window was measured */
        double bandwidth;    /* bytes/s the migration may use */
        double max_downtime; /* seconds */
} ForecastInput;

typedef struct Forecast {
        bool converges;
        unsigned iterations;    /* rounds after the first full copy */
        double total;           /* seconds until the guest runs on the destination */
        double downtime;        /* seconds the guest is paused at the end */
        double needed_downtime; /* seconds: the smallest max downtime that converges (as it stands) */
} Forecast;

/* The dirty bytes @t seconds after a round started (see above). */
double forecast_dirtied(const ForecastInput *in, double t);

/* -EINVAL for input that is not a measurement (negative, no bandwidth). */
int forecast_precopy(const ForecastInput *in, Forecast *ret);
