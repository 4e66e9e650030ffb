/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Clocks and deadlines (see time-util.h). */
#include "basic/time-util.h"

#include <stdint.h>

usec_t now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

usec_t deadline_in(usec_t usec) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        return usec >= USEC_INFINITY - now ? USEC_INFINITY : now + usec;
}

int deadline_left_ms(usec_t deadline) {
        if (deadline == USEC_INFINITY)
                return -1;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        if (now >= deadline)
                return 0;
        usec_t ms = (deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
        return ms > INT32_MAX ? INT32_MAX : (int) ms;
}

bool deadline_passed(usec_t deadline) {
        return deadline != USEC_INFINITY && now_usec(CLOCK_MONOTONIC) >= deadline;
}
