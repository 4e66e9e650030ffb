/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The destination side of a migration, one function per libvirt hook call
 * migguard handles.  Each returns what the hook's main() must say: lines
 * for the admin's virsh error (refusals) and notes for the journal.
 * Nothing here prints or exits, and every wait ends by the caller's one
 * deadline.
 */
#pragma once

#include <stddef.h>

#include "basic/macro.h"
#include "basic/time-util.h"
#include "core/finding.h"

/* The hook's whole budget: libvirt itself waits for a hook forever. */
#define HOOK_DEADLINE_SEC 120

typedef struct HookEnv {
        const char *config_file;    /* the policy */
        const char *run_dir;        /* /run/migguard: migguardd's lock */
        const char *incoming_dir;   /* /run/migguard/incoming: records of incoming migrations */
        const char *state_dir;      /* /var/lib/migguard: guards */
        const char *storage_helper; /* migguard-storage */
        const char *parity_helper;  /* migguard-parity */
        const char *uri;            /* libvirt URI for the parity checks (tests) */
        usec_t deadline;            /* CLOCK_MONOTONIC: every wait ends by then */
} HookEnv;

typedef enum NoteKind {
        NOTE_REFUSED,
        NOTE_PROVISIONED,
        NOTE_CLEANED_UP,
        NOTE_POOL,
        NOTE_WARNING,
} NoteKind;

typedef struct HookNote {
        NoteKind kind;
        CheckKind check; /* _CHECK_KIND_INVALID: not a check's */
        char *disk;
        char *path;
        char *text;
} HookNote;

typedef struct HookResult {
        int exit_status;
        char *domain; /* for log fields */
        char **stderr_lines;
        HookNote *notes;
        size_t n_notes;
        char *new_xml; /* migrate begin: the domain XML libvirt should use instead */
} HookResult;

void hook_result_done(HookResult *r);

int incoming_migrate_begin(const HookEnv *env, const char *xml, size_t len, HookResult *res);
int incoming_prepare_begin(const HookEnv *env, const char *xml, size_t len, HookResult *res);
int incoming_release_end(const HookEnv *env, const char *xml, size_t len, HookResult *res);
