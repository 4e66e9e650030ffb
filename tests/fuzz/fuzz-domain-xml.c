/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the hook's first contact with untrusted input:
 * domain_xml_parse() on arbitrary bytes.  Accepted documents must satisfy
 * what callers rely on (valid lowercase UUID, every disk with a type,
 * device and target), and their facts must survive domain_facts_format()
 * and a second parse unchanged.
 */
#undef NDEBUG
#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_domain(const DomainXml *d) {
        assert(d->name && d->uuid);
        assert(strlen(d->uuid) == 36);
        for (const char *c = d->uuid; *c; c++)
                assert(*c == '-' || isdigit((unsigned char) *c) || (*c >= 'a' && *c <= 'f'));
        assert(d->n_disks <= 1024 && d->n_facts <= 1024);
        for (size_t i = 0; i < d->n_disks; i++)
                assert(d->disks[i].type && d->disks[i].device && d->disks[i].target);
        for (size_t i = 0; i < d->n_facts; i++) {
                assert(d->facts[i].target && d->facts[i].format);
                assert(domain_xml_find_facts(d, d->facts[i].target));
        }
}

static void check_same_facts(const DomainXml *a, const DomainXml *b) {
        assert(streq_ptr(a->facts_host, b->facts_host) || (a->n_facts == 0 && !b->facts_host));
        assert(a->n_facts == b->n_facts);
        for (size_t i = 0; i < a->n_facts; i++) {
                const ImageInfo *x = &a->facts[i], *y = &b->facts[i];
                assert(streq_ptr(x->target, y->target));
                assert(streq_ptr(x->format, y->format));
                assert(x->virtual_size == y->virtual_size);
                assert(x->cluster_size == y->cluster_size);
                assert(streq_ptr(x->compat, y->compat));
                assert(x->lazy_refcounts == y->lazy_refcounts);
                assert(x->extended_l2 == y->extended_l2);
                assert(streq_ptr(x->compression_type, y->compression_type));
        }
}

/*
 * Format the facts, store them the way virDomainSetMetadata() does (root
 * element moved into our namespace, children unqualified), put that in a
 * fresh domain and parse it again.
 */
static int format_all(const DomainXml *d, char **ret) {
        SourceFacts f = { .host = d->facts_host,
                          .disks = d->facts,
                          .n_disks = d->n_facts,
                          .cpu_model = d->src_cpu_model,
                          .cpu_xml = d->src_cpu_xml,
                          .nets = d->net_facts,
                          .n_nets = d->n_net_facts,
                          .inactive_xml = d->src_inactive_xml };
        return source_facts_format(&f, ret);
}

static void check_facts_roundtrip(const DomainXml *d) {
        _cleanup_free_ char *facts = NULL, *xml = NULL, *err = NULL, *facts2 = NULL;
        _cleanup_(domain_xml_freep) DomainXml *again = NULL;

        if (format_all(d, &facts) < 0)
                return; /* out of memory */
        assert(strncmp(facts, "<facts", 6) == 0);
        const char *rest = facts + 6;
        size_t n = strlen(rest);
        bool closed = n >= 8 && strcmp(rest + n - 8, "</facts>") == 0;
        if (asprintf(&xml,
                     "<domain><name>n</name><uuid>%s</uuid><metadata>"
                     "<" MG_XMLNS_PREFIX ":facts xmlns:" MG_XMLNS_PREFIX "=\"" MG_XMLNS "\"%.*s%s"
                     "</metadata></domain>",
                     d->uuid, (int) (closed ? n - 8 : n), rest, closed ? "</" MG_XMLNS_PREFIX ":facts>" : "") < 0)
                return;
        int r = domain_xml_parse(xml, strlen(xml), &again, &err);
        if (r < 0) {
                fprintf(stderr, "formatted facts do not parse (%d: %s):\n%s\n", r, err ? err : "?", xml);
                abort();
        }
        check_same_facts(d, again);
        /* host CPU, interfaces and the persistent definition too */
        if (format_all(again, &facts2) < 0)
                return;
        if (strcmp(facts, facts2) != 0) {
                fprintf(stderr, "facts changed in a round trip:\n%s\n%s\n", facts, facts2);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_free_ char *err = NULL;

        int r = domain_xml_parse((const char *) data, size, &d, &err);
        if (r < 0) {
                assert(!d);
                assert(r == -ENOMEM || (err && !strchr(err, '\n')));
                return 0;
        }
        assert(d && !err);
        check_domain(d);
        check_facts_roundtrip(d);
        return 0;
}
