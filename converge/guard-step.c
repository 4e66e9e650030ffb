/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The convergence guard's decision (see guard-step.h). */
#include "converge/guard-step.h"

#include <stddef.h>

/* A raise asks for this much more than QEMU's estimate for the rest: the
 * guest goes on dirtying while the last round is sent. */
#define DOWNTIME_HEADROOM 1.25

void guard_state_init(GuardState *s, unsigned downtime_ms) {
        *s = (GuardState){ .downtime_ms = downtime_ms };
}

static GuardAction final_action(GuardState *s, const GuardLimits *l) {
        s->finished = true;
        return l->abort ? GUARD_ABORT : GUARD_WARN;
}

GuardAction guard_step(GuardState *s, const GuardLimits *l, const GuardSample *j, unsigned *ret_downtime_ms) {
        if (s->finished || j->postcopy)
                return GUARD_DONE;
        if (j->iteration < 2)
                return GUARD_WAIT;
        if (!s->watching || (double) j->memory_remaining < (double) s->low * (1 - GUARD_PROGRESS_FRACTION)) {
                s->watching = true;
                s->low = j->memory_remaining;
                s->low_at = j->t;
                return GUARD_WAIT;
        }
        if (j->memory_remaining < s->low)
                s->low = j->memory_remaining; /* lower, but not enough to count */
        if (j->t - s->low_at < l->stall_seconds)
                return GUARD_WAIT;

        /* stalled: act, and give the action a whole window of its own */
        s->stalled_for = j->t - s->low_at;
        s->low_at = j->t;
        if (s->downtime_ms < l->max_downtime_ms) {
                double want = (double) j->expected_downtime * DOWNTIME_HEADROOM;
                unsigned next = s->downtime_ms * 2;
                if (want > next)
                        next = want < l->max_downtime_ms ? (unsigned) want : l->max_downtime_ms;
                if (next > l->max_downtime_ms)
                        next = l->max_downtime_ms;
                s->downtime_ms = next;
                s->raises++;
                *ret_downtime_ms = next;
                return GUARD_RAISE_DOWNTIME;
        }
        if (!s->postcopy_tried) {
                s->postcopy_tried = true;
                return GUARD_POSTCOPY;
        }
        return final_action(s, l);
}

GuardAction guard_postcopy_refused(GuardState *s, const GuardLimits *l) {
        return final_action(s, l);
}

const char *guard_action_to_string(GuardAction a) {
        static const char *const names[] = {
                [GUARD_WAIT] = "wait",         [GUARD_RAISE_DOWNTIME] = "raise-downtime",
                [GUARD_POSTCOPY] = "postcopy", [GUARD_ABORT] = "abort",
                [GUARD_WARN] = "warn",         [GUARD_DONE] = "done",
        };
        return a >= 0 && (size_t) a < sizeof(names) / sizeof(names[0]) ? names[a] : NULL;
}
