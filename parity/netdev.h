/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Facts about this host's network devices, read over rtnetlink with
 * libnl-route-3 (the netlink library libvirt itself depends on): does a
 * device exist, what kind is it (bridge, openvswitch, vlan, ...), is it
 * up, which global IP prefixes does it carry, and which VLAN does its
 * uplink port tag.  Used to compare network segments across hosts.
 */
#pragma once

#include <stdbool.h>

#include "basic/macro.h"

typedef struct NetDev {
        bool exists;
        char *kind;      /* "bridge", "openvswitch", "vlan", "" for plain devices */
        bool up;         /* IFF_UP */
        char **prefixes; /* global unicast networks, e.g. "198.51.100.0/24" */
        int uplink_vlan; /* VLAN id of a vlan port enslaved to this bridge, -1 none */
        bool vlan_filtering;
} NetDev;

typedef struct NetDevContext NetDevContext;

/* One rtnetlink snapshot of links and addresses. */
int netdev_context_new(NetDevContext **ret);
void netdev_context_free(NetDevContext *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(NetDevContext *, netdev_context_free);

int netdev_query(NetDevContext *c, const char *name, NetDev *ret);
void netdev_done(NetDev *d);

/* "198.51.100.7/24" -> "198.51.100.0/24" (IPv4 and IPv6). */
int prefix_network(const char *addr_with_len, char **ret);
/* True if the two prefix lists share at least one network. */
bool prefixes_intersect(char *const *a, char *const *b);
