/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/basic/fileio.c: bounded whole-file reads (the limit
 * is exact, an endless source ends in -EFBIG, a symlink is not followed),
 * atomic replacement (content, mode whatever the umask, no temporary file
 * left, an existing file or symlink replaced, not written through), and
 * the one-line and pid files of /proc, /sys and /run.
 */
#include <dirent.h>
#include <fcntl.h>

#include "basic/fileio.h"
#include "tests.h"

/* A file of @n bytes: 'a', 'b', ... 'z', 'a', ... */
static void write_pattern(const char *path, size_t n) {
        _cleanup_free_ char *buf = malloc(n + 1);
        ASSERT_NOT_NULL(buf);
        for (size_t i = 0; i < n; i++)
                buf[i] = (char) ('a' + i % 26);
        buf[n] = 0;
        tests_write_file(path, buf);
}

static size_t entries_in(const char *dir) {
        DIR *d = opendir(dir);
        size_t n = 0;
        ASSERT_NOT_NULL(d);
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

TEST(read_full_fd_limits) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/f", dir);
        /* around the reader's 4 KiB steps */
        static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 8192, 8193, 100000 };

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                size_t n = sizes[i], len = 77;
                write_pattern(path, n);

                /* exactly @max bytes fit */
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                ASSERT_SYS(fd);
                _cleanup_free_ char *buf = NULL;
                ASSERT_OK(read_full_fd(fd, n, &buf, &len));
                ASSERT_EQ(len, n);
                ASSERT_EQ(strlen(buf), n); /* NUL-terminated */
                if (n > 0)
                        ASSERT_EQ(buf[n - 1], 'a' + (n - 1) % 26);

                /* one byte more than @max does not */
                if (n == 0)
                        continue;
                _cleanup_close_ int fd2 = open(path, O_RDONLY | O_CLOEXEC);
                ASSERT_SYS(fd2);
                char *none = NULL;
                len = 77;
                ASSERT_ERR(read_full_fd(fd2, n - 1, &none, &len), -EFBIG);
                ASSERT_NULL(none);
                ASSERT_EQ(len, 77); /* untouched on failure */
        }

        /* ret_len is optional; NUL bytes are data */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        ASSERT_SYS(fd);
        ASSERT_EQ(write(fd, "a\0b", 3), 3);
        _cleanup_close_ int rfd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        ASSERT_OK(read_full_fd(rfd, 3, &buf, &len));
        ASSERT_EQ(len, 3);
        ASSERT_EQ(buf[2], 'b');
        ASSERT_EQ(buf[3], 0);
        RESET_FREE(buf);
        ASSERT_SYS(lseek(rfd, 0, SEEK_SET));
        ASSERT_OK(read_full_fd(rfd, 10, &buf, NULL));
        ASSERT_STREQ(buf, "a");
}

TEST(read_full_fd_endless) {
        /* an endless source ends in -EFBIG, not in memory exhaustion */
        _cleanup_close_ int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
        ASSERT_SYS(fd);
        char *buf = NULL;
        ASSERT_ERR(read_full_fd(fd, 1024 * 1024, &buf, NULL), -EFBIG);
        ASSERT_NULL(buf);
        ASSERT_ERR(read_full_fd(fd, 0, &buf, NULL), -EFBIG);

        /* a pipe: read to its end, however it arrives */
        int p[2];
        ASSERT_SYS(pipe2(p, O_CLOEXEC));
        ASSERT_EQ(write(p[1], "hello ", 6), 6);
        ASSERT_EQ(write(p[1], "world", 5), 5);
        ASSERT_SYS(close(p[1]));
        size_t len = 0;
        ASSERT_OK(read_full_fd(p[0], 11, &buf, &len));
        ASSERT_STREQ(buf, "hello world");
        ASSERT_EQ(len, 11);
        free(buf);
        ASSERT_SYS(close(p[0]));

        ASSERT_ERR(read_full_fd(-1, 10, &buf, NULL), -EBADF);
}

TEST(read_full_file) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/f", dir), *link = tests_strdupf("%s/link", dir),
                            *sub = tests_strdupf("%s/sub", dir), *fifo = tests_strdupf("%s/fifo", dir), *buf = NULL;
        size_t len = 0;

        tests_write_file(path, "content\n");
        ASSERT_OK(read_full_file(path, 100, &buf, &len));
        ASSERT_STREQ(buf, "content\n");
        ASSERT_EQ(len, 8);
        RESET_FREE(buf);
        ASSERT_ERR(read_full_file(path, 7, &buf, &len), -EFBIG);
        ASSERT_NULL(buf);

        /* a symlink in the last component is not followed */
        ASSERT_SYS(symlink(path, link));
        ASSERT_ERR(read_full_file(link, 100, &buf, &len), -ELOOP);
        ASSERT_NULL(buf);

        /* only regular files: a directory, and a FIFO that would block */
        ASSERT_SYS(mkdir(sub, 0700));
        ASSERT_ERR(read_full_file(sub, 100, &buf, &len), -EBADMSG);
        ASSERT_SYS(mkfifo(fifo, 0600));
        _cleanup_close_ int keep = open(fifo, O_RDWR | O_CLOEXEC); /* so opening it does not block */
        ASSERT_SYS(keep);
        ASSERT_ERR(read_full_file(fifo, 100, &buf, &len), -EBADMSG);

        ASSERT_ERR(read_full_file("/nonexistent/f", 100, &buf, &len), -ENOENT);
        ASSERT_NULL(buf);
}

TEST(write_file_atomic) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/state.json", dir), *content = NULL;
        struct stat st;

        ASSERT_OK(write_file_atomic(path, "first\n", 6, 0600));
        content = tests_read_file(path);
        ASSERT_STREQ(content, "first\n");
        ASSERT_SYS(stat(path, &st));
        ASSERT_EQ(st.st_mode & 07777, 0600);
        ASSERT_EQ(entries_in(dir), 1); /* no temporary file left */

        /* the mode is @mode whatever the umask */
        mode_t old = umask(0077);
        ASSERT_OK(write_file_atomic(path, "second", 6, 0644));
        umask(old);
        ASSERT_SYS(stat(path, &st));
        ASSERT_EQ(st.st_mode & 07777, 0644);
        old = umask(0);
        ASSERT_OK(write_file_atomic(path, "third", 5, 0600));
        umask(old);
        ASSERT_SYS(stat(path, &st));
        ASSERT_EQ(st.st_mode & 07777, 0600);
        ASSERT_EQ(entries_in(dir), 1);
        RESET_FREE(content);
        content = tests_read_file(path);
        ASSERT_STREQ(content, "third");

        /* replaced, not rewritten: a reader of the old file keeps it whole */
        _cleanup_close_ int reader = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT_SYS(reader);
        struct stat before;
        ASSERT_SYS(fstat(reader, &before));
        ASSERT_OK(write_file_atomic(path, "a longer fourth version", 23, 0600));
        ASSERT_SYS(stat(path, &st));
        ASSERT_NE(st.st_ino, before.st_ino);
        char old_content[16] = "";
        ASSERT_EQ(pread(reader, old_content, sizeof(old_content) - 1, 0), 5);
        ASSERT_STREQ(old_content, "third");
        RESET_FREE(content);
        content = tests_read_file(path);
        ASSERT_STREQ(content, "a longer fourth version");

        /* @len bytes, not up to a NUL; empty is fine */
        ASSERT_OK(write_file_atomic(path, "abcdef", 3, 0600));
        RESET_FREE(content);
        content = tests_read_file(path);
        ASSERT_STREQ(content, "abc");
        ASSERT_OK(write_file_atomic(path, "", 0, 0600));
        ASSERT_SYS(stat(path, &st));
        ASSERT_EQ(st.st_size, 0);
        ASSERT_EQ(entries_in(dir), 1);
}

TEST(write_file_atomic_symlink_and_errors) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/f", dir), *target = tests_strdupf("%s/target", dir),
                            *missing = tests_strdupf("%s/no/such/f", dir), *content = NULL;
        struct stat st;

        /* a symlink at @path is replaced, never written through */
        tests_write_file(target, "precious");
        ASSERT_SYS(symlink(target, path));
        ASSERT_OK(write_file_atomic(path, "new", 3, 0600));
        ASSERT_SYS(lstat(path, &st));
        ASSERT_TRUE(S_ISREG(st.st_mode));
        content = tests_read_file(target);
        ASSERT_STREQ(content, "precious");
        RESET_FREE(content);
        content = tests_read_file(path);
        ASSERT_STREQ(content, "new");

        /* no directory: nothing is created anywhere */
        ASSERT_ERR(write_file_atomic(missing, "x", 1, 0600), -ENOENT);
        ASSERT_EQ(entries_in(dir), 2);
}

TEST(read_one_line_file) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *f = tests_strdupf("%s/online", dir), *link = tests_strdupf("%s/link", dir);
        char buf[16];

        tests_write_file(f, "0-3,6\nsecond line\n");
        ASSERT_OK(read_one_line_file(f, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "0-3,6");

        tests_write_file(f, "no newline");
        ASSERT_OK(read_one_line_file(f, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "no newline");

        tests_write_file(f, "");
        ASSERT_OK(read_one_line_file(f, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "");

        /* a line longer than the buffer is cut, still terminated */
        tests_write_file(f, "0123456789abcdefghij\n");
        ASSERT_OK(read_one_line_file(f, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "0123456789abcde");

        ASSERT_SYS(symlink(f, link));
        ASSERT_ERR(read_one_line_file(link, buf, sizeof(buf)), -ELOOP);
        ASSERT_ERR(read_one_line_file("/nonexistent/x", buf, sizeof(buf)), -ENOENT);
        ASSERT_ERR(read_one_line_file(dir, buf, sizeof(buf)), -EBADMSG); /* not a regular file */
        ASSERT_ERR(read_one_line_file(f, buf, 1), -EINVAL);

        /* a /proc file (size 0 in stat, content on read) */
        ASSERT_OK(read_one_line_file("/proc/self/comm", buf, sizeof(buf)));
        ASSERT_TRUE(buf[0] != 0);
        ASSERT_NULL(strchr(buf, '\n'));
}

TEST(read_pid_file) {
        _cleanup_rm_rf_ char *root = tests_mkdtemp();
        _cleanup_free_ char *f = tests_strdupf("%s/x.pid", root), *link = tests_strdupf("%s/link.pid", root);
        pid_t pid = 0;

        tests_write_file(f, "4242\n");
        ASSERT_OK(read_pid_file(f, &pid));
        ASSERT_EQ(pid, 4242);
        tests_write_file(f, "77");
        ASSERT_OK(read_pid_file(f, &pid));
        ASSERT_EQ(pid, 77);
        static const struct {
                const char *text;
                int error;
        } bad[] = {
                { "", -ENODATA },  { "\n", -ENODATA }, { "\n42\n", -ENODATA },     { "pid", -EBADMSG },
                { "0", -EBADMSG }, { "-5", -EBADMSG }, { "2147483648", -EBADMSG }, { "99999999999999999999", -EBADMSG },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                tests_write_file(f, bad[i].text);
                int r = read_pid_file(f, &pid);
                if (r != bad[i].error)
                        TEST_FAIL("pid file \"%s\": expected %d, got %d", bad[i].text, bad[i].error, r);
        }
        ASSERT_EQ(pid, 77); /* untouched on failure */
        ASSERT_SYS(symlink(f, link));
        ASSERT_ERR(read_pid_file(link, &pid), -ELOOP);
        ASSERT_ERR(read_pid_file("/nonexistent/x.pid", &pid), -ENOENT);
}

int main(void) {
        RUN(read_full_fd_limits);
        RUN(read_full_fd_endless);
        RUN(read_full_file);
        RUN(write_file_atomic);
        RUN(write_file_atomic_symlink_and_errors);
        RUN(read_one_line_file);
        RUN(read_pid_file);
        return tests_done();
}
