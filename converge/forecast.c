/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pre-copy model (see forecast.h). */
#include "converge/forecast.h"

#include <errno.h>
#include <math.h>

/* Rounds QEMU would go on for without converging: the model stops here. */
#define MAX_ROUNDS 1000

/* x in (0, 1) with (1 - x^k) / (1 - x) = ratio, for 1 < ratio < k:
 * bisection, the left side grows with x (from 1 at 0 to k at 1). */
static double saturation_base(double k, double ratio) {
        double lo = 0, hi = 1;
        for (int i = 0; i < 60; i++) {
                double x = (lo + hi) / 2;
                if ((1 - pow(x, k)) / (1 - x) < ratio)
                        lo = x;
                else
                        hi = x;
        }
        return (lo + hi) / 2;
}

double forecast_dirtied(const ForecastInput *in, double t) {
        double ws = in->window_short, wl = in->window_long, d;
        double a = in->rate_short * ws, b = in->rate_long * wl; /* pages dirtied in each window */

        if (wl <= ws)
                d = in->rate_short * t; /* one window: a rate, nothing more known */
        else {
                double k = wl / ws;
                /* The pages dirtied in t seconds grow ever slower with t, so
                 * the short window saw at least 1/k of the long one's: less
                 * is the noise of sampling a few hundred pages. */
                if (a < b / k)
                        a = b / k;
                if (t <= ws || a <= 0 || b >= a * k * 0.999)
                        d = a / ws * t; /* no sign of a working set yet */
                else if (b <= a)
                        d = a; /* the whole working set within the short window */
                else {
                        /* a working set of S pages, rewritten at random:
                         * S (1 - x^(t/ws)), through both measurements */
                        double x = saturation_base(k, b / a);
                        d = a / (1 - x) * (1 - pow(x, t / ws));
                }
        }
        return d < in->memory ? d : in->memory;
}

int forecast_precopy(const ForecastInput *in, Forecast *ret) {
        if (!(in->memory > 0) || !(in->bandwidth > 0) || in->rate_short < 0 || in->rate_long < 0 ||
            in->window_short <= 0 || in->max_downtime < 0 || !isfinite(in->rate_short))
                return -EINVAL;
        Forecast f = { 0 };
        double round = in->memory / in->bandwidth; /* the first, full copy */
        double left = forecast_dirtied(in, round);
        f.total = round;
        /* stop when the rest fits the downtime, or when a round no longer
         * leaves less behind than the one before (it cannot converge) */
        for (;;) {
                double pause = left / in->bandwidth;
                if (pause <= in->max_downtime) {
                        f.converges = true;
                        f.downtime = pause;
                        f.total += pause;
                        break;
                }
                double next = forecast_dirtied(in, pause);
                if (next >= left * 0.999 || f.iterations >= MAX_ROUNDS) {
                        /* it would have stopped here with that much downtime */
                        f.needed_downtime = left / in->bandwidth;
                        break;
                }
                f.iterations++;
                f.total += pause;
                left = next;
        }
        if (f.converges)
                f.needed_downtime = f.downtime;
        *ret = f;
        return 0;
}
