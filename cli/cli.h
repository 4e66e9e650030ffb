/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The admin CLI's subcommands and what they share. */
#pragma once

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "core/paths.h"

#define DEFAULT_URI LIBVIRT_DEFAULT_URI

/* Exit codes: documented in migguard(8). */
enum {
        EXIT_OK = 0,
        EXIT_REFUSED = 1, /* a check refused, or status found a problem */
        EXIT_USAGE = 2,
        EXIT_UNREACHABLE = 3, /* cannot connect, no such domain */
};

int cli_usage(void);
int cli_status(int argc, char *argv[]);
int cli_check(int argc, char *argv[]);
int cli_release(int argc, char *argv[]);
int cli_policy_check(int argc, char *argv[]);
int cli_watch(int argc, char *argv[]);
/* status.c: a string field of a decision-log entry, or NULL */
struct json_object;
const char *cli_json_field(struct json_object *o, const char *k);
/* watch.c: the migrations in flight, for status */
void cli_show_migrations(virConnectPtr conn);

/* Where things are (core/paths.h), loaded once. */
const Paths *cli_paths(void);

/* Parse [--connect URI] followed by exactly @n_args arguments; returns the
 * index of the first, or -1 (print the usage). */
int cli_parse_connect(int argc, char *argv[], int n_args, const char **uri);

/* Connect (read-only if asked) or print why not; NULL on failure. */
virConnectPtr cli_connect(const char *uri, bool readonly);
/* By name, then UUID; prints "no domain" on failure. */
virDomainPtr cli_lookup_domain(virConnectPtr conn, const char *uri, const char *name);
