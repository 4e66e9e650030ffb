/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * converge/forecast.c: the pre-copy model against cases worked out by
 * hand: a quiet guest converges in one round, a guest whose working set
 * fits the downtime converges, one that dirties faster than the link
 * carries does not and says what downtime it would need.
 */
#include <errno.h>
#include <math.h>

#include "basic/alloc-util.h"
#include "converge/convergence.h"
#include "converge/forecast.h"
#include "tests.h"

#define MIB (1024.0 * 1024.0)

static bool near(double a, double b, double rel) {
        return fabs(a - b) <= rel * fabs(b) + 1e-9;
}

TEST(dirtied) {
        /* 4 MiB/s over 1 s, 2 MiB/s over 4 s: 4 MiB after 1 s, 8 MiB after 4 s */
        ForecastInput in = {
                .memory = 512 * MIB, .rate_short = 4 * MIB, .window_short = 1, .rate_long = 2 * MIB, .window_long = 4
        };
        ASSERT_TRUE(near(forecast_dirtied(&in, 0.5), 2 * MIB, 1e-9));
        ASSERT_TRUE(near(forecast_dirtied(&in, 1), 4 * MIB, 1e-9));
        ASSERT_TRUE(near(forecast_dirtied(&in, 4), 8 * MIB, 1e-9));
        /* past it, towards a working set of 4 / (1 - x) with 1 + x + x^2 + x^3 = 2 */
        ASSERT_TRUE(forecast_dirtied(&in, 7) > 8 * MIB);
        ASSERT_TRUE(forecast_dirtied(&in, 7) < forecast_dirtied(&in, 100));
        ASSERT_TRUE(near(forecast_dirtied(&in, 100), 4 * MIB / (1 - 0.5436890127), 1e-6));
        /* a saturated working set: no more after the short window */
        in.rate_long = 1 * MIB;
        ASSERT_TRUE(near(forecast_dirtied(&in, 100), 4 * MIB, 1e-9));
        /* a short window that saw less than the long one saw noise */
        in.rate_short = 0;
        in.rate_long = 3 * MIB;
        ASSERT_TRUE(near(forecast_dirtied(&in, 1), 3 * MIB, 1e-9));
        ASSERT_TRUE(near(forecast_dirtied(&in, 4), 12 * MIB, 1e-9));
        /* never more than the memory */
        in.rate_short = 1024 * MIB;
        ASSERT_TRUE(forecast_dirtied(&in, 10) <= 512 * MIB);
}

TEST(idle_guest) {
        ForecastInput in = { .memory = 256 * MIB, .window_short = 1, .bandwidth = 64 * MIB, .max_downtime = 0.3 };
        Forecast f;
        ASSERT_OK(forecast_precopy(&in, &f));
        ASSERT_TRUE(f.converges);
        ASSERT_EQ(f.iterations, 0u);
        ASSERT_TRUE(near(f.total, 4.0, 1e-6));
        ASSERT_TRUE(f.downtime == 0);
}

TEST(converges_in_rounds) {
        /* 256 MiB at 32 MiB/s: 8 s; 2 MiB/s dirtied -> 16 MiB (0.5 s), 1 MiB (31 ms) */
        ForecastInput in = { .memory = 256 * MIB,
                             .rate_short = 2 * MIB,
                             .window_short = 1,
                             .bandwidth = 32 * MIB,
                             .max_downtime = 0.3 };
        Forecast f;
        ASSERT_OK(forecast_precopy(&in, &f));
        ASSERT_TRUE(f.converges);
        ASSERT_EQ(f.iterations, 1u);
        ASSERT_TRUE(near(f.downtime, 1.0 / 32, 1e-6));
        ASSERT_TRUE(near(f.total, 8 + 0.5 + 1.0 / 32, 1e-6));
        ASSERT_TRUE(f.needed_downtime <= 0.3);
}

TEST(dirties_faster_than_the_link) {
        /* 41 MiB/s dirtied against 8 MiB/s: every round leaves more */
        ForecastInput in = { .memory = 512 * MIB,
                             .rate_short = 41 * MIB,
                             .window_short = 1,
                             .rate_long = 41 * MIB,
                             .window_long = 4,
                             .bandwidth = 8 * MIB,
                             .max_downtime = 0.3 };
        Forecast f;
        ASSERT_OK(forecast_precopy(&in, &f));
        ASSERT_FALSE(f.converges);
        /* all memory dirty again after the first copy: 64 s of downtime */
        ASSERT_TRUE(near(f.needed_downtime, 64, 1e-6));
}

TEST(working_set_bounds_the_downtime) {
        /* 16 MiB rewritten over and over, faster than the link: the rest
         * never falls under 16 MiB = 2 s at 8 MiB/s */
        ForecastInput in = { .memory = 512 * MIB,
                             .rate_short = 16 * MIB,
                             .window_short = 1,
                             .rate_long = 4 * MIB,
                             .window_long = 4,
                             .bandwidth = 8 * MIB,
                             .max_downtime = 0.3 };
        Forecast f;
        ASSERT_OK(forecast_precopy(&in, &f));
        ASSERT_FALSE(f.converges);
        ASSERT_TRUE(near(f.needed_downtime, 2.0, 1e-6));
        /* and with that downtime allowed, it converges */
        in.max_downtime = 2.0;
        ASSERT_OK(forecast_precopy(&in, &f));
        ASSERT_TRUE(f.converges);
        ASSERT_TRUE(f.downtime <= 2.0);
}

TEST(bad_input) {
        Forecast f;
        ForecastInput in = { .memory = 1, .window_short = 1, .bandwidth = 0 };
        ASSERT_ERR(forecast_precopy(&in, &f), -EINVAL);
        in = (ForecastInput){ .memory = 0, .window_short = 1, .bandwidth = 1 };
        ASSERT_ERR(forecast_precopy(&in, &f), -EINVAL);
        in = (ForecastInput){ .memory = 1, .window_short = 1, .bandwidth = 1, .rate_short = -1 };
        ASSERT_ERR(forecast_precopy(&in, &f), -EINVAL);
        in = (ForecastInput){ .memory = 1, .window_short = 0, .bandwidth = 1 };
        ASSERT_ERR(forecast_precopy(&in, &f), -EINVAL);
}

TEST(describe) {
        ForecastInput in = { .memory = 190 * MIB,
                             .rate_short = 20 * MIB,
                             .window_short = 1,
                             .rate_long = 10 * MIB,
                             .window_long = 3,
                             .bandwidth = 16 * MIB,
                             .max_downtime = 0.3 };
        Forecast f;
        _cleanup_free_ char *no = NULL, *yes = NULL;
        ASSERT_OK(forecast_precopy(&in, &f));
        ASSERT_FALSE(f.converges);
        ASSERT_OK(convergence_describe(&in, &f, false, &no));
        ASSERT_CONTAINS(no, "190 MiB in use, dirty 20.0 MiB/s (1 s), 10.0 MiB/s (3 s) against 16 MiB/s: will not "
                            "converge; needs >= ");
        ASSERT_CONTAINS(no, "s downtime (max 300 ms), or --auto-converge / --postcopy / a higher --bandwidth");
        in.rate_short = in.rate_long = 0;
        ASSERT_OK(forecast_precopy(&in, &f));
        ASSERT_OK(convergence_describe(&in, &f, true, &yes));
        ASSERT_CONTAINS(yes, "against an assumed 1 Gbit/s, 16 MiB/s: converges in about 12 s (0 rounds after the "
                             "first copy), downtime about 0 ms (max 300 ms)");
}

int main(void) {
        RUN(dirtied);
        RUN(idle_guest);
        RUN(converges_in_rounds);
        RUN(dirties_faster_than_the_link);
        RUN(working_set_bounds_the_downtime);
        RUN(bad_input);
        RUN(describe);
        return tests_done();
}
