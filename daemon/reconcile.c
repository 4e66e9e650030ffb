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
 *
 * The state lock is never held across a libvirt call: while libvirt runs
 * the `prepare begin` hook it holds that domain's object lock, and the
 * hook waits for the state lock.  A lookup of the same domain under the
 * state lock would wait for the hook that waits for us.  So libvirt is
 * asked first, the record is decided under the lock, and libvirt is told
 * (persist) after it is released.  And the event loop never waits for the
 * lock: it is only tried; a commit that finds it taken is retried from a
 * timer, a reconciliation round skips the record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "basic/alloc-util.h"
#include "basic/time-util.h"
#include "core/finding.h"
#include "daemon.h"
#include "persist/guard.h"
#include "core/incoming-state.h"
#include "basic/log.h"
#include "provision/disk-facts.h"
#include "provision/provision.h"
#include "basic/strv.h"
#include "core/virt-util.h"

#define COMMIT_RETRY_MS 100

/* What libvirt said about the record's domain, asked without the lock. */
typedef struct Seen {
        bool exists;
        bool active;
        int pending; /* virt_domain_migration_pending(), when active */
} Seen;

static Seen see(Daemon *d, const char *uuid) {
        _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByUUIDString(d->conn, uuid);
        Seen s = { .exists = dom != NULL };
        if (dom && virDomainIsActive(dom) == 1) {
                s.active = true;
                s.pending = virt_domain_migration_pending(dom);
        }
        return s;
}

static void log_arrival_warnings(const IncomingState *s) {
        Findings w = { 0 };
        (void) provision_check_arrival(s, &w);
        for (size_t i = 0; i < w.n; i++) {
                LogFields f = { .message_id = MG_MSGID_WARNING,
                                .domain = s->name,
                                .check = check_kind_to_string(w.items[i].check) };
                log_struct(LOG_WARNING, &f, "%s", w.items[i].text);
        }
        findings_done(&w);
}

/* Under the lock: the record goes, the images are the guest's now. */
static void commit_record(Daemon *d, IncomingState *s, const char *why) {
        if (incoming_state_remove(d->paths.incoming_dir, s->uuid) < 0)
                return;
        LogFields f = { .message_id = MG_MSGID_COMMITTED, .domain = s->name };
        log_struct(LOG_INFO, &f, "Incoming migration of %s completed (%s): %zu provisioned image(s) kept", s->name, why,
                   s->n_disks);
        log_arrival_warnings(s);
        if (guard_remove(d->paths.state_dir, s->uuid) == 0)
                log_struct(LOG_DEBUG, &f, "Guard of %s cleared: it is back", s->name);
}

/* After the lock is released: the guest becomes persistent here. */
static void persist_committed(Daemon *d, const char *uuid) {
        _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByUUIDString(d->conn, uuid);
        if (dom)
                daemon_queue_persist(d, dom);
}

/* 1 committed, 0 nothing to commit, -EBUSY the lock is taken. */
static int try_commit(Daemon *d, const char *uuid, const char *why) {
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        {
                _cleanup_close_ int lock = -1;
                if (incoming_state_lock(d->paths.incoming_dir, 0, &lock) < 0)
                        return -EBUSY;
                if (incoming_state_load(d->paths.incoming_dir, uuid, &s) < 0)
                        return 0;
                commit_record(d, s, why);
        }
        persist_committed(d, uuid);
        return 1;
}

static void commit_retry_cb(int timer _unused_, void *opaque) {
        Daemon *d = opaque;
        _cleanup_strv_free_ char **uuids = TAKE_PTR(d->commit_uuids);
        _cleanup_strv_free_ char **whys = TAKE_PTR(d->commit_whys);

        virEventUpdateTimeout(d->commit_timer, -1);
        for (size_t i = 0; uuids && uuids[i]; i++)
                daemon_commit_incoming(d, uuids[i], whys[i]);
}

void daemon_commit_incoming(Daemon *d, const char *uuid, const char *why) {
        if (try_commit(d, uuid, why) != -EBUSY)
                return;
        log_debug("State of %s busy; committing it again in %d ms", uuid, COMMIT_RETRY_MS);
        if (strv_contains(d->commit_uuids, uuid))
                return;
        if (strv_push(&d->commit_uuids, uuid) < 0 || strv_push(&d->commit_whys, why) < 0)
                return; /* the next reconciliation commits it */
        if (d->commit_timer < 0)
                d->commit_timer = virEventAddTimeout(COMMIT_RETRY_MS, commit_retry_cb, d, NULL);
        else
                virEventUpdateTimeout(d->commit_timer, COMMIT_RETRY_MS);
}

static void cleanup_never_started(Daemon *d, IncomingState *s) {
        _cleanup_strv_free_ char **removed = NULL;
        (void) provision_cleanup_unprepared(s, &removed);
        for (char **p = removed; p && *p; p++) {
                LogFields f = { .message_id = MG_MSGID_CLEANED_UP, .domain = s->name, .path = *p };
                log_struct(LOG_INFO, &f, "Removed %s, pre-created for a migration of %s that never started", *p,
                           s->name);
        }
        (void) incoming_state_remove(d->paths.incoming_dir, s->uuid);
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
        if (asprintf(&from, "%s/%s.json", d->paths.incoming_dir, s->uuid) >= 0 &&
            asprintf(&to, "%s/%s.orphaned", d->paths.incoming_dir, s->uuid) >= 0)
                (void) rename(from, to);
}

/* Under the lock, from what libvirt said just before.  Returns true when
 * the record was committed. */
static bool decide(Daemon *d, IncomingState *s, const Seen *seen) {
        if (seen->active) {
                if (seen->pending == 0) {
                        commit_record(d, s, "found completed by reconciliation");
                        return true;
                }
                return false; /* still migrating, or unreadable: next time */
        }
        int64_t age_sec = ((int64_t) now_usec(CLOCK_REALTIME) - s->begin_usec) / 1000000;
        if (seen->exists && age_sec < INCOMING_PREPARE_WINDOW_SEC)
                return false; /* libvirt still preparing (pre-creation can be slow) */
        if (s->phase == INCOMING_PLANNED) {
                if (seen->exists || age_sec >= 5)
                        cleanup_never_started(d, s);
                return false;
        }
        orphan(d, s);
        return false;
}

static void reconcile_one(Daemon *d, const char *uuid) {
        _cleanup_(incoming_state_freep) IncomingState *before = NULL, *s = NULL;
        bool committed = false;

        /* saved by rename, so readable without the lock */
        if (incoming_state_load(d->paths.incoming_dir, uuid, &before) < 0)
                return;
        Seen seen = see(d, uuid);
        {
                _cleanup_close_ int lock = -1;
                if (incoming_state_lock(d->paths.incoming_dir, 0, &lock) < 0)
                        return; /* a hook is at work: next round */
                if (incoming_state_load(d->paths.incoming_dir, uuid, &s) < 0)
                        return;
                /* a hook moved it on while libvirt answered: what libvirt
                 * said may predate it, look again next time */
                if (s->phase != before->phase || s->begin_usec != before->begin_usec)
                        return;
                committed = decide(d, s, &seen);
        }
        if (committed)
                persist_committed(d, uuid);
}

void daemon_reconcile(Daemon *d) {
        _cleanup_strv_free_ char **uuids = NULL;

        if (!d->conn || incoming_state_list(d->paths.incoming_dir, &uuids) < 0)
                return;
        for (char **u = uuids; *u; u++)
                reconcile_one(d, *u);
}
