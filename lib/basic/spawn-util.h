/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running helper programs (qemu-img) with a clean environment, no shell,
 * bounded output and a deadline: the hook runs inside libvirtd with no
 * timeout of its own, so every child must be bounded here.
 */
#pragma once

#include <stddef.h>

#include "basic/macro.h"
#include "basic/time-util.h"

#define SPAWN_MAX_OUTPUT (1024 * 1024)

typedef struct SpawnResult {
        int exit_status; /* -1 if killed */
        char *out;
        char *err;
} SpawnResult;

void spawn_result_done(SpawnResult *r);

/* Run argv[0] (searched in a fixed system PATH) and wait until @deadline
 * (CLOCK_MONOTONIC, see time-util.h); -ETIMEDOUT (child killed) after it. */
int spawn_run(char *const *argv, usec_t deadline, SpawnResult *ret);
/* The same with @input (@len bytes) on the child's stdin. */
int spawn_run_input(char *const *argv, const char *input, size_t len, usec_t deadline, SpawnResult *ret);
