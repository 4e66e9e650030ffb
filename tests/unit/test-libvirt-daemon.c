/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/libvirt-daemon.c and lib/core/hook-load.c
 * against a fake /proc and /run: which daemon serves qemu, when it
 * started, the QEMU pid of a domain from libvirt's pid file, and whether
 * this very instance recorded loading migguard's hook.
 */
#include "core/hook-load.h"
#include "basic/path-util.h"
#include "core/libvirt-daemon.h"
#include "tests.h"

/* A process PID named COMM that started TICKS clock ticks after boot. */
static void fake_process(const char *proc, int pid, const char *comm, unsigned long long ticks) {
        _cleanup_free_ char *dir = tests_strdupf("%s/%d", proc, pid), *c = tests_strdupf("%s/comm", dir),
                            *st = tests_strdupf("%s/stat", dir), *line = NULL;
        ASSERT_SYS(mkdir(dir, 0755));
        line = tests_strdupf("%s\n", comm);
        tests_write_file(c, line);
        free(line);
        /* a comm with spaces and parentheses must not shift the fields */
        line = tests_strdupf("%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 17 0 %llu 1000000 100 "
                             "18446744073709551615\n",
                             pid, comm, pid, pid, ticks);
        tests_write_file(st, line);
}

static void fake_tree(char **ret_proc, char **ret_run, const char *dir) {
        *ret_proc = tests_strdupf("%s/proc", dir);
        *ret_run = tests_strdupf("%s/run", dir);
        _cleanup_free_ char *stat = tests_strdupf("%s/stat", *ret_proc), *lv = tests_strdupf("%s/libvirt", *ret_run);
        ASSERT_SYS(mkdir(*ret_proc, 0755));
        ASSERT_SYS(mkdir(*ret_run, 0755));
        ASSERT_SYS(mkdir(lv, 0755));
        tests_write_file(stat, "cpu  1 2 3 4\nbtime 1700000000\nprocesses 5\n");
}

TEST(find_prefers_running_virtqemud) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *proc = NULL, *run = NULL, *pf = NULL;
        fake_tree(&proc, &run, dir);
        LibvirtDaemon d;

        ASSERT_ERR(libvirt_daemon_find(run, proc, &d), -ESRCH); /* nothing runs */

        fake_process(proc, 400, "libvirtd", 250);
        pf = tests_strdupf("%s/libvirt/libvirtd.pid", run);
        tests_write_file(pf, "400\n");
        ASSERT_OK(libvirt_daemon_find(run, proc, &d));
        ASSERT_STREQ(d.name, "libvirtd");
        ASSERT_EQ(d.pid, 400);
        ASSERT_EQ(d.start_ticks, 250);
        ASSERT_EQ(d.started, 1700000000 + 250 / sysconf(_SC_CLK_TCK));

        /* a stale virtqemud.pid naming another program is not believed */
        fake_process(proc, 500, "bash", 10);
        free(pf);
        pf = tests_strdupf("%s/libvirt/virtqemud.pid", run);
        tests_write_file(pf, "500\n");
        ASSERT_OK(libvirt_daemon_find(run, proc, &d));
        ASSERT_STREQ(d.name, "libvirtd");

        fake_process(proc, 600, "virtqemud", 900);
        ASSERT_SYS(unlink(pf));
        free(pf);
        pf = tests_strdupf("%s/virtqemud.pid", run); /* libvirt's default place */
        tests_write_file(pf, "600\n");
        ASSERT_OK(libvirt_daemon_find(run, proc, &d));
        ASSERT_STREQ(d.name, "virtqemud");
        ASSERT_EQ(d.pid, 600);

        ASSERT_ERR(libvirt_daemon_from_pid(proc, 500, &d), -ESRCH);
        ASSERT_ERR(libvirt_daemon_from_pid(proc, 999, &d), -ESRCH);
}

TEST(socket_activated) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *proc = NULL, *run = NULL, *plain = NULL, *lsock = NULL, *qsock = NULL;
        char name[16], path[256];
        fake_tree(&proc, &run, dir);

        ASSERT_ERR(libvirt_daemon_socket(run, name, path, sizeof(path)), -ENOENT);
        /* a regular file of that name is not a socket */
        plain = tests_strdupf("%s/libvirt/libvirt-sock", run);
        tests_write_file(plain, "");
        ASSERT_ERR(libvirt_daemon_socket(run, name, path, sizeof(path)), -ENOENT);
        ASSERT_SYS(unlink(plain));

        lsock = tests_strdupf("%s/libvirt/libvirt-sock", run);
        ASSERT_SYS(mknod(lsock, S_IFSOCK | 0600, 0));
        ASSERT_OK(libvirt_daemon_socket(run, name, path, sizeof(path)));
        ASSERT_STREQ(name, "libvirtd");
        ASSERT_STREQ(path, lsock);

        /* modular daemons: virtqemud's socket is the one qemu:///system uses */
        qsock = tests_strdupf("%s/libvirt/virtqemud-sock", run);
        ASSERT_SYS(mknod(qsock, S_IFSOCK | 0600, 0));
        ASSERT_OK(libvirt_daemon_socket(run, name, path, sizeof(path)));
        ASSERT_STREQ(name, "virtqemud");
        ASSERT_STREQ(path, qsock);

        ASSERT_ERR(libvirt_daemon_socket(run, name, path, 8), -ENAMETOOLONG);
}

TEST(qemu_pid) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *run = tests_strdupf("%s/run", dir), *qdir = tests_strdupf("%s/libvirt/qemu", run),
                            *pf = tests_strdupf("%s/vm1.pid", qdir),
                            *dotted = tests_strdupf("%s/vm.with.dots.pid", qdir),
                            *link = tests_strdupf("%s/linked.pid", qdir);
        pid_t pid = 0;

        ASSERT_OK(mkdir_p(qdir, 0755));
        ASSERT_ERR(libvirt_qemu_pid(run, "vm1", &pid), -ENOENT); /* not running */

        tests_write_file(pf, "12345\n");
        ASSERT_OK(libvirt_qemu_pid(run, "vm1", &pid));
        ASSERT_EQ(pid, 12345);
        tests_write_file(dotted, "777");
        ASSERT_OK(libvirt_qemu_pid(run, "vm.with.dots", &pid));
        ASSERT_EQ(pid, 777);

        /* pid 1 (or 0, or junk) is never a QEMU */
        static const struct {
                const char *text;
                int error;
        } bad[] = { { "1\n", -EBADMSG }, { "0", -EBADMSG }, { "x", -EBADMSG }, { "", -ENODATA } };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                tests_write_file(pf, bad[i].text);
                ASSERT_ERR(libvirt_qemu_pid(run, "vm1", &pid), bad[i].error);
        }
        ASSERT_EQ(pid, 777); /* untouched on failure */

        /* a domain name never leaves libvirt's directory */
        ASSERT_ERR(libvirt_qemu_pid(run, "a/b", &pid), -EINVAL);
        ASSERT_ERR(libvirt_qemu_pid(run, "../../vm1", &pid), -EINVAL);
        /* and a symlinked pid file is not believed */
        tests_write_file(pf, "4242\n");
        ASSERT_SYS(symlink(pf, link));
        ASSERT_ERR(libvirt_qemu_pid(run, "linked", &pid), -ELOOP);

        /* a name too long for a path */
        char name[600];
        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = 0;
        ASSERT_ERR(libvirt_qemu_pid(run, name, &pid), -ENAMETOOLONG);
        ASSERT_EQ(pid, 777);
}

TEST(hook_load_is_per_instance) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *rundir = tests_strdupf("%s/run/migguard", dir);
        LibvirtDaemon d = { .name = "libvirtd", .pid = 42, .start_ticks = 1000 }, later = d;
        time_t when = 0;

        ASSERT_EQ(hook_load_seen(rundir, &d, &when), 0); /* never loaded */
        ASSERT_OK(hook_load_record(rundir, &d));
        ASSERT_EQ(hook_load_seen(rundir, &d, &when), 1);
        ASSERT_TRUE(when > 0);

        later.start_ticks = 2000; /* restarted, same pid reused */
        ASSERT_EQ(hook_load_seen(rundir, &later, &when), 0);
        LibvirtDaemon other = { .name = "virtqemud", .pid = 42, .start_ticks = 1000 };
        ASSERT_EQ(hook_load_seen(rundir, &other, &when), 0);
}

int main(void) {
        RUN(find_prefers_running_virtqemud);
        RUN(socket_activated);
        RUN(qemu_pid);
        RUN(hook_load_is_per_instance);
        return tests_done();
}
