/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A running guest's dirty rate, through libvirt (virDomainStartDirtyRateCalc,
 * then the domain's dirtyrate statistics).  Page sampling (the default)
 * hashes a sample of pages and needs no KVM, but misses pages rewritten
 * with the same content; the dirty bitmap counts every page written
 * (QEMU's own migration bitmap), where QEMU offers it.
 */
#pragma once

#include <libvirt/libvirt.h>

#include "basic/time-util.h"

typedef enum DirtyRateMode {
        DIRTY_RATE_SAMPLING,
        DIRTY_RATE_BITMAP,
} DirtyRateMode;

/* Measure over @seconds (1-60); ends by @deadline.  *ret: bytes/s.
 * -EBUSY: the guest is migrating (never measured then). */
int dirty_rate_measure(virDomainPtr dom, int seconds, DirtyRateMode mode, usec_t deadline, double *ret);
