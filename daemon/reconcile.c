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
 * (persist) after it is released.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "daemon.h"
#include "guard.h"
#include "incoming-state.h"
#include "log.h"
#include "provision.h"
#include "strv.h"
#include "virt-util.h"

#define LOCK_TIMEOUT_MS 5000

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

/* A raw image migguard made thin, copied from a sparse source, now fully
 * allocated: the source's libvirt sent its holes as zeroes to be written
 * (libvirt 11 mirrors a raw disk into an NBD node without a format layer,
 * hence without discard, so QEMU marks every zero write "no hole").  Nothing on
 * this side can undo that safely while the guest runs; say so, with what
 * gives the space back and libvirt's option that avoids it (which a
 * destination older than libvirt 10.9 refuses). */
static void warn_if_holes_lost(const IncomingState *s) {
        for (size_t i = 0; i < s->n_disks; i++) {
                const IncomingDisk *disk = &s->disks[i];
                struct stat st;
                if (!disk->created || disk->opts.sparse != 1 || !streq_ptr(disk->opts.format, "raw") ||
                    disk->opts.virtual_size == 0 || stat(disk->path, &st) < 0)
                        continue;
                uint64_t allocated = (uint64_t) st.st_blocks * 512;
                if (allocated < disk->opts.virtual_size / 10 * 9)
                        continue;
                LogFields f = { .message_id = MG_MSGID_WARNING, .domain = s->name, .path = disk->path };
                log_struct(LOG_WARNING, &f,
                           "disk %s: %s arrived fully allocated (%llu of %llu bytes) although its source image is "
                           "sparse: the source's libvirt sent its holes as zeroes to write; fstrim in the guest "
                           "gives unused space back (discard='unmap'), and between libvirt >= 10.9 hosts "
                           "'virsh migrate --migrate-disks-detect-zeroes %s' keeps the holes",
                           strna(disk->opts.target), disk->path, (unsigned long long) allocated,
                           (unsigned long long) disk->opts.virtual_size, strna(disk->opts.target));
        }
}

/* Under the lock: the record goes, the images are the guest's now. */
static void commit_record(Daemon *d, IncomingState *s, const char *why) {
        if (incoming_state_remove(d->state_dir, s->uuid) < 0)
                return;
        LogFields f = { .message_id = MG_MSGID_COMMITTED, .domain = s->name };
        log_struct(LOG_INFO, &f, "Incoming migration of %s completed (%s): %zu provisioned image(s) kept", s->name, why,
                   s->n_disks);
        warn_if_holes_lost(s);
        if (guard_remove(d->lib_dir, s->uuid) == 0)
                log_struct(LOG_DEBUG, &f, "Guard of %s cleared: it is back", s->name);
}

/* After the lock is released: the guest becomes persistent here. */
static void persist_committed(Daemon *d, const char *uuid) {
        _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByUUIDString(d->conn, uuid);
        if (dom)
                daemon_queue_persist(d, dom);
}

void daemon_commit_incoming(Daemon *d, const char *uuid, const char *why) {
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        {
                _cleanup_close_ int lock = -1;
                if (incoming_state_lock(d->state_dir, LOCK_TIMEOUT_MS, &lock) < 0) {
                        log_warning("State of %s busy; the next reconciliation commits it", uuid);
                        return;
                }
                if (incoming_state_load(d->state_dir, uuid, &s) < 0)
                        return;
                commit_record(d, s, why);
        }
        persist_committed(d, uuid);
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
        int64_t age_sec = (now_realtime_usec() - s->begin_usec) / 1000000;
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
        if (incoming_state_load(d->state_dir, uuid, &before) < 0)
                return;
        Seen seen = see(d, uuid);
        {
                _cleanup_close_ int lock = -1;
                if (incoming_state_lock(d->state_dir, LOCK_TIMEOUT_MS, &lock) < 0)
                        return;
                if (incoming_state_load(d->state_dir, uuid, &s) < 0)
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

        if (!d->conn || incoming_state_list(d->state_dir, &uuids) < 0)
                return;
        for (char **u = uuids; *u; u++)
                reconcile_one(d, *u);
}
