/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * thread-sampler: where do a process's migration threads actually run?
 * About every millisecond, read the `processor` field (39) of
 * /proc/PID/task/TID/stat for each thread QEMU named as a migration
 * thread that is running (state R: a sleeping thread's field is where it
 * last ran), until the process has no migration thread left for 2 s or
 * the time limit passes.  Prints "SAMPLES ON_LISTED_CPUS PINNED_SAMPLES
 * PINNED_ON_LISTED", the last two counting only threads whose allowed
 * CPUs no longer include the listed ones (after the unpinned window).
 *
 *   thread-sampler PID CPU-LIST MAX-SECONDS
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pinning/migration-thread.h"
#include "core/policy.h"
#include "pinning/proc-thread.h"

typedef struct Count {
        pid_t pid;
        cpu_set_t cpus;
        long samples, on_listed, seen, pinned, pinned_on_listed;
} Count;

static int sample(pid_t tid, const char *comm, void *userdata) {
        Count *c = userdata;
        char path[128], buf[1024];
        if (!migration_thread_name(comm))
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int) c->pid, (int) tid);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        /* fields after the ")" that closes comm; processor is field 39 */
        char *p = strrchr(buf, ')');
        int field = 2, cpu = -1;
        if (!p || p[1] != ' ' || p[2] != 'R')
                return 0;
        for (char *tok = p ? strtok(p + 1, " ") : NULL; tok; tok = strtok(NULL, " "))
                if (++field == 39) {
                        cpu = atoi(tok);
                        break;
                }
        if (cpu < 0)
                return 0;
        c->samples++;
        c->seen++;
        bool on = CPU_ISSET(cpu, &c->cpus);
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
        if (argc != 4)
                return 2;
        Count c = { .pid = atoi(argv[1]) };
        if (cpu_set_parse(argv[2], &c.cpus) < 0)
                return 2;
        long long limit = atoll(argv[3]) * 1000, idle = 0;
        for (long long ms = 0; ms < limit; ms++) {
                c.seen = 0;
                if (proc_threads_foreach("/proc", c.pid, sample, &c) < 0)
                        break;
                idle = c.seen ? 0 : idle + 1;
                if (c.samples > 0 && idle > 2000)
                        break;
                usleep(1000);
        }
        printf("%ld %ld %ld %ld\n", c.samples, c.on_listed, c.pinned, c.pinned_on_listed);
        return 0;
}
