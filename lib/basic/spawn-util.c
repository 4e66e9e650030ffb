/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* posix_spawn + poll: capture stdout/stderr, kill the child at the deadline. */
#include "basic/spawn-util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const spawn_env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL=C",
        NULL,
};

void spawn_result_done(SpawnResult *r) {
        free(r->out);
        free(r->err);
        r->out = r->err = NULL;
}

typedef struct Sink {
        int fd;
        char *buf;
        size_t len;
} Sink;

static int sink_read(Sink *s) {
        char tmp[4096];
        ssize_t n = read(s->fd, tmp, sizeof(tmp));
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        if (n == 0) {
                close(s->fd);
                s->fd = -1;
                return 0;
        }
        if (s->len + (size_t) n > SPAWN_MAX_OUTPUT)
                return -EFBIG;
        char *nb = realloc(s->buf, s->len + (size_t) n + 1);
        if (!nb)
                return -ENOMEM;
        memcpy(nb + s->len, tmp, (size_t) n);
        s->len += (size_t) n;
        nb[s->len] = 0;
        s->buf = nb;
        return 0;
}

static int collect(Sink sinks[2], usec_t deadline) {
        while (sinks[0].fd >= 0 || sinks[1].fd >= 0) {
                struct pollfd p[2] = { { sinks[0].fd, POLLIN, 0 }, { sinks[1].fd, POLLIN, 0 } };
                int left = deadline_left_ms(deadline);
                if (left == 0)
                        return -ETIMEDOUT;
                int k = poll(p, 2, left);
                if (k < 0 && errno != EINTR)
                        return -errno;
                for (int i = 0; i < 2 && k > 0; i++)
                        if (p[i].revents) {
                                int r = sink_read(&sinks[i]);
                                if (r < 0)
                                        return r;
                        }
        }
        return 0;
}

static int wait_deadline(pid_t pid, usec_t deadline, int *ret_status) {
        for (;;) {
                int st;
                pid_t w = waitpid(pid, &st, WNOHANG);
                if (w == pid) {
                        *ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
                        return 0;
                }
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (deadline_passed(deadline))
                        return -ETIMEDOUT;
                (void) usleep(2000);
        }
}

/* The hook runs with a cleared environment, so search a fixed PATH. */
static int find_program(const char *name, char **ret) {
        static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                            "/usr/bin",        "/sbin",          "/bin" };
        if (strchr(name, '/'))
                return (*ret = strdup(name)) ? 0 : -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char *p;
                if (asprintf(&p, "%s/%s", dirs[i], name) < 0)
                        return -ENOMEM;
                if (access(p, X_OK) == 0)
                        return *ret = p, 0;
                free(p);
        }
        return -ENOENT;
}

/* stdin from a sealed-size memory file: no pipe, so no write/read deadlock */
static int input_fd(const char *input, size_t len) {
        _cleanup_close_ int fd = memfd_create("migguard-input", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (size_t done = 0; done < len;) {
                ssize_t n = write(fd, input + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) n;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int spawn_run(char *const *argv, usec_t deadline, SpawnResult *ret) {
        return spawn_run_input(argv, NULL, 0, deadline, ret);
}

int spawn_run_input(char *const *argv, const char *input, size_t len, usec_t deadline, SpawnResult *ret) {
        int out[2] = { -1, -1 }, err[2] = { -1, -1 }, r;
        _cleanup_free_ char *exe = NULL;
        _cleanup_close_ int in = -1;

        if (input) {
                in = input_fd(input, len);
                if (in < 0)
                        return in;
        }

        r = find_program(argv[0], &exe);
        if (r < 0)
                return r;
        posix_spawn_file_actions_t fa;
        pid_t pid;

        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err, O_CLOEXEC) < 0) {
                r = -errno;
                close(out[0]);
                close(out[1]);
                return r;
        }
        posix_spawn_file_actions_init(&fa);
        if (in >= 0)
                posix_spawn_file_actions_adddup2(&fa, in, 0);
        else
                posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        r = posix_spawn(&pid, exe, &fa, NULL, argv, (char *const *) spawn_env);
        posix_spawn_file_actions_destroy(&fa);
        close(out[1]);
        close(err[1]);
        if (r != 0) {
                close(out[0]);
                close(err[0]);
                return -r;
        }

        Sink sinks[2] = { { out[0], NULL, 0 }, { err[0], NULL, 0 } };
        int status = -1;
        r = collect(sinks, deadline);
        if (r >= 0)
                r = wait_deadline(pid, deadline, &status);
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
        }
        for (int i = 0; i < 2; i++)
                if (sinks[i].fd >= 0)
                        close(sinks[i].fd);
        if (r < 0) {
                free(sinks[0].buf);
                free(sinks[1].buf);
                return r;
        }
        *ret = (SpawnResult){ .exit_status = status, .out = sinks[0].buf, .err = sinks[1].buf };
        return 0;
}
