/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Source side: the convergence guard.  Every second, each outgoing
 * migration job on this host is sampled (virDomainGetJobStats: memory
 * left, iteration, QEMU's expected downtime, bandwidth, dirty rate) and
 * handed to converge/guard-step.c, which says what to do about a stall:
 * raise the max downtime, switch to post-copy, then abort or warn.
 *
 * A thread of its own with its own connection, as the publisher: job
 * statistics are a round trip to QEMU, and the event loop never waits.
 * Polling rather than the MIGRATION_ITERATION event: an iteration that
 * never ends sends no event, and that is the stall to see.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "basic/time-util.h"
#include "converge/guard-step.h"
#include "converge/job-progress.h"
#include "core/finding.h"
#include "core/virt-util.h"
#include "daemon.h"
#include "priority.h"

#define GUARD_INTERVAL_MS 1000
#define MIB (1024.0 * 1024.0)
/* libvirt's default when it cannot say (QEMU's: 300 ms) */
#define DEFAULT_DOWNTIME_MS 300

typedef struct Watched {
        char uuid[VIR_UUID_STRING_BUFLEN];
        GuardState state;
        bool seen; /* in this round of samples */
} Watched;

struct ConvergeGuard {
        pthread_t thread;
        bool started;
        int pipe[2]; /* EOF: stop */
        Policy *next_policy;
        /* the thread's own */
        Policy *policy;
        char *uri;
        virConnectPtr conn;
        Watched *watched;
        size_t n_watched;
        char **known; /* UUIDs of the running domains of the last round */
};

static bool guard_connected(ConvergeGuard *g) {
        if (g->conn && virConnectIsAlive(g->conn) == 1)
                return true;
        if (g->conn)
                (void) virConnectClose(g->conn);
        g->conn = virConnectOpen(g->uri);
        return g->conn != NULL;
}

static Watched *watched_get(ConvergeGuard *g, virDomainPtr dom, const char *uuid) {
        for (size_t i = 0; i < g->n_watched; i++)
                if (streq(g->watched[i].uuid, uuid))
                        return &g->watched[i];
        Watched *n = realloc(g->watched, sizeof(Watched) * (g->n_watched + 1));
        if (!n)
                return NULL;
        g->watched = n;
        Watched *w = &g->watched[g->n_watched++];
        unsigned long long downtime = DEFAULT_DOWNTIME_MS;
        (void) virDomainMigrateGetMaxDowntime(dom, &downtime, 0);
        *w = (Watched){ 0 };
        snprintf(w->uuid, sizeof(w->uuid), "%s", uuid);
        guard_state_init(&w->state, (unsigned) downtime);
        return w;
}

/* Forget migrations that ended (not seen in this round). */
static void watched_prune(ConvergeGuard *g) {
        size_t k = 0;
        for (size_t i = 0; i < g->n_watched; i++)
                if (g->watched[i].seen) {
                        g->watched[i].seen = false;
                        g->watched[k++] = g->watched[i];
                }
        g->n_watched = k;
}

/* 1 with *ret for an outgoing migration, 0 for anything else. */
static int sample(virDomainPtr dom, GuardSample *ret) {
        JobProgress p;
        if (job_progress_sample(dom, &p) <= 0 || !p.outgoing)
                return 0;
        *ret = p.sample;
        return 1;
}

/* "stalled for 10 s at iteration 9: 4.6 MiB left at best, dirty 16.0 MiB/s
 * against 16.0 MiB/s, QEMU expects 2186 ms downtime" */
static void describe(const GuardState *s, const GuardSample *j, char *buf, size_t size) {
        snprintf(buf, size,
                 "stalled for %.0f s at iteration %llu: %.1f MiB left at best, dirty %.1f MiB/s against %.1f MiB/s, "
                 "QEMU expects %llu ms downtime",
                 s->stalled_for, (unsigned long long) j->iteration, (double) s->low / MIB, (double) j->dirty_rate / MIB,
                 (double) j->bandwidth / MIB, (unsigned long long) j->expected_downtime);
}

static void act(ConvergeGuard *g, virDomainPtr dom, Watched *w, const GuardSample *j) {
        const Policy *p = g->policy;
        GuardLimits l = { .max_downtime_ms = p->converge_max_downtime,
                          .stall_seconds = p->converge_stall_seconds,
                          .abort = p->converge_action == CONVERGE_ACTION_ABORT };
        unsigned before = w->state.downtime_ms, downtime = 0;
        const char *name = virDomainGetName(dom);
        LogFields lf = { .message_id = MG_MSGID_CONVERGE,
                         .domain = name,
                         .check = check_kind_to_string(CHECK_KIND_CONVERGENCE) };
        char why[256];

        GuardAction a = guard_step(&w->state, &l, j, &downtime);
        if (a == GUARD_WAIT || a == GUARD_DONE)
                return;
        describe(&w->state, j, why, sizeof(why));
        if (a == GUARD_RAISE_DOWNTIME) {
                if (virDomainMigrateSetMaxDowntime(dom, downtime, 0) < 0)
                        log_struct(LOG_WARNING, &lf, "Migration of %s %s: cannot raise its max downtime to %u ms: %s",
                                   name, why, downtime, virt_last_error_message());
                else
                        log_struct(LOG_NOTICE, &lf,
                                   "Migration of %s %s: max downtime raised from %u to %u ms ([converge] "
                                   "max-downtime %u)",
                                   name, why, before, downtime, l.max_downtime_ms);
                return;
        }
        if (a == GUARD_POSTCOPY) {
                if (virDomainMigrateStartPostCopy(dom, 0) == 0) {
                        log_struct(LOG_NOTICE, &lf, "Migration of %s %s at max downtime %u ms: switched to post-copy",
                                   name, why, before);
                        return;
                }
                log_struct(LOG_INFO, &lf, "Migration of %s: no post-copy: %s", name, virt_last_error_message());
                a = guard_postcopy_refused(&w->state, &l);
        }
        if (a == GUARD_ABORT) {
                if (virDomainAbortJob(dom) < 0)
                        log_struct(LOG_WARNING, &lf, "Migration of %s %s: cannot abort it: %s", name, why,
                                   virt_last_error_message());
                else
                        log_struct(LOG_WARNING, &lf,
                                   "Migration of %s aborted: it does not converge: %s at max downtime %u ms; it "
                                   "keeps running here. Retry with --auto-converge or --postcopy, a higher "
                                   "--bandwidth, or a higher [converge] max-downtime",
                                   name, why, before);
        } else if (a == GUARD_WARN)
                log_struct(LOG_WARNING, &lf,
                           "Migration of %s does not converge: %s at max downtime %u ms; left running "
                           "([converge] action = continue)",
                           name, why, before);
}

static void guard_round(ConvergeGuard *g) {
        virDomainPtr *doms = NULL;
        char **known = NULL;
        /* Running domains only, and only those already running a round
         * ago: a destination's domain is paused during an incoming migration
         * and new (just resumed) while libvirt finishes it, and asking for
         * its job then makes libvirtd log an error ("available only on the
         * source host").  An outgoing migration is found a second later. */
        int n = virConnectListAllDomains(g->conn, &doms, VIR_CONNECT_LIST_DOMAINS_RUNNING);
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN];
                GuardSample j;
                if (virDomainGetUUIDString(doms[i], uuid) >= 0) {
                        (void) strv_push(&known, uuid);
                        if (strv_contains(g->known, uuid) && sample(doms[i], &j) > 0) {
                                Watched *w = watched_get(g, doms[i], uuid);
                                if (w) {
                                        w->seen = true;
                                        act(g, doms[i], w, &j);
                                }
                        }
                }
                virDomainFree(doms[i]);
        }
        free(doms);
        strv_free(g->known);
        g->known = known;
        watched_prune(g);
}

static void *guard_run(void *userdata) {
        ConvergeGuard *g = userdata;
        daemon_lower_priority();
        for (;;) {
                struct pollfd pfd = { .fd = g->pipe[0], .events = POLLIN };
                char c;
                if (poll(&pfd, 1, GUARD_INTERVAL_MS) > 0 && read(g->pipe[0], &c, 1) <= 0)
                        break; /* EOF: stop */
                Policy *next = __atomic_exchange_n(&g->next_policy, NULL, __ATOMIC_ACQ_REL);
                if (next) {
                        policy_unref(g->policy);
                        g->policy = next;
                }
                if (!g->policy->converge_guard) {
                        g->n_watched = 0;
                        continue;
                }
                if (guard_connected(g))
                        guard_round(g);
        }
        return NULL;
}

int converge_guard_new(const char *uri, Policy *policy, ConvergeGuard **ret) {
        ConvergeGuard *g = calloc(1, sizeof(ConvergeGuard));
        if (!g)
                return -ENOMEM;
        g->pipe[0] = g->pipe[1] = -1;
        g->uri = strdup(uri);
        g->policy = policy_ref(policy);
        if (!g->uri || pipe2(g->pipe, O_CLOEXEC) < 0) {
                int r = g->uri ? -errno : -ENOMEM;
                converge_guard_free(g);
                return r;
        }
        int r = pthread_create(&g->thread, NULL, guard_run, g);
        if (r != 0) {
                converge_guard_free(g);
                return -r;
        }
        g->started = true;
        *ret = g;
        return 0;
}

void converge_guard_free(ConvergeGuard *g) {
        if (!g)
                return;
        closep(&g->pipe[1]);
        if (g->started)
                pthread_join(g->thread, NULL);
        closep(&g->pipe[0]);
        policy_unref(g->policy);
        policy_unref(g->next_policy);
        if (g->conn)
                (void) virConnectClose(g->conn);
        free(g->watched);
        strv_free(g->known);
        free(g->uri);
        free(g);
}

void converge_guard_set_policy(ConvergeGuard *g, Policy *policy) {
        if (g)
                policy_unref(__atomic_exchange_n(&g->next_policy, policy_ref(policy), __ATOMIC_ACQ_REL));
}
