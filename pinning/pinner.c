/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placing migration threads (see pinner.h). */
#include "pinning/pinner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cpu-set.h"
#include "basic/fileio.h"
#include "basic/time-util.h"
#include "pinning/migration-thread.h"
#include "pinning/proc-thread.h"

#define MAX_DOMAINS 512
#define MAX_SEEN 4096

struct Pinner {
        char *proc_root, *sys_root;
        bool enabled, cpus_auto;
        cpu_set_t cpus;      /* [pinning] cpus, when not auto */
        cpu_set_t vcpu_cpus; /* pinned by vcpupin / <vcpu cpuset> of running domains */
        cpu_set_t housekeeping;
        bool have_housekeeping;
        PinDomain domains[MAX_DOMAINS];
        size_t n_domains;
        pid_t seen[MAX_SEEN]; /* tids already reported, to report once: a ring */
        size_t n_seen, next_seen;
        PinReporter reporter;
        void *userdata;
};

int pinner_new(const char *proc_root, const char *sys_root, Pinner **ret) {
        Pinner *p = calloc(1, sizeof(Pinner));
        if (!p)
                return -ENOMEM;
        p->proc_root = strdup(proc_root);
        p->sys_root = strdup(sys_root);
        p->enabled = true;
        p->cpus_auto = true;
        if (!p->proc_root || !p->sys_root) {
                pinner_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

void pinner_free(Pinner *p) {
        if (!p)
                return;
        free(p->proc_root);
        free(p->sys_root);
        free(p);
}

void pinner_set_reporter(Pinner *p, PinReporter reporter, void *userdata) {
        p->reporter = reporter;
        p->userdata = userdata;
}

static void update_housekeeping(Pinner *p) {
        cpu_set_t online;
        p->have_housekeeping = false;
        if (!p->cpus_auto) {
                p->housekeeping = p->cpus;
        } else {
                if (cpus_online(p->sys_root, &online) < 0)
                        return;
                CPU_XOR(&p->housekeeping, &online, &p->vcpu_cpus);
                CPU_AND(&p->housekeeping, &p->housekeeping, &online);
        }
        p->have_housekeeping = CPU_COUNT(&p->housekeeping) > 0;
}

void pinner_configure(Pinner *p, bool enabled, const cpu_set_t *cpus) {
        p->enabled = enabled;
        p->cpus_auto = !cpus;
        if (cpus)
                p->cpus = *cpus;
        update_housekeeping(p);
}

void pinner_set_domains(Pinner *p, const PinDomain *domains, size_t n, const cpu_set_t *vcpu_cpus) {
        p->n_domains = n < MAX_DOMAINS ? n : MAX_DOMAINS;
        memcpy(p->domains, domains, p->n_domains * sizeof(PinDomain));
        p->vcpu_cpus = *vcpu_cpus;
        update_housekeeping(p);
}

bool pinner_housekeeping(const Pinner *p, cpu_set_t *ret) {
        *ret = p->housekeeping;
        return p->have_housekeeping;
}

/* True the first time @tid is seen; the oldest are forgotten first (tids
 * are reused). */
static bool first_sight(Pinner *p, pid_t tid) {
        for (size_t i = 0; i < p->n_seen; i++)
                if (p->seen[i] == tid)
                        return false;
        p->seen[p->next_seen] = tid;
        p->next_seen = (p->next_seen + 1) % MAX_SEEN;
        if (p->n_seen < MAX_SEEN)
                p->n_seen++;
        return true;
}

static const PinDomain *domain_of(const Pinner *p, pid_t pid) {
        for (size_t i = 0; i < p->n_domains; i++)
                if (p->domains[i].pid == pid)
                        return &p->domains[i];
        return NULL;
}

static void report(Pinner *p, const PinReport *r) {
        if (first_sight(p, r->tid) && p->reporter)
                p->reporter(r, p->userdata);
}

static void place(Pinner *p, const PinDomain *dom, pid_t tid, const char *comm, uint64_t named_ns) {
        char want[256] = "", path[256], cgroup[512] = "";
        PinReport r = { .domain = dom->name, .tid = tid, .comm = comm, .cpus = want };
        cpu_set_t now;

        if (!p->enabled || !migration_thread_name(comm))
                return;
        if (!p->have_housekeeping) {
                r.event = PIN_NO_HOUSEKEEPING;
                report(p, &r);
                return;
        }
        if (proc_thread_allowed(p->proc_root, dom->pid, tid, &now) == 0 && CPU_EQUAL(&now, &p->housekeeping))
                return;
        (void) cpu_set_format(&p->housekeeping, want, sizeof(want));
        if (sched_setaffinity(tid, sizeof(p->housekeeping), &p->housekeeping) == 0) {
                uint64_t done = now_usec(CLOCK_MONOTONIC) * 1000;
                r.event = PIN_PLACED;
                r.delay_us = named_ns && done > named_ns ? (done - named_ns) / 1000 : 0;
                report(p, &r);
                return;
        }
        /* the kernel refuses CPUs outside the thread's cpuset cgroup */
        if (errno != EINVAL)
                return;
        snprintf(path, sizeof(path), "%s/%d/task/%d/cpuset", p->proc_root, (int) dom->pid, (int) tid);
        if (read_one_line_file(path, cgroup, sizeof(cgroup)) < 0)
                snprintf(cgroup, sizeof(cgroup), "(unknown)");
        r.event = PIN_CGROUP_REFUSED;
        r.cgroup = cgroup;
        report(p, &r);
}

void pinner_thread_named(Pinner *p, pid_t tgid, pid_t tid, const char *comm, uint64_t named_ns) {
        const PinDomain *dom = domain_of(p, tgid);
        if (dom)
                place(p, dom, tid, comm, named_ns);
}

typedef struct ScanCtx {
        Pinner *p;
        const PinDomain *dom;
} ScanCtx;

static int visit(pid_t tid, const char *comm, void *userdata) {
        ScanCtx *c = userdata;
        place(c->p, c->dom, tid, comm, 0);
        return 0;
}

void pinner_scan(Pinner *p) {
        if (!p->enabled)
                return;
        for (size_t i = 0; i < p->n_domains; i++) {
                ScanCtx c = { p, &p->domains[i] };
                (void) proc_threads_foreach(p->proc_root, p->domains[i].pid, visit, &c);
        }
}
