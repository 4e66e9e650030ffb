/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The source's definition after a guest left (see source.h). */
#include "persist/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/strv.h"
#include "core/libvirt-daemon.h"
#include "core/virt-util.h"
#include "persist/guard.h"
#include "persist/migration-peer.h"

void peer_book_done(PeerBook *b) {
        strv_free(b->uuids);
        strv_free(b->peers);
        b->uuids = b->peers = NULL;
}

int peer_book_note(PeerBook *b, virDomainPtr dom, const char *uuid, const char *run_root) {
        _cleanup_free_ char *peer = NULL;
        pid_t pid;
        int r = libvirt_qemu_pid(run_root, virDomainGetName(dom), &pid);
        if (r >= 0)
                r = migration_peer(pid, &peer);
        if (r < 0)
                return r;
        if (strv_push(&b->uuids, uuid) < 0 || strv_push(&b->peers, peer) < 0)
                return -ENOMEM;
        return 0;
}

char *peer_book_take(PeerBook *b, const char *uuid) {
        char *found = NULL;
        for (size_t i = 0; b->uuids && b->uuids[i] && b->peers && b->peers[i]; i++)
                if (streq(b->uuids[i], uuid)) {
                        free(found);
                        found = strdup(b->peers[i]);
                }
        peer_book_done(b);
        return found;
}

static int guard(virDomainPtr dom, const char *uuid, const char *destination, const char *state_dir,
                 char **ret_message) {
        const char *name = virDomainGetName(dom);
        int autostart = 0;
        Guard g = { .uuid = (char *) uuid,
                    .name = (char *) name,
                    .destination = (char *) destination,
                    .time = (int64_t) time(NULL) };

        if (virDomainGetAutostart(dom, &autostart) == 0 && autostart) {
                g.autostart_was_on = true;
                (void) virDomainSetAutostart(dom, 0);
        }
        int r = guard_save(state_dir, &g);
        if (r < 0) {
                if (asprintf(ret_message, "Cannot guard %s: %s/" GUARD_DIR_NAME " not writable", name, state_dir) < 0)
                        *ret_message = NULL;
                return r;
        }
        if (asprintf(ret_message, "Guarded %s: it migrated to %s; autostart off, start refused until released", name,
                     *destination ? destination : "another host") < 0)
                *ret_message = NULL;
        return 0;
}

int source_after_migration(virDomainPtr dom, const char *uuid, PersistSource mode, const char *destination,
                           const char *state_dir, char **ret_message) {
        const char *name = virDomainGetName(dom);
        *ret_message = NULL;
        if (virDomainIsPersistent(dom) != 1 || virDomainIsActive(dom) != 0)
                return 0; /* transient or --undefinesource: nothing left here */
        switch (mode) {
        case PERSIST_SOURCE_KEEP:
                return asprintf(ret_message, "%s migrated away; definition kept as is ([persist] source = keep)",
                                name) < 0
                               ? -ENOMEM
                               : 0;
        case PERSIST_SOURCE_GUARD: return guard(dom, uuid, destination ? destination : "", state_dir, ret_message);
        case PERSIST_SOURCE_UNDEFINE:
                if (virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                                        VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                                        VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
                                                        VIR_DOMAIN_UNDEFINE_KEEP_NVRAM) < 0) {
                        if (asprintf(ret_message, "Cannot undefine %s after it migrated away: %s", name,
                                     virt_last_error_message()) < 0)
                                *ret_message = NULL;
                        return -EIO;
                }
                return asprintf(ret_message, "Undefined %s: it migrated away ([persist] source = undefine)", name) < 0
                               ? -ENOMEM
                               : 0;
        }
        return -EINVAL;
}

int source_find_migrated_away(virConnectPtr conn, const char *state_dir, MigratedAway found, void *userdata) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(conn, &doms,
                                         VIR_CONNECT_LIST_DOMAINS_INACTIVE | VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
        if (n < 0)
                return -EIO;
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN];
                int state, reason;
                if (virDomainGetState(doms[i], &state, &reason, 0) == 0 && state == VIR_DOMAIN_SHUTOFF &&
                    reason == VIR_DOMAIN_SHUTOFF_MIGRATED && virDomainGetUUIDString(doms[i], uuid) == 0 &&
                    !guard_exists(state_dir, uuid))
                        found(doms[i], uuid, userdata);
                virDomainFree(doms[i]);
        }
        free(doms);
        return 0;
}
