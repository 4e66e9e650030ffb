/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Single ownership on the source: after a guest migrated away, its
 * definition here is "guarded" so that `virsh start` cannot run a second
 * copy on stale disks.  A guard is a small JSON file,
 * /var/lib/migguard/guards/UUID.json, written by migguardd, checked by
 * the hook at `prepare begin`, released by `migguard release VM` and
 * cleared when the guest migrates back.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "basic/macro.h"

#define GUARD_DIR_NAME "guards"

typedef struct Guard {
        char *uuid;
        char *name;
        char *destination; /* where the guest went, "" if unknown */
        int64_t time;      /* when, seconds since the epoch */
        bool released;     /* `migguard release` ran: start allowed */
        bool autostart_was_on;
} Guard;

void guard_free(Guard *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(Guard *, guard_free);

int guard_save(const char *state_dir, const Guard *g);
int guard_load(const char *state_dir, const char *uuid, Guard **ret);
int guard_remove(const char *state_dir, const char *uuid);
/* Is there a guard file for @uuid (released or not)?  true also when it
 * cannot tell. */
bool guard_exists(const char *state_dir, const char *uuid);

/* The admin's one line: where the guest went and how to release it. */
int guard_message(const Guard *g, char **ret);
