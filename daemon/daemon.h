/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguardd's shared state.  Two threads: the event loop (libvirt's
 * default event implementation: libvirt events, signals, timers, the
 * Pinner's thread names), the publisher (publisher.c), which does the
 * slow source-side work, qemu-img included, over a connection of its own,
 * and the convergence guard (converge-guard.c), with a connection of its
 * own too.
 * The loop never waits: state-lock attempts are non-blocking and retried
 * from a timer.
 */
#pragma once

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "core/daemon-status.h"
#include "core/paths.h"
#include "core/policy.h"
#include "persist/source.h"
#include "pinning/pinner.h"

typedef struct Publisher Publisher;
typedef struct ConvergeGuard ConvergeGuard;

typedef struct Daemon {
        const char *uri;
        const char *config_file;
        Paths paths;
        char hostname[256];
        Policy *policy; /* the loop's; the publisher holds a reference of its own */
        DaemonStatus status;

        virConnectPtr conn;
        int lifecycle_cb;
        int device_cb;
        int metadata_cb;
        int reconnect_timer;
        int reconcile_timer;
        unsigned reconnect_delay_ms;

        Pinner *pinner;
        Publisher *publisher;
        ConvergeGuard *guard;
        PeerBook peers; /* outgoing guests at switchover: where their QEMU was connected to */

        int persist_timer;
        char **persist_uuids; /* guests to make persistent, with ... */
        char **persist_xmls;  /* ... the definition captured when they arrived */
        int commit_timer;
        char **commit_uuids; /* incoming migrations to commit once the state lock is free, with ... */
        char **commit_whys;  /* ... what was seen */

        bool quit;
} Daemon;

/* connection.c */
int daemon_connect(Daemon *d);
void daemon_disconnect(Daemon *d);
void daemon_schedule_reconnect(Daemon *d);

/* publisher.c: source-side facts in the domain's live <metadata>, in a
 * thread of their own. */
int publisher_new(const char *uri, const char *hostname, Policy *policy, Publisher **ret);
void publisher_free(Publisher *p);
void publisher_set_policy(Publisher *p, Policy *policy);
void publisher_queue(Publisher *p, const char *uuid);
void daemon_queue_publish(Daemon *d, const char *uuid);
void daemon_queue_publish_all(Daemon *d);

/* converge-guard.c: source side, outgoing migrations that stall, in a
 * thread of their own. */
int converge_guard_new(const char *uri, Policy *policy, ConvergeGuard **ret);
void converge_guard_free(ConvergeGuard *g);
void converge_guard_set_policy(ConvergeGuard *g, Policy *policy);

/* persist-queue.c: destination side, make arrived guests persistent. */
void daemon_queue_persist(Daemon *d, virDomainPtr dom);

/* ownership.c: source side, after a guest left: keep, guard or undefine. */
void daemon_note_peer(Daemon *d, virDomainPtr dom, const char *uuid);
void daemon_source_migrated(Daemon *d, virDomainPtr dom, const char *uuid);
void daemon_reconcile_sources(Daemon *d);

/* pinning.c glue lives in migguardd.c: refresh the Pinner's domains. */
void daemon_pinning_refresh(Daemon *d);
/* privileges.c */
int daemon_drop_privileges(void);

/* reload.c: SIGHUP, as systemd sees it. */
void daemon_reload(Daemon *d);

/* reconcile.c: commit or clean up incoming-migration records. */
void daemon_commit_incoming(Daemon *d, const char *uuid, const char *why);
void daemon_reconcile(Daemon *d);
