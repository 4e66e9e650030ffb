/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard-parity: the destination's parity checks at `migrate begin`,
 * run by migguard-hook as a separate program (it needs libvirt, which the
 * hook does not load).  Reads the incoming domain XML on stdin, prints
 * {"refusals": [...], "warnings": [...]} on stdout.
 *
 * Only connection-level libvirt calls are made (CPU comparison, domain
 * capabilities, networks): the migrating domain does not exist yet and no
 * domain is looked up, so nothing here can wait on a domain lock.
 *
 *   migguard-parity POLICY-FILE [URI] < domain.xml      (URI: qemu:///system)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libvirt/virterror.h>

#include "alloc-util.h"
#include "domain-xml.h"
#include "host-cpu.h"
#include "parity.h"
#include "virt-util.h"

typedef struct Host {
        virConnectPtr conn;
        NetDevContext *net;
} Host;

static char *last_error(void) {
        const virError *e = virGetLastError();
        char *s = strdup(e && e->message ? e->message : "unknown libvirt error");
        if (s)
                s[strcspn(s, "\n")] = 0;
        return s;
}

static int op_compare_cpu(void *ud, const DomainXml *d, const char *virttype, const char *cpu_xml, char **reason) {
        Host *h = ud;
        int k = virConnectCompareHypervisorCPU(h->conn, d->emulator, d->arch, d->machine, virttype, cpu_xml,
                                               VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE);
        if (k >= 0)
                return k;
        const virError *e = virGetLastError();
        *reason = last_error();
        return e && e->code == VIR_ERR_CPU_INCOMPATIBLE ? 0 : -EIO;
}

static int op_virttype_usable(void *ud, const DomainXml *d, char **reason) {
        Host *h = ud;
        _cleanup_free_ char *caps =
                virConnectGetDomainCapabilities(h->conn, d->emulator, d->arch, d->machine, d->virt_type, 0);
        if (caps)
                return 0;
        *reason = last_error();
        return -EOPNOTSUPP;
}

static int op_host_cpu_model(void *ud, char **ret) {
        Host *h = ud;
        _cleanup_free_ char *caps = virConnectGetCapabilities(h->conn);
        return caps ? host_cpu_model_from_caps(caps, ret) : -EIO;
}

static int op_network(void *ud, const char *name, char **ret_bridge) {
        Host *h = ud;
        _cleanup_(virNetworkFreep) virNetworkPtr n = virNetworkLookupByName(h->conn, name);
        if (!n) {
                const virError *e = virGetLastError();
                return e && e->code == VIR_ERR_NO_NETWORK ? -ENOENT : -EIO;
        }
        int active = virNetworkIsActive(n);
        if (active < 0)
                return -EIO;
        if (active)
                *ret_bridge = virNetworkGetBridgeName(n); /* NULL for macvtap/hostdev networks */
        return active;
}

static int op_netdev(void *ud, const char *name, NetDev *ret) {
        Host *h = ud;
        return netdev_query(h->net, name, ret);
}

static unsigned op_online_cpus(void *ud _unused_) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (unsigned) n : 0;
}

static unsigned long op_libvirt_version(void *ud) {
        Host *h = ud;
        unsigned long v = 0;
        return virConnectGetLibVersion(h->conn, &v) == 0 ? v : 0;
}

static const ParityOps libvirt_ops = {
        .compare_cpu = op_compare_cpu,
        .virttype_usable = op_virttype_usable,
        .host_cpu_model = op_host_cpu_model,
        .network = op_network,
        .netdev = op_netdev,
        .online_cpus = op_online_cpus,
        .libvirt_version = op_libvirt_version,
};

static int read_all(FILE *f, char **ret, size_t *ret_len) {
        size_t cap = 1 << 16, len = 0;
        char *buf = malloc(cap + 1);
        for (size_t n; buf && (n = fread(buf + len, 1, cap - len, f)) > 0;) {
                len += n;
                if (len == cap) {
                        if (cap > DOMAIN_XML_MAX_SIZE)
                                break;
                        char *nb = realloc(buf, (cap *= 2) + 1);
                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
        }
        if (!buf)
                return -ENOMEM;
        buf[len] = 0;
        *ret = buf;
        *ret_len = len;
        return 0;
}

static struct json_object *to_array(char **l) {
        struct json_object *a = json_object_new_array();
        for (; a && l && *l; l++)
                json_object_array_add(a, json_object_new_string(*l));
        return a;
}

int main(int argc, char *argv[]) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(virConnectClosep) virConnectPtr conn = NULL;
        _cleanup_(netdev_context_freep) NetDevContext *net = NULL;
        _cleanup_free_ char *xml = NULL, *err = NULL;
        ParityResult res = { 0 };
        size_t len;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: migguard-parity POLICY-FILE [URI] < domain.xml\n");
                return 2;
        }
        if (read_all(stdin, &xml, &len) < 0 || domain_xml_parse(xml, len, &d, &err) < 0) {
                fprintf(stderr, "%s\n", err ? err : "cannot read domain XML");
                return 1;
        }
        if (policy_load(argv[1], &p, &err) < 0) {
                fprintf(stderr, "%s\n", err ? err : "cannot load policy");
                return 1;
        }
        virt_errors_silence();
        conn = virConnectOpen(argc > 2 ? argv[2] : "qemu:///system");
        if (!conn) {
                fprintf(stderr, "cannot connect to libvirt to check CPU and networks\n");
                return 1;
        }
        if (netdev_context_new(&net) < 0) {
                fprintf(stderr, "cannot read network devices (rtnetlink)\n");
                return 1;
        }
        Host h = { .conn = conn, .net = net };
        if (parity_check(p, d, &libvirt_ops, &h, &res) < 0) {
                fprintf(stderr, "parity checks failed: out of memory\n");
                return 1;
        }
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "refusals", to_array(res.refusals));
        json_object_object_add(o, "warnings", to_array(res.warnings));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        parity_result_done(&res);
        return 0;
}
