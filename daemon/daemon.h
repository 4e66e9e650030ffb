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
        char *state_dir;
        char hostname[256];
        Policy *policy;

        virConnectPtr conn;
        int lifecycle_cb;
        int device_cb;
        bool connection_lost;
        int reconnect_timer;
        int reconcile_timer;
        int publish_timer;
        unsigned reconnect_delay_ms;
        char **publish_queue; /* domain UUIDs whose facts need publishing */
        char *host_cpu_model; /* capabilities host CPU model, per connection */

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

/* reconcile.c: commit or clean up incoming-migration records. */
void daemon_commit_incoming(Daemon *d, const char *uuid, const char *why);
void daemon_reconcile(Daemon *d);
