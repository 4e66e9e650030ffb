/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A migration in flight (see job-progress.h). */
#include "converge/job-progress.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/time-util.h"

#define MIB (1024.0 * 1024.0)
#define MAX_BAR 100

static void get_ull(virTypedParameterPtr params, int n, const char *name, uint64_t *ret) {
        unsigned long long v;
        if (virTypedParamsGetULLong(params, n, name, &v) == 1)
                *ret = v;
}

int job_progress_sample(virDomainPtr dom, JobProgress *ret) {
        virTypedParameterPtr params = NULL;
        int type, n = 0, op = 0, state, reason;
        if (virDomainGetJobStats(dom, &type, &params, &n, 0) < 0)
                return 0;
        JobProgress p = { .sample.t = (double) now_usec(CLOCK_MONOTONIC) / USEC_PER_SEC };
        uint64_t page_size = 4096, dirty_pages = 0;
        bool migration = type == VIR_DOMAIN_JOB_UNBOUNDED &&
                         virTypedParamsGetInt(params, n, VIR_DOMAIN_JOB_OPERATION, &op) == 1 &&
                         (op == VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT || op == VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN);
        if (migration) {
                p.outgoing = op == VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT;
                get_ull(params, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &p.elapsed_ms);
                get_ull(params, n, VIR_DOMAIN_JOB_DATA_TOTAL, &p.data_total);
                get_ull(params, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &p.data_processed);
                get_ull(params, n, VIR_DOMAIN_JOB_DATA_REMAINING, &p.data_remaining);
                get_ull(params, n, VIR_DOMAIN_JOB_MEMORY_ITERATION, &p.sample.iteration);
                get_ull(params, n, VIR_DOMAIN_JOB_MEMORY_REMAINING, &p.sample.memory_remaining);
                get_ull(params, n, VIR_DOMAIN_JOB_DOWNTIME, &p.sample.expected_downtime);
                get_ull(params, n, VIR_DOMAIN_JOB_MEMORY_BPS, &p.sample.bandwidth);
                get_ull(params, n, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, &page_size);
                get_ull(params, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, &dirty_pages);
                p.sample.dirty_rate = dirty_pages * page_size;
        }
        virTypedParamsFree(params, n);
        if (!migration)
                return 0;
        if (virDomainGetState(dom, &state, &reason, 0) == 0)
                p.sample.postcopy = (state == VIR_DOMAIN_RUNNING && reason == VIR_DOMAIN_RUNNING_POSTCOPY) ||
                                    (state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_POSTCOPY);
        *ret = p;
        return 1;
}

/* What the numbers say about convergence: the memory's own verdict. */
static const char *verdict(const JobProgress *p) {
        const GuardSample *s = &p->sample;
        if (s->postcopy)
                return "post-copy";
        if (s->iteration < 2)
                return "first copy";
        if (s->bandwidth == 0)
                return "measuring";
        return (double) s->dirty_rate < (double) s->bandwidth * 0.9 ? "converging" : "not converging";
}

int job_progress_format(const JobProgress *p, unsigned bar_width, char **ret) {
        char bar[MAX_BAR + 3] = "";
        /* "processed" counts every round, so the share done is what is no
         * longer left of the total */
        uint64_t left = p->data_remaining < p->data_total ? p->data_remaining : p->data_total;
        unsigned pct = p->data_total ? (unsigned) ((p->data_total - left) * 100 / p->data_total) : 0;
        if (bar_width > MAX_BAR)
                bar_width = MAX_BAR;
        if (bar_width) {
                unsigned full = pct * bar_width / 100;
                bar[0] = '[';
                for (unsigned i = 0; i < bar_width; i++)
                        bar[1 + i] = i < full ? '#' : '.';
                bar[1 + bar_width] = ']';
                bar[2 + bar_width] = 0;
        }
        int r = asprintf(ret,
                         "%s%s%3u%%  %.0f/%.0f MiB sent, %.0f MiB left, %.1f MiB/s, dirty %.1f MiB/s, iteration %llu, "
                         "downtime ~%llu ms: %s",
                         bar, bar_width ? " " : "", pct, (double) p->data_processed / MIB, (double) p->data_total / MIB,
                         (double) p->data_remaining / MIB, (double) p->sample.bandwidth / MIB,
                         (double) p->sample.dirty_rate / MIB, (unsigned long long) p->sample.iteration,
                         (unsigned long long) p->sample.expected_downtime, verdict(p));
        return r < 0 ? -ENOMEM : 0;
}
