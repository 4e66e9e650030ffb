/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a check found: one line for the admin, tagged with the check it
 * belongs to (cpu, vcpus, network, provision ...).  The tag travels as a
 * field from the check to the journal (MIGGUARD_CHECK=), the decision log
 * and `migguard check`'s second column; it is never parsed back out of
 * the text.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "basic/macro.h"

typedef enum CheckKind {
        CHECK_KIND_CPU,
        CHECK_KIND_VCPUS,
        CHECK_KIND_NETWORK,
        CHECK_KIND_PROVISION,
        CHECK_KIND_PERSIST,
        CHECK_KIND_PINNING,
        CHECK_KIND_STORAGE,
        CHECK_KIND_CONVERGENCE,
        _CHECK_KIND_MAX,
        _CHECK_KIND_INVALID = -1,
} CheckKind;

const char *check_kind_to_string(CheckKind k);
CheckKind check_kind_from_string(const char *s);

typedef struct Finding {
        CheckKind check;
        char *text;
} Finding;

typedef struct Findings {
        Finding *items;
        size_t n;
} Findings;

void findings_done(Findings *f);
int findings_add(Findings *f, CheckKind check, const char *text);
int findings_addf(Findings *f, CheckKind check, const char *fmt, ...) _printf_(3, 4);
bool findings_have(const Findings *f, CheckKind check);
