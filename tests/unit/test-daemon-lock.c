/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/daemon-lock.c.  flock() locks belong to the open file
 * description, so a second open() in this same process really conflicts
 * with the first: one process can play daemon and hook.
 */
#include "core/daemon-lock.h"
#include "tests.h"

TEST(not_running) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *missing = tests_strdupf("%s/not/there", dir);
        ASSERT_EQ(daemon_lock_is_held(dir), 0);     /* no lock file */
        ASSERT_EQ(daemon_lock_is_held(missing), 0); /* no directory */
}

TEST(acquire_release) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *run = tests_strdupf("%s/run/migguard", dir),
                            *lock = tests_strdupf("%s/run/migguard/" DAEMON_LOCK_NAME, dir);
        int fd = -1, fd2 = -1;

        ASSERT_OK(daemon_lock_acquire(run, &fd)); /* creates the directory */
        ASSERT_TRUE(fd >= 0);
        ASSERT_SYS(access(lock, F_OK));
        ASSERT_EQ(daemon_lock_is_held(run), 1);
        ASSERT_EQ(daemon_lock_is_held(run), 1); /* asking does not steal it */

        pid_t pid = 0;
        ASSERT_OK(daemon_lock_read_pid(run, &pid)); /* for `migguard status` */
        ASSERT_EQ(pid, getpid());

        ASSERT_ERR(daemon_lock_acquire(run, &fd2), -EBUSY);
        ASSERT_EQ(fd2, -1);
        ASSERT_OK(daemon_lock_read_pid(run, &pid)); /* the loser did not overwrite it */
        ASSERT_EQ(pid, getpid());

        ASSERT_SYS(close(fd));
        ASSERT_EQ(daemon_lock_is_held(run), 0);

        /* a later daemon gets it again */
        ASSERT_OK(daemon_lock_acquire(run, &fd2));
        ASSERT_EQ(daemon_lock_is_held(run), 1);
        ASSERT_SYS(close(fd2));
        ASSERT_EQ(daemon_lock_is_held(run), 0);
}

TEST(symlinked_lock_file) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *lock = tests_strdupf("%s/" DAEMON_LOCK_NAME, dir),
                            *target = tests_strdupf("%s/target", dir);
        int fd = -1;
        tests_write_file(target, "");
        ASSERT_SYS(symlink(target, lock));
        ASSERT_ERR(daemon_lock_acquire(dir, &fd), -ELOOP);
        ASSERT_ERR(daemon_lock_is_held(dir), -ELOOP);
}

int main(void) {
        RUN(not_running);
        RUN(acquire_release);
        RUN(symlinked_lock_file);
        return tests_done();
}
