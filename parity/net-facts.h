/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Source side of the network-segment check: where each of a guest's
 * interfaces leads on this host (the device, its kind, its subnets, its
 * uplink VLAN, and the [segment NAME] it belongs to), published with the
 * guest so that the destination can compare.
 */
#pragma once

#include <stddef.h>

#include "core/domain-xml.h"
#include "core/policy.h"

int net_facts_collect(const Policy *p, const DomainXml *x, NetFacts **ret, size_t *ret_n);
void net_facts_free(NetFacts *facts, size_t n);
