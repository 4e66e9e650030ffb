/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dirty-rate measurement through libvirt (see dirty-rate.h). */
#include "converge/dirty-rate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/virt-util.h"

/* The last finished measurement: 1 with *ret_mbps and its start time, 0
 * still measuring, <0 error. */
static int read_result(virDomainPtr dom, long long *ret_start, long long *ret_mbps) {
        virDomainPtr doms[] = { dom, NULL };
        virDomainStatsRecordPtr *records = NULL;
        int status = -1, n = virDomainListGetStats(doms, VIR_DOMAIN_STATS_DIRTYRATE, &records, 0);
        if (n < 0)
                return -EIO;
        if (n == 1) {
                virDomainStatsRecordPtr r = records[0];
                (void) virTypedParamsGetInt(r->params, r->nparams, "dirtyrate.calc_status", &status);
                (void) virTypedParamsGetLLong(r->params, r->nparams, "dirtyrate.calc_start_time", ret_start);
                (void) virTypedParamsGetLLong(r->params, r->nparams, "dirtyrate.megabytes_per_second", ret_mbps);
        }
        virDomainStatsRecordListFree(records);
        return status == VIR_DOMAIN_DIRTYRATE_MEASURED ? 1 : status < 0 ? -ENODATA : 0;
}

int dirty_rate_measure(virDomainPtr dom, int seconds, DirtyRateMode mode, usec_t deadline, double *ret) {
        virDomainJobInfo job;
        long long before = 0, start = 0, mbps = 0;

        if (virDomainGetJobInfo(dom, &job) == 0 && job.type != VIR_DOMAIN_JOB_NONE)
                return -EBUSY;
        (void) read_result(dom, &before, &mbps);
        unsigned flags = mode == DIRTY_RATE_BITMAP ? VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP
                                                   : VIR_DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING;
        if (virDomainStartDirtyRateCalc(dom, seconds, flags) < 0)
                return virt_last_error_code() == VIR_ERR_OPERATION_UNSUPPORTED ? -EOPNOTSUPP : -EIO;
        (void) usleep((useconds_t) seconds * 1000000u);
        for (;;) {
                int r = read_result(dom, &start, &mbps);
                if (r < 0)
                        return r;
                if (r > 0 && start != before) {
                        *ret = (double) mbps * 1024 * 1024;
                        return 0;
                }
                if (deadline_passed(deadline))
                        return -ETIMEDOUT;
                (void) usleep(100 * 1000);
        }
}
