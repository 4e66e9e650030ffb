/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Destination side of persistence: a guest that arrived without
 * `--persistent` is transient and cannot be started here once shut down.
 * When its incoming migration completed, it is defined with what libvirt's
 * `--persistent` would have stored: the source's persistent definition
 * (published by the source migguardd, pending --config changes included)
 * or, for a transient source, the live definition.  The definition is
 * captured at once (before this host republishes its own facts over the
 * source's); defining waits until libvirt's migration job has ended.
 */
#pragma once

#include <libvirt/libvirt.h>

/* The definition to store for arrived @dom, named as here (--dname) and
 * without migguard's live-only facts.  -EEXIST: @dom is persistent already. */
int persist_definition_of(virDomainPtr dom, char **ret_xml);

typedef enum PersistOutcome {
        PERSIST_DEFINED, /* *ret_message says so */
        PERSIST_NOTHING, /* gone, or persistent already (`--persistent` did it) */
        PERSIST_RETRY,   /* libvirt's migration job still runs */
        PERSIST_FAILED,  /* *ret_message says why */
} PersistOutcome;

/* Define domain @uuid with @xml unless it is gone or persistent already. */
PersistOutcome persist_define(virConnectPtr conn, const char *uuid, const char *xml, char **ret_message);
