/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/basic/spawn-util.c: output capture, exit status, the
 * deadline (a child that runs too long is killed, not waited for; one
 * already passed still runs nothing for long), the output cap, the fixed
 * PATH and the cleared environment.
 */
#include "basic/spawn-util.h"
#include "basic/time-util.h"
#include "tests.h"

static long long now_ms(void) {
        return (long long) (now_usec(CLOCK_MONOTONIC) / USEC_PER_MSEC);
}

TEST(capture) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "printf 'out\\n'; printf 'err' >&2; exit 3", NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, deadline_in(10 * USEC_PER_SEC), &r));
        ASSERT_EQ(r.exit_status, 3);
        ASSERT_STREQ(r.out, "out\n");
        ASSERT_STREQ(r.err, "err");
        spawn_result_done(&r);
        ASSERT_NULL(r.out);
        ASSERT_NULL(r.err);
        spawn_result_done(&r); /* twice is fine */
}

TEST(no_output) {
        char *argv[] = { (char *) "true", NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, deadline_in(10 * USEC_PER_SEC), &r));
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.out);
        ASSERT_NULL(r.err);
        spawn_result_done(&r);
}

TEST(large_output) {
        /* more than a pipe buffer on both streams at once: no deadlock */
        char *argv[] = { (char *) "sh", (char *) "-c",
                         (char *) "head -c 300000 /dev/zero | tr '\\0' a; head -c 200000 /dev/zero | tr '\\0' b >&2",
                         NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, deadline_in(20 * USEC_PER_SEC), &r));
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_EQ(strlen(r.out), 300000);
        ASSERT_EQ(strlen(r.err), 200000);
        ASSERT_EQ(strspn(r.out, "a"), 300000);
        spawn_result_done(&r);
}

TEST(output_cap) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "head -c 2000000 /dev/zero; exec sleep 5", NULL };
        SpawnResult r = { 0 };
        long long t0 = now_ms();
        ASSERT_ERR(spawn_run(argv, deadline_in(20 * USEC_PER_SEC), &r), -EFBIG);
        ASSERT_TRUE(now_ms() - t0 < 4000); /* killed, not waited for */
        ASSERT_NULL(r.out);
}

TEST(timeout) {
        char *argv[] = { (char *) "sleep", (char *) "5", NULL };
        SpawnResult r = { .exit_status = 77 };
        long long t0 = now_ms();
        ASSERT_ERR(spawn_run(argv, deadline_in(200 * USEC_PER_MSEC), &r), -ETIMEDOUT);
        long long took = now_ms() - t0;
        if (took < 150 || took > 3000)
                TEST_FAIL("timeout after %lld ms, expected about 200", took);
        ASSERT_EQ(r.exit_status, 77); /* untouched on failure */
        ASSERT_NULL(r.out);
}

TEST(timeout_closed_pipes) {
        /* the child closes its output early and keeps running */
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "exec >/dev/null 2>&1; exec sleep 5", NULL };
        SpawnResult r = { 0 };
        long long t0 = now_ms();
        ASSERT_ERR(spawn_run(argv, deadline_in(300 * USEC_PER_MSEC), &r), -ETIMEDOUT);
        ASSERT_TRUE(now_ms() - t0 < 3000);
}

TEST(deadline_already_passed) {
        /* the hook's budget is spent: the child is not waited for at all */
        char *argv[] = { (char *) "sleep", (char *) "5", NULL };
        SpawnResult r = { .exit_status = 77 };
        long long t0 = now_ms();
        ASSERT_ERR(spawn_run(argv, now_usec(CLOCK_MONOTONIC) - 1, &r), -ETIMEDOUT);
        ASSERT_TRUE(now_ms() - t0 < 2000);
        ASSERT_EQ(r.exit_status, 77);
}

TEST(deadline_shared_by_two_runs) {
        /* one deadline for a chain of waits: the second run gets what is left */
        char *argv[] = { (char *) "sleep", (char *) "0.3", NULL };
        SpawnResult r = { 0 };
        usec_t deadline = deadline_in(500 * USEC_PER_MSEC);
        ASSERT_OK(spawn_run(argv, deadline, &r));
        ASSERT_EQ(r.exit_status, 0);
        spawn_result_done(&r);
        long long t0 = now_ms();
        ASSERT_ERR(spawn_run(argv, deadline, &r), -ETIMEDOUT);
        ASSERT_TRUE(now_ms() - t0 < 290);
}

TEST(no_deadline) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "sleep 0.1; echo done", NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, USEC_INFINITY, &r));
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_STREQ(r.out, "done\n");
        spawn_result_done(&r);
}

TEST(input) {
        char *argv[] = { (char *) "od", (char *) "-An", (char *) "-c", NULL };
        static const char in[] = "a\0b";
        SpawnResult r = { 0 };
        /* @len bytes, NUL included: not a C string */
        ASSERT_OK(spawn_run_input(argv, in, 3, deadline_in(10 * USEC_PER_SEC), &r));
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_CONTAINS(r.out, "a  \\0   b");
        spawn_result_done(&r);

        /* more than a pipe buffer in, and out again: no deadlock */
        size_t n = 300000;
        _cleanup_free_ char *big = malloc(n);
        ASSERT_NOT_NULL(big);
        memset(big, 'x', n);
        char *cat[] = { (char *) "cat", NULL };
        ASSERT_OK(spawn_run_input(cat, big, n, deadline_in(20 * USEC_PER_SEC), &r));
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_EQ(strlen(r.out), n);
        ASSERT_EQ(strspn(r.out, "x"), n);
        spawn_result_done(&r);

        /* empty input: stdin ends at once */
        ASSERT_OK(spawn_run_input(cat, "", 0, deadline_in(10 * USEC_PER_SEC), &r));
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.out);
        spawn_result_done(&r);
}

TEST(killed_by_signal) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "kill -9 $$", NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, deadline_in(10 * USEC_PER_SEC), &r));
        ASSERT_EQ(r.exit_status, -1);
        spawn_result_done(&r);
}

TEST(missing_program) {
        char *argv[] = { (char *) "migguard-no-such-program-xyz", NULL };
        char *abs[] = { (char *) "/nonexistent/bin/prog", NULL };
        SpawnResult r = { 0 };
        ASSERT_ERR(spawn_run(argv, deadline_in(1 * USEC_PER_SEC), &r), -ENOENT);
        /* posix_spawn() reports a failed exec through CLONE_VFORK, which
         * valgrind emulates as a fork: the child then exits 127 instead */
        int k = spawn_run(abs, deadline_in(1 * USEC_PER_SEC), &r);
        if (tests_under_valgrind() && k == 0) {
                ASSERT_EQ(r.exit_status, 127);
                spawn_result_done(&r);
        } else
                ASSERT_ERR(k, -ENOENT);
}

TEST(clean_environment) {
        setenv("MIGGUARD_TEST_SECRET", "leak", 1);
        char *argv[] = { (char *) "env", NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, deadline_in(10 * USEC_PER_SEC), &r));
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(strstr(r.out, "MIGGUARD_TEST_SECRET"));
        ASSERT_CONTAINS(r.out, "LC_ALL=C\n");
        ASSERT_CONTAINS(r.out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
        spawn_result_done(&r);
        unsetenv("MIGGUARD_TEST_SECRET");
}

TEST(stdin_is_dev_null) {
        char *argv[] = { (char *) "cat", NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, deadline_in(5 * USEC_PER_SEC), &r)); /* would hang reading a terminal */
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.out);
        spawn_result_done(&r);
}

int main(void) {
        RUN(capture);
        RUN(no_output);
        RUN(large_output);
        RUN(output_cap);
        RUN(timeout);
        RUN(timeout_closed_pipes);
        RUN(deadline_already_passed);
        RUN(deadline_shared_by_two_runs);
        RUN(no_deadline);
        RUN(input);
        RUN(killed_by_signal);
        RUN(missing_program);
        RUN(clean_environment);
        RUN(stdin_is_dev_null);
        return tests_done();
}
