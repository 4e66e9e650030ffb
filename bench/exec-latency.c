/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exec-latency: run a command N times the way libvirt runs a hook (fork,
 * exec, a file on stdin, wait) and print the median and p99 wall time in
 * microseconds.  Used by bench/hook-latency to compare migguard-hook with
 * an empty `true` hook measured in the same run.
 *
 *   exec-latency RUNS STDIN-FILE CMD [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp_ll(const void *a, const void *b) {
        long long x = *(const long long *) a, y = *(const long long *) b;
        return (x > y) - (x < y);
}

static long long now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char *argv[]) {
        if (argc < 4) {
                fprintf(stderr, "usage: exec-latency RUNS STDIN-FILE CMD [ARGS...]\n");
                return 2;
        }
        int runs = atoi(argv[1]);
        if (runs < 1)
                return 2;
        long long *t = calloc((size_t) runs, sizeof(long long));
        if (!t)
                return 1;
        for (int i = 0; i < runs; i++) {
                int in = open(argv[2], O_RDONLY | O_CLOEXEC);
                if (in < 0) {
                        perror(argv[2]);
                        return 1;
                }
                long long start = now_ns();
                pid_t pid = fork();
                if (pid == 0) {
                        dup2(in, 0);
                        int devnull = open("/dev/null", O_WRONLY);
                        dup2(devnull, 1);
                        dup2(devnull, 2);
                        execv(argv[3], argv + 3);
                        _exit(127);
                }
                int st;
                waitpid(pid, &st, 0);
                t[i] = now_ns() - start;
                close(in);
                if (!WIFEXITED(st) || WEXITSTATUS(st) == 127) {
                        fprintf(stderr, "exec-latency: %s failed\n", argv[3]);
                        return 1;
                }
        }
        qsort(t, (size_t) runs, sizeof(long long), cmp_ll);
        long long p50 = t[runs / 2], p99 = t[(runs * 99) / 100 >= runs ? runs - 1 : (runs * 99) / 100];
        printf("%lld %lld\n", p50 / 1000, p99 / 1000);
        free(t);
        return 0;
}
