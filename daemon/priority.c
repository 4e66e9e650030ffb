/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Thread priorities.  The event loop places migration threads the moment
 * they are named: it must win the CPU against busy guests and the work it
 * just woke, so it runs above normal priority (CAP_SYS_NICE) and, where
 * the scheduler is EEVDF (Linux >= 6.12 honours it), asks for a short
 * slice, which lets it preempt at wakeup instead of waiting for the
 * running task's slice to end.  Not a real-time policy: a loop that never
 * slept must not freeze the host.  Background work (the publisher and its
 * qemu-img children) runs below normal priority.
 *
 * Linux gives every thread its own nice value and attributes, so each call
 * affects the calling thread only.  (No <sched.h> here: its struct
 * sched_param clashes with the kernel header that has struct sched_attr,
 * which glibc before 2.41 does not wrap.)
 */
#include <errno.h>
#include <linux/sched.h>
#include <linux/sched/types.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/log.h"
#include "priority.h"

#define EVENT_LOOP_NICE (-10)
#define EVENT_LOOP_SLICE_NSEC (100 * 1000)
#define BACKGROUND_NICE 10

void daemon_prioritize_event_loop(void) {
        struct sched_attr attr = {
                .size = sizeof(attr),
                .sched_policy = SCHED_NORMAL,
                .sched_nice = EVENT_LOOP_NICE,
                .sched_runtime = EVENT_LOOP_SLICE_NSEC,
        };
        if (syscall(SYS_sched_setattr, gettid(), &attr, 0) == 0)
                return;
        log_debug_errno(-errno, "sched_setattr: %m; setting the nice value only");
        if (setpriority(PRIO_PROCESS, (id_t) gettid(), EVENT_LOOP_NICE) < 0)
                log_warning_errno(-errno, "Cannot raise the event loop's priority: %m");
}

void daemon_lower_priority(void) {
        (void) setpriority(PRIO_PROCESS, (id_t) gettid(), BACKGROUND_NICE);
}
