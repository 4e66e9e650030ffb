/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interface facts of a running guest (see net-facts.h). */
#include "parity/net-facts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parity/netdev.h"
#include "parity/parity.h"

void net_facts_free(NetFacts *facts, size_t n) {
        for (size_t i = 0; i < n; i++)
                net_facts_done(&facts[i]);
        free(facts);
}

static int fill(const Policy *p, NetDevContext *ctx, const DomainInterface *nic, NetFacts *f) {
        const char *device = streq(nic->type, "network") ? nic->bridge : nic->source;
        const char *seg = policy_segment_of(p, nic->type, nic->source);
        NetDev dev;

        *f = (NetFacts){ .vlan = -1, .mac = strdup(nic->mac) };
        if (!f->mac || (seg && !(f->segment = strdup(seg))))
                return -ENOMEM;
        if (!device || netdev_query(ctx, device, &dev) < 0)
                return 0;
        if (dev.exists) {
                f->device = strdup(device);
                f->kind = TAKE_PTR(dev.kind);
                f->prefixes = TAKE_PTR(dev.prefixes);
                f->vlan = dev.uplink_vlan;
        }
        netdev_done(&dev);
        return 0;
}

int net_facts_collect(const Policy *p, const DomainXml *x, NetFacts **ret, size_t *ret_n) {
        _cleanup_(netdev_context_freep) NetDevContext *ctx = NULL;
        size_t n = 0;

        *ret = NULL;
        *ret_n = 0;
        if (x->n_ifaces == 0)
                return 0;
        NetFacts *items = calloc(x->n_ifaces, sizeof(NetFacts));
        if (!items)
                return -ENOMEM;
        if (netdev_context_new(&ctx) < 0) {
                free(items);
                return -EIO;
        }
        for (size_t i = 0; i < x->n_ifaces; i++) {
                const DomainInterface *nic = &x->ifaces[i];
                if (!nic->mac ||
                    (!streq(nic->type, "bridge") && !streq(nic->type, "network") && !streq(nic->type, "direct")))
                        continue;
                int r = fill(p, ctx, nic, &items[n++]);
                if (r < 0) {
                        net_facts_free(items, n);
                        return r;
                }
        }
        *ret = items;
        *ret_n = n;
        return 0;
}
