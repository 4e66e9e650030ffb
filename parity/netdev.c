/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink snapshots through libnl-route-3 caches (see netdev.h). */
#include "parity/netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>

#include "basic/strv.h"

struct NetDevContext {
        struct nl_sock *sock;
        struct nl_cache *links;
        struct nl_cache *addrs;
};

void netdev_context_free(NetDevContext *c) {
        if (!c)
                return;
        if (c->addrs)
                nl_cache_free(c->addrs);
        if (c->links)
                nl_cache_free(c->links);
        if (c->sock)
                nl_socket_free(c->sock);
        free(c);
}

int netdev_context_new(NetDevContext **ret) {
        _cleanup_(netdev_context_freep) NetDevContext *c = calloc(1, sizeof(NetDevContext));
        if (!c)
                return -ENOMEM;
        c->sock = nl_socket_alloc();
        if (!c->sock)
                return -ENOMEM;
        if (nl_connect(c->sock, NETLINK_ROUTE) < 0)
                return -EIO;
        if (rtnl_link_alloc_cache(c->sock, AF_UNSPEC, &c->links) < 0 || rtnl_addr_alloc_cache(c->sock, &c->addrs) < 0)
                return -EIO;
        *ret = TAKE_PTR(c);
        return 0;
}

void netdev_done(NetDev *d) {
        free(d->kind);
        strv_free(d->prefixes);
        *d = (NetDev){ .uplink_vlan = -1 };
}

int prefix_network(const char *addr_with_len, char **ret) {
        char buf[INET6_ADDRSTRLEN + 8];
        unsigned char bytes[16];
        const char *slash = strchr(addr_with_len, '/');
        int family, len, max;

        if (!slash || (size_t) (slash - addr_with_len) >= INET6_ADDRSTRLEN)
                return -EINVAL;
        memcpy(buf, addr_with_len, (size_t) (slash - addr_with_len));
        buf[slash - addr_with_len] = 0;
        family = strchr(buf, ':') ? AF_INET6 : AF_INET;
        max = family == AF_INET ? 32 : 128;
        if (sscanf(slash + 1, "%d", &len) != 1 || len < 0 || len > max)
                return -EINVAL;
        if (inet_pton(family, buf, bytes) != 1)
                return -EINVAL;
        for (int bit = len; bit < max; bit++)
                bytes[bit / 8] &= (unsigned char) ~(0x80 >> (bit % 8));
        char out[INET6_ADDRSTRLEN];
        if (!inet_ntop(family, bytes, out, sizeof(out)))
                return -EINVAL;
        return asprintf(ret, "%s/%d", out, len) < 0 ? -ENOMEM : 0;
}

bool prefixes_intersect(char *const *a, char *const *b) {
        for (char *const *i = a; i && *i; i++)
                if (strv_contains(b, *i))
                        return true;
        return false;
}

static int collect_prefixes(NetDevContext *c, int ifindex, char ***prefixes) {
        for (struct nl_object *o = nl_cache_get_first(c->addrs); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                char txt[INET6_ADDRSTRLEN + 8];
                _cleanup_free_ char *net = NULL;

                if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE)
                        continue;
                struct nl_addr *local = rtnl_addr_get_local(a);
                if (!local || !nl_addr2str(local, txt, sizeof(txt)))
                        continue;
                if (!strchr(txt, '/')) {
                        size_t n = strlen(txt);
                        snprintf(txt + n, sizeof(txt) - n, "/%d", rtnl_addr_get_prefixlen(a));
                }
                if (prefix_network(txt, &net) < 0)
                        continue;
                if (!strv_contains(*prefixes, net) && strv_push(prefixes, net) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int uplink_vlan(NetDevContext *c, int ifindex) {
        for (struct nl_object *o = nl_cache_get_first(c->links); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *l = (struct rtnl_link *) o;
                const char *kind = rtnl_link_get_type(l);
                if (rtnl_link_get_master(l) == ifindex && kind && streq(kind, "vlan"))
                        return rtnl_link_vlan_get_id(l);
        }
        return -1;
}

static bool read_vlan_filtering(const char *name) {
        char path[256], c = '0';
        snprintf(path, sizeof(path), "/sys/class/net/%s/bridge/vlan_filtering", name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd >= 0 && read(fd, &c, 1) == 1 && c == '1';
}

int netdev_query(NetDevContext *c, const char *name, NetDev *ret) {
        NetDev d = { .uplink_vlan = -1 };
        struct rtnl_link *l;

        if (!name || strlen(name) >= IFNAMSIZ || strchr(name, '/'))
                return -EINVAL;
        l = rtnl_link_get_by_name(c->links, name);
        if (!l) {
                *ret = d;
                return 0;
        }
        d.exists = true;
        const char *kind = rtnl_link_get_type(l);
        d.kind = strdup(kind ? kind : "");
        d.up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
        int ifindex = rtnl_link_get_ifindex(l);
        rtnl_link_put(l);
        if (!d.kind || collect_prefixes(c, ifindex, &d.prefixes) < 0) {
                netdev_done(&d);
                return -ENOMEM;
        }
        if (!d.prefixes && !(d.prefixes = calloc(1, sizeof(char *)))) {
                netdev_done(&d);
                return -ENOMEM;
        }
        d.uplink_vlan = uplink_vlan(c, ifindex);
        d.vlan_filtering = streq(d.kind, "bridge") && read_vlan_filtering(name);
        *ret = d;
        return 0;
}
