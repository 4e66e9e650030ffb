/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parity checks run on the destination before any data moves: CPU (with
 * libvirt's own comparison), vCPUs against online CPUs, and for every
 * interface the device or network it needs and the segment it leads to.
 * The checks only decide; how facts are obtained is behind ParityOps, so
 * migguard-parity plugs in libvirt and netlink, unit tests a table.
 */
#pragma once

#include "core/domain-xml.h"
#include "core/finding.h"
#include "parity/netdev.h"
#include "core/policy.h"

typedef struct ParityOps {
        /* libvirt CPU comparison of @cpu_xml with this host for @virttype:
         * 1 identical, 2 superset, 0 incompatible, <0 error; *reason set. */
        int (*compare_cpu)(void *ud, const DomainXml *d, const char *virttype, const char *cpu_xml, char **reason);
        /* 0 if this host can run @d's virt type (kvm usable...), <0 with *reason. */
        int (*virttype_usable)(void *ud, const DomainXml *d, char **reason);
        int (*host_cpu_model)(void *ud, char **ret);
        /* 1 active, 0 inactive, -ENOENT no such network; *ret_bridge if known. */
        int (*network)(void *ud, const char *name, char **ret_bridge);
        int (*netdev)(void *ud, const char *name, NetDev *ret);
        unsigned (*online_cpus)(void *ud);
        unsigned long (*libvirt_version)(void *ud);
} ParityOps;

typedef struct ParityResult {
        Findings refusals; /* one line each, e.g. "interface 52:...: bridge br0: ..." */
        Findings warnings;
} ParityResult;

void parity_result_done(ParityResult *r);

int parity_check(const Policy *p, const DomainXml *d, const ParityOps *ops, void *ud, ParityResult *ret);

/* The [segment NAME] a bridge, network or device belongs to, or NULL. */
const char *policy_segment_of(const Policy *p, const char *iface_type, const char *name);
