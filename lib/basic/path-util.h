/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path checks for disk images named by a domain XML, which migguard treats
 * as untrusted input: no relative paths, no '.'/'..' components, no
 * symlinks anywhere on the way, and only below an allowed directory.
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "basic/macro.h"

#define PATH_MAX_LEN 4095

bool path_is_safe_absolute(const char *p);
void path_strip_trailing_slashes(char *p);
/* Collapse repeated slashes and drop trailing ones, in place. */
void path_normalize_slashes(char *p);
/* True if @p is strictly below directory @dir (both absolute, normalised). */
bool path_startswith_dir(const char *p, const char *dir);
int path_split(const char *p, char **ret_dir, char **ret_base);

/*
 * Open the directory holding @path with no symlink resolved on the way
 * (openat2 RESOLVE_NO_SYMLINKS) and return it with the base name.
 * -ELOOP: a component is a symlink; -ENOENT: the directory is missing.
 */
int path_open_parent_nofollow(const char *path, int *ret_dirfd, char **ret_base);

/* lstat() @path through path_open_parent_nofollow(); -ENOENT if absent. */
int path_lstat_nofollow(const char *path, struct stat *ret);

/* mkdir -p with @mode for every missing component. */
int mkdir_p(const char *path, mode_t mode);
