/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * converge/job-progress.c: the progress line for job statistics as
 * libvirt reported them on the rig (a 256 MiB guest at 8 MiB/s), in
 * each phase: the first copy, a migration that does not converge, one
 * in post-copy; with and without a bar.
 */
#include "basic/alloc-util.h"
#include "converge/job-progress.h"
#include "tests.h"

#define MIB (1024ULL * 1024ULL)

TEST(first_copy_with_bar) {
        JobProgress p = { .outgoing = true,
                          .data_total = 256 * MIB,
                          .data_processed = 64 * MIB,
                          .data_remaining = 192 * MIB,
                          .sample = { .iteration = 1, .bandwidth = 8 * MIB, .dirty_rate = 0 } };
        _cleanup_free_ char *s = NULL;
        ASSERT_OK(job_progress_format(&p, 20, &s));
        ASSERT_STREQ(s, "[#####...............]  25%  64/256 MiB sent, 192 MiB left, 8.0 MiB/s, dirty 0.0 MiB/s, "
                        "iteration 1, downtime ~0 ms: first copy");
}

TEST(not_converging_plain) {
        /* processed counts every round: more than the total */
        JobProgress p = {
                .outgoing = true,
                .data_total = 256 * MIB,
                .data_processed = 680 * MIB,
                .data_remaining = 35 * MIB,
                .sample = { .iteration = 17, .bandwidth = 8 * MIB, .dirty_rate = 16 * MIB, .expected_downtime = 4375 }
        };
        _cleanup_free_ char *s = NULL;
        ASSERT_OK(job_progress_format(&p, 0, &s));
        ASSERT_STREQ(s, " 86%  680/256 MiB sent, 35 MiB left, 8.0 MiB/s, dirty 16.0 MiB/s, iteration 17, downtime "
                        "~4375 ms: not converging");
}

TEST(verdicts) {
        JobProgress p = { .data_total = 100, .data_remaining = 200, .sample = { .iteration = 3, .bandwidth = 0 } };
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        ASSERT_OK(job_progress_format(&p, 4, &a));
        ASSERT_CONTAINS(a, "[....]   0%"); /* more left than the total: nothing done, not negative */
        ASSERT_CONTAINS(a, ": measuring");
        p.sample.bandwidth = 10 * MIB;
        p.sample.dirty_rate = 1 * MIB;
        ASSERT_OK(job_progress_format(&p, 0, &b));
        ASSERT_CONTAINS(b, ": converging");
        p.sample.postcopy = true;
        ASSERT_OK(job_progress_format(&p, 0, &c));
        ASSERT_CONTAINS(c, ": post-copy");
}

int main(void) {
        RUN(first_copy_with_bar);
        RUN(not_converging_plain);
        RUN(verdicts);
        return tests_done();
}
