/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: how long a migration thread runs unpinned, i.e. from the
 * moment it is named (prctl, as QEMU does) to the moment its affinity is
 * changed, with the proc connector vs with migguardd's 20 ms /proc scan.
 * A child process plays QEMU: it starts threads one after another, each
 * names itself after one kind of QEMU migration thread in turn (both
 * naming schemes, see pinning/migration-thread.c) and spins until its
 * affinity changes.  The
 * parent plays migguardd with the same library calls.  Prints p50 / p99.
 *
 *   pin-latency [THREADS]      (root, initial network namespace)
 * Each synthetic migration thread runs at nice -5 (above the load, below
 * migguardd's event loop at -10), so that what it
 * measures is the placer's reaction and not the machine's load keeping it
 * from running.
 *
 *   pin-latency qemu THREADS   only the synthetic QEMU, for the real
 *                              migguardd: prints its pid, starts after a
 *                              line on stdin, then prints each thread's
 *                              kind and unpinned window in microseconds,
 *                              "KIND US" (a thread
 *                              counts as pinned once its affinity differs
 *                              from the process's at start)
 */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pinning/migration-thread.h"
#include "pinning/proc-connector.h"
#include "pinning/proc-thread.h"

#define SCAN_MS 20

static long long now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long *results;
static int threads_n;
static cpu_set_t target;
static bool any_change; /* qemu mode: pinned = affinity differs from start */
static cpu_set_t start_affinity;

/* every kind of thread a migration makes, as QEMU 7.2 - 9.0 and 9.1+ name them */
static const char *const kinds[] = {
        "live_migration", "multifdsend_",    "multifdrecv_",  "compress",     "decompress",
        "fault-default",  "postcopy/listen", "return path",   "mig/src/main", "mig/src/send_",
        "mig/dst/recv_",  "mig/src/tls",     "mig/dst/fault",
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static void *fake_migration_thread(void *arg) {
        int i = (int) (long) arg;
        const char *kind = kinds[(size_t) i % N_KINDS];
        char name[16];
        cpu_set_t now;
        /* channel numbers after the kinds that end in "_" */
        if (kind[strlen(kind) - 1] == '_')
                snprintf(name, sizeof(name), "%s%d", kind, i % 8);
        else
                snprintf(name, sizeof(name), "%s", kind);
        /* Above the load, below migguardd (-10): the time until it sees its new
         * affinity is then the placer's reaction, not how long the load on
         * the machine keeps this thread from looking. */
        (void) setpriority(PRIO_PROCESS, (id_t) gettid(), -5);
        long long t0 = now_ns();
        pthread_setname_np(pthread_self(), name);
        for (;;) {
                sched_getaffinity(0, sizeof(now), &now);
                if (any_change ? !CPU_EQUAL(&now, &start_affinity) : CPU_EQUAL(&now, &target))
                        break;
                if (now_ns() - t0 > 2000000000LL)
                        break;
        }
        results[i] = now_ns() - t0;
        return NULL;
}

static void play_qemu(void) {
        for (int i = 0; i < threads_n; i++) {
                pthread_t t;
                pthread_create(&t, NULL, fake_migration_thread, (void *) (long) i);
                pthread_join(t, NULL);
                usleep(3000 + (unsigned) (rand() % 17000)); /* land anywhere in the scan period */
        }
}

static void place(pid_t tgid, pid_t tid, const char *comm, uint64_t named_ns __attribute__((unused)), void *userdata) {
        pid_t *child = userdata;
        if (tgid == *child && migration_thread_name(comm))
                sched_setaffinity(tid, sizeof(target), &target);
}

static int scan_visit(pid_t tid, const char *comm, void *userdata) {
        place(*(pid_t *) userdata, tid, comm, 0, userdata);
        return 0;
}

static int cmp(const void *a, const void *b) {
        long long x = *(const long long *) a, y = *(const long long *) b;
        return (x > y) - (x < y);
}

static int run(bool connector, long long *p50, long long *p99) {
        int fd = -1;
        memset(results, 0, sizeof(long long) * (size_t) threads_n);
        bool filtered;
        if (connector && (fd = proc_connector_open(&filtered)) < 0)
                return fd;
        pid_t child = fork();
        if (child == 0) {
                play_qemu();
                _exit(0);
        }
        for (;;) {
                int st;
                if (waitpid(child, &st, WNOHANG) == child)
                        break;
                if (connector) {
                        struct pollfd p = { fd, POLLIN, 0 };
                        if (poll(&p, 1, 50) > 0)
                                proc_connector_dispatch(fd, place, &child);
                } else {
                        proc_threads_foreach("/proc", child, scan_visit, &child);
                        usleep(SCAN_MS * 1000);
                }
        }
        if (fd >= 0)
                close(fd);
        qsort(results, (size_t) threads_n, sizeof(long long), cmp);
        *p50 = results[threads_n / 2];
        *p99 = results[(threads_n * 99) / 100 >= threads_n ? threads_n - 1 : (threads_n * 99) / 100];
        return 0;
}

static int qemu_mode(int n) {
        char line[16];
        threads_n = n;
        any_change = true;
        results = calloc((size_t) n, sizeof(long long));
        if (!results || sched_getaffinity(0, sizeof(start_affinity), &start_affinity) < 0)
                return 1;
        printf("%d\n", (int) getpid());
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                return 1;
        srand(1);
        play_qemu();
        for (int i = 0; i < n; i++) {
                const char *kind = kinds[(size_t) i % N_KINDS];
                printf("%s%s %lld\n", kind, kind[strlen(kind) - 1] == '_' ? "N" : "", results[i] / 1000);
        }
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc > 2 && strcmp(argv[1], "qemu") == 0)
                return qemu_mode(atoi(argv[2]));
        threads_n = argc > 1 ? atoi(argv[1]) : 200;
        if (threads_n < 10)
                return 2;
        results = mmap(NULL, sizeof(long long) * (size_t) threads_n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
        if (results == MAP_FAILED)
                return 1;
        CPU_ZERO(&target);
        CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &target);
        srand(1);

        long long c50 = 0, c99 = 0, s50, s99;
        int rc = run(true, &c50, &c99);
        run(false, &s50, &s99);
        printf("unpinned window of a migration thread, %d threads each (microseconds)\n", threads_n);
        printf("%-30s %10s %10s %12s\n", "method", "p50", "p99", "p50 / scan");
        printf("%-30s %10lld %10lld %12.1f\n", "/proc scan every 20 ms", s50 / 1000, s99 / 1000, 1.0);
        if (rc < 0)
                printf("%-30s %s\n", "proc connector", strerror(-rc));
        else
                printf("%-30s %10lld %10lld %12.3f\n", "proc connector", c50 / 1000, c99 / 1000,
                       (double) c50 / (double) (s50 ? s50 : 1));
        return 0;
}
