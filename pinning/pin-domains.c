/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The running domains, as the Pinner sees them (see pin-domains.h). */
#include "pinning/pin-domains.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/alloc-util.h"
#include "basic/cpu-set.h"
#include "basic/xml-util.h"
#include "core/libvirt-daemon.h"
#include "core/virt-util.h"

int vcpu_pins_add(const char *domain_xml, cpu_set_t *set) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        int r = xml_parse_xpath(domain_xml, strlen(domain_xml), &doc, &ctx, NULL);
        if (r < 0)
                return r;
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o =
                xpath_nodes(ctx, NULL, "/domain/cputune/vcpupin/@cpuset | /domain/vcpu/@cpuset");
        for (int i = 0; o && o->nodesetval && i < o->nodesetval->nodeNr; i++) {
                _cleanup_xmlfree_ xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
                cpu_set_t one;
                if (v && cpu_set_parse((const char *) v, &one) == 0)
                        CPU_OR(set, set, &one);
        }
        return 0;
}

int pin_domains_collect(virConnectPtr conn, const char *run_root, PinDomain **ret_domains, size_t *ret_n,
                        cpu_set_t *ret_vcpu_cpus) {
        virDomainPtr *doms = NULL;
        cpu_set_t used;
        size_t n_out = 0;

        CPU_ZERO(&used);
        int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        if (n < 0)
                return -EIO;
        _cleanup_free_ PinDomain *out = calloc(n > 0 ? (size_t) n : 1, sizeof(PinDomain));
        for (int i = 0; i < n; i++) {
                const char *name = virDomainGetName(doms[i]);
                _cleanup_free_ char *xml = virDomainGetXMLDesc(doms[i], 0);
                pid_t pid;
                if (xml)
                        (void) vcpu_pins_add(xml, &used);
                if (out && name && libvirt_qemu_pid(run_root, name, &pid) == 0) {
                        out[n_out].pid = pid;
                        snprintf(out[n_out].name, sizeof(out[n_out].name), "%s", name);
                        n_out++;
                }
                virDomainFree(doms[i]);
        }
        free(doms);
        if (!out)
                return -ENOMEM;
        *ret_domains = TAKE_PTR(out);
        *ret_n = n_out;
        *ret_vcpu_cpus = used;
        return 0;
}
