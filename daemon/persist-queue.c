/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Destination side: arrived guests become persistent (persist/destination.h).
 * The definition is captured when the guest arrives; libvirt is asked to
 * store it once its migration job has ended, retried from a timer.
 */
#include <errno.h>
#include <stdlib.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "core/finding.h"
#include "daemon.h"
#include "persist/destination.h"

#define PERSIST_RETRY_MS 500

static void persist_cb(int timer _unused_, void *opaque) {
        Daemon *d = opaque;
        _cleanup_strv_free_ char **uuids = TAKE_PTR(d->persist_uuids);
        _cleanup_strv_free_ char **xmls = TAKE_PTR(d->persist_xmls);

        virEventUpdateTimeout(d->persist_timer, -1);
        for (size_t i = 0; uuids && uuids[i] && d->conn; i++) {
                _cleanup_free_ char *msg = NULL;
                PersistOutcome o = persist_define(d->conn, uuids[i], xmls[i], &msg);
                if (o == PERSIST_RETRY) {
                        if (strv_push(&d->persist_uuids, uuids[i]) < 0 || strv_push(&d->persist_xmls, xmls[i]) < 0)
                                return;
                        continue;
                }
                if (o == PERSIST_DEFINED || o == PERSIST_FAILED) {
                        LogFields f = { .message_id = MG_MSGID_PERSISTED,
                                        .check = check_kind_to_string(CHECK_KIND_PERSIST) };
                        log_struct(o == PERSIST_DEFINED ? LOG_INFO : LOG_WARNING, &f, "%s", strna(msg));
                }
        }
        if (d->persist_uuids)
                virEventUpdateTimeout(d->persist_timer, PERSIST_RETRY_MS);
}

void daemon_queue_persist(Daemon *d, virDomainPtr dom) {
        _cleanup_free_ char *def = NULL;
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (!d->policy->persist_destination || virDomainGetUUIDString(dom, uuid) < 0)
                return;
        int r = persist_definition_of(dom, &def);
        if (r == -EEXIST)
                return;
        if (r < 0) {
                log_warning("Cannot prepare the persistent definition of %s", virDomainGetName(dom));
                return;
        }
        if (strv_push(&d->persist_uuids, uuid) < 0 || strv_push(&d->persist_xmls, def) < 0)
                return;
        if (d->persist_timer < 0)
                d->persist_timer = virEventAddTimeout(0, persist_cb, d, NULL);
        else
                virEventUpdateTimeout(d->persist_timer, 0);
}
