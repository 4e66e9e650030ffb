/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors (the shape policy lists and argv take). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "basic/macro.h"

size_t strv_length(char *const *l);
/* Split @s on ASCII white space; empty input gives an empty vector. */
int strv_split_ws(const char *s, char ***ret);
int strv_push(char ***l, const char *s);
bool strv_contains(char *const *l, const char *s);
/* Space-joined copy, for messages and dumps. */
int strv_join(char *const *l, const char *sep, char **ret);
