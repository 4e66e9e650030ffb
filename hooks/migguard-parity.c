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
#include "parity-libvirt.h"
#include "virt-util.h"

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
        ParityHost h = { .conn = conn, .net = net };
        if (parity_check(p, d, &parity_libvirt_ops, &h, &res) < 0) {
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
