/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ParityOps answered by a libvirt connection: the destination hook's
 * helper (migguard-parity, local connection, devices read with rtnetlink)
 * and `migguard check` on the source (a remote connection to the
 * destination, devices read through libvirt's interface API where the
 * destination has one) use the same checks with the same messages.
 */
#pragma once

#include <libvirt/libvirt.h>

#include "netdev.h"
#include "parity.h"

typedef struct ParityHost {
        virConnectPtr conn;
        NetDevContext *net; /* this host's devices; NULL: ask libvirt (remote host) */
} ParityHost;

extern const ParityOps parity_libvirt_ops;

/* libvirt's last error message, first line only (never NULL unless OOM). */
char *virt_last_error(void);
