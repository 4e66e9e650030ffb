/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Destination side: decide the fate of incoming-migration records.
 *  - the guest resumed (or was left paused by --suspend): the migration
 *    completed, the images now belong to the guest -> drop the record;
 *  - the domain never got a QEMU (libvirt's pre-creation failed, so no
 *    hook ran) and the record is old: remove the files made since
 *    migrate begin, which nothing has ever opened;
 *  - a prepared record whose domain vanished while migguardd was away is
 *    ambiguous: keep the files and say so, never guess.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc-util.h"
#include "daemon.h"
#include "guard.h"
#include "incoming-state.h"
#include "log.h"
#include "provision.h"
#include "strv.h"
#include "virt-util.h"

#define LOCK_TIMEOUT_MS 5000

/* The migration completed: the images are the guest's now, the guest
 * becomes persistent here, and a guard from an earlier departure goes. */
static void commit_locked(Daemon *d, IncomingState *s, const char *why) {
        if (incoming_state_remove(d->state_dir, s->uuid) < 0)
                return;
        LogFields f = { .message_id = MG_MSGID_COMMITTED, .domain = s->name };
        log_struct(LOG_INFO, &f, "Incoming migration of %s completed (%s): %zu provisioned image(s) kept", s->name, why,
                   s->n_disks);
        _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByUUIDString(d->conn, s->uuid);
        if (dom)
                daemon_queue_persist(d, dom);
        if (guard_remove(d->lib_dir, s->uuid) == 0)
                log_struct(LOG_DEBUG, &f, "Guard of %s cleared: it is back", s->name);
}

void daemon_commit_incoming(Daemon *d, const char *uuid, const char *why) {
        _cleanup_close_ int lock = -1;
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;

        if (incoming_state_lock(d->state_dir, LOCK_TIMEOUT_MS, &lock) < 0)
                return;
        if (incoming_state_load(d->state_dir, uuid, &s) < 0)
                return;
        commit_locked(d, s, why);
}

static void cleanup_never_started(Daemon *d, IncomingState *s) {
        _cleanup_strv_free_ char **removed = NULL;
        (void) provision_cleanup_unprepared(s, &removed);
        for (char **p = removed; p && *p; p++) {
                LogFields f = { .message_id = MG_MSGID_CLEANED_UP, .domain = s->name, .path = *p };
                log_struct(LOG_INFO, &f, "Removed %s, pre-created for a migration of %s that never started", *p,
                           s->name);
        }
        (void) incoming_state_remove(d->state_dir, s->uuid);
}

static void orphan(Daemon *d, IncomingState *s) {
        _cleanup_free_ char *from = NULL, *to = NULL;
        for (size_t i = 0; i < s->n_disks; i++)
                if (s->disks[i].created) {
                        LogFields f = { .message_id = MG_MSGID_WARNING, .domain = s->name, .path = s->disks[i].path };
                        log_struct(LOG_WARNING, &f,
                                   "Kept %s: %s left this host while migguardd was not running, cannot tell whether "
                                   "its migration failed; remove it by hand if unused",
                                   s->disks[i].path, s->name);
                }
        if (asprintf(&from, "%s/%s.json", d->state_dir, s->uuid) >= 0 &&
            asprintf(&to, "%s/%s.orphaned", d->state_dir, s->uuid) >= 0)
                (void) rename(from, to);
}

static void reconcile_one(Daemon *d, const char *uuid) {
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        _cleanup_(virDomainFreep) virDomainPtr dom = NULL;

        if (incoming_state_load(d->state_dir, uuid, &s) < 0)
                return;
        dom = virDomainLookupByUUIDString(d->conn, uuid);
        if (dom && virDomainIsActive(dom) == 1) {
                int pending = virt_domain_migration_pending(dom);
                if (pending < 0)
                        return;
                if (!pending)
                        commit_locked(d, s, "found completed when migguardd started");
                return;
        }
        int64_t age_sec = (now_realtime_usec() - s->begin_usec) / 1000000;
        if (dom && age_sec < INCOMING_PREPARE_WINDOW_SEC)
                return; /* libvirt still preparing (pre-creation can be slow) */
        if (s->phase == INCOMING_PLANNED) {
                if (dom || age_sec >= 5)
                        cleanup_never_started(d, s);
                return;
        }
        orphan(d, s);
}

void daemon_reconcile(Daemon *d) {
        _cleanup_strv_free_ char **uuids = NULL;
        _cleanup_close_ int lock = -1;

        if (!d->conn || incoming_state_list(d->state_dir, &uuids) < 0 || !uuids[0])
                return;
        if (incoming_state_lock(d->state_dir, LOCK_TIMEOUT_MS, &lock) < 0)
                return;
        for (char **u = uuids; *u; u++)
                reconcile_one(d, *u);
}
