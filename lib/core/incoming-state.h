/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What migguard remembers about one incoming migration, between the
 * destination's `migrate begin` hook, its `prepare begin` hook, the
 * `release end` hook and migguardd: which images were missing, which it
 * created (by device and inode, so it never removes a file it did not
 * make), and whether the migration has completed (committed).
 * Stored as JSON (json-c) in /run/migguard/incoming/UUID.json.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/image.h"
#include "basic/macro.h"
#include "basic/time-util.h"

/* prepare must follow migrate begin within this window (seconds). */
#define INCOMING_PREPARE_WINDOW_SEC 600

typedef enum IncomingPhase {
        INCOMING_PLANNED,  /* migrate begin ran: images missing, pool ready */
        INCOMING_PREPARED, /* prepare begin ran: thin images in place */
} IncomingPhase;

typedef struct IncomingDisk {
        char *path;
        ImageInfo opts;    /* source facts (format, qcow2 options, size) */
        bool created;      /* migguard's thin image is in place */
        uint64_t dev, ino; /* identity of the file migguard may remove */
} IncomingDisk;

typedef struct IncomingState {
        char *uuid;
        char *name;
        int64_t begin_usec; /* CLOCK_REALTIME, compared with file mtimes */
        IncomingPhase phase;
        IncomingDisk *disks;
        size_t n_disks;
} IncomingState;

int incoming_state_new(const char *uuid, const char *name, IncomingState **ret);
void incoming_state_free(IncomingState *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(IncomingState *, incoming_state_free);
int incoming_state_add_disk(IncomingState *s, const char *path, const ImageInfo *opts);

int incoming_state_to_json(const IncomingState *s, char **ret);
int incoming_state_from_json(const char *json, IncomingState **ret);

/* Atomic write (temp file + rename) / read / remove of DIR/UUID.json. */
int incoming_state_save(const char *dir, const IncomingState *s);
int incoming_state_load(const char *dir, const char *uuid, IncomingState **ret);
int incoming_state_remove(const char *dir, const char *uuid);
/* UUIDs that have a state file. */
int incoming_state_list(const char *dir, char ***ret);

/* Does DIR hold a record for @uuid?  Asked without the lock (records are
 * replaced by rename): true also when it cannot tell. */
bool incoming_state_exists(const char *dir, const char *uuid);

/* Serialise every state change in DIR: flock, tried at least once, waited
 * for until @deadline (CLOCK_MONOTONIC; 0: do not wait); -ETIMEDOUT. */
int incoming_state_lock(const char *dir, usec_t deadline, int *ret_fd);
