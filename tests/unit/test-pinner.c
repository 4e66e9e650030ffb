/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for pinning/pinner.c against a fixture /proc and /sys tree.
 * This process plays the QEMU of a registered domain: its helper threads
 * are real (so a placement is a real sched_setaffinity(), checked with
 * sched_getaffinity()), while the names and allowed CPUs the Pinner reads
 * come from the fixture.  Covered: housekeeping = online minus vCPU pins
 * (or [pinning] cpus), a migration thread placed and reported once, a
 * vCPU thread and foreign processes never touched, "no housekeeping"
 * reported when every CPU is pinned, a cpuset cgroup that refuses, and
 * pinning switched off.
 */
#include <pthread.h>
#include <sys/prctl.h>

#include "basic/cpu-set.h"
#include "basic/path-util.h"
#include "pinning/pinner.h"
#include "tests.h"

/* ---- real threads, named like QEMU's ---- */

typedef struct Thread {
        const char *name;
        pthread_t handle;
        pid_t tid;
} Thread;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int started, stop;

static void *thread_main(void *arg) {
        Thread *t = arg;
        ASSERT_SYS(prctl(PR_SET_NAME, t->name));
        pthread_mutex_lock(&lock);
        t->tid = (pid_t) syscall(SYS_gettid);
        started++;
        pthread_cond_broadcast(&cond);
        while (!stop)
                pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);
        return NULL;
}

static void threads_start(Thread *t, size_t n) {
        started = stop = 0;
        for (size_t i = 0; i < n; i++)
                ASSERT_EQ(pthread_create(&t[i].handle, NULL, thread_main, &t[i]), 0);
        pthread_mutex_lock(&lock);
        while (started < (int) n)
                pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);
}

static void threads_stop(Thread *t, size_t n) {
        pthread_mutex_lock(&lock);
        stop = 1;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
        for (size_t i = 0; i < n; i++)
                ASSERT_EQ(pthread_join(t[i].handle, NULL), 0);
}

static cpu_set_t affinity_of(pid_t tid) {
        cpu_set_t s;
        ASSERT_SYS(sched_getaffinity(tid, sizeof(s), &s));
        return s;
}

static cpu_set_t cpus(const char *list) {
        cpu_set_t s;
        CPU_ZERO(&s);
        if (*list)
                ASSERT_OK(cpu_set_parse(list, &s));
        return s;
}

/* ---- the fixture tree ---- */

typedef struct Fixture {
        char *root, *proc, *sys;
} Fixture;

static void put(const char *path, const char *text) {
        _cleanup_free_ char *dir = strdup(path);
        ASSERT_NOT_NULL(dir);
        *strrchr(dir, '/') = 0;
        ASSERT_OK(mkdir_p(dir, 0755));
        tests_write_file(path, text);
}

static void fixture_init(Fixture *f, const char *online) {
        f->root = tests_mkdtemp();
        f->proc = tests_strdupf("%s/proc", f->root);
        f->sys = tests_strdupf("%s/sys", f->root);
        _cleanup_free_ char *path = tests_strdupf("%s/devices/system/cpu/online", f->sys),
                            *text = tests_strdupf("%s\n", online);
        put(path, text);
        ASSERT_OK(mkdir_p(f->proc, 0755));
}

static void fixture_done(Fixture *f) {
        tests_rm_rf(f->root);
        free(f->root);
        free(f->proc);
        free(f->sys);
}
#define _cleanup_fixture_ _cleanup_(fixture_done)

/* Thread @tid of process @pid, as the fixture's /proc shows it. */
static void fake_thread(const Fixture *f, pid_t pid, pid_t tid, const char *comm, const char *allowed) {
        _cleanup_free_ char *c = tests_strdupf("%s/%d/task/%d/comm", f->proc, (int) pid, (int) tid),
                            *s = tests_strdupf("%s/%d/task/%d/status", f->proc, (int) pid, (int) tid),
                            *ct = tests_strdupf("%s\n", comm),
                            *st = tests_strdupf("Name:\t%s\nState:\tS (sleeping)\nCpus_allowed_list:\t%s\n", comm,
                                                allowed);
        put(c, ct);
        put(s, st);
}

/* ---- what the Pinner reports ---- */

typedef struct Seen {
        PinEvent event;
        char domain[64], comm[32], cpus[64], cgroup[128];
        pid_t tid;
        bool has_cgroup;
} Seen;

typedef struct Reports {
        Seen r[16];
        size_t n;
} Reports;

static void collect(const PinReport *r, void *userdata) {
        Reports *rs = userdata;
        if (rs->n >= ELEMENTSOF(rs->r))
                TEST_FAIL("too many reports");
        Seen *s = &rs->r[rs->n++];
        *s = (Seen){ .event = r->event, .tid = r->tid, .has_cgroup = r->cgroup != NULL };
        snprintf(s->domain, sizeof(s->domain), "%s", strna(r->domain));
        snprintf(s->comm, sizeof(s->comm), "%s", strna(r->comm));
        snprintf(s->cpus, sizeof(s->cpus), "%s", strna(r->cpus));
        if (r->cgroup)
                snprintf(s->cgroup, sizeof(s->cgroup), "%s", r->cgroup);
}

static Pinner *pinner(const Fixture *f, Reports *rs, const char *vcpu_pins) {
        Pinner *p = NULL;
        PinDomain dom = { .pid = getpid(), .name = "vm1" };
        cpu_set_t pins = cpus(vcpu_pins);
        ASSERT_OK(pinner_new(f->proc, f->sys, &p));
        pinner_set_reporter(p, collect, rs);
        pinner_configure(p, true, NULL);
        pinner_set_domains(p, &dom, 1, &pins);
        return p;
}

static void assert_housekeeping(const Pinner *p, const char *want) {
        cpu_set_t s;
        char buf[256];
        ASSERT_EQ(pinner_housekeeping(p, &s), *want != 0);
        ASSERT_OK(cpu_set_format(&s, buf, sizeof(buf)));
        ASSERT_STREQ(buf, want);
}

TEST(housekeeping) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "0-7");
        Reports rs = { 0 };
        _cleanup_(pinner_freep) Pinner *p = pinner(&f, &rs, "2-3,6");
        PinDomain dom = { .pid = 1, .name = "x" };
        cpu_set_t s;

        assert_housekeeping(p, "0-1,4-5,7"); /* online minus every vCPU pin */
        s = cpus("");
        pinner_set_domains(p, &dom, 1, &s);
        assert_housekeeping(p, "0-7");
        s = cpus("0-7");
        pinner_set_domains(p, &dom, 1, &s);
        assert_housekeeping(p, ""); /* every CPU carries a vCPU */
        s = cpus("5-9,100");        /* pins on CPUs that are not online do not add any */
        pinner_set_domains(p, &dom, 1, &s);
        assert_housekeeping(p, "0-4");

        /* [pinning] cpus: exactly those, whatever the vCPU pins */
        cpu_set_t fixed = cpus("1,3");
        pinner_configure(p, true, &fixed);
        assert_housekeeping(p, "1,3");
        s = cpus("0-7");
        pinner_set_domains(p, &dom, 1, &s);
        assert_housekeeping(p, "1,3");
        /* back to auto */
        pinner_configure(p, true, NULL);
        assert_housekeeping(p, "");

        /* no online file: no housekeeping CPUs known */
        _cleanup_(pinner_freep) Pinner *q = NULL;
        _cleanup_free_ char *nosys = tests_strdupf("%s/nosys", f.root);
        ASSERT_OK(pinner_new(f.proc, nosys, &q));
        pinner_configure(q, true, NULL);
        s = cpus("");
        pinner_set_domains(q, &dom, 1, &s);
        assert_housekeeping(q, "");
        pinner_free(NULL);
}

TEST(scan_places_migration_thread_once) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "0-1");
        Thread t[] = { { .name = "multifdsend_0" }, { .name = "CPU 0/KVM" }, { .name = "worker" } };
        cpu_set_t all = cpus("0-1");
        Reports rs = { 0 };

        threads_start(t, ELEMENTSOF(t));
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ASSERT_SYS(sched_setaffinity(t[i].tid, sizeof(all), &all));
        cpu_set_t main_before = affinity_of(getpid());
        fake_thread(&f, getpid(), getpid(), "qemu-system-x86", "0-1");
        fake_thread(&f, getpid(), t[0].tid, "multifdsend_0", "0-1");
        fake_thread(&f, getpid(), t[1].tid, "CPU 0/KVM", "0-1");
        fake_thread(&f, getpid(), t[2].tid, "worker", "0-1");

        _cleanup_(pinner_freep) Pinner *p = pinner(&f, &rs, "1");
        pinner_scan(p);

        ASSERT_EQ(rs.n, 1);
        ASSERT_EQ(rs.r[0].event, PIN_PLACED);
        ASSERT_EQ(rs.r[0].tid, t[0].tid);
        ASSERT_STREQ(rs.r[0].domain, "vm1");
        ASSERT_STREQ(rs.r[0].comm, "multifdsend_0");
        ASSERT_STREQ(rs.r[0].cpus, "0");
        ASSERT_FALSE(rs.r[0].has_cgroup);

        /* really moved: off the vCPU's CPU 1 */
        cpu_set_t now = affinity_of(t[0].tid), want = cpus("0");
        ASSERT_TRUE(CPU_EQUAL(&now, &want));
        /* a vCPU thread, another thread, QEMU's main thread: untouched */
        now = affinity_of(t[1].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &all));
        now = affinity_of(t[2].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &all));
        now = affinity_of(getpid());
        ASSERT_TRUE(CPU_EQUAL(&now, &main_before));

        /* seen again (scan, or the name event): reported once */
        pinner_scan(p);
        pinner_thread_named(p, getpid(), t[0].tid, "multifdsend_0", 0);
        ASSERT_EQ(rs.n, 1);

        threads_stop(t, ELEMENTSOF(t));
}

TEST(named_thread_events) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "0-1");
        Thread t[] = { { .name = "mig/src/main" }, { .name = "CPU 1/KVM" }, { .name = "mig/src/send_1" } };
        cpu_set_t all = cpus("0-1");
        Reports rs = { 0 };

        threads_start(t, ELEMENTSOF(t));
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ASSERT_SYS(sched_setaffinity(t[i].tid, sizeof(all), &all));
        fake_thread(&f, getpid(), t[0].tid, "mig/src/main", "0-1");
        _cleanup_(pinner_freep) Pinner *p = pinner(&f, &rs, "0");

        /* a vCPU thread naming itself is never touched */
        pinner_thread_named(p, getpid(), t[1].tid, "CPU 1/KVM", 0);
        ASSERT_EQ(rs.n, 0);
        cpu_set_t now = affinity_of(t[1].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &all));

        /* a migration thread of a process that is no domain's QEMU: neither */
        pinner_thread_named(p, 1, t[2].tid, "mig/src/send_1", 0);
        ASSERT_EQ(rs.n, 0);
        now = affinity_of(t[2].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &all));

        /* QEMU 9.1's name, as the proc connector tells it */
        pinner_thread_named(p, getpid(), t[0].tid, "mig/src/main", 0);
        ASSERT_EQ(rs.n, 1);
        ASSERT_EQ(rs.r[0].event, PIN_PLACED);
        ASSERT_EQ(rs.r[0].tid, t[0].tid);
        ASSERT_STREQ(rs.r[0].comm, "mig/src/main");
        ASSERT_STREQ(rs.r[0].cpus, "1");
        cpu_set_t want = cpus("1");
        now = affinity_of(t[0].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &want));

        threads_stop(t, ELEMENTSOF(t));
}

TEST(already_placed_left_alone) {
        /* the thread's allowed CPUs (as /proc says) are the housekeeping ones already */
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "0-1");
        Thread t[] = { { .name = "live_migration" } };
        cpu_set_t all = cpus("0-1");
        Reports rs = { 0 };

        threads_start(t, 1);
        ASSERT_SYS(sched_setaffinity(t[0].tid, sizeof(all), &all));
        fake_thread(&f, getpid(), t[0].tid, "live_migration", "0");
        _cleanup_(pinner_freep) Pinner *p = pinner(&f, &rs, "1");
        pinner_scan(p);
        ASSERT_EQ(rs.n, 0);
        cpu_set_t now = affinity_of(t[0].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &all)); /* no call was made */
        threads_stop(t, 1);
}

TEST(no_housekeeping) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "0-1");
        Thread t[] = { { .name = "multifdrecv_3" }, { .name = "return path" } };
        cpu_set_t all = cpus("0-1");
        Reports rs = { 0 };

        threads_start(t, ELEMENTSOF(t));
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ASSERT_SYS(sched_setaffinity(t[i].tid, sizeof(all), &all));
        fake_thread(&f, getpid(), t[0].tid, "multifdrecv_3", "0-1");
        fake_thread(&f, getpid(), t[1].tid, "return path", "0-1");
        _cleanup_(pinner_freep) Pinner *p = pinner(&f, &rs, "0-1"); /* every CPU carries a vCPU */

        pinner_scan(p);
        pinner_scan(p);
        ASSERT_EQ(rs.n, 2); /* each thread once */
        ASSERT_EQ(rs.r[0].event, PIN_NO_HOUSEKEEPING);
        ASSERT_EQ(rs.r[1].event, PIN_NO_HOUSEKEEPING);
        ASSERT_NE(rs.r[0].tid, rs.r[1].tid);
        ASSERT_TRUE(rs.r[0].tid == t[0].tid || rs.r[0].tid == t[1].tid);
        ASSERT_STREQ(rs.r[0].cpus, "");
        ASSERT_STREQ(rs.r[0].domain, "vm1");
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                cpu_set_t now = affinity_of(t[i].tid);
                ASSERT_TRUE(CPU_EQUAL(&now, &all)); /* left where they are */
        }
        threads_stop(t, ELEMENTSOF(t));
}

TEST(cgroup_refuses) {
        /* housekeeping CPUs the kernel will not give the thread (here: CPUs this host lacks) */
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "0-1");
        Thread t[] = { { .name = "multifdsend_1" }, { .name = "multifdsend_2" } };
        cpu_set_t all = cpus("0-1"), far = cpus("1000-1001");
        Reports rs = { 0 };

        threads_start(t, ELEMENTSOF(t));
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ASSERT_SYS(sched_setaffinity(t[i].tid, sizeof(all), &all));
        fake_thread(&f, getpid(), t[0].tid, "multifdsend_1", "0-1");
        _cleanup_free_ char *cg = tests_strdupf("%s/%d/task/%d/cpuset", f.proc, (int) getpid(), (int) t[0].tid);
        put(cg, "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator\n");

        _cleanup_(pinner_freep) Pinner *p = pinner(&f, &rs, "");
        pinner_configure(p, true, &far);
        pinner_thread_named(p, getpid(), t[0].tid, "multifdsend_1", 0);
        ASSERT_EQ(rs.n, 1);
        ASSERT_EQ(rs.r[0].event, PIN_CGROUP_REFUSED);
        ASSERT_STREQ(rs.r[0].cpus, "1000-1001");
        ASSERT_TRUE(rs.r[0].has_cgroup);
        ASSERT_STREQ(rs.r[0].cgroup, "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator");
        cpu_set_t now = affinity_of(t[0].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &all));

        /* no cpuset file to name the cgroup */
        pinner_thread_named(p, getpid(), t[1].tid, "multifdsend_2", 0);
        ASSERT_EQ(rs.n, 2);
        ASSERT_EQ(rs.r[1].event, PIN_CGROUP_REFUSED);
        ASSERT_STREQ(rs.r[1].cgroup, "(unknown)");
        threads_stop(t, ELEMENTSOF(t));
}

TEST(disabled) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "0-1");
        Thread t[] = { { .name = "multifdsend_0" } };
        cpu_set_t all = cpus("0-1");
        Reports rs = { 0 };

        threads_start(t, 1);
        ASSERT_SYS(sched_setaffinity(t[0].tid, sizeof(all), &all));
        fake_thread(&f, getpid(), t[0].tid, "multifdsend_0", "0-1");
        _cleanup_(pinner_freep) Pinner *p = pinner(&f, &rs, "1");
        pinner_configure(p, false, NULL);
        pinner_scan(p);
        pinner_thread_named(p, getpid(), t[0].tid, "multifdsend_0", 0);
        ASSERT_EQ(rs.n, 0);
        cpu_set_t now = affinity_of(t[0].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &all));

        /* switched on again (policy reload) */
        pinner_configure(p, true, NULL);
        pinner_scan(p);
        ASSERT_EQ(rs.n, 1);
        ASSERT_EQ(rs.r[0].event, PIN_PLACED);
        threads_stop(t, 1);
}

TEST(no_reporter) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "0-1");
        Thread t[] = { { .name = "multifdsend_0" } };
        cpu_set_t all = cpus("0-1"), want = cpus("0");

        threads_start(t, 1);
        ASSERT_SYS(sched_setaffinity(t[0].tid, sizeof(all), &all));
        fake_thread(&f, getpid(), t[0].tid, "multifdsend_0", "0-1");
        _cleanup_(pinner_freep) Pinner *p = pinner(&f, NULL, "1");
        pinner_set_reporter(p, NULL, NULL);
        pinner_scan(p); /* places, tells nobody */
        cpu_set_t now = affinity_of(t[0].tid);
        ASSERT_TRUE(CPU_EQUAL(&now, &want));
        threads_stop(t, 1);
}

static bool have_two_cpus(void) {
        cpu_set_t s = affinity_of(0), need = cpus("0-1");
        CPU_AND(&s, &s, &need);
        return CPU_COUNT(&s) == 2;
}

int main(void) {
        RUN(housekeeping);
        if (tests_requires("placement", have_two_cpus(), "CPUs 0 and 1 usable by this process")) {
                RUN(scan_places_migration_thread_once);
                RUN(named_thread_events);
                RUN(already_placed_left_alone);
                RUN(no_housekeeping);
                RUN(cgroup_refuses);
                RUN(disabled);
                RUN(no_reporter);
        }
        return tests_done();
}
