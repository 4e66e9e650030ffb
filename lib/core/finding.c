/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Findings and the check names (see finding.h). */
#include "core/finding.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const check_kind_table[_CHECK_KIND_MAX] = {
        [CHECK_KIND_CPU] = "cpu",         [CHECK_KIND_VCPUS] = "vcpus",
        [CHECK_KIND_NETWORK] = "network", [CHECK_KIND_PROVISION] = "provision",
        [CHECK_KIND_PERSIST] = "persist", [CHECK_KIND_PINNING] = "pinning",
        [CHECK_KIND_STORAGE] = "storage", [CHECK_KIND_CONVERGENCE] = "convergence",
};

const char *check_kind_to_string(CheckKind k) {
        return k >= 0 && k < _CHECK_KIND_MAX ? check_kind_table[k] : NULL;
}

CheckKind check_kind_from_string(const char *s) {
        for (int k = 0; s && k < _CHECK_KIND_MAX; k++)
                if (streq(s, check_kind_table[k]))
                        return (CheckKind) k;
        return _CHECK_KIND_INVALID;
}

void findings_done(Findings *f) {
        for (size_t i = 0; i < f->n; i++)
                free(f->items[i].text);
        free(f->items);
        *f = (Findings){ 0 };
}

int findings_add(Findings *f, CheckKind check, const char *text) {
        _cleanup_free_ char *copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        Finding *n = realloc(f->items, sizeof(Finding) * (f->n + 1));
        if (!n)
                return -ENOMEM;
        f->items = n;
        f->items[f->n++] = (Finding){ .check = check, .text = TAKE_PTR(copy) };
        return 0;
}

int findings_addf(Findings *f, CheckKind check, const char *fmt, ...) {
        _cleanup_free_ char *line = NULL;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return findings_add(f, check, line);
}

bool findings_have(const Findings *f, CheckKind check) {
        for (size_t i = 0; i < f->n; i++)
                if (f->items[i].check == check)
                        return true;
        return false;
}
