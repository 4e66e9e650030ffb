/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Time in microseconds (systemd's usec_t), and deadlines: one absolute
 * CLOCK_MONOTONIC point handed down through every wait of a call chain, so
 * that nested waits share one budget instead of adding up their own
 * timeouts.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)

usec_t now_usec(clockid_t clock);

/* A deadline @usec from now on CLOCK_MONOTONIC. */
usec_t deadline_in(usec_t usec);
/* Milliseconds left until @deadline, for poll(): 0 once passed, -1 for
 * USEC_INFINITY, capped at INT32_MAX. */
int deadline_left_ms(usec_t deadline);
bool deadline_passed(usec_t deadline);
