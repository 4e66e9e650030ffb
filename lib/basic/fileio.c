/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded reads, atomic writes, one-line files (see fileio.h). */
#include "basic/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/macro.h"

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap > max)
                                return -EFBIG;
                        char *n = realloc(buf, cap * 2 + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap *= 2;
                }
                ssize_t k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        if (len > max)
                return -EFBIG;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* A regular file, opened without waiting (a FIFO would block open()). */
static int open_regular(const char *path) {
        struct stat st;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        return TAKE_FD(fd);
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open_regular(path);
        if (fd < 0)
                return fd;
        return read_full_fd(fd, max, ret, ret_len);
}

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        uint64_t rnd = 0;
        int r;

        /* unique per writer: two processes may replace the same file */
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                rnd = (uint64_t) getpid();
        if (asprintf(&tmp, "%s.tmp-%016llx", path, (unsigned long long) rnd) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        r = write_all(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0) /* whatever the umask */
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int read_one_line_file(const char *path, char *buf, size_t len) {
        if (len < 2)
                return -EINVAL;
        _cleanup_close_ int fd = open_regular(path);
        if (fd < 0)
                return fd;
        ssize_t n = read(fd, buf, len - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

int read_pid_file(const char *path, pid_t *ret) {
        char buf[32] = "", *end;
        int r = read_one_line_file(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        if (!buf[0])
                return -ENODATA;
        errno = 0;
        long pid = strtol(buf, &end, 10);
        if (errno || end == buf || *end || buf[0] == '+' || pid <= 0 || pid > INT32_MAX)
                return -EBADMSG;
        *ret = (pid_t) pid;
        return 0;
}
