/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Source side, single ownership: once a guest migrated away (libvirt's
 * STOPPED_MIGRATED, or a shut-off reason "migrated" found after a
 * restart), its definition here is kept, guarded or undefined per
 * `[persist] source`.  A guard turns autostart off and records where the
 * guest went; the hook refuses to start a guarded guest.  Where it went is
 * learnt at switchover, while the source QEMU still talks to the
 * destination (see migration-peer.h).
 */
#pragma once

#include <libvirt/libvirt.h>

#include "core/policy.h"

/* Where guests went, noted at switchover and taken when they stopped. */
typedef struct PeerBook {
        char **uuids;
        char **peers;
} PeerBook;

void peer_book_done(PeerBook *b);
/* Note where @dom's QEMU is connected to now; -errno when unknown. */
int peer_book_note(PeerBook *b, virDomainPtr dom, const char *uuid, const char *run_root);
/* The destination noted for @uuid (NULL if none); forgets every entry. */
char *peer_book_take(PeerBook *b, const char *uuid);

/* Apply @mode to @dom, which migrated to @destination ("" unknown) and
 * left its definition here.  *ret_message: what was done, for the log
 * (NULL: nothing to say); returns <0 when it failed. */
int source_after_migration(virDomainPtr dom, const char *uuid, PersistSource mode, const char *destination,
                           const char *state_dir, char **ret_message);

/* Guests that migrated away while nobody watched: shut off with reason
 * "migrated" and no guard yet.  Calls @found for each. */
typedef void (*MigratedAway)(virDomainPtr dom, const char *uuid, void *userdata);
int source_find_migrated_away(virConnectPtr conn, const char *state_dir, MigratedAway found, void *userdata);
