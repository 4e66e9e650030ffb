/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguardd's shared state: the libvirt connection (re-opened whenever
 * libvirtd/virtqemud restarts), the loaded policy and runtime paths.
 * One event loop thread (libvirt's default event implementation).
 */
#pragma once

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "policy.h"

typedef struct Daemon {
        const char *uri;
        const char *config_file;
        const char *run_dir;
        char *state_dir;     /* /run/migguard/incoming */
        const char *lib_dir; /* /var/lib/migguard */
        char hostname[256];
        Policy *policy;

        virConnectPtr conn;
        int lifecycle_cb;
        int device_cb;
        int metadata_cb;
        bool connection_lost;
        int reconnect_timer;
        int reconcile_timer;
        int publish_timer;
        unsigned reconnect_delay_ms;
        char **publish_queue; /* domain UUIDs whose facts need publishing */
        char *host_cpu_model; /* capabilities host CPU model, per connection */
        int persist_timer;
        char **persist_uuids; /* guests to make persistent, with ... */
        char **persist_xmls;  /* ... the definition captured when they arrived */
        char **peer_uuids;    /* outgoing guests at switchover, with ... */
        char **peer_names;    /* ... where their QEMU was connected to */

        bool quit;
        bool ready_sent;
} Daemon;

/* connection.c */
int daemon_connect(Daemon *d);
void daemon_disconnect(Daemon *d);
void daemon_schedule_reconnect(Daemon *d);

/* publish.c: source-side facts in the domain's live <metadata>. */
void daemon_queue_publish(Daemon *d, const char *uuid);
void daemon_queue_publish_all(Daemon *d);
void daemon_publish_pending(Daemon *d);

/* persist.c: destination side, make arrived guests persistent. */
void daemon_queue_persist(Daemon *d, virDomainPtr dom);

/* ownership.c: source side, after a guest left: keep, guard or undefine. */
void daemon_note_peer(Daemon *d, virDomainPtr dom, const char *uuid);
void daemon_source_migrated(Daemon *d, virDomainPtr dom, const char *uuid, const char *destination);
void daemon_reconcile_sources(Daemon *d);

/* pinning.c: migration threads on housekeeping CPUs. */
void daemon_pinning_start(Daemon *d);
int daemon_drop_privileges(void);
void daemon_pinning_refresh(Daemon *d);

/* reconcile.c: commit or clean up incoming-migration records. */
void daemon_commit_incoming(Daemon *d, const char *uuid, const char *why);
void daemon_reconcile(Daemon *d);
