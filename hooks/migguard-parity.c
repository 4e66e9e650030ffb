/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard-parity: the destination's checks at `migrate begin` that need
 * more than the hook loads, run by migguard-hook as a separate program:
 * CPU, vCPU and network parity (libvirt) and the identity of shared
 * storage (libmount, sysfs).  Reads the incoming domain XML on stdin,
 * prints {"refusals": [{"check": "cpu", "text": "..."}, ...],
 * "warnings": [...]} on stdout.
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

#include "basic/alloc-util.h"
#include "basic/fileio.h"
#include "core/domain-xml.h"
#include "core/paths.h"
#include "core/virt-util.h"
#include "parity/parity-libvirt.h"
#include "storage/storage-facts.h"

static struct json_object *to_array(const Findings *f) {
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < f->n; i++) {
                struct json_object *o = json_object_new_object();
                const char *check = check_kind_to_string(f->items[i].check);
                if (!o)
                        break;
                if (check)
                        json_object_object_add(o, "check", json_object_new_string(check));
                json_object_object_add(o, "text", json_object_new_string(f->items[i].text));
                json_object_array_add(a, o);
        }
        return a;
}

/* CPU, vCPU and network parity; libvirt is not even opened when all are off. */
static int check_with_libvirt(const Policy *p, const DomainXml *d, const char *uri, ParityResult *res) {
        _cleanup_(virConnectClosep) virConnectPtr conn = NULL;
        _cleanup_(netdev_context_freep) NetDevContext *net = NULL;

        if (p->cpu_check == CHECK_OFF && p->vcpus_over_cores == CHECK_OFF && p->network_check == CHECK_OFF)
                return 0;
        virt_errors_silence();
        conn = virConnectOpen(uri);
        if (!conn) {
                fprintf(stderr, "cannot connect to libvirt to check CPU and networks\n");
                return -ECONNREFUSED;
        }
        if (netdev_context_new(&net) < 0) {
                fprintf(stderr, "cannot read network devices (rtnetlink)\n");
                return -EIO;
        }
        ParityHost h = { .conn = conn, .net = net };
        if (parity_check(p, d, &parity_libvirt_ops, &h, res) < 0) {
                fprintf(stderr, "parity checks failed: out of memory\n");
                return -ENOMEM;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *xml = NULL, *err = NULL;
        ParityResult res = { 0 };
        size_t len;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: migguard-parity POLICY-FILE [URI] < domain.xml\n");
                return 2;
        }
        if (read_full_fd(STDIN_FILENO, DOMAIN_XML_MAX_SIZE, &xml, &len) < 0 ||
            domain_xml_parse(xml, len, &d, &err) < 0) {
                fprintf(stderr, "%s\n", err ? err : "cannot read domain XML");
                return 1;
        }
        if (policy_load(argv[1], &p, &err) < 0 || policy_apply_domain(p, d->policy_override, &err) < 0) {
                fprintf(stderr, "%s\n", err ? err : "cannot load policy");
                return 1;
        }
        if (check_with_libvirt(p, d, argc > 2 ? argv[2] : LIBVIRT_DEFAULT_URI, &res) < 0)
                return 1;
        if (storage_check(p, d, NULL, &res.refusals, &res.warnings) < 0) {
                fprintf(stderr, "storage checks failed: out of memory\n");
                return 1;
        }
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "refusals", to_array(&res.refusals));
        json_object_object_add(o, "warnings", to_array(&res.warnings));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        parity_result_done(&res);
        return 0;
}
