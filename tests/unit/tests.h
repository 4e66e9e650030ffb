/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole unit-test "framework": assertion macros that print file:line
 * and abort (so a failure is loud under make, ASan and valgrind alike), a
 * runner that prints TAP-style "ok N - name" lines, and temporary
 * directories that are removed again.  No external dependency on purpose.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "basic/macro.h"

#define TEST_FAIL(...)                                                                                                 \
        do {                                                                                                           \
                fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, __func__);                                          \
                fprintf(stderr, __VA_ARGS__);                                                                          \
                fputc('\n', stderr);                                                                                   \
                fflush(NULL);                                                                                          \
                abort();                                                                                               \
        } while (0)

#define ASSERT_TRUE(expr)                                                                                              \
        do {                                                                                                           \
                if (!(expr))                                                                                           \
                        TEST_FAIL("assertion failed: %s", #expr);                                                      \
        } while (0)

#define ASSERT_FALSE(expr) ASSERT_TRUE(!(expr))

#define ASSERT_EQ(a, b)                                                                                                \
        do {                                                                                                           \
                intmax_t _a = (intmax_t) (a), _b = (intmax_t) (b);                                                     \
                if (_a != _b)                                                                                          \
                        TEST_FAIL("%s == %s: %jd != %jd", #a, #b, _a, _b);                                             \
        } while (0)

#define ASSERT_NE(a, b)                                                                                                \
        do {                                                                                                           \
                intmax_t _a = (intmax_t) (a), _b = (intmax_t) (b);                                                     \
                if (_a == _b)                                                                                          \
                        TEST_FAIL("%s != %s: both %jd", #a, #b, _a);                                                   \
        } while (0)

#define ASSERT_U64_EQ(a, b)                                                                                            \
        do {                                                                                                           \
                uint64_t _a = (uint64_t) (a), _b = (uint64_t) (b);                                                     \
                if (_a != _b)                                                                                          \
                        TEST_FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, _a, _b);                                \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                                             \
        do {                                                                                                           \
                const char *_a = (a), *_b = (b);                                                                       \
                if (!streq_ptr(_a, _b))                                                                                \
                        TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");       \
        } while (0)

/* Nothing at @path (access() follows symlinks: use for regular files). */
#define ASSERT_NOT_EXISTS(path) ASSERT_ERR(access((path), F_OK) < 0 ? -errno : 0, -ENOENT)

#define ASSERT_NULL(p) ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

/* Substring check, with both strings shown on failure. */
#define ASSERT_CONTAINS(hay, needle)                                                                                   \
        do {                                                                                                           \
                const char *_h = (hay), *_n = (needle);                                                                \
                if (!_h || !strstr(_h, _n))                                                                            \
                        TEST_FAIL("\"%s\" does not contain \"%s\"", _h ? _h : "(null)", _n);                           \
        } while (0)

/* A call returning 0 or -errno: must succeed (any r >= 0). */
#define ASSERT_OK(expr)                                                                                                \
        do {                                                                                                           \
                int _r = (expr);                                                                                       \
                if (_r < 0)                                                                                            \
                        TEST_FAIL("%s failed: %d (%s)", #expr, _r, strerror(-_r));                                     \
        } while (0)

/* A call returning 0 or -errno: must fail with exactly @err (negative). */
#define ASSERT_ERR(expr, err)                                                                                          \
        do {                                                                                                           \
                int _r = (expr), _e = (err);                                                                           \
                if (_r != _e)                                                                                          \
                        TEST_FAIL("%s: expected %d (%s), got %d (%s)", #expr, _e, strerror(-_e), _r,                   \
                                  _r < 0 ? strerror(-_r) : "success");                                                 \
        } while (0)

/* A libc call returning -1 + errno: must succeed. */
#define ASSERT_SYS(expr)                                                                                               \
        do {                                                                                                           \
                if ((expr) < 0)                                                                                        \
                        TEST_FAIL("%s: %m", #expr);                                                                    \
        } while (0)

/* free() and forget, for reusing an out-parameter within one test. */
#define RESET_FREE(p)                                                                                                  \
        do {                                                                                                           \
                free(p);                                                                                               \
                (p) = NULL;                                                                                            \
        } while (0)

#define TEST(name) static void test_##name(void)

static unsigned tests_counter;

static inline void tests_run_one(const char *name, void (*fn)(void)) {
        fn();
        printf("ok %u - %s\n", ++tests_counter, name);
        fflush(stdout);
}

#define RUN(name) tests_run_one(#name, test_##name)

/* Print a TAP skip line for a test that cannot run here and why. */
static inline void tests_skip(const char *name, const char *why) {
        printf("ok %u - %s # SKIP %s\n", ++tests_counter, name, why);
        fflush(stdout);
}

static inline int tests_done(void) {
        printf("1..%u\n", tests_counter);
        return EXIT_SUCCESS;
}

static inline int tests_rm_one(const char *path, const struct stat *st _unused_, int flag, struct FTW *f _unused_) {
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf that never follows symlinks. */
static inline void tests_rm_rf(const char *path) {
        if (path)
                (void) nftw(path, tests_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void tests_rm_rf_freep(char **p) {
        if (*p) {
                tests_rm_rf(*p);
                free(*p);
        }
}
#define _cleanup_rm_rf_ _cleanup_(tests_rm_rf_freep)

/*
 * A fresh temporary directory, symlink-free (realpath), because several
 * modules refuse any path that goes through a symlink.
 */
static inline char *tests_mkdtemp(void) {
        char tmpl[PATH_MAX];
        const char *base = getenv("TMPDIR");
        snprintf(tmpl, sizeof(tmpl), "%s/migguard-test.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpl))
                TEST_FAIL("mkdtemp(%s): %m", tmpl);
        char *r = realpath(tmpl, NULL);
        if (!r)
                TEST_FAIL("realpath(%s): %m", tmpl);
        return r;
}

/* asprintf() that aborts on failure, for building fixture paths. */
#define tests_strdupf(...)                                                                                             \
        ({                                                                                                             \
                char *_s = NULL;                                                                                       \
                if (asprintf(&_s, __VA_ARGS__) < 0)                                                                    \
                        TEST_FAIL("out of memory");                                                                    \
                _s;                                                                                                    \
        })

static inline void tests_write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f)
                TEST_FAIL("fopen(%s): %m", path);
        fputs(text, f);
        if (fclose(f) != 0)
                TEST_FAIL("fclose(%s): %m", path);
}

/* Whole file into a NUL-terminated buffer (caller frees). */
static inline char *tests_read_file(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f)
                TEST_FAIL("fopen(%s): %m", path);
        char *buf = NULL;
        size_t len = 0, n;
        char chunk[4096];
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                char *nb = realloc(buf, len + n + 1);
                if (!nb)
                        TEST_FAIL("out of memory");
                buf = nb;
                memcpy(buf + len, chunk, n);
                len += n;
        }
        fclose(f);
        if (!buf && !(buf = calloc(1, 1)))
                TEST_FAIL("out of memory");
        buf[len] = 0;
        return buf;
}

/* Is @prog executable somewhere in the usual system directories? */
static inline bool tests_have_program(const char *prog) {
        static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "%s/%s", dirs[i], prog);
                if (access(p, X_OK) == 0)
                        return true;
        }
        return false;
}

/*
 * The one place a test decides it cannot run.  A missing piece of the
 * environment is a skip on a developer machine, and a failure when CI is
 * set, so a CI image that lacks it cannot pass by skipping.
 */
static inline bool tests_requires(const char *name, bool ok, const char *what) {
        if (ok)
                return true;
        if (getenv("CI") && !getenv("MIGGUARD_TEST_ALLOW_SKIP"))
                TEST_FAIL("%s: requires %s (CI is set, not skipping)", name, what);
        tests_skip(name, what);
        return false;
}

/* valgrind preloads its vgpreload_*.so into the program it runs. */
static inline bool tests_under_valgrind(void) {
        const char *p = getenv("LD_PRELOAD");
        return p && strstr(p, "vgpreload");
}

#define RUN_IF(name, cond, what)                                                                                       \
        do {                                                                                                           \
                if (tests_requires(#name, (cond), (what)))                                                             \
                        RUN(name);                                                                                     \
        } while (0)
