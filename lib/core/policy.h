/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard's policy: /etc/migguard/migguard.conf, then policy.d/NAME.conf in
 * lexical order, later wins.  INI syntax is parsed by inih; this module
 * owns the key table, value validation and "file:line: reason" errors.
 */
#pragma once

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>

#include "basic/macro.h"

typedef enum CheckMode {
        CHECK_OFF,
        CHECK_WARN,
        CHECK_ENFORCE,
} CheckMode;

typedef enum CpuMatch {
        CPU_MATCH_COMPATIBLE,
        CPU_MATCH_SAME_MODEL,
} CpuMatch;

typedef enum SubnetCheck {
        SUBNET_CHECK_OFF,
        SUBNET_CHECK_AUTO,
} SubnetCheck;

typedef enum PersistSource {
        PERSIST_SOURCE_KEEP,
        PERSIST_SOURCE_GUARD,
        PERSIST_SOURCE_UNDEFINE,
} PersistSource;

typedef enum ConvergeAction {
        CONVERGE_ACTION_ABORT,
        CONVERGE_ACTION_CONTINUE,
} ConvergeAction;

typedef struct Segment {
        char *name;
        char **bridges;
        char **networks;
        char **devices;
} Segment;

typedef struct Policy {
        unsigned n_ref; /* policy_ref()/policy_unref(), for sharing across threads */

        bool provision_enabled;
        char **allowed_dirs; /* absolute, normalised, no trailing slash */
        bool sparse;
        unsigned min_free_percent;

        CheckMode cpu_check;
        CpuMatch cpu_match;
        CheckMode vcpus_over_cores;

        CheckMode network_check;
        SubnetCheck subnet_check;
        Segment *segments;
        size_t n_segments;

        bool persist_destination;
        PersistSource persist_source;

        CheckMode storage_identity; /* shared storage must be the same storage here */

        bool converge_guard;            /* watch outgoing migrations for stalls */
        unsigned converge_max_downtime; /* ms: the guard raises the max downtime up to this */
        unsigned converge_stall_seconds;
        ConvergeAction converge_action;

        bool pinning_enabled;
        bool pinning_auto;
        cpu_set_t pinning_cpus; /* valid when !pinning_auto */
} Policy;

#define POLICY_MAX_FILE_SIZE (1024 * 1024)

int policy_new(Policy **ret);
void policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);
/* A policy shared between threads is immutable; the last unref frees it. */
Policy *policy_ref(Policy *p);
void policy_unref(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_unref);

/* Apply one INI text on top of @p; @name is used in error messages. */
int policy_parse_string(Policy *p, const char *name, const char *text, char **ret_error);
int policy_parse_file(Policy *p, const char *path, char **ret_error);
/* Defaults, then @main_conf (optional), then policy.d/ *.conf beside it. */
int policy_load(const char *main_conf, Policy **ret, char **ret_error);

bool policy_path_allowed(const Policy *p, const char *path);
int policy_dump(const Policy *p, FILE *f);

const char *check_mode_to_string(CheckMode m);
const char *persist_source_to_string(PersistSource s);
const char *converge_action_to_string(ConvergeAction a);

/* A domain's own settings (DomainXml.policy_override, policy file syntax)
 * over @p: only how strict the checks are; -EINVAL with *ret_error
 * ("domain policy: ...") for anything else or a bad value. */
int policy_apply_domain(Policy *p, const char *text, char **ret_error);
