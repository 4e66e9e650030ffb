/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String vector helpers used by the policy loader and command spawning. */
#include "basic/strv.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t strv_length(char *const *l) {
        size_t n = 0;
        for (; l && l[n]; n++)
                ;
        return n;
}

int strv_push(char ***l, const char *s) {
        size_t n = strv_length(*l);
        char *c = strdup(s);
        if (!c)
                return -ENOMEM;
        char **nl = realloc(*l, sizeof(char *) * (n + 2));
        if (!nl) {
                free(c);
                return -ENOMEM;
        }
        nl[n] = c;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

int strv_split_ws(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        for (const char *p = s; *p;) {
                while (*p && isspace((unsigned char) *p))
                        p++;
                const char *start = p;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                if (p == start)
                        break;
                _cleanup_free_ char *w = strndup(start, (size_t) (p - start));
                if (!w)
                        return -ENOMEM;
                int r = strv_push(&l, w);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

int strv_join(char *const *l, const char *sep, char **ret) {
        size_t len = 1, seplen = strlen(sep);
        for (char *const *i = l; i && *i; i++)
                len += strlen(*i) + seplen;
        char *s = malloc(len), *p = s;
        if (!s)
                return -ENOMEM;
        *p = 0;
        for (char *const *i = l; i && *i; i++) {
                if (i != l)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *i);
        }
        *ret = s;
        return 0;
}
