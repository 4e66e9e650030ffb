/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A migration in flight as libvirt's job statistics show it, and the one
 * progress line migguard prints for it (migguard status, migguard watch).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <libvirt/libvirt.h>

#include "converge/guard-step.h"

typedef struct JobProgress {
        bool outgoing;
        uint64_t elapsed_ms;
        uint64_t data_total, data_processed, data_remaining; /* bytes, storage copy included */
        GuardSample sample;                                  /* the memory part, as the guard reads it */
} JobProgress;

/* 1 with *ret while @dom has a migration job (either way), 0 when not. */
int job_progress_sample(virDomainPtr dom, JobProgress *ret);

/* "[#######.............] 35%  90/256 MiB sent, 166 MiB left, 16.0 MiB/s,
 * dirty 16.0 MiB/s, iteration 3, downtime ~2186 ms: not converging" with
 * a bar of @bar_width characters (0: none). */
int job_progress_format(const JobProgress *p, unsigned bar_width, char **ret);
