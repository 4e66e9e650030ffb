/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-backed parity facts (see parity-libvirt.h). */
#include "parity/parity-libvirt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "basic/alloc-util.h"
#include "core/virt-util.h"
#include "parity/host-cpu.h"
#include "basic/strv.h"
#include "basic/xml-util.h"

static int op_compare_cpu(void *ud, const DomainXml *d, const char *virttype, const char *cpu_xml, char **reason) {
        ParityHost *h = ud;
        int k = virConnectCompareHypervisorCPU(h->conn, d->emulator, d->arch, d->machine, virttype, cpu_xml,
                                               VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE);
        if (k >= 0)
                return k;
        int code = virt_last_error_code();
        *reason = virt_last_error();
        if (code == VIR_ERR_OK)
                return -EIO;
        /* A CPU this libvirt does not know at all (a feature or model of a
         * newer release) cannot run here either: incompatible, not "cannot
         * verify".  libvirt reports those as unsupported configuration. */
        if (code == VIR_ERR_CPU_INCOMPATIBLE || code == VIR_ERR_CONFIG_UNSUPPORTED)
                return 0;
        return strcasestr(virt_last_error_message(), "unknown CPU") ? 0 : -EIO;
}

static int op_virttype_usable(void *ud, const DomainXml *d, char **reason) {
        ParityHost *h = ud;
        _cleanup_free_ char *caps =
                virConnectGetDomainCapabilities(h->conn, d->emulator, d->arch, d->machine, d->virt_type, 0);
        if (caps)
                return 0;
        *reason = virt_last_error();
        return -EOPNOTSUPP;
}

int parity_host_cpu_model(virConnectPtr conn, char **ret) {
        _cleanup_free_ char *caps = virConnectGetCapabilities(conn);
        return caps ? host_cpu_model_from_caps(caps, ret) : -EIO;
}

int parity_host_cpu_for(virConnectPtr conn, const DomainXml *d, char **ret_cpu_xml) {
        _cleanup_free_ char *domcaps =
                virConnectGetDomainCapabilities(conn, d->emulator, d->arch, d->machine, d->virt_type, 0);
        return domcaps ? host_cpu_from_domcaps(domcaps, ret_cpu_xml, NULL) : -EIO;
}

static int op_host_cpu_model(void *ud, char **ret) {
        ParityHost *h = ud;
        return parity_host_cpu_model(h->conn, ret);
}

static int op_network(void *ud, const char *name, char **ret_bridge) {
        ParityHost *h = ud;
        _cleanup_(virNetworkFreep) virNetworkPtr n = virNetworkLookupByName(h->conn, name);
        if (!n)
                return virt_last_error_code() == VIR_ERR_NO_NETWORK ? -ENOENT : -EIO;
        int active = virNetworkIsActive(n);
        if (active < 0)
                return -EIO;
        if (active)
                *ret_bridge = virNetworkGetBridgeName(n); /* NULL for macvtap/hostdev networks */
        return active;
}

/* A remote host's device through libvirt's interface driver: existence,
 * kind, link state and the addresses libvirt reports. */
static int remote_netdev(virConnectPtr conn, const char *name, NetDev *ret) {
        _cleanup_(virInterfaceFreep) virInterfacePtr i = virInterfaceLookupByName(conn, name);
        NetDev d = { .uplink_vlan = -1 };
        if (!i) {
                if (virt_last_error_code() != VIR_ERR_NO_INTERFACE)
                        return -EOPNOTSUPP; /* no interface driver there: not visible */
                *ret = d;
                return 0;
        }
        _cleanup_free_ char *xml = virInterfaceGetXMLDesc(i, 0);
        if (!xml)
                return -EIO;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        int r = xml_parse_xpath(xml, strlen(xml), &doc, &ctx, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        _cleanup_free_ char *type = xpath_string(ctx, NULL, "/interface/@type");
        _cleanup_free_ char *state = xpath_string(ctx, NULL, "/interface/link/@state");
        d.exists = true;
        d.kind = strdup(type && streq(type, "bridge") ? "bridge" : "");
        d.up = !state || streq(state, "up");
        d.prefixes = calloc(1, sizeof(char *));
        if (!d.kind || !d.prefixes) {
                netdev_done(&d);
                return -ENOMEM;
        }
        /* Addresses, when the interface backend reports them. */
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr ips = xpath_nodes(ctx, NULL, "/interface/protocol/ip");
        for (int k = 0; ips && ips->nodesetval && k < ips->nodesetval->nodeNr; k++) {
                _cleanup_free_ char *addr = xml_prop(ips->nodesetval->nodeTab[k], "address"),
                                    *len = xml_prop(ips->nodesetval->nodeTab[k], "prefix"), *cidr = NULL, *net = NULL;
                if (!addr || !len || asprintf(&cidr, "%s/%s", addr, len) < 0 || prefix_network(cidr, &net) < 0)
                        continue;
                if (strv_push(&d.prefixes, net) < 0)
                        break;
        }
        *ret = d;
        return 0;
}

static int op_netdev(void *ud, const char *name, NetDev *ret) {
        ParityHost *h = ud;
        return h->net ? netdev_query(h->net, name, ret) : remote_netdev(h->conn, name, ret);
}

static unsigned op_online_cpus(void *ud) {
        ParityHost *h = ud;
        if (h->net) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                return n > 0 ? (unsigned) n : 0;
        }
        unsigned online = 0;
        int n = virNodeGetCPUMap(h->conn, NULL, &online, 0);
        return n < 0 ? 0 : online;
}

static unsigned long op_libvirt_version(void *ud) {
        ParityHost *h = ud;
        unsigned long v = 0;
        return virConnectGetLibVersion(h->conn, &v) == 0 ? v : 0;
}

const ParityOps parity_libvirt_ops = {
        .compare_cpu = op_compare_cpu,
        .virttype_usable = op_virttype_usable,
        .host_cpu_model = op_host_cpu_model,
        .network = op_network,
        .netdev = op_netdev,
        .online_cpus = op_online_cpus,
        .libvirt_version = op_libvirt_version,
};
