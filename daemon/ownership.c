/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Source side, single ownership (persist/source.h), wired to libvirt's
 * events: where a leaving guest's QEMU is connected at switchover, and
 * what happens to its definition once it stopped here.
 */
#include <stdlib.h>

#include "basic/log.h"
#include "core/finding.h"
#include "core/libvirt-daemon.h"
#include "daemon.h"
#include "persist/source.h"

void daemon_note_peer(Daemon *d, virDomainPtr dom, const char *uuid) {
        int r = peer_book_note(&d->peers, dom, uuid, LIBVIRT_RUN_ROOT);
        if (r < 0)
                log_debug_errno(r, "Cannot tell where %s migrates to: %m", virDomainGetName(dom));
}

static void after_migration(Daemon *d, virDomainPtr dom, const char *uuid, const char *destination) {
        _cleanup_free_ char *msg = NULL;
        int r = source_after_migration(dom, uuid, d->policy->persist_source, destination, d->paths.state_dir, &msg);
        if (!msg)
                return;
        LogFields f = { .message_id = MG_MSGID_GUARDED,
                        .domain = virDomainGetName(dom),
                        .check = check_kind_to_string(CHECK_KIND_PERSIST) };
        log_struct(r < 0 ? LOG_WARNING : LOG_INFO, &f, "%s", msg);
}

void daemon_source_migrated(Daemon *d, virDomainPtr dom, const char *uuid) {
        _cleanup_free_ char *peer = peer_book_take(&d->peers, uuid);
        after_migration(d, dom, uuid, peer ? peer : "");
}

static void found_migrated_away(virDomainPtr dom, const char *uuid, void *userdata) {
        after_migration(userdata, dom, uuid, "");
}

/* Guests that migrated away while migguardd was not running. */
void daemon_reconcile_sources(Daemon *d) {
        (void) source_find_migrated_away(d->conn, d->paths.state_dir, found_migrated_away, d);
}
