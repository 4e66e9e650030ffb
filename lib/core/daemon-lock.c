/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* flock-based liveness of migguardd (see daemon-lock.h). */
#include "core/daemon-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/fileio.h"
#include "basic/path-util.h"

static int lock_path(const char *run_dir, char **ret) {
        return asprintf(ret, "%s/%s", run_dir, DAEMON_LOCK_NAME) < 0 ? -ENOMEM : 0;
}

int daemon_lock_acquire(const char *run_dir, int *ret_fd) {
        _cleanup_free_ char *path = NULL;
        int r = mkdir_p(run_dir, 0755);
        if (r < 0)
                return r;
        if (lock_path(run_dir, &path) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        /* The pid is only for `migguard status`: liveness is the lock. */
        if (ftruncate(fd, 0) < 0 || dprintf(fd, "%d\n", (int) getpid()) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int daemon_lock_read_pid(const char *run_dir, pid_t *ret_pid) {
        _cleanup_free_ char *path = NULL;
        if (lock_path(run_dir, &path) < 0)
                return -ENOMEM;
        return read_pid_file(path, ret_pid);
}

int daemon_lock_is_held(const char *run_dir) {
        _cleanup_free_ char *path = NULL;
        if (lock_path(run_dir, &path) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
                return 0; /* closing fd drops our shared lock */
        return errno == EWOULDBLOCK ? 1 : -errno;
}
