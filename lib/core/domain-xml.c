/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain XML reader.  Only what migguard decides on is extracted; every
 * value is treated as hostile and validated before use (UUIDs name state
 * files, paths name images).
 */
#include "core/domain-xml.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/alloc-util.h"
#include "basic/strv.h"
#include "basic/xml-util.h"

#define MAX_DISKS 1024

static bool uuid_valid(const char *u) {
        if (!u || strlen(u) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? u[i] != '-' : !isxdigit((unsigned char) u[i]))
                        return false;
        }
        return true;
}

static void disk_done(DomainDisk *d) {
        free(d->target);
        free(d->device);
        free(d->type);
        free(d->source);
        free(d->format);
}

void domain_xml_free(DomainXml *d) {
        if (!d)
                return;
        free(d->policy_override);
        for (size_t i = 0; i < d->n_disks; i++)
                disk_done(&d->disks[i]);
        free(d->disks);
        for (size_t i = 0; i < d->n_facts; i++)
                image_info_done(&d->facts[i]);
        free(d->facts);
        free(d->name);
        free(d->uuid);
        free(d->virt_type);
        free(d->facts_host);
        free(d->emulator);
        free(d->arch);
        free(d->machine);
        free(d->cpu_mode);
        free(d->cpu_model);
        free(d->cpu_check);
        free(d->cpu_xml);
        for (size_t i = 0; i < d->n_ifaces; i++) {
                free(d->ifaces[i].mac);
                free(d->ifaces[i].type);
                free(d->ifaces[i].source);
                free(d->ifaces[i].bridge);
                free(d->ifaces[i].direct_mode);
                free(d->ifaces[i].virtualport);
        }
        free(d->ifaces);
        free(d->src_cpu_model);
        free(d->src_cpu_xml);
        free(d->src_inactive_xml);
        for (size_t i = 0; i < d->n_net_facts; i++)
                net_facts_done(&d->net_facts[i]);
        free(d->net_facts);
        for (size_t i = 0; i < d->n_storage_facts; i++)
                storage_facts_done(&d->storage_facts[i]);
        free(d->storage_facts);
        free(d);
}

void net_facts_done(NetFacts *f) {
        free(f->mac);
        free(f->device);
        free(f->kind);
        free(f->segment);
        strv_free(f->prefixes);
        *f = (NetFacts){ .vlan = -1 };
}

void storage_facts_done(StorageFacts *f) {
        free(f->target);
        strv_free(f->pairs);
        *f = (StorageFacts){};
}

static int read_disk(xmlXPathContextPtr ctx, xmlNodePtr n, DomainDisk *d) {
        d->type = xml_prop(n, "type");
        d->device = xml_prop(n, "device");
        if (!d->device)
                d->device = strdup("disk");
        d->target = xpath_string(ctx, n, "./target/@dev");
        d->format = xpath_string(ctx, n, "./driver/@type");
        d->source = xpath_string(ctx, n, "./source/@file");
        if (!d->source)
                d->source = xpath_string(ctx, n, "./source/@dev");
        d->readonly = xpath_exists(ctx, n, "./readonly");
        d->shareable = xpath_exists(ctx, n, "./shareable");
        d->transient = xpath_exists(ctx, n, "./transient");
        if (!d->type || !d->device || !d->target)
                return -EINVAL;
        return 0;
}

static int read_facts_disk(xmlNodePtr n, ImageInfo *i) {
        _cleanup_free_ char *vs = xml_prop(n, "virtual-size"), *cs = xml_prop(n, "cluster-size"),
                            *lr = xml_prop(n, "lazy-refcounts"), *el = xml_prop(n, "extended-l2"),
                            *sp = xml_prop(n, "sparse");

        image_info_init(i);
        i->target = xml_prop(n, "target");
        i->format = xml_prop(n, "format");
        i->compat = xml_prop(n, "compat");
        i->compression_type = xml_prop(n, "compression-type");
        if (!i->target || !i->format)
                return -EINVAL;
        if (vs && parse_u64(vs, &i->virtual_size) < 0)
                return -EINVAL;
        if (cs && parse_u64(cs, &i->cluster_size) < 0)
                return -EINVAL;
        if (lr)
                i->lazy_refcounts = streq(lr, "on");
        if (el)
                i->extended_l2 = streq(el, "on");
        if (sp)
                i->sparse = streq(sp, "on");
        return 0;
}

static int read_disk_facts(xmlXPathContextPtr ctx, DomainXml *d) {
        /* the children of our element come back with or without our
         * namespace prefix (libvirt 9 keeps it), so match by local name */
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o =
                xpath_nodes(ctx, NULL, "/domain/metadata/mg:facts[1]/*[local-name()='disk']");
        if (!o || !o->nodesetval || o->nodesetval->nodeNr == 0)
                return 0;
        if (o->nodesetval->nodeNr > MAX_DISKS)
                return -E2BIG;

        d->facts = calloc((size_t) o->nodesetval->nodeNr, sizeof(ImageInfo));
        if (!d->facts)
                return -ENOMEM;
        for (int i = 0; i < o->nodesetval->nodeNr; i++) {
                d->n_facts++;
                if (read_facts_disk(o->nodesetval->nodeTab[i], &d->facts[i]) < 0)
                        return -EINVAL;
        }
        return 0;
}

static int read_net_fact(xmlNodePtr n, NetFacts *f) {
        _cleanup_free_ char *vlan = xml_prop(n, "vlan");
        *f = (NetFacts){ .vlan = -1 };
        f->mac = xml_prop(n, "mac");
        f->device = xml_prop(n, "device");
        f->kind = xml_prop(n, "kind");
        f->segment = xml_prop(n, "segment");
        if (!f->mac)
                return -EINVAL;
        if (vlan) {
                uint64_t v;
                if (parse_u64(vlan, &v) < 0 || v > 4095)
                        return -EINVAL;
                f->vlan = (int) v;
        }
        f->prefixes = calloc(1, sizeof(char *));
        if (!f->prefixes)
                return -ENOMEM;
        for (xmlNodePtr c = n->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "prefix"))
                        continue;
                xmlChar *t = xmlNodeGetContent(c);
                int r = t ? strv_push(&f->prefixes, (const char *) t) : 0;
                xmlFree(t);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_source_host_facts(xmlXPathContextPtr ctx, DomainXml *d) {
        d->src_cpu_model = xpath_string(ctx, NULL, "/domain/metadata/mg:facts[1]/*[local-name()='host-cpu']/@model");
        d->src_cpu_xml = xpath_string(ctx, NULL, "/domain/metadata/mg:facts[1]/*[local-name()='host-cpu']");
        d->src_inactive_xml = xpath_string(ctx, NULL, "/domain/metadata/mg:facts[1]/*[local-name()='inactive']");

        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o =
                xpath_nodes(ctx, NULL, "/domain/metadata/mg:facts[1]/*[local-name()='interface']");
        int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;
        if (n > MAX_DISKS)
                return -E2BIG;
        if (n == 0)
                return 0;
        d->net_facts = calloc((size_t) n, sizeof(NetFacts));
        if (!d->net_facts)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                d->n_net_facts++;
                int r = read_net_fact(o->nodesetval->nodeTab[i], &d->net_facts[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

#define MAX_STORAGE_PAIRS 32

/* <storage target="vda" kind="shared-fs" fstype="nfs4" ...>: every other attribute is a pair. */
static int read_storage_fact(xmlNodePtr n, StorageFacts *f) {
        f->target = xml_prop(n, "target");
        f->pairs = calloc(1, sizeof(char *));
        if (!f->target || !f->pairs)
                return -EINVAL;
        size_t k = 0;
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
                if (xmlStrEqual(a->name, (const xmlChar *) "target"))
                        continue;
                if (++k > MAX_STORAGE_PAIRS)
                        return -E2BIG;
                _cleanup_xmlfree_ xmlChar *v = xmlNodeGetContent((xmlNodePtr) a);
                if (!v || strv_push(&f->pairs, (const char *) a->name) < 0 ||
                    strv_push(&f->pairs, (const char *) v) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int read_storage_facts(xmlXPathContextPtr ctx, DomainXml *d) {
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o =
                xpath_nodes(ctx, NULL, "/domain/metadata/mg:facts[1]/*[local-name()='storage']");
        int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;
        if (n > MAX_DISKS)
                return -E2BIG;
        if (n == 0)
                return 0;
        d->storage_facts = calloc((size_t) n, sizeof(StorageFacts));
        if (!d->storage_facts)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                d->n_storage_facts++;
                int r = read_storage_fact(o->nodesetval->nodeTab[i], &d->storage_facts[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_facts(xmlXPathContextPtr ctx, DomainXml *d) {
        d->facts_host = xpath_string(ctx, NULL, "/domain/metadata/mg:facts[1]/@host");
        int r = read_disk_facts(ctx, d);
        if (r >= 0)
                r = read_storage_facts(ctx, d);
        return r < 0 ? r : read_source_host_facts(ctx, d);
}

static int read_interface(xmlXPathContextPtr ctx, xmlNodePtr n, DomainInterface *i) {
        i->type = xml_prop(n, "type");
        i->mac = xpath_string(ctx, n, "./mac/@address");
        if (!i->type)
                return -EINVAL;
        if (streq(i->type, "bridge"))
                i->source = xpath_string(ctx, n, "./source/@bridge");
        else if (streq(i->type, "network")) {
                i->source = xpath_string(ctx, n, "./source/@network");
                i->bridge = xpath_string(ctx, n, "./source/@bridge");
        } else
                i->source = xpath_string(ctx, n, "./source/@dev");
        i->direct_mode = xpath_string(ctx, n, "./source/@mode");
        i->virtualport = xpath_string(ctx, n, "./virtualport/@type");
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr tags = xpath_nodes(ctx, n, "./vlan/tag");
        i->n_vlan_tags = tags && tags->nodesetval ? (unsigned) tags->nodesetval->nodeNr : 0;
        return i->type ? 0 : -EINVAL;
}

static int read_cpu_and_nics(xmlXPathContextPtr ctx, DomainXml *d) {
        _cleanup_free_ char *vcpu = xpath_string(ctx, NULL, "/domain/vcpu"),
                            *cur = xpath_string(ctx, NULL, "/domain/vcpu/@current");
        uint64_t v = 1;
        if ((cur && parse_u64(cur, &v) < 0) || (!cur && vcpu && parse_u64(vcpu, &v) < 0) || v > 65536)
                return -EINVAL;
        d->vcpus = (unsigned) v;
        d->emulator = xpath_string(ctx, NULL, "/domain/devices/emulator");
        d->arch = xpath_string(ctx, NULL, "/domain/os/type/@arch");
        d->machine = xpath_string(ctx, NULL, "/domain/os/type/@machine");

        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr cpu = xpath_nodes(ctx, NULL, "/domain/cpu");
        if (cpu && cpu->nodesetval && cpu->nodesetval->nodeNr > 0) {
                xmlNodePtr c = cpu->nodesetval->nodeTab[0];
                d->cpu_mode = xml_prop(c, "mode");
                if (!d->cpu_mode)
                        d->cpu_mode = strdup("custom");
                d->cpu_check = xml_prop(c, "check");
                d->cpu_model = xpath_string(ctx, c, "./model");
                if (!d->cpu_mode || xml_node_to_string(ctx->doc, c, &d->cpu_xml) < 0)
                        return -ENOMEM;
        }

        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr nics = xpath_nodes(ctx, NULL, "/domain/devices/interface");
        int n = nics && nics->nodesetval ? nics->nodesetval->nodeNr : 0;
        if (n > MAX_DISKS)
                return -E2BIG;
        if (n > 0 && !(d->ifaces = calloc((size_t) n, sizeof(DomainInterface))))
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                d->n_ifaces++;
                if (read_interface(ctx, nics->nodesetval->nodeTab[i], &d->ifaces[i]) < 0)
                        return -EINVAL;
        }
        return 0;
}

static int refuse(char **ret_error, const char *msg, int r) {
        *ret_error = strdup(msg);
        return r;
}

/* Each child element of the policy element is a section, each of its
 * attributes a key: written out as the policy file syntax, so that one
 * parser checks both (policy_apply_domain). */
static int read_policy_override(xmlXPathContextPtr ctx, DomainXml *d) {
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o =
                xpath_nodes(ctx, NULL, "/domain/metadata/*[namespace-uri()='" MG_POLICY_XMLNS "'][1]/*");
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        bool any = xpath_exists(ctx, NULL, "/domain/metadata/*[namespace-uri()='" MG_POLICY_XMLNS "']");
        for (int i = 0; o && o->nodesetval && i < o->nodesetval->nodeNr; i++) {
                xmlNodePtr n = o->nodesetval->nodeTab[i];
                fprintf(f, "[%s]\n", (const char *) n->name);
                for (xmlAttrPtr a = n->properties; a; a = a->next) {
                        _cleanup_xmlfree_ xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
                        /* a value on one line: the policy syntax has no other */
                        if (v && strpbrk((const char *) v, "\n\r"))
                                return -EBADMSG;
                        fprintf(f, "%s = %s\n", (const char *) a->name, v ? (const char *) v : "");
                }
        }
        if (fflush(f) != 0 || ferror(f))
                return -ENOMEM;
        fclose(TAKE_PTR(f));
        if (any)
                d->policy_override = TAKE_PTR(text);
        return 0;
}

int domain_xml_parse(const char *buf, size_t len, DomainXml **ret, char **ret_error) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        int r;

        if (len > DOMAIN_XML_MAX_SIZE)
                return refuse(ret_error, "domain XML larger than 16 MiB", -EFBIG);
        r = xml_parse_xpath(buf, len, &doc, &ctx, ret_error);
        if (r < 0)
                return r;

        xmlNodePtr root = xmlDocGetRootElement(doc);
        if (!root || !xmlStrEqual(root->name, (const xmlChar *) "domain") || root->ns)
                return refuse(ret_error, "not a libvirt domain XML (root element is not <domain>)", -EBADMSG);
        if (xmlXPathRegisterNs(ctx, (const xmlChar *) "mg", (const xmlChar *) MG_XMLNS) < 0)
                return -ENOMEM;

        d = calloc(1, sizeof(DomainXml));
        if (!d)
                return -ENOMEM;
        d->name = xpath_string(ctx, NULL, "/domain/name");
        d->uuid = xpath_string(ctx, NULL, "/domain/uuid");
        d->virt_type = xml_prop(root, "type");
        if (!d->name)
                return refuse(ret_error, "domain XML has no <name>", -EBADMSG);
        if (!uuid_valid(d->uuid))
                return refuse(ret_error, "domain XML has no valid <uuid>", -EBADMSG);
        for (char *c = d->uuid; *c; c++)
                *c = (char) tolower((unsigned char) *c);

        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr disks = xpath_nodes(ctx, NULL, "/domain/devices/disk");
        if (!disks || disks->type != XPATH_NODESET)
                return -ENOMEM;
        int n = disks->nodesetval ? disks->nodesetval->nodeNr : 0;
        if (n > MAX_DISKS)
                return refuse(ret_error, "domain XML has too many disks", -E2BIG);
        if (n > 0) {
                d->disks = calloc((size_t) n, sizeof(DomainDisk));
                if (!d->disks)
                        return -ENOMEM;
        }
        for (int i = 0; i < n; i++) {
                d->n_disks++;
                if (read_disk(ctx, disks->nodesetval->nodeTab[i], &d->disks[i]) < 0)
                        return refuse(ret_error, "domain XML has a <disk> without type or target", -EBADMSG);
        }

        r = read_cpu_and_nics(ctx, d);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(ret_error, "domain XML has a malformed <vcpu> or <interface>", -EBADMSG);

        r = read_facts(ctx, d);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(ret_error, "domain XML has malformed migguard metadata", -EBADMSG);
        r = read_policy_override(ctx, d);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(ret_error, "domain XML has a malformed migguard policy (" MG_POLICY_XMLNS ")", -EBADMSG);
        d->looks_live = d->facts_host || xpath_exists(ctx, NULL, "/domain/resource/partition");

        *ret = TAKE_PTR(d);
        return 0;
}

const NetFacts *domain_xml_find_net_facts(const DomainXml *d, const char *mac) {
        for (size_t i = 0; i < d->n_net_facts; i++)
                if (mac && strcasecmp(d->net_facts[i].mac, mac) == 0)
                        return &d->net_facts[i];
        return NULL;
}

const StorageFacts *domain_xml_find_storage_facts(const DomainXml *d, const char *target) {
        for (size_t i = 0; i < d->n_storage_facts; i++)
                if (streq_ptr(d->storage_facts[i].target, target))
                        return &d->storage_facts[i];
        return NULL;
}

const ImageInfo *domain_xml_find_facts(const DomainXml *d, const char *target) {
        for (size_t i = 0; i < d->n_facts; i++)
                if (streq_ptr(d->facts[i].target, target))
                        return &d->facts[i];
        return NULL;
}

static void add_attr_str(xmlNodePtr n, const char *name, const char *v) {
        if (v)
                xmlNewProp(n, (const xmlChar *) name, (const xmlChar *) v);
}

static void add_attr_u64(xmlNodePtr n, const char *name, uint64_t v) {
        char buf[32];
        if (v == 0)
                return;
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long) v);
        add_attr_str(n, name, buf);
}

static void add_attr_bool(xmlNodePtr n, const char *name, int v) {
        if (v >= 0)
                add_attr_str(n, name, v ? "on" : "off");
}

int domain_facts_format(const char *host, const ImageInfo *facts, size_t n, char **ret) {
        SourceFacts f = { .host = host, .disks = facts, .n_disks = n };
        return source_facts_format(&f, ret);
}

static int add_net_fact(xmlNodePtr root, const NetFacts *f) {
        xmlNodePtr e = xmlNewChild(root, NULL, (const xmlChar *) "interface", NULL);
        if (!e)
                return -ENOMEM;
        add_attr_str(e, "mac", f->mac);
        add_attr_str(e, "device", f->device);
        add_attr_str(e, "kind", f->kind);
        add_attr_str(e, "segment", f->segment);
        if (f->vlan >= 0) {
                char buf[16];
                snprintf(buf, sizeof(buf), "%d", f->vlan);
                add_attr_str(e, "vlan", buf);
        }
        for (char **p = f->prefixes; p && *p; p++)
                if (!xmlNewTextChild(e, NULL, (const xmlChar *) "prefix", (const xmlChar *) *p))
                        return -ENOMEM;
        return 0;
}

static int add_storage_fact(xmlNodePtr root, const StorageFacts *f) {
        xmlNodePtr e = xmlNewChild(root, NULL, (const xmlChar *) "storage", NULL);
        if (!e)
                return -ENOMEM;
        add_attr_str(e, "target", f->target);
        for (char **p = f->pairs; p && p[0] && p[1]; p += 2)
                add_attr_str(e, p[0], p[1]);
        return 0;
}

int source_facts_format(const SourceFacts *f, char **ret) {
        const char *host = f->host;
        const ImageInfo *facts = f->disks;
        size_t n = f->n_disks;

        _cleanup_(xmlFreeDocp) xmlDocPtr doc = xmlNewDoc((const xmlChar *) "1.0");
        if (!doc)
                return -ENOMEM;
        /* No namespace here: virDomainSetMetadata() adds it to the root
         * and refuses an element that already declares it. */
        xmlNodePtr root = xmlNewNode(NULL, (const xmlChar *) "facts");
        if (!root)
                return -ENOMEM;
        xmlDocSetRootElement(doc, root);
        xmlNsPtr ns = NULL;
        add_attr_str(root, "host", host);

        for (size_t i = 0; i < n; i++) {
                xmlNodePtr e = xmlNewChild(root, ns, (const xmlChar *) "disk", NULL);
                if (!e)
                        return -ENOMEM;
                add_attr_str(e, "target", facts[i].target);
                add_attr_str(e, "format", facts[i].format);
                add_attr_u64(e, "virtual-size", facts[i].virtual_size);
                add_attr_u64(e, "cluster-size", facts[i].cluster_size);
                add_attr_str(e, "compat", facts[i].compat);
                add_attr_bool(e, "lazy-refcounts", facts[i].lazy_refcounts);
                add_attr_bool(e, "extended-l2", facts[i].extended_l2);
                add_attr_str(e, "compression-type", facts[i].compression_type);
                add_attr_bool(e, "sparse", facts[i].sparse);
        }
        if (f->cpu_xml) {
                /* as text: a <cpu> element in our namespace would not be the
                 * plain <cpu> libvirt's comparison wants back */
                xmlNodePtr c = xmlNewTextChild(root, ns, (const xmlChar *) "host-cpu", (const xmlChar *) f->cpu_xml);
                if (!c)
                        return -ENOMEM;
                add_attr_str(c, "model", f->cpu_model);
        }
        for (size_t i = 0; i < f->n_nets; i++)
                if (add_net_fact(root, &f->nets[i]) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < f->n_storage; i++)
                if (add_storage_fact(root, &f->storage[i]) < 0)
                        return -ENOMEM;
        if (f->inactive_xml &&
            !xmlNewTextChild(root, ns, (const xmlChar *) "inactive", (const xmlChar *) f->inactive_xml))
                return -ENOMEM;

        return xml_node_to_string(doc, root, ret);
}

int domain_definition_for_host(const char *xml, const char *name, char **ret) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        int r = xml_parse_xpath(xml, strlen(xml), &doc, &ctx, NULL);
        if (r < 0)
                return r;
        if (xmlXPathRegisterNs(ctx, (const xmlChar *) "mg", (const xmlChar *) MG_XMLNS) < 0)
                return -ENOMEM;
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr names = xpath_nodes(ctx, NULL, "/domain/name");
        if (!names || !names->nodesetval || names->nodesetval->nodeNr != 1)
                return -EBADMSG;
        xmlNodeSetContent(names->nodesetval->nodeTab[0], NULL);
        xmlNodeAddContent(names->nodesetval->nodeTab[0], (const xmlChar *) name);
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr facts = xpath_nodes(ctx, NULL, "/domain/metadata/mg:*");
        for (int i = 0; facts && facts->nodesetval && i < facts->nodesetval->nodeNr; i++) {
                xmlNodePtr n = facts->nodesetval->nodeTab[i];
                xmlUnlinkNode(n);
                xmlFreeNode(n);
                facts->nodesetval->nodeTab[i] = NULL;
        }
        return xml_doc_to_string(doc, ret);
}
