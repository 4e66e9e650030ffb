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

#include "parity/netdev.h"
#include "parity/parity.h"

typedef struct ParityHost {
        virConnectPtr conn;
        NetDevContext *net; /* this host's devices; NULL: ask libvirt (remote host) */
} ParityHost;

extern const ParityOps parity_libvirt_ops;

/* The host CPU model libvirt reports for @conn's host (capabilities). */
int parity_host_cpu_model(virConnectPtr conn, char **ret);
/* @conn's host-model CPU for @d's emulator, machine and virt type, as a
 * plain <cpu> element: what the source publishes for host-model guests. */
int parity_host_cpu_for(virConnectPtr conn, const DomainXml *d, char **ret_cpu_xml);
