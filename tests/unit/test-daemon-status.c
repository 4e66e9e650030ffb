/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/daemon-status.c: what migguardd leaves in
 * RUN_DIR/migguardd.status for `migguard status` survives the round trip,
 * is replaced atomically, and a missing, hostile or foreign file is told
 * apart from a status.
 */
#include <dirent.h>

#include "core/daemon-status.h"
#include "tests.h"

TEST(round_trip) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/" DAEMON_STATUS_NAME, dir);
        DaemonStatus s = { .policy_file = (char *) "/etc/migguard/migguard.conf",
                           .policy_loaded = 1700000000,
                           .reload_failed = 1700000123,
                           .reload_error = (char *) "/etc/migguard/policy.d/x.conf:3: unknown key \"foo\"" },
                     l = { 0 };
        struct stat st;

        ASSERT_OK(daemon_status_save(dir, &s));
        ASSERT_SYS(stat(path, &st));
        ASSERT_EQ(st.st_mode & 07777, 0644); /* `migguard status` runs unprivileged */
        ASSERT_OK(daemon_status_load(dir, &l));
        ASSERT_STREQ(l.policy_file, s.policy_file);
        ASSERT_EQ(l.policy_loaded, 1700000000);
        ASSERT_EQ(l.reload_failed, 1700000123);
        ASSERT_STREQ(l.reload_error, s.reload_error);
        daemon_status_done(&l);
        ASSERT_NULL(l.policy_file);
        ASSERT_NULL(l.reload_error);
        daemon_status_done(&l); /* twice is fine */

        /* a later good reload replaces the whole file: the old error is gone */
        DaemonStatus ok = { .policy_file = (char *) "/etc/migguard/migguard.conf", .policy_loaded = 1700000200 };
        ASSERT_OK(daemon_status_save(dir, &ok));
        ASSERT_OK(daemon_status_load(dir, &l));
        ASSERT_EQ(l.policy_loaded, 1700000200);
        ASSERT_EQ(l.reload_failed, 0);
        ASSERT_NULL(l.reload_error);
        daemon_status_done(&l);

        /* no temporary file left beside it */
        DIR *d = opendir(dir);
        ASSERT_NOT_NULL(d);
        size_t n = 0;
        for (struct dirent *de; (de = readdir(d));)
                n += de->d_name[0] != '.';
        closedir(d);
        ASSERT_EQ(n, 1);
}

TEST(missing) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *nodir = tests_strdupf("%s/not/there", dir);
        DaemonStatus l = { .policy_loaded = 42 };
        ASSERT_ERR(daemon_status_load(dir, &l), -ENOENT);
        ASSERT_ERR(daemon_status_load(nodir, &l), -ENOENT);
        ASSERT_EQ(l.policy_loaded, 42); /* untouched on failure */
        ASSERT_NULL(l.policy_file);
        /* saving does not create the run directory: migguardd's lock did */
        DaemonStatus s = { .policy_file = (char *) "/x" };
        ASSERT_ERR(daemon_status_save(nodir, &s), -ENOENT);
}

TEST(garbage) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/" DAEMON_STATUS_NAME, dir),
                            *other = tests_strdupf("%s/other", dir);
        static const char *const bad[] = { "", "garbage", "{", "[]", "\"text\"", "42", "null" };
        DaemonStatus l = { .policy_loaded = 42 };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                tests_write_file(path, bad[i]);
                int r = daemon_status_load(dir, &l);
                if (r != -EBADMSG)
                        TEST_FAIL("status \"%s\": expected -EBADMSG, got %d", bad[i], r);
                ASSERT_EQ(l.policy_loaded, 42);
        }

        /* fields of the wrong type are left out, not misread */
        tests_write_file(path, "{\"policy-file\":7,\"policy-loaded\":\"soon\",\"reload-failed\":3,"
                               "\"reload-error\":[1],\"unknown\":true}");
        ASSERT_OK(daemon_status_load(dir, &l));
        ASSERT_NULL(l.policy_file);
        ASSERT_EQ(l.policy_loaded, 0);
        ASSERT_EQ(l.reload_failed, 3);
        ASSERT_NULL(l.reload_error);
        daemon_status_done(&l);

        /* larger than any status: refused, not read whole */
        ASSERT_SYS(truncate(path, 64 * 1024 * 1024));
        ASSERT_TRUE(daemon_status_load(dir, &l) < 0);
        ASSERT_SYS(unlink(path));

        /* not a regular file, or a symlink */
        ASSERT_SYS(mkdir(path, 0755));
        ASSERT_ERR(daemon_status_load(dir, &l), -EBADMSG);
        ASSERT_SYS(rmdir(path));
        tests_write_file(other, "{\"policy-file\":\"/elsewhere\"}");
        ASSERT_SYS(symlink(other, path));
        ASSERT_ERR(daemon_status_load(dir, &l), -ELOOP);
}

int main(void) {
        RUN(round_trip);
        RUN(missing);
        RUN(garbage);
        return tests_done();
}
