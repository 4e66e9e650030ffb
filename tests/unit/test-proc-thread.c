/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for pinning/migration-thread.c, pinning/proc-thread.c and
 * pinning/proc-connector.c: names of both QEMU generations, a fixture
 * /proc tree, and this process naming its own threads like QEMU 7.2 and
 * QEMU 9.1+ do.  (CPU lists: test-cpu-set.c; placement: test-pinner.c.)
 */
#include "tests.h"

#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>

#include "pinning/migration-thread.h"
#include "pinning/proc-connector.h"
#include "pinning/proc-thread.h"

TEST(names) {
        /* QEMU 7.2 - 9.0 and 9.1+ (see pinning/migration-thread.c) */
        const char *yes[] = { "live_migration",  "return path",    "multifdsend_0", "multifdsend_15", "multifdrecv_3",
                              "compress",        "decompress",     "fault-default", "fault-fast",     "postcopy/listen",
                              "bg_snapshot",     "COLO incoming",  "get_dirtyrate", "mig/src/main",   "mig/src/send_2",
                              "mig/src/return",  "mig/src/rp-thr", "mig/src/tls",   "mig/dst/recv_0", "mig/dst/fault",
                              "mig/dst/preempt", "mig/dst/listen", "mig/dirtyrate", "mig/snapshot" };
        const char *no[] = { "CPU 0/TCG", "CPU 1/KVM",      "qemu-system-x86", "IO mon_iothread",
                             "worker",    "vnc_worker",     "migration",       "",
                             "mig",       "io-task-worker", "pool-qemu-syste", "pool-3",
                             "call_rcu",  "compress2",      "decompress_0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                ASSERT_TRUE(migration_thread_name(yes[i]));
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                ASSERT_FALSE(migration_thread_name(no[i]));
        ASSERT_FALSE(migration_thread_name(NULL));
}

static void put(const char *dir, const char *rel, const char *content) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        FILE *f = fopen(path, "we");
        ASSERT_NOT_NULL(f);
        fputs(content, f);
        fclose(f);
}

typedef struct Seen {
        int n;
        int migration;
} Seen;

static int count(pid_t tid, const char *comm, void *userdata) {
        Seen *s = userdata;
        s->n++;
        s->migration += migration_thread_name(comm);
        return 0;
}

TEST(fixture_tree) {
        char *root = tests_mkdtemp(), path[512];
        const char *dirs[] = { "4242", "4242/task", "4242/task/4242", "4242/task/4243", "4242/task/4250" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
                ASSERT_SYS(mkdir(path, 0755));
        }
        put(root, "4242/task/4242/comm", "qemu-system-x86\n");
        put(root, "4242/task/4243/comm", "CPU 0/TCG\n");
        put(root, "4242/task/4250/comm", "mig/src/main\n");
        put(root, "4242/task/4250/status", "Name:\tmig/src/main\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n");

        Seen s = { 0 };
        ASSERT_OK(proc_threads_foreach(root, 4242, count, &s));
        ASSERT_EQ(s.n, 3);
        ASSERT_EQ(s.migration, 1);
        cpu_set_t set;
        ASSERT_OK(proc_thread_allowed(root, 4242, 4250, &set));
        ASSERT_EQ(CPU_COUNT(&set), 2);
        ASSERT_TRUE(CPU_ISSET(0, &set) && CPU_ISSET(1, &set));
        ASSERT_ERR(proc_thread_allowed(root, 4242, 4243, &set), -ENOENT); /* no status file */
        put(root, "4242/task/4243/status", "Name:\tCPU 0/TCG\nCpus_allowed:\t3\n");
        ASSERT_ERR(proc_thread_allowed(root, 4242, 4243, &set), -ENOENT); /* no Cpus_allowed_list */
        put(root, "4242/task/4243/status", "Cpus_allowed_list:\tnonsense\n");
        ASSERT_ERR(proc_thread_allowed(root, 4242, 4243, &set), -EINVAL);

        char comm[64];
        ASSERT_OK(proc_thread_comm(root, 4242, 4250, comm, sizeof(comm)));
        ASSERT_STREQ(comm, "mig/src/main");
        ASSERT_ERR(proc_threads_foreach(root, 999, count, &s), -ENOENT);
        tests_rm_rf(root);
        free(root);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int named, stop;

static void *named_thread(void *name) {
        pthread_setname_np(pthread_self(), name);
        pthread_mutex_lock(&lock);
        named++;
        pthread_cond_broadcast(&cond);
        while (!stop)
                pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);
        return NULL;
}

typedef struct Placed {
        int migration;
        pid_t tid;
} Placed;

static int pin_migration(pid_t tid, const char *comm, void *userdata) {
        Placed *p = userdata;
        if (!migration_thread_name(comm))
                return 0;
        p->migration++;
        p->tid = tid;
        return 0;
}

/* This process plays QEMU: threads named like 7.2 and like 9.1+. */
TEST(real_threads_like_qemu) {
        const char *names[] = { "live_migration", "multifdsend_0", "mig/src/send_1", "CPU 0/TCG" };
        pthread_t t[ELEMENTSOF(names)];
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                ASSERT_EQ(pthread_create(&t[i], NULL, named_thread, (void *) names[i]), 0);
        pthread_mutex_lock(&lock);
        while (named < (int) ELEMENTSOF(names))
                pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);

        Placed p = { 0 };
        ASSERT_OK(proc_threads_foreach("/proc", getpid(), pin_migration, &p));
        ASSERT_EQ(p.migration, 3);

        cpu_set_t one, now;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        ASSERT_SYS(sched_setaffinity(p.tid, sizeof(one), &one));
        ASSERT_OK(proc_thread_allowed("/proc", getpid(), p.tid, &now));
        ASSERT_TRUE(CPU_EQUAL(&now, &one));

        pthread_mutex_lock(&lock);
        stop = 1;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                pthread_join(t[i], NULL);
}

typedef struct CommSeen {
        pid_t tid;
        uint64_t named_ns;
} CommSeen;

static void saw_comm(pid_t tgid, pid_t tid, const char *comm, uint64_t named_ns, void *userdata) {
        CommSeen *seen = userdata;
        if (tgid == getpid() && streq(comm, "mig/src/main"))
                *seen = (CommSeen){ tid, named_ns };
}

static void *rename_self(void *arg) {
        pthread_setname_np(pthread_self(), "mig/src/main");
        return NULL;
}

/* PROC_EVENT_COMM arrives for a thread of this process naming itself. */
TEST(proc_connector) {
        bool filtered = false;
        int fd = proc_connector_open(&filtered);
        if (!tests_requires("proc_connector", fd >= 0, "root in the initial network namespace"))
                return;
        pthread_t t;
        CommSeen seen = { 0 };
        struct timespec before, after;
        clock_gettime(CLOCK_MONOTONIC, &before);
        ASSERT_EQ(pthread_create(&t, NULL, rename_self, NULL), 0);
        pthread_join(t, NULL);
        for (int i = 0; i < 100 && !seen.tid; i++) {
                struct pollfd p = { fd, POLLIN, 0 };
                if (poll(&p, 1, 10) > 0)
                        ASSERT_OK(proc_connector_dispatch(fd, saw_comm, &seen));
        }
        clock_gettime(CLOCK_MONOTONIC, &after);
        ASSERT_TRUE(seen.tid > 0);
        printf("# proc connector: %s\n", filtered ? "name changes only" : "every process event");
        /* the kernel's event time, on CLOCK_MONOTONIC */
        ASSERT_TRUE(seen.named_ns >= (uint64_t) before.tv_sec * 1000000000u + (uint64_t) before.tv_nsec);
        ASSERT_TRUE(seen.named_ns <= (uint64_t) after.tv_sec * 1000000000u + (uint64_t) after.tv_nsec);
        close(fd);
}

int main(void) {
        RUN(names);
        RUN(fixture_tree);
        RUN(real_threads_like_qemu);
        if (geteuid() == 0)
                RUN(proc_connector);
        return tests_done();
}
