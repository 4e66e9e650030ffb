/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * thread-sampler: where do a process's migration threads actually run?
 * About every millisecond, read the `processor` field (39) of
 * /proc/PID/task/TID/stat for each thread QEMU named as a migration
 * thread that is running (state R: a sleeping thread's field is where it
 * last ran), until the process has no migration thread left for 2 s or
 * the time limit passes.  Prints "SAMPLES ON_LISTED_CPUS PINNED_SAMPLES
 * PINNED_ON_LISTED VCPU_RUN_NS VCPU_WAIT_NS ELAPSED_NS OTHER_SAMPLES
 * OTHER_ON_LISTED": the first four count running samples (the pinned ones
 * only threads whose allowed CPUs no longer include the listed ones, after
 * the unpinned window); the next three are how long vCPU 0's thread ran and
 * waited on a run queue (/proc/PID/task/TID/schedstat) while the sampler
 * watched, and for how long it watched; the last two count running samples
 * of the process's other threads (main loop, I/O, workers; not vCPU 0).
 * A second line names those other threads: "COMM=SAMPLES/ON_LISTED ...".
 *
 *   thread-sampler PID CPU-LIST MAX-SECONDS [INTERVAL-MS]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/cpu-set.h"
#include "pinning/migration-thread.h"
#include "core/policy.h"
#include "pinning/proc-thread.h"

typedef struct Count {
        pid_t pid;
        cpu_set_t cpus;
        long samples, on_listed, seen, pinned, pinned_on_listed, other, other_on_listed;
        pid_t vcpu;
        long long vcpu_first[2], vcpu_last[2];
        struct {
                char comm[16];
                long samples, on_listed;
        } names[32];
        size_t n_names;
} Count;

static void count_other(Count *c, const char *comm, bool on) {
        size_t i;
        for (i = 0; i < c->n_names; i++)
                if (strcmp(c->names[i].comm, comm) == 0)
                        break;
        if (i == c->n_names) {
                if (i == sizeof(c->names) / sizeof(c->names[0]))
                        return;
                /* comm is at most 15 characters (TASK_COMM_LEN) */
                snprintf(c->names[i].comm, sizeof(c->names[i].comm), "%s", comm);
                for (char *p = c->names[i].comm; *p; p++)
                        if (*p == ' ')
                                *p = '_';
                c->n_names++;
        }
        c->names[i].samples++;
        c->names[i].on_listed += on;
}

/* processor (field 39) of a running thread, else -1 */
static int running_on(pid_t pid, pid_t tid) {
        char path[128], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int) pid, (int) tid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        /* fields after the ")" that closes comm */
        char *p = strrchr(buf, ')');
        if (!p || p[1] != ' ' || p[2] != 'R')
                return -1;
        int field = 2;
        for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
                if (++field == 39)
                        return atoi(tok);
        return -1;
}

/* vCPU 0's thread: "CPU 0/TCG" or "CPU 0/KVM" */
static void vcpu_schedstat(Count *c, pid_t tid) {
        char path[128];
        long long run, wait;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int) c->pid, (int) tid);
        FILE *f = fopen(path, "re");
        if (!f)
                return;
        if (fscanf(f, "%lld %lld", &run, &wait) == 2) {
                if (!c->vcpu) {
                        c->vcpu = tid;
                        c->vcpu_first[0] = run;
                        c->vcpu_first[1] = wait;
                }
                c->vcpu_last[0] = run;
                c->vcpu_last[1] = wait;
        }
        fclose(f);
}

static int sample(pid_t tid, const char *comm, void *userdata) {
        Count *c = userdata;
        bool vcpu0 = comm && strncmp(comm, "CPU 0/", 6) == 0;
        if (vcpu0 && (!c->vcpu || c->vcpu == tid))
                vcpu_schedstat(c, tid);
        if (vcpu0)
                return 0;
        int cpu = running_on(c->pid, tid);
        if (cpu < 0)
                return 0;
        bool on = CPU_ISSET(cpu, &c->cpus);
        if (!migration_thread_name(comm)) {
                c->other++;
                c->other_on_listed += on;
                count_other(c, comm ? comm : "?", on);
                return 0;
        }
        c->samples++;
        c->seen++;
        c->on_listed += on;
        cpu_set_t allowed, both;
        if (proc_thread_allowed("/proc", c->pid, tid, &allowed) == 0) {
                CPU_AND(&both, &allowed, &c->cpus);
                if (CPU_COUNT(&both) == 0) {
                        c->pinned++;
                        c->pinned_on_listed += on;
                }
        }
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc != 4 && argc != 5)
                return 2;
        long interval = argc == 5 ? atol(argv[4]) : 1;
        if (interval < 1)
                return 2;
        Count c = { .pid = atoi(argv[1]) };
        if (cpu_set_parse(argv[2], &c.cpus) < 0)
                return 2;
        long long limit = atoll(argv[3]) * 1000, idle = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long long ms = 0; ms < limit; ms += interval) {
                c.seen = 0;
                if (proc_threads_foreach("/proc", c.pid, sample, &c) < 0)
                        break;
                idle = c.seen ? 0 : idle + interval;
                if (c.samples > 0 && idle > 2000)
                        break;
                usleep((useconds_t) interval * 1000);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("%ld %ld %ld %ld %lld %lld %lld %ld %ld\n", c.samples, c.on_listed, c.pinned, c.pinned_on_listed,
               c.vcpu_last[0] - c.vcpu_first[0], c.vcpu_last[1] - c.vcpu_first[1],
               (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec), c.other, c.other_on_listed);
        for (size_t i = 0; i < c.n_names; i++)
                printf("%s%s=%ld/%ld", i ? " " : "", c.names[i].comm, c.names[i].samples, c.names[i].on_listed);
        printf("\n");
        return 0;
}
