/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * converge/guard-step.c against job statistics as libvirt reported them
 * on the rig: a 256 MiB TCG guest rewriting a 32 MiB working set at about
 * 16 MiB/s, migrated at 8 or 16 MiB/s (the memory left jumps between
 * about 5 and 35 MiB from iteration 2 on; QEMU expected 2186 ms of
 * downtime at iteration 17), and a guest that converges by itself.
 */
#include "converge/guard-step.h"
#include "tests.h"

#define MIB (1024ULL * 1024ULL)

static const GuardLimits LIMITS = { .max_downtime_ms = 5000, .stall_seconds = 10, .abort = true };

/* The stalling migration, one sample a second from t0: the first copy
 * until t0 + 12, then rounds whose lows stay at 4.6 MiB. */
static GuardSample stalling(double t) {
        GuardSample j = { .t = t, .bandwidth = 16 * MIB, .dirty_rate = 16 * MIB, .expected_downtime = 2186 };
        if (t < 12) {
                j.iteration = 1;
                j.memory_remaining = (uint64_t) ((12 - t) * 16 * MIB) + 5 * MIB;
        } else {
                j.iteration = 2 + (uint64_t) (t - 12) / 2;
                j.memory_remaining = ((uint64_t) t % 2) ? 35 * MIB : (uint64_t) (4.6 * MIB);
        }
        return j;
}

static GuardAction step_at(GuardState *s, const GuardLimits *l, int t, unsigned *dt) {
        GuardSample j = stalling(t);
        return guard_step(s, l, &j, dt);
}

TEST(first_copy_is_never_a_stall) {
        GuardState s;
        unsigned dt = 0;
        guard_state_init(&s, 300);
        /* a first copy that takes minutes: nothing falls below a low the
         * guard has not started to watch */
        for (int t = 0; t < 600; t++) {
                GuardSample j = { .t = t, .iteration = 1, .memory_remaining = 64 * MIB };
                ASSERT_EQ(guard_step(&s, &LIMITS, &j, &dt), GUARD_WAIT);
        }
}

TEST(converging_migration_untouched) {
        GuardState s;
        unsigned dt = 0;
        guard_state_init(&s, 300);
        /* each round leaves less: new lows all the time */
        uint64_t left = 64 * MIB;
        for (int t = 0; t < 40; t++, left = left * 9 / 10) {
                GuardSample j = { .t = t, .iteration = 2 + t, .memory_remaining = left, .expected_downtime = 400 };
                ASSERT_EQ(guard_step(&s, &LIMITS, &j, &dt), GUARD_WAIT);
        }
        ASSERT_EQ(s.raises, 0u);
}

TEST(stall_raises_the_downtime_then_postcopy_then_abort) {
        GuardState s;
        unsigned dt = 0;
        GuardAction a;
        int t = 0;
        guard_state_init(&s, 300);
        for (; (a = step_at(&s, &LIMITS, t, &dt)) == GUARD_WAIT; t++)
                ASSERT_TRUE(t < 100);
        /* first copy done at 12, no new low after it for 10 s */
        ASSERT_EQ(a, GUARD_RAISE_DOWNTIME);
        ASSERT_EQ(t, 22);
        ASSERT_EQ(dt, 2732u); /* 2186 ms expected, 1.25 x */
        ASSERT_TRUE(s.stalled_for >= 10);
        /* still stalled a window later: up to the limit */
        for (t++; (a = step_at(&s, &LIMITS, t, &dt)) == GUARD_WAIT; t++)
                ASSERT_TRUE(t < 100);
        ASSERT_EQ(a, GUARD_RAISE_DOWNTIME);
        ASSERT_EQ(t, 32);
        ASSERT_EQ(dt, 5000u);
        /* then post-copy */
        for (t++; (a = step_at(&s, &LIMITS, t, &dt)) == GUARD_WAIT; t++)
                ASSERT_TRUE(t < 100);
        ASSERT_EQ(a, GUARD_POSTCOPY);
        ASSERT_EQ(t, 42);
        /* libvirt says no (the command had no --postcopy): abort at once */
        ASSERT_EQ(guard_postcopy_refused(&s, &LIMITS), GUARD_ABORT);
        ASSERT_EQ(step_at(&s, &LIMITS, t + 1, &dt), GUARD_DONE);
}

TEST(postcopy_running_is_left_alone) {
        GuardState s;
        unsigned dt = 0;
        guard_state_init(&s, 300);
        for (int t = 0; t < 42; t++)
                (void) step_at(&s, &LIMITS, t, &dt);
        GuardSample j = stalling(43);
        j.postcopy = true;
        ASSERT_EQ(guard_step(&s, &LIMITS, &j, &dt), GUARD_DONE);
}

TEST(continue_warns_once) {
        GuardLimits l = LIMITS;
        l.abort = false;
        l.max_downtime_ms = 300; /* nothing to raise */
        GuardState s;
        unsigned dt = 0;
        GuardAction a;
        int t = 0;
        guard_state_init(&s, 300);
        for (; (a = step_at(&s, &l, t, &dt)) == GUARD_WAIT; t++)
                ;
        ASSERT_EQ(a, GUARD_POSTCOPY);
        ASSERT_EQ(guard_postcopy_refused(&s, &l), GUARD_WARN);
        for (t++; t < 200; t++)
                ASSERT_EQ(step_at(&s, &l, t, &dt), GUARD_DONE);
}

TEST(admin_downtime_above_the_limit_is_kept) {
        GuardState s;
        unsigned dt = 0;
        GuardAction a;
        int t = 0;
        guard_state_init(&s, 8000);
        for (; (a = step_at(&s, &LIMITS, t, &dt)) == GUARD_WAIT; t++)
                ;
        ASSERT_EQ(a, GUARD_POSTCOPY);
        ASSERT_EQ(s.raises, 0u);
}

TEST(small_raise_doubles) {
        /* QEMU expects little more than now: at least double it */
        GuardState s;
        unsigned dt = 0;
        GuardAction a;
        int t = 0;
        guard_state_init(&s, 300);
        for (; t < 200; t++) {
                GuardSample j = stalling(t);
                j.expected_downtime = 310;
                if ((a = guard_step(&s, &LIMITS, &j, &dt)) != GUARD_WAIT)
                        break;
        }
        ASSERT_EQ(a, GUARD_RAISE_DOWNTIME);
        ASSERT_EQ(dt, 600u);
        ASSERT_EQ(guard_action_to_string(GUARD_RAISE_DOWNTIME)[0], 'r');
}

int main(void) {
        RUN(first_copy_is_never_a_stall);
        RUN(converging_migration_untouched);
        RUN(stall_raises_the_downtime_then_postcopy_then_abort);
        RUN(postcopy_running_is_left_alone);
        RUN(continue_warns_once);
        RUN(admin_downtime_above_the_limit_is_kept);
        RUN(small_raise_doubles);
        return tests_done();
}
