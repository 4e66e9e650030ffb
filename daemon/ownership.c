/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Source side, single ownership: once a guest migrated away (libvirt's
 * STOPPED_MIGRATED, or a shut-off reason "migrated" found after a
 * restart), its definition here is kept, guarded or undefined per
 * `[persist] source`.  A guard turns autostart off and records where the
 * guest went; the hook refuses to start a guarded guest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "alloc-util.h"
#include "daemon.h"
#include "guard.h"
#include "log.h"
#include "migration-peer.h"
#include "strv.h"

/* At switchover the source QEMU is still connected to the destination. */
void daemon_note_peer(Daemon *d, virDomainPtr dom, const char *uuid) {
        _cleanup_free_ char *peer = NULL;
        pid_t pid;
        if (qemu_pid_of(virDomainGetName(dom), &pid) < 0 || migration_peer(pid, &peer) < 0)
                return;
        if (strv_push(&d->peer_uuids, uuid) < 0 || strv_push(&d->peer_names, peer) < 0)
                return;
}

static char *take_peer(Daemon *d, const char *uuid) {
        char *found = NULL;
        for (size_t i = 0; d->peer_uuids && d->peer_uuids[i]; i++)
                if (streq(d->peer_uuids[i], uuid) && d->peer_names[i]) {
                        free(found);
                        found = strdup(d->peer_names[i]);
                }
        strv_free(d->peer_uuids);
        strv_free(d->peer_names);
        d->peer_uuids = d->peer_names = NULL;
        return found;
}

static void guard(Daemon *d, virDomainPtr dom, const char *uuid, const char *destination) {
        const char *name = virDomainGetName(dom);
        LogFields f = { .message_id = MG_MSGID_GUARDED, .domain = name };
        int autostart = 0;
        Guard g = { .uuid = (char *) uuid,
                    .name = (char *) name,
                    .destination = (char *) destination,
                    .time = (int64_t) time(NULL) };

        if (virDomainGetAutostart(dom, &autostart) == 0 && autostart) {
                g.autostart_was_on = true;
                (void) virDomainSetAutostart(dom, 0);
        }
        if (guard_save(d->lib_dir, &g) < 0) {
                log_struct(LOG_WARNING, &f, "Cannot guard %s: %s/guards not writable", name, d->lib_dir);
                return;
        }
        log_struct(LOG_INFO, &f, "Guarded %s: it migrated to %s; autostart off, start refused until released", name,
                   destination && *destination ? destination : "another host");
}

void daemon_source_migrated(Daemon *d, virDomainPtr dom, const char *uuid, const char *destination) {
        _cleanup_free_ char *peer = destination ? NULL : take_peer(d, uuid);
        const char *name = virDomainGetName(dom);
        LogFields f = { .message_id = MG_MSGID_GUARDED, .domain = name };

        if (!destination)
                destination = peer ? peer : "";
        if (virDomainIsPersistent(dom) != 1 || virDomainIsActive(dom) != 0)
                return; /* transient or --undefinesource: nothing left here */
        switch (d->policy->persist_source) {
        case PERSIST_SOURCE_KEEP:
                log_struct(LOG_INFO, &f, "%s migrated away; definition kept as is ([persist] source = keep)", name);
                break;
        case PERSIST_SOURCE_GUARD: guard(d, dom, uuid, destination); break;
        case PERSIST_SOURCE_UNDEFINE:
                if (virDomainUndefineFlags(
                            dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                         VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_KEEP_NVRAM) < 0)
                        log_struct(LOG_WARNING, &f, "Cannot undefine %s after it migrated away", name);
                else
                        log_struct(LOG_INFO, &f, "Undefined %s: it migrated away ([persist] source = undefine)", name);
                break;
        }
}

/* Guests that migrated away while migguardd was not running. */
void daemon_reconcile_sources(Daemon *d) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(d->conn, &doms,
                                         VIR_CONNECT_LIST_DOMAINS_INACTIVE | VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN];
                int state, reason;
                _cleanup_(guard_freep) Guard *g = NULL;
                if (virDomainGetState(doms[i], &state, &reason, 0) == 0 && state == VIR_DOMAIN_SHUTOFF &&
                    reason == VIR_DOMAIN_SHUTOFF_MIGRATED && virDomainGetUUIDString(doms[i], uuid) == 0 &&
                    guard_load(d->lib_dir, uuid, &g) == -ENOENT)
                        daemon_source_migrated(d, doms[i], uuid, "");
                virDomainFree(doms[i]);
        }
        free(doms);
}
