/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What migguardd tells `migguard status` about itself beyond "running":
 * which policy it runs with and whether the last reload failed (and why).
 * A small JSON file, RUN_DIR/migguardd.status, replaced atomically.
 */
#pragma once

#include <time.h>

#include "basic/macro.h"

#define DAEMON_STATUS_NAME "migguardd.status"

typedef struct DaemonStatus {
        char *policy_file;
        time_t policy_loaded; /* when the policy in use was loaded */
        time_t reload_failed; /* when the last reload failed, 0: it did not */
        char *reload_error;   /* "file:line: reason" of that failure */
} DaemonStatus;

void daemon_status_done(DaemonStatus *s);
int daemon_status_save(const char *run_dir, const DaemonStatus *s);
int daemon_status_load(const char *run_dir, DaemonStatus *ret);
