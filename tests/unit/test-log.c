/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/basic/log.c: the "log and return -errno in one
 * statement" contract (positive or negative error in, negative out), %m
 * expansion, errno preserved, level filtering, the stderr line format, and
 * the decision log (one JSON line per structured decision, for
 * `migguard status` on hosts without a journal).
 */
#include <fcntl.h>

#include <json-c/json.h>

#include "basic/log.h"
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

static const char *field(struct json_object *o, const char *k) {
        struct json_object *v;
        return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

TEST(decision_log) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/" DECISION_LOG_NAME, dir), *text = NULL;
        LogFields f = { .message_id = MG_MSGID_REFUSED, .domain = "vm1", .disk = "vda", .check = "provision" };

        log_setup("test-log", 0, LOG_INFO); /* no stderr, no journal: only the decision log */
        ASSERT_OK(log_set_decision_dir(dir));
        ASSERT_EQ(log_struct(LOG_ERR, &f, "refused: %s \"quoted\"", "disk vda"), 0);
        (void) log_error("not a decision: no MESSAGE_ID");
        LogFields plain = { .domain = "vm1" };
        (void) log_struct(LOG_ERR, &plain, "no MESSAGE_ID either");
        LogFields debug = { .message_id = MG_MSGID_PINNED };
        (void) log_struct(LOG_DEBUG, &debug, "below the level");
        LogFields second = { .message_id = MG_MSGID_PROVISIONED, .path = "/images/a b.qcow2" };
        (void) log_struct(LOG_NOTICE, &second, "provisioned");

        text = tests_read_file(path);
        char *nl = strchr(text, '\n');
        ASSERT_NOT_NULL(nl);
        *nl = 0;
        ASSERT_NOT_NULL(strchr(nl + 1, '\n'));
        ASSERT_STREQ(strchr(nl + 1, '\n') + 1, ""); /* exactly two lines */

        struct json_object *o = json_tokener_parse(text);
        ASSERT_NOT_NULL(o);
        ASSERT_STREQ(field(o, "message_id"), MG_MSGID_REFUSED);
        ASSERT_STREQ(log_message_id_kind(field(o, "message_id")), "refused");
        ASSERT_STREQ(field(o, "message"), "refused: disk vda \"quoted\"");
        ASSERT_STREQ(field(o, "domain"), "vm1");
        ASSERT_STREQ(field(o, "disk"), "vda");
        ASSERT_STREQ(field(o, "check"), "provision");
        ASSERT_STREQ(field(o, "ident"), "test-log");
        ASSERT_NULL(field(o, "path")); /* fields not given are left out */
        json_object_put(o);
        o = json_tokener_parse(nl + 1);
        ASSERT_NOT_NULL(o);
        ASSERT_STREQ(field(o, "message"), "provisioned");
        ASSERT_STREQ(field(o, "path"), "/images/a b.qcow2");
        json_object_put(o);

        /* off again */
        log_set_decision_file(NULL);
        (void) log_struct(LOG_ERR, &f, "not written");
        RESET_FREE(text);
        text = tests_read_file(path);
        ASSERT_NULL(strstr(text, "not written"));
        log_setup("test-log", LOG_TARGET_STDERR, LOG_EMERG);
}

int main(void) {
        RUN(return_values);
        RUN(errno_preserved);
        RUN(percent_m);
        RUN(targets_auto);
        RUN(decision_log);
        return tests_done();
}
