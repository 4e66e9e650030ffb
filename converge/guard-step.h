/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The convergence guard's decision, one job sample at a time: pure, so
 * that it can be tested against recorded job statistics.
 *
 * A stall is the memory still to send no longer reaching a new low: it
 * falls within a round and jumps back with what the guest dirtied
 * meanwhile, so only its minimum over time shows progress.  The window
 * starts once the first full copy is done (iteration 2): before that the
 * memory left only falls, and a storage copy runs before any of it.
 * On a stall: raise the max downtime towards what the rest needs, up to
 * the policy's limit; then post-copy, if the admin's command allowed it;
 * then the policy's final action.  A migration that keeps reaching new
 * lows is never touched.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A new low must be this much below the last one to count as progress. */
#define GUARD_PROGRESS_FRACTION 0.01

typedef struct GuardSample {
        double t;                   /* seconds, monotonic */
        uint64_t iteration;         /* QEMU's dirty-sync count: 1 during the first copy */
        uint64_t memory_remaining;  /* bytes */
        uint64_t expected_downtime; /* ms, QEMU's estimate for the rest */
        uint64_t bandwidth;         /* bytes/s */
        uint64_t dirty_rate;        /* bytes/s */
        bool postcopy;              /* already in post-copy */
} GuardSample;

typedef struct GuardLimits {
        unsigned max_downtime_ms; /* [converge] max-downtime */
        unsigned stall_seconds;   /* [converge] stall-seconds */
        bool abort;               /* [converge] action = abort */
} GuardLimits;

typedef enum GuardAction {
        GUARD_WAIT,           /* progress, or not long enough without */
        GUARD_RAISE_DOWNTIME, /* set the max downtime to *ret_downtime_ms */
        GUARD_POSTCOPY,       /* switch to post-copy; guard_postcopy_refused() if libvirt says no */
        GUARD_ABORT,          /* the final action: abort the migration */
        GUARD_WARN,           /* the final action: warn, and let it run */
        GUARD_DONE,           /* nothing more to do for this migration */
} GuardAction;

typedef struct GuardState {
        bool watching;        /* the first full copy is done */
        double low_at;        /* when memory_remaining last reached a new low */
        uint64_t low;         /* that low */
        unsigned downtime_ms; /* the max downtime now (the guard's or the admin's) */
        unsigned raises;
        bool postcopy_tried;
        bool finished;      /* the final action was taken */
        double stalled_for; /* seconds, of the last stall */
} GuardState;

/* @downtime_ms: the migration's max downtime when the guard first sees it. */
void guard_state_init(GuardState *s, unsigned downtime_ms);

GuardAction guard_step(GuardState *s, const GuardLimits *l, const GuardSample *j, unsigned *ret_downtime_ms);

/* libvirt refused post-copy (not enabled for this migration, or QEMU
 * cannot): the final action, at once. */
GuardAction guard_postcopy_refused(GuardState *s, const GuardLimits *l);

const char *guard_action_to_string(GuardAction a);
