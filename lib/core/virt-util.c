/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt helpers (see virt-util.h). */
#include "core/virt-util.h"

#include <stdlib.h>
#include <string.h>

static void virt_error_silent(void *data _unused_, virErrorPtr e _unused_) {
}

void virt_errors_silence(void) {
        virSetErrorFunc(NULL, virt_error_silent);
}

const char *virt_last_error_message(void) {
        const virError *e = virGetLastError();
        return e && e->message ? e->message : "unknown libvirt error";
}

char *virt_last_error(void) {
        char *s = strdup(virt_last_error_message());
        if (s)
                s[strcspn(s, "\n")] = 0;
        return s;
}

int virt_last_error_code(void) {
        const virError *e = virGetLastError();
        return e ? e->code : VIR_ERR_OK;
}

int virt_domain_migration_pending(virDomainPtr dom) {
        int state, reason;
        if (virDomainGetState(dom, &state, &reason, 0) < 0)
                return -1;
        return state == VIR_DOMAIN_PAUSED &&
               (reason == VIR_DOMAIN_PAUSED_MIGRATION || reason == VIR_DOMAIN_PAUSED_STARTING_UP ||
                reason == VIR_DOMAIN_PAUSED_POSTCOPY);
}

bool virt_domain_busy(virDomainPtr dom) {
        return virt_domain_migration_pending(dom) > 0 || virt_domain_job_active(dom) > 0;
}

int virt_domain_job_active(virDomainPtr dom) {
        virDomainControlInfo info;
        if (virDomainGetControlInfo(dom, &info, 0) < 0)
                return -1;
        return info.state == VIR_DOMAIN_CONTROL_JOB;
}
