/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/log.c: the "log and return -errno in one statement"
 * contract (positive or negative error in, negative out), %m expansion,
 * errno preserved, level filtering, and the stderr line format.
 */
#include <fcntl.h>

#include "log.h"
#include "tests.h"

/* Run @fn with stderr redirected to a file and return what it wrote. */
static char *capture_stderr(void (*fn)(void)) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/stderr", dir);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        ASSERT_TRUE(saved >= 0);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_SYS(dup2(fd, STDERR_FILENO));
        close(fd);
        fn();
        fflush(stderr);
        ASSERT_SYS(dup2(saved, STDERR_FILENO));
        close(saved);
        return tests_read_file(path);
}

TEST(return_values) {
        log_setup("test-log", LOG_TARGET_STDERR, LOG_EMERG); /* print nothing */
        ASSERT_EQ(log_error_errno(EIO, "x"), -EIO);
        ASSERT_EQ(log_error_errno(-EIO, "x"), -EIO);
        ASSERT_EQ(log_debug_errno(ENOENT, "x %s", "y"), -ENOENT);
        ASSERT_EQ(log_warning_errno(-EPERM, "x"), -EPERM);
        ASSERT_EQ(log_full_errno(LOG_INFO, 0, "x"), 0);
        ASSERT_EQ(log_error("plain"), 0);

        LogFields f = { .message_id = MG_MSGID_REFUSED, .domain = "vm", .disk = "vda" };
        ASSERT_EQ(log_struct_internal(LOG_ERR, ENOSPC, &f, "x"), -ENOSPC);
        ASSERT_EQ(log_struct_internal(LOG_ERR, -ENOSPC, &f, "x"), -ENOSPC);
        ASSERT_EQ(log_struct(LOG_NOTICE, &f, "x"), 0);
}

TEST(errno_preserved) {
        log_setup("test-log", LOG_TARGET_STDERR, LOG_EMERG);
        errno = EAGAIN;
        (void) log_error_errno(EIO, "x %m");
        ASSERT_EQ(errno, EAGAIN);
        errno = EAGAIN;
        (void) log_struct_internal(LOG_ERR, EIO, NULL, "x %m");
        ASSERT_EQ(errno, EAGAIN);
}

static void emit_some(void) {
        log_setup("test-log", LOG_TARGET_STDERR, LOG_INFO);
        (void) log_error_errno(ENOENT, "Failed to open '%s': %m", "/x");
        (void) log_error_errno(-EACCES, "neg: %m");
        (void) log_debug("hidden at info level");
        (void) log_info("shown %d", 42);
        LogFields f = { .message_id = MG_MSGID_PROVISIONED, .domain = "vm1" };
        (void) log_struct_internal(LOG_NOTICE, -ENOSPC, &f, "struct: %m");
        log_set_max_level(LOG_DEBUG);
        ASSERT_EQ(log_get_max_level(), LOG_DEBUG);
        (void) log_debug("now visible");
        log_setup("test-log", LOG_TARGET_STDERR, LOG_EMERG);
}

TEST(percent_m) {
        _cleanup_free_ char *out = capture_stderr(emit_some);
        ASSERT_STREQ(out, "test-log: Failed to open '/x': No such file or directory\n"
                          "test-log: neg: Permission denied\n"
                          "test-log: shown 42\n"
                          "test-log: struct: No space left on device\n"
                          "test-log: now visible\n");
}

TEST(targets_auto) {
        int t = log_targets_auto();
        ASSERT_TRUE(t == LOG_TARGET_STDERR || t == LOG_TARGET_JOURNAL);
}

int main(void) {
        RUN(return_values);
        RUN(errno_preserved);
        RUN(percent_m);
        RUN(targets_auto);
        return tests_done();
}
