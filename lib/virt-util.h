/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small libvirt helpers shared by migguardd, the helpers and the CLI. */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "macro.h"

static inline void virt_error_silent(void *data _unused_, virErrorPtr e _unused_) {
}

/* libvirt prints errors on stderr by default; ours say it themselves (and
 * the hook's stderr is the admin's virsh error). */
static inline void virt_errors_silence(void) {
        virSetErrorFunc(NULL, virt_error_silent);
}

/* 1 if @dom is paused by a migration still in progress (incoming or
 * post-copy), 0 if not, -1 if its state cannot be read. */
static inline int virt_domain_migration_pending(virDomainPtr dom) {
        int state, reason;
        if (virDomainGetState(dom, &state, &reason, 0) < 0)
                return -1;
        return state == VIR_DOMAIN_PAUSED &&
               (reason == VIR_DOMAIN_PAUSED_MIGRATION || reason == VIR_DOMAIN_PAUSED_STARTING_UP ||
                reason == VIR_DOMAIN_PAUSED_POSTCOPY);
}
