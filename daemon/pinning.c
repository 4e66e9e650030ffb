/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Migration threads off the guest's vCPUs.  QEMU names its migration
 * threads (see lib/migration-thread.c); whenever a QEMU of a running
 * domain gets one, it is moved to the housekeeping CPUs: `[pinning] cpus`,
 * or with `auto` every online CPU not used by any vcpupin / <vcpu cpuset>
 * of any running domain here.  Threads are found through the kernel's
 * proc connector (PROC_EVENT_COMM, as the name is set) where it works
 * (init network namespace, CAP_NET_ADMIN), else by scanning /proc.
 * vCPU threads and everything else keep their placement; migration
 * threads end with the migration, so an abort leaves nothing changed.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc-util.h"
#include "daemon.h"
#include "log.h"
#include "migration-peer.h"
#include "migration-thread.h"
#include "proc-connector.h"
#include "proc-thread.h"
#include "xml-util.h"

#define SCAN_INTERVAL_MS 20          /* /proc fallback */
#define SAFETY_SCAN_INTERVAL_MS 1000 /* with the proc connector: catch misses */
#define MAX_TARGETS 512

typedef struct PinTarget {
        pid_t pid;
        char name[256];
} PinTarget;

static PinTarget targets[MAX_TARGETS];
static size_t n_targets;
static cpu_set_t housekeeping;
static bool have_housekeeping;
static pid_t pinned[4096]; /* tids already placed or reported, to log once */
static size_t n_pinned;

static bool already(pid_t tid) {
        for (size_t i = 0; i < n_pinned; i++)
                if (pinned[i] == tid)
                        return true;
        if (n_pinned == ELEMENTSOF(pinned))
                n_pinned = 0;
        pinned[n_pinned++] = tid;
        return false;
}

/* Add the CPUs of every vcpupin and <vcpu cpuset> of one domain's live XML. */
static void add_vcpu_cpus(const char *xml, cpu_set_t *set) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_free_ char *err = NULL;
        if (xml_parse_untrusted(xml, strlen(xml), &doc, &err) < 0 || !(ctx = xmlXPathNewContext(doc)))
                return;
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o =
                xpath_nodes(ctx, NULL, "/domain/cputune/vcpupin/@cpuset | /domain/vcpu/@cpuset");
        for (int i = 0; o && o->nodesetval && i < o->nodesetval->nodeNr; i++) {
                xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
                cpu_set_t one;
                if (v && cpu_list_parse((const char *) v, &one) == 0)
                        CPU_OR(set, set, &one);
                xmlFree(v);
        }
}

void daemon_pinning_refresh(Daemon *d) {
        virDomainPtr *doms = NULL;
        cpu_set_t used, online;
        CPU_ZERO(&used);
        n_targets = 0;
        if (!d->conn)
                return;
        int n = virConnectListAllDomains(d->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        for (int i = 0; i < n; i++) {
                pid_t pid;
                const char *name = virDomainGetName(doms[i]);
                _cleanup_free_ char *xml = virDomainGetXMLDesc(doms[i], 0);
                if (xml)
                        add_vcpu_cpus(xml, &used);
                if (name && n_targets < MAX_TARGETS && qemu_pid_of(name, &pid) == 0) {
                        targets[n_targets].pid = pid;
                        snprintf(targets[n_targets].name, sizeof(targets[n_targets].name), "%s", name);
                        n_targets++;
                }
                virDomainFree(doms[i]);
        }
        free(doms);

        have_housekeeping = false;
        if (!d->policy->pinning_auto) {
                housekeeping = d->policy->pinning_cpus;
                have_housekeeping = CPU_COUNT(&housekeeping) > 0;
                return;
        }
        if (cpus_online("/sys", &online) < 0)
                return;
        CPU_XOR(&housekeeping, &online, &used);
        CPU_AND(&housekeeping, &housekeeping, &online);
        have_housekeeping = CPU_COUNT(&housekeeping) > 0;
}

static const PinTarget *target_of(pid_t pid) {
        for (size_t i = 0; i < n_targets; i++)
                if (targets[i].pid == pid)
                        return &targets[i];
        return NULL;
}

/* Why the kernel refused: the thread's cpuset cgroup (emulatorpin) excludes them. */
static void explain_refusal(const PinTarget *t, pid_t tid, const char *comm, const char *want) {
        char path[128], line[512] = "";
        snprintf(path, sizeof(path), "/proc/%d/task/%d/cpuset", (int) t->pid, (int) tid);
        FILE *f = fopen(path, "re");
        if (f) {
                if (!fgets(line, sizeof(line), f))
                        line[0] = 0;
                fclose(f);
                line[strcspn(line, "\n")] = 0;
        }
        LogFields lf = { .message_id = MG_MSGID_WARNING, .domain = t->name, .check = "pinning" };
        log_struct(LOG_WARNING, &lf,
                   "Cannot place migration thread '%s' (%d) of %s on CPUs %s: its cpuset cgroup %s does not allow "
                   "them (emulatorpin?)",
                   comm, (int) tid, t->name, want, *line ? line : "(unknown)");
}

static void place(Daemon *d, const PinTarget *t, pid_t tid, const char *comm) {
        char want[256];
        cpu_set_t now;

        if (!d->policy->pinning_enabled || !migration_thread_name(comm))
                return;
        if (!have_housekeeping) {
                if (!already(tid)) {
                        LogFields lf = { .message_id = MG_MSGID_WARNING, .domain = t->name, .check = "pinning" };
                        log_struct(LOG_WARNING, &lf,
                                   "No housekeeping CPU left (all online CPUs carry vCPU pins): leaving migration "
                                   "thread '%s' (%d) of %s where it is",
                                   comm, (int) tid, t->name);
                }
                return;
        }
        if (proc_thread_allowed("/proc", t->pid, tid, &now) == 0 && CPU_EQUAL(&now, &housekeeping))
                return;
        (void) cpu_set_format(&housekeeping, want, sizeof(want));
        if (sched_setaffinity(tid, sizeof(housekeeping), &housekeeping) < 0) {
                if (errno == EINVAL && !already(tid))
                        explain_refusal(t, tid, comm, want);
                return;
        }
        if (!already(tid)) {
                LogFields lf = { .message_id = MG_MSGID_PINNED, .domain = t->name, .check = "pinning" };
                log_struct(LOG_INFO, &lf, "Placed migration thread '%s' (%d) of %s on CPUs %s", comm, (int) tid,
                           t->name, want);
        }
}

typedef struct ScanCtx {
        Daemon *d;
        const PinTarget *t;
} ScanCtx;

static int visit(pid_t tid, const char *comm, void *userdata) {
        ScanCtx *c = userdata;
        place(c->d, c->t, tid, comm);
        return 0;
}

static void scan_all(Daemon *d) {
        for (size_t i = 0; i < n_targets; i++) {
                ScanCtx c = { d, &targets[i] };
                (void) proc_threads_foreach("/proc", targets[i].pid, visit, &c);
        }
}

static void scan_cb(int timer _unused_, void *opaque) {
        scan_all(opaque);
}

static void on_comm(pid_t tgid, pid_t tid, const char *comm, void *userdata) {
        const PinTarget *t = target_of(tgid);
        if (t)
                place(userdata, t, tid, comm);
}

static void on_proc_event(int watch _unused_, int fd, int events _unused_, void *opaque) {
        (void) proc_connector_dispatch(fd, on_comm, opaque);
}

void daemon_pinning_start(Daemon *d) {
        int fd = proc_connector_open();
        if (fd >= 0 && virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE, on_proc_event, d, NULL) >= 0) {
                log_info("Migration threads: following the kernel's proc connector");
                (void) virEventAddTimeout(SAFETY_SCAN_INTERVAL_MS, scan_cb, d, NULL);
                return;
        }
        if (fd >= 0)
                close(fd);
        log_info("Migration threads: proc connector unavailable (%s), scanning /proc every %d ms",
                 fd == -ENETUNREACH ? "not in the initial network namespace" : strerror(-fd), SCAN_INTERVAL_MS);
        (void) virEventAddTimeout(SCAN_INTERVAL_MS, scan_cb, d, NULL);
}
