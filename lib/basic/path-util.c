/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path helpers.  Symlink-free resolution uses the kernel's openat2()
 * RESOLVE_NO_SYMLINKS (Linux 5.6+, every distribution we target) rather
 * than a user-space component walk, which is racy.
 */
#include "basic/path-util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

bool path_is_safe_absolute(const char *p) {
        if (!p || p[0] != '/' || strlen(p) > PATH_MAX_LEN)
                return false;
        for (const char *c = p; *c;) {
                while (*c == '/')
                        c++;
                const char *e = strchrnul(c, '/');
                size_t n = (size_t) (e - c);
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c = e;
        }
        for (const char *c = p; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return false;
        return true;
}

void path_strip_trailing_slashes(char *p) {
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                p[--n] = 0;
}

void path_normalize_slashes(char *p) {
        char *w = p;
        for (const char *r = p; *r; r++)
                if (*r != '/' || w == p || w[-1] != '/')
                        *w++ = *r;
        *w = 0;
        path_strip_trailing_slashes(p);
}

bool path_startswith_dir(const char *p, const char *dir) {
        size_t n = strlen(dir);
        while (n > 0 && dir[n - 1] == '/')
                n--;
        if (strncmp(p, dir, n) != 0 || p[n] != '/')
                return false;
        /* something must follow the separator(s) */
        const char *rest = p + n;
        while (*rest == '/')
                rest++;
        return *rest != 0;
}

int path_split(const char *p, char **ret_dir, char **ret_base) {
        const char *slash = strrchr(p, '/');
        if (!slash || !slash[1])
                return -EINVAL;
        _cleanup_free_ char *dir = slash == p ? strdup("/") : strndup(p, (size_t) (slash - p));
        _cleanup_free_ char *base = strdup(slash + 1);
        if (!dir || !base)
                return -ENOMEM;
        if (ret_dir)
                *ret_dir = TAKE_PTR(dir);
        if (ret_base)
                *ret_base = TAKE_PTR(base);
        return 0;
}

/* The same without openat2(): one component at a time, each O_NOFOLLOW. */
static int open_dir_walk_nofollow(const char *dir) {
        _cleanup_free_ char *copy = strdup(dir);
        _cleanup_close_ int fd = -1;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        /* a symlink component fails O_DIRECTORY|O_NOFOLLOW with ENOTDIR */
                        struct stat st;
                        if (errno == ENOTDIR && fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                                return -ELOOP;
                        return -errno;
                }
                closep(&fd);
                fd = next;
        }
        return TAKE_FD(fd);
}

int path_open_parent_nofollow(const char *path, int *ret_dirfd, char **ret_base) {
        _cleanup_free_ char *dir = NULL, *base = NULL;
        int r;

        if (!path_is_safe_absolute(path))
                return -EINVAL;
        r = path_split(path, &dir, &base);
        if (r < 0)
                return r;

        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
        if (fd < 0 && (errno == ENOSYS || errno == EPERM))
                fd = open_dir_walk_nofollow(dir); /* kernel < 5.6, seccomp, valgrind */
        else if (fd < 0)
                fd = -errno;
        if (fd < 0)
                return (int) fd;

        *ret_dirfd = (int) fd;
        if (ret_base)
                *ret_base = TAKE_PTR(base);
        return 0;
}

int path_lstat_nofollow(const char *path, struct stat *ret) {
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *base = NULL;
        int r = path_open_parent_nofollow(path, &dfd, &base);
        if (r < 0)
                return r;
        if (!base)
                return -ENOMEM;
        if (fstatat(dfd, base, ret, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

int mkdir_p(const char *path, mode_t mode) {
        if (!*path)
                return -EINVAL; /* the walk below starts past the first byte */
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s != 0)
                        continue;
                char c = *s;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = c;
                if (!c)
                        break;
        }
        /* EEXIST above may have been a file, not a directory */
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
