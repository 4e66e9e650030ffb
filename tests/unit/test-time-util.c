/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/basic/time-util.c: the clocks in microseconds and the
 * one deadline handed down through every wait: what poll() is given
 * (never 0 before the deadline, 0 after it, -1 for none), saturation
 * instead of overflow, and "passed".
 */
#include <time.h>

#include "basic/time-util.h"
#include "tests.h"

TEST(now) {
        usec_t a = now_usec(CLOCK_MONOTONIC);
        usleep(2000);
        usec_t b = now_usec(CLOCK_MONOTONIC);
        ASSERT_TRUE(b >= a + 2 * USEC_PER_MSEC);
        ASSERT_TRUE(b - a < 5 * USEC_PER_SEC);

        /* CLOCK_REALTIME is wall-clock time (compared with file mtimes) */
        int64_t wall = (int64_t) (now_usec(CLOCK_REALTIME) / USEC_PER_SEC);
        ASSERT_TRUE(llabs(wall - (int64_t) time(NULL)) <= 1);
}

TEST(deadline_in) {
        usec_t before = now_usec(CLOCK_MONOTONIC);
        usec_t d = deadline_in(10 * USEC_PER_SEC);
        usec_t after = now_usec(CLOCK_MONOTONIC);
        ASSERT_TRUE(d >= before + 10 * USEC_PER_SEC);
        ASSERT_TRUE(d <= after + 10 * USEC_PER_SEC);

        /* saturates instead of wrapping around into the past */
        ASSERT_U64_EQ(deadline_in(USEC_INFINITY), USEC_INFINITY);
        ASSERT_U64_EQ(deadline_in(USEC_INFINITY - 1), USEC_INFINITY);
        ASSERT_U64_EQ(deadline_in(USEC_INFINITY - before / 2), USEC_INFINITY);
        ASSERT_FALSE(deadline_passed(deadline_in(USEC_INFINITY - 1)));
}

TEST(left_ms) {
        ASSERT_EQ(deadline_left_ms(USEC_INFINITY), -1);
        ASSERT_EQ(deadline_left_ms(0), 0);
        ASSERT_EQ(deadline_left_ms(now_usec(CLOCK_MONOTONIC)), 0);
        ASSERT_EQ(deadline_left_ms(now_usec(CLOCK_MONOTONIC) - USEC_PER_SEC), 0);

        int left = deadline_left_ms(deadline_in(10 * USEC_PER_SEC));
        ASSERT_TRUE(left > 9000 && left <= 10000);

        /* rounded up: a poll() before the deadline never gets 0 (a busy loop) */
        for (usec_t us = 1; us <= 4096; us *= 2) {
                usec_t d = deadline_in(us);
                int ms = deadline_left_ms(d);
                if (now_usec(CLOCK_MONOTONIC) < d)
                        ASSERT_TRUE(ms >= 1); /* still before it after the call: so during it */
                ASSERT_TRUE(ms <= 5);
        }

        /* capped: poll() takes an int */
        ASSERT_EQ(deadline_left_ms(USEC_INFINITY - 1), INT32_MAX);
        ASSERT_EQ(deadline_left_ms(deadline_in((usec_t) INT32_MAX * USEC_PER_MSEC * 2)), INT32_MAX);
}

TEST(left_ms_after_passing) {
        usec_t d = deadline_in(50 * USEC_PER_MSEC);
        ASSERT_TRUE(deadline_left_ms(d) > 0);
        ASSERT_FALSE(deadline_passed(d));
        usleep(60 * 1000);
        ASSERT_EQ(deadline_left_ms(d), 0);
        ASSERT_TRUE(deadline_passed(d));
}

TEST(passed) {
        ASSERT_TRUE(deadline_passed(0));
        ASSERT_TRUE(deadline_passed(1));
        ASSERT_TRUE(deadline_passed(now_usec(CLOCK_MONOTONIC)));
        ASSERT_FALSE(deadline_passed(USEC_INFINITY));
        ASSERT_FALSE(deadline_passed(deadline_in(USEC_PER_SEC)));
}

int main(void) {
        RUN(now);
        RUN(deadline_in);
        RUN(left_ms);
        RUN(left_ms_after_passing);
        RUN(passed);
        return tests_done();
}
