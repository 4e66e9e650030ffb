/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whole-file reading and writing, the one way every module does it:
 * bounded reads (input is untrusted and may be endless), atomic writes
 * (a reader never sees half a file: temporary file, fsync, rename), and
 * the small one-line files of /proc, /sys and pid files.  Nothing follows
 * a symlink in the last component.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Read @fd to its end, at most @max bytes; NUL-terminated.  -EFBIG past @max. */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* The same for the regular file @path. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Replace @path with @len bytes of @data, mode @mode, atomically. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* The first line of a small file (/proc, /sys, pid files) into @buf of
 * @len bytes, newline dropped. */
int read_one_line_file(const char *path, char *buf, size_t len);

/* A pid file's pid: -ENODATA when empty, -EBADMSG when not a pid. */
int read_pid_file(const char *path, pid_t *ret);
