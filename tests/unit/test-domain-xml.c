/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/domain-xml.c: the disks and identity migguard reads
 * from a (hostile) domain XML, the facts the source publishes in
 * <metadata>, and the refusals for everything else: malformed, truncated,
 * DOCTYPE/entity tricks, foreign roots, oversized input.
 */
#include <signal.h>
#include <time.h>

#include "core/domain-xml.h"
#include "tests.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

static DomainXml *parse_ok(const char *xml) {
        DomainXml *d = NULL;
        _cleanup_free_ char *err = NULL;
        int r = domain_xml_parse(xml, strlen(xml), &d, &err);
        if (r < 0)
                TEST_FAIL("domain_xml_parse failed: %d %s\n%s", r, strna(err), xml);
        ASSERT_NOT_NULL(d);
        ASSERT_NULL(err);
        return d;
}

static void parse_fails(const char *xml, size_t len, int expected_r, const char *expected_msg) {
        DomainXml *d = NULL;
        _cleanup_free_ char *err = NULL;
        ASSERT_ERR(domain_xml_parse(xml, len, &d, &err), expected_r);
        ASSERT_NULL(d);
        ASSERT_CONTAINS(err, expected_msg);
        /* one line for the admin's virsh error */
        ASSERT_NULL(strchr(err, '\n'));
}

static const DomainDisk *find_disk(const DomainXml *d, const char *target) {
        for (size_t i = 0; i < d->n_disks; i++)
                if (streq_ptr(d->disks[i].target, target))
                        return &d->disks[i];
        TEST_FAIL("no disk %s", target);
}

TEST(minimal) {
        _cleanup_(domain_xml_freep) DomainXml *d =
                parse_ok("<domain type='kvm'><name>vm1</name><uuid>" UUID "</uuid></domain>");
        ASSERT_STREQ(d->name, "vm1");
        ASSERT_STREQ(d->uuid, UUID);
        ASSERT_STREQ(d->virt_type, "kvm");
        ASSERT_EQ(d->n_disks, 0);
        ASSERT_EQ(d->n_facts, 0);
        ASSERT_NULL(d->facts_host);
        ASSERT_NULL(domain_xml_find_facts(d, "vda"));
}

TEST(disk_kinds) {
        static const char xml[] =
                "<?xml version='1.0' encoding='UTF-8'?>\n"
                "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
                "  <name>guest</name>\n"
                "  <uuid>" UUID "</uuid>\n"
                "  <devices>\n"
                "    <disk type='file' device='disk'>\n"
                "      <driver name='qemu' type='qcow2'/>\n"
                "      <source file='/var/lib/libvirt/images/a.qcow2'/>\n"
                "      <target dev='vda' bus='virtio'/>\n"
                "    </disk>\n"
                "    <disk type='block' device='disk'>\n"
                "      <driver name='qemu' type='raw'/>\n"
                "      <source dev='/dev/vg0/lv1'/>\n"
                "      <target dev='vdb' bus='virtio'/>\n"
                "    </disk>\n"
                "    <disk type='network' device='disk'>\n"
                "      <driver name='qemu' type='raw'/>\n"
                "      <source protocol='rbd' name='pool/image'><host name='mon1' port='6789'/></source>\n"
                "      <target dev='vdc' bus='virtio'/>\n"
                "    </disk>\n"
                "    <disk type='file' device='cdrom'>\n"
                "      <driver name='qemu' type='raw'/>\n"
                "      <source file='/iso/install.iso'/>\n"
                "      <target dev='sda' bus='sata'/>\n"
                "      <readonly/>\n"
                "    </disk>\n"
                "    <disk type='file' device='disk'>\n"
                "      <driver name='qemu' type='raw'/>\n"
                "      <source file='/var/lib/libvirt/images/ro.img'/>\n"
                "      <target dev='vdd' bus='virtio'/>\n"
                "      <readonly/>\n"
                "    </disk>\n"
                "    <disk type='file' device='disk'>\n"
                "      <driver name='qemu' type='raw'/>\n"
                "      <source file='/shared/cluster.img'/>\n"
                "      <target dev='vde' bus='virtio'/>\n"
                "      <shareable/>\n"
                "    </disk>\n"
                "    <disk type='file' device='disk'>\n"
                "      <driver name='qemu' type='qcow2'/>\n"
                "      <source file='/var/lib/libvirt/images/t.qcow2'/>\n"
                "      <target dev='vdf' bus='virtio'/>\n"
                "      <transient/>\n"
                "    </disk>\n"
                "    <disk type='file' device='cdrom'>\n"
                "      <target dev='sdb' bus='sata'/>\n"
                "      <readonly/>\n"
                "    </disk>\n"
                "    <disk type='file'>\n"
                "      <source file='/x/nodriver.img'/>\n"
                "      <target dev='vdg'/>\n"
                "    </disk>\n"
                "  </devices>\n"
                "</domain>\n";
        _cleanup_(domain_xml_freep) DomainXml *d = parse_ok(xml);
        const DomainDisk *k;

        ASSERT_EQ(d->n_disks, 9);
        ASSERT_STREQ(d->virt_type, "qemu");

        k = find_disk(d, "vda");
        ASSERT_STREQ(k->type, "file");
        ASSERT_STREQ(k->device, "disk");
        ASSERT_STREQ(k->format, "qcow2");
        ASSERT_STREQ(k->source, "/var/lib/libvirt/images/a.qcow2");
        ASSERT_FALSE(k->readonly || k->shareable || k->transient);

        k = find_disk(d, "vdb");
        ASSERT_STREQ(k->type, "block");
        ASSERT_STREQ(k->source, "/dev/vg0/lv1");
        ASSERT_STREQ(k->format, "raw");

        k = find_disk(d, "vdc");
        ASSERT_STREQ(k->type, "network");
        ASSERT_NULL(k->source); /* no file= or dev= */

        k = find_disk(d, "sda");
        ASSERT_STREQ(k->device, "cdrom");
        ASSERT_TRUE(k->readonly);
        ASSERT_STREQ(k->source, "/iso/install.iso");

        k = find_disk(d, "vdd");
        ASSERT_TRUE(k->readonly);
        ASSERT_FALSE(k->shareable);

        k = find_disk(d, "vde");
        ASSERT_TRUE(k->shareable);
        ASSERT_FALSE(k->readonly);

        k = find_disk(d, "vdf");
        ASSERT_TRUE(k->transient);

        k = find_disk(d, "sdb");
        ASSERT_STREQ(k->device, "cdrom");
        ASSERT_NULL(k->source); /* empty drive */

        k = find_disk(d, "vdg");
        ASSERT_STREQ(k->device, "disk"); /* libvirt's default */
        ASSERT_NULL(k->format);
}

TEST(disk_without_target_or_type) {
        static const char no_target[] = "<domain><name>v</name><uuid>" UUID "</uuid><devices>"
                                        "<disk type='file'><source file='/a'/></disk></devices></domain>";
        static const char no_type[] = "<domain><name>v</name><uuid>" UUID "</uuid><devices>"
                                      "<disk><source file='/a'/><target dev='vda'/></disk></devices></domain>";
        parse_fails(no_target, strlen(no_target), -EBADMSG, "without type or target");
        parse_fails(no_type, strlen(no_type), -EBADMSG, "without type or target");
}

TEST(uuid) {
        _cleanup_(domain_xml_freep) DomainXml *d =
                parse_ok("<domain><name>v</name><uuid>1B4E28BA-2FA1-11D2-883F-0016D3CCA427</uuid></domain>");
        ASSERT_STREQ(d->uuid, UUID);

        static const char *const bad[] = {
                "", /* empty element */
                "1b4e28ba2fa111d2883f0016d3cca427",
                "1b4e28ba-2fa1-11d2-883f-0016d3cca42",
                "1b4e28ba-2fa1-11d2-883f-0016d3cca4277",
                "1b4e28ba-2fa1-11d2-883f_0016d3cca427",
                "1b4e28ba-2fa1-11d2-883f-0016d3cca42g",
                "../../../../etc/passwd-aaaaaaaaaaaaaa",
                "1b4e28ba-2fa1-11d2-883f-0016d3cca42/",
                " 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *xml = tests_strdupf("<domain><name>v</name><uuid>%s</uuid></domain>", bad[i]);
                parse_fails(xml, strlen(xml), -EBADMSG, "domain XML has no valid <uuid>");
        }

        static const char missing[] = "<domain><name>v</name></domain>";
        parse_fails(missing, strlen(missing), -EBADMSG, "domain XML has no valid <uuid>");
        static const char noname[] = "<domain><uuid>" UUID "</uuid></domain>";
        parse_fails(noname, strlen(noname), -EBADMSG, "domain XML has no <name>");
}

#define FACTS_DOMAIN(facts)                                                                                            \
        "<domain type='kvm'><name>vm</name><uuid>" UUID "</uuid>"                                                      \
        "<metadata>"                                                                                                   \
        "<other:thing xmlns:other='urn:example:other'><other:disk target='vda' format='x'/></other:thing>" facts       \
        "</metadata>"                                                                                                  \
        "<devices><disk type='file' device='disk'><driver type='qcow2'/>"                                              \
        "<source file='/var/lib/libvirt/images/vm.qcow2'/><target dev='vda'/></disk></devices>"                        \
        "</domain>"

TEST(metadata_facts) {
        _cleanup_(domain_xml_freep) DomainXml *d = parse_ok(
                FACTS_DOMAIN("<migguard:facts xmlns:migguard=\"urn:migguard:domain:1\" host=\"src-host\">"
                             "<migguard:disk target=\"vda\" format=\"qcow2\" virtual-size=\"10737418240\" "
                             "cluster-size=\"65536\" compat=\"1.1\" lazy-refcounts=\"on\" extended-l2=\"off\" "
                             "compression-type=\"zstd\"/>"
                             "<migguard:disk target=\"vdb\" format=\"raw\" virtual-size=\"123\" sparse=\"on\"/>"
                             "</migguard:facts>"));

        ASSERT_STREQ(d->facts_host, "src-host");
        ASSERT_EQ(d->n_facts, 2);
        const ImageInfo *i = domain_xml_find_facts(d, "vda");
        ASSERT_NOT_NULL(i);
        ASSERT_STREQ(i->format, "qcow2");
        ASSERT_U64_EQ(i->virtual_size, 10737418240ULL);
        ASSERT_U64_EQ(i->cluster_size, 65536);
        ASSERT_STREQ(i->compat, "1.1");
        ASSERT_EQ(i->lazy_refcounts, 1);
        ASSERT_EQ(i->extended_l2, 0);
        ASSERT_STREQ(i->compression_type, "zstd");
        ASSERT_EQ(i->sparse, -1);

        i = domain_xml_find_facts(d, "vdb");
        ASSERT_NOT_NULL(i);
        ASSERT_STREQ(i->format, "raw");
        ASSERT_U64_EQ(i->virtual_size, 123);
        ASSERT_U64_EQ(i->cluster_size, 0);
        ASSERT_NULL(i->compat);
        ASSERT_EQ(i->lazy_refcounts, -1);
        ASSERT_EQ(i->extended_l2, -1);
        ASSERT_EQ(i->sparse, 1);
        ASSERT_NULL(domain_xml_find_facts(d, "vdz"));
}

TEST(metadata_facts_unqualified_children) {
        /* the form libvirt really hands back: children without a prefix */
        _cleanup_(domain_xml_freep) DomainXml *d = parse_ok(
                FACTS_DOMAIN("<migguard:facts xmlns:migguard=\"urn:migguard:domain:1\" host=\"h\">"
                             "<disk target=\"vda\" format=\"qcow2\" virtual-size=\"1048576\" cluster-size=\"65536\"/>"
                             "<disk target=\"vdb\" format=\"raw\"/>"
                             "</migguard:facts>"));
        ASSERT_STREQ(d->facts_host, "h");
        ASSERT_EQ(d->n_facts, 2);
        ASSERT_U64_EQ(domain_xml_find_facts(d, "vda")->cluster_size, 65536);
        ASSERT_STREQ(domain_xml_find_facts(d, "vdb")->format, "raw");
}

TEST(metadata_prefix_does_not_matter) {
        /* namespace URI is what counts, not the prefix */
        _cleanup_(domain_xml_freep) DomainXml *d = parse_ok(
                FACTS_DOMAIN("<f xmlns=\"urn:migguard:domain:1\" host=\"h\"><disk target=\"vda\" format=\"raw\"/></f>"
                             "<mg2:facts xmlns:mg2=\"urn:migguard:domain:1\" host=\"h2\">"
                             "<mg2:disk target=\"vda\" format=\"qcow2\"/></mg2:facts>"));
        ASSERT_STREQ(d->facts_host, "h2");
        ASSERT_EQ(d->n_facts, 1);
        ASSERT_STREQ(domain_xml_find_facts(d, "vda")->format, "qcow2");

        /* a look-alike without the namespace is ignored */
        _cleanup_(domain_xml_freep) DomainXml *e =
                parse_ok(FACTS_DOMAIN("<facts host=\"evil\"><disk target=\"vda\" format=\"raw\"/></facts>"
                                      "<x:facts xmlns:x=\"urn:migguard:domain:2\"><x:disk target=\"vda\" "
                                      "format=\"raw\"/></x:facts>"));
        ASSERT_EQ(e->n_facts, 0);
        ASSERT_NULL(e->facts_host);
}

TEST(metadata_malformed) {
        static const char *const bad[] = {
                FACTS_DOMAIN("<m:facts xmlns:m='urn:migguard:domain:1'><m:disk format='raw'/></m:facts>"),
                FACTS_DOMAIN("<m:facts xmlns:m='urn:migguard:domain:1'><m:disk target='vda'/></m:facts>"),
                FACTS_DOMAIN("<m:facts xmlns:m='urn:migguard:domain:1'><m:disk target='vda' format='raw' "
                             "virtual-size='-1'/></m:facts>"),
                FACTS_DOMAIN("<m:facts xmlns:m='urn:migguard:domain:1'><m:disk target='vda' format='raw' "
                             "virtual-size='12k'/></m:facts>"),
                FACTS_DOMAIN("<m:facts xmlns:m='urn:migguard:domain:1'><m:disk target='vda' format='raw' "
                             "virtual-size='18446744073709551616'/></m:facts>"),
                FACTS_DOMAIN("<m:facts xmlns:m='urn:migguard:domain:1'><m:disk target='vda' format='qcow2' "
                             "cluster-size=''/></m:facts>"),
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                parse_fails(bad[i], strlen(bad[i]), -EBADMSG, "malformed migguard metadata");
}

static void facts_equal(const ImageInfo *a, const ImageInfo *b) {
        ASSERT_STREQ(a->target, b->target);
        ASSERT_STREQ(a->format, b->format);
        ASSERT_U64_EQ(a->virtual_size, b->virtual_size);
        ASSERT_U64_EQ(a->cluster_size, b->cluster_size);
        ASSERT_STREQ(a->compat, b->compat);
        ASSERT_EQ(a->lazy_refcounts, b->lazy_refcounts);
        ASSERT_EQ(a->extended_l2, b->extended_l2);
        ASSERT_STREQ(a->compression_type, b->compression_type);
}

/*
 * What virDomainSetMetadata(..., "migguard", MG_XMLNS, ...) stores and
 * libvirt later hands the hook: the root element put in our namespace
 * under our prefix, the children left unqualified.
 */
static char *as_libvirt_stores(const char *facts) {
        ASSERT_TRUE(strncmp(facts, "<facts", 6) == 0);
        const char *rest = facts + 6;
        size_t n = strlen(rest);
        if (n >= 8 && streq(rest + n - 8, "</facts>"))
                return tests_strdupf("<" MG_XMLNS_PREFIX ":facts xmlns:" MG_XMLNS_PREFIX "=\"" MG_XMLNS
                                     "\"%.*s</" MG_XMLNS_PREFIX ":facts>",
                                     (int) (n - 8), rest);
        return tests_strdupf("<" MG_XMLNS_PREFIX ":facts xmlns:" MG_XMLNS_PREFIX "=\"" MG_XMLNS "\"%s", rest);
}

static DomainXml *parse_with_metadata(const char *metadata) {
        _cleanup_free_ char *xml =
                tests_strdupf("<domain><name>v</name><uuid>%s</uuid><metadata>%s</metadata></domain>", UUID, metadata);
        return parse_ok(xml);
}

TEST(policy_override) {
        /* as `virsh metadata --uri urn:migguard:policy:1 --key p --set` stores it */
        _cleanup_(domain_xml_freep) DomainXml *d =
                parse_with_metadata("<p:policy xmlns:p='urn:migguard:policy:1'><p:storage identity='warn'/>"
                                    "<p:cpu check='off' vcpus-over-cores='enforce'/></p:policy>");
        ASSERT_STREQ(d->policy_override,
                     "[storage]\nidentity = warn\n[cpu]\ncheck = off\nvcpus-over-cores = enforce\n");
        /* none, or an empty one */
        _cleanup_(domain_xml_freep) DomainXml *none = parse_with_metadata("<x:other xmlns:x='urn:x'/>");
        ASSERT_NULL(none->policy_override);
        _cleanup_(domain_xml_freep) DomainXml *empty = parse_with_metadata("<policy xmlns='urn:migguard:policy:1'/>");
        ASSERT_STREQ(empty->policy_override, "");
        /* a value over two lines cannot be written in the policy syntax */
        _cleanup_free_ char *bad =
                tests_strdupf("<domain><name>v</name><uuid>%s</uuid><metadata><policy xmlns='urn:migguard:policy:1'>"
                              "<storage identity='warn&#10;[provision]'/></policy></metadata></domain>",
                              UUID);
        parse_fails(bad, strlen(bad), -EBADMSG, "malformed migguard policy (urn:migguard:policy:1)");
}

TEST(facts_format_roundtrip) {
        ImageInfo in[3];
        for (size_t i = 0; i < ELEMENTSOF(in); i++)
                image_info_init(&in[i]);
        in[0] = (ImageInfo){ .target = (char *) "vda",
                             .format = (char *) "qcow2",
                             .virtual_size = 10485761,
                             .cluster_size = 4096,
                             .compat = (char *) "1.1",
                             .lazy_refcounts = 1,
                             .extended_l2 = 0,
                             .compression_type = (char *) "zstd" };
        in[1] = (ImageInfo){ .target = (char *) "vdb",
                             .format = (char *) "raw",
                             .virtual_size = UINT64_MAX,
                             .lazy_refcounts = -1,
                             .extended_l2 = -1 };
        /* hostile text must come back unchanged, not break the XML */
        in[2] = (ImageInfo){ .target = (char *) "v\"d<c>&'",
                             .format = (char *) "qcow2",
                             .compat = (char *) "0.10",
                             .lazy_refcounts = 0,
                             .extended_l2 = 1,
                             .compression_type = (char *) "]]>&amp;" };

        _cleanup_free_ char *facts = NULL;
        ASSERT_OK(domain_facts_format("host-a.example", in, ELEMENTSOF(in), &facts));
        /* no namespace of its own: virDomainSetMetadata() adds it, and
         * refuses an element that already declares it */
        ASSERT_TRUE(strncmp(facts, "<facts host=\"host-a.example\">", 29) == 0);
        ASSERT_NULL(strstr(facts, "xmlns"));
        ASSERT_CONTAINS(facts, "<disk target=\"vda\" format=\"qcow2\"");

        /* not in our namespace, it is not ours to read */
        _cleanup_(domain_xml_freep) DomainXml *bare = parse_with_metadata(facts);
        ASSERT_EQ(bare->n_facts, 0);

        _cleanup_free_ char *stored = as_libvirt_stores(facts);
        _cleanup_(domain_xml_freep) DomainXml *d = parse_with_metadata(stored);
        ASSERT_STREQ(d->facts_host, "host-a.example");
        ASSERT_EQ(d->n_facts, ELEMENTSOF(in));
        for (size_t i = 0; i < ELEMENTSOF(in); i++)
                facts_equal(&in[i], &d->facts[i]);

        /* and again: format(parse(format(x))) == format(x) */
        _cleanup_free_ char *again = NULL;
        ASSERT_OK(domain_facts_format(d->facts_host, d->facts, d->n_facts, &again));
        ASSERT_STREQ(again, facts);

        /* no facts, no host */
        _cleanup_free_ char *empty = NULL;
        ASSERT_OK(domain_facts_format(NULL, NULL, 0, &empty));
        ASSERT_STREQ(empty, "<facts/>");
        _cleanup_free_ char *stored_empty = as_libvirt_stores(empty);
        _cleanup_(domain_xml_freep) DomainXml *d2 = parse_with_metadata(stored_empty);
        ASSERT_EQ(d2->n_facts, 0);
        ASSERT_NULL(d2->facts_host);
}

TEST(storage_facts_roundtrip) {
        char *nfs[] = { "kind",      "shared-fs",         "fstype", "nfs4", "source", "192.0.2.10:/export",
                        "root-path", "/vm/a\"<b>&.qcow2", "ino",    "4242", NULL };
        char *lun[] = {
                "kind", "block", "wwid", "naa.6001405f2a8a3e4f", "by-id", "wwn-0x6001405f scsi-36001405f", NULL
        };
        StorageFacts in[] = { { .target = (char *) "vda", .pairs = nfs }, { .target = (char *) "vdb", .pairs = lun } };
        SourceFacts f = { .host = "host-a", .storage = in, .n_storage = ELEMENTSOF(in) };
        _cleanup_free_ char *facts = NULL;
        ASSERT_OK(source_facts_format(&f, &facts));
        _cleanup_free_ char *stored = as_libvirt_stores(facts);
        _cleanup_(domain_xml_freep) DomainXml *d = parse_with_metadata(stored);
        ASSERT_EQ(d->n_storage_facts, 2);
        const StorageFacts *a = domain_xml_find_storage_facts(d, "vda");
        ASSERT_NOT_NULL(a);
        for (size_t i = 0; nfs[i]; i++)
                ASSERT_STREQ(a->pairs[i], nfs[i]);
        ASSERT_NULL(a->pairs[10]);
        const StorageFacts *b = domain_xml_find_storage_facts(d, "vdb");
        ASSERT_STREQ(b->pairs[5], "wwn-0x6001405f scsi-36001405f");
        ASSERT_NULL(domain_xml_find_storage_facts(d, "vdc"));
}

TEST(malformed) {
        static const char *const bad[] = {
                "",
                "not xml at all",
                "<domain><name>v</name><uuid>" UUID "</uuid>",              /* truncated */
                "<domain><name>v</name><uuid>" UUID "</uuid></domian>",     /* mismatched */
                "<domain><name>v</name><uuid>" UUID "</uuid></domain><x/>", /* two roots */
                "<domain a='1' a='2'><name>v</name></domain>",
                "<domain><name>&undefined;</name></domain>",
                "<domain><name>v\x01</name></domain>",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                parse_fails(bad[i], strlen(bad[i]), -EBADMSG, "malformed domain XML");

        /* truncated at every byte: never accepted, never a crash */
        static const char full[] = "<domain type='kvm'><name>v</name><uuid>" UUID "</uuid><devices>"
                                   "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/>"
                                   "</disk></devices></domain>";
        for (size_t n = 0; n + 1 < sizeof(full) - 1; n++) {
                DomainXml *d = NULL;
                _cleanup_free_ char *err = NULL;
                char *copy = strndup(full, n); /* exact-size buffer: ASan sees over-reads */
                ASSERT_NOT_NULL(copy);
                ASSERT_ERR(domain_xml_parse(copy, n, &d, &err), -EBADMSG);
                ASSERT_NULL(d);
                ASSERT_NOT_NULL(err);
                free(copy);
        }
}

TEST(not_a_domain) {
        static const char *const bad[] = {
                "<network><name>v</name><uuid>" UUID "</uuid></network>",
                "<domain xmlns='urn:evil'><name>v</name><uuid>" UUID "</uuid></domain>",
                "<x:domain xmlns:x='urn:evil'><name>v</name><uuid>" UUID "</uuid></x:domain>",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                parse_fails(bad[i], strlen(bad[i]), -EBADMSG, "root element is not <domain>");
}

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST(doctype_entities) {
        static const char laughs[] = "<?xml version='1.0'?>\n"
                                     "<!DOCTYPE domain [\n"
                                     " <!ENTITY lol 'lol'>\n"
                                     " <!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>\n"
                                     " <!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>\n"
                                     " <!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>\n"
                                     " <!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>\n"
                                     " <!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>\n"
                                     " <!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>\n"
                                     " <!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>\n"
                                     " <!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>\n"
                                     " <!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>\n"
                                     "]>\n"
                                     "<domain type='&lol9;'><name>&lol9;</name><uuid>" UUID "</uuid></domain>\n";
        static const char xxe[] = "<?xml version='1.0'?>\n"
                                  "<!DOCTYPE domain [ <!ENTITY xxe SYSTEM 'file:///etc/passwd'> ]>\n"
                                  "<domain><name>&xxe;</name><uuid>" UUID "</uuid></domain>\n";
        static const char xxe_attr[] = "<!DOCTYPE domain [ <!ENTITY xxe SYSTEM 'file:///etc/passwd'> ]>\n"
                                       "<domain><name>x</name><uuid>" UUID "</uuid><devices><disk type='file'>"
                                       "<source file='&xxe;'/><target dev='vda'/></disk></devices></domain>\n";
        static const char param[] = "<!DOCTYPE domain [ <!ENTITY % p SYSTEM 'file:///etc/passwd'> %p; ]>\n"
                                    "<domain><name>x</name><uuid>" UUID "</uuid></domain>\n";
        static const char ext_dtd[] = "<!DOCTYPE domain SYSTEM 'http://127.0.0.1:1/evil.dtd'>\n"
                                      "<domain><name>x</name><uuid>" UUID "</uuid></domain>\n";
        static const char plain[] = "<!DOCTYPE domain>\n<domain><name>x</name><uuid>" UUID "</uuid></domain>\n";
        const char *const all[] = { laughs, xxe, xxe_attr, param, ext_dtd, plain };

        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                DomainXml *d = NULL;
                _cleanup_free_ char *err = NULL;
                long long t0 = now_ms();
                int r = domain_xml_parse(all[i], strlen(all[i]), &d, &err);
                long long took = now_ms() - t0;
                if (r != -EBADMSG || d)
                        TEST_FAIL("hostile document %zu accepted (r=%d)", i, r);
                ASSERT_NOT_NULL(err);
                /* never a word of the file that an entity pointed at */
                ASSERT_NULL(strstr(err, "root:"));
                /* no expansion work: well under a second even under valgrind */
                if (took > 5000)
                        TEST_FAIL("hostile document %zu took %lld ms", i, took);
        }
}

static void alarm_fired(int sig _unused_) {
        static const char msg[] = "domain XML parser opened an entity's file (blocked on a FIFO)\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
}

TEST(entities_never_open_files) {
        /* Every external reference points at a FIFO with no writer: if the
         * parser ever opened one it would block, and the alarm fires. */
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *fifo = tests_strdupf("%s/fifo", dir);
        ASSERT_SYS(mkfifo(fifo, 0600));
        char *docs[] = {
                tests_strdupf("<!DOCTYPE domain [ <!ENTITY x SYSTEM 'file://%s'> ]>"
                              "<domain><name>&x;</name><uuid>" UUID "</uuid></domain>",
                              fifo),
                tests_strdupf("<!DOCTYPE domain [ <!ENTITY x SYSTEM '%s'> ]>"
                              "<domain><name>n</name><uuid>" UUID "</uuid><devices><disk type='&x;'>"
                              "<target dev='vda'/></disk></devices></domain>",
                              fifo),
                tests_strdupf("<!DOCTYPE domain [ <!ENTITY %% p SYSTEM 'file://%s'> %%p; ]>"
                              "<domain><name>n</name><uuid>" UUID "</uuid></domain>",
                              fifo),
                tests_strdupf("<!DOCTYPE domain SYSTEM 'file://%s'>"
                              "<domain><name>n</name><uuid>" UUID "</uuid></domain>",
                              fifo),
                tests_strdupf("<?xml-stylesheet href='file://%s'?>"
                              "<domain xmlns:xi='http://www.w3.org/2001/XInclude'><name>n</name><uuid>" UUID
                              "</uuid><xi:include href='file://%s' parse='text'/></domain>",
                              fifo, fifo),
        };
        struct sigaction sa = { .sa_handler = alarm_fired }, old;
        ASSERT_SYS(sigaction(SIGALRM, &sa, &old));
        for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
                DomainXml *d = NULL;
                _cleanup_free_ char *err = NULL;
                alarm(20);
                int r = domain_xml_parse(docs[i], strlen(docs[i]), &d, &err);
                alarm(0);
                if (i < 4) {
                        ASSERT_ERR(r, -EBADMSG);
                        ASSERT_NULL(d);
                } else {
                        /* XInclude is not processed: a harmless foreign element */
                        ASSERT_OK(r);
                        domain_xml_free(d);
                }
                free(docs[i]);
        }
        ASSERT_SYS(sigaction(SIGALRM, &old, NULL));
}

TEST(size_limit) {
        /* One byte over the cap: refused before the parser sees it. */
        size_t n = DOMAIN_XML_MAX_SIZE + 1;
        char *big = malloc(n);
        ASSERT_NOT_NULL(big);
        memset(big, ' ', n);
        memcpy(big, "<domain>", 8);
        DomainXml *d = NULL;
        _cleanup_free_ char *err = NULL;
        ASSERT_ERR(domain_xml_parse(big, n, &d, &err), -EFBIG);
        ASSERT_STREQ(err, "domain XML larger than 16 MiB");
        ASSERT_NULL(d);
        free(big);

        /* under the cap with lots of padding: fine */
        static const char head[] = "<domain><name>v</name><uuid>" UUID "</uuid><description>";
        static const char tail[] = "</description></domain>";
        n = 1024 * 1024;
        big = malloc(n);
        ASSERT_NOT_NULL(big);
        memset(big, 'a', n);
        memcpy(big, head, strlen(head));
        memcpy(big + n - strlen(tail), tail, strlen(tail));
        ASSERT_OK(domain_xml_parse(big, n, &d, NULL));
        domain_xml_free(d);
        free(big);
}

TEST(too_many_disks) {
        char *xml = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&xml, &len);
        ASSERT_NOT_NULL(f);
        fputs("<domain><name>v</name><uuid>" UUID "</uuid><devices>", f);
        for (int i = 0; i < 1025; i++)
                fprintf(f, "<disk type='file'><target dev='d%d'/></disk>", i);
        fputs("</devices></domain>", f);
        ASSERT_EQ(fclose(f), 0);
        parse_fails(xml, len, -E2BIG, "too many disks");
        free(xml);
}

TEST(free_null) {
        domain_xml_free(NULL);
}

TEST(definition_for_host) {
        const char *xml = "<domain type='qemu'><name>src</name><uuid>" UUID "</uuid><title>t</title><metadata>"
                          "<migguard:facts xmlns:migguard='urn:migguard:domain:1' host='ha'/>"
                          "<other:x xmlns:other='urn:example:other'/></metadata></domain>";
        char *out = NULL;
        ASSERT_OK(domain_definition_for_host(xml, "renamed", &out));
        ASSERT_CONTAINS(out, "<name>renamed</name>");
        ASSERT_CONTAINS(out, "<title>t</title>");
        ASSERT_CONTAINS(out, "urn:example:other");
        ASSERT_TRUE(strstr(out, "urn:migguard") == NULL);
        free(out);
        ASSERT_ERR(domain_definition_for_host("<domain/>", "x", &out), -EBADMSG);
}

int main(void) {
        RUN(minimal);
        RUN(disk_kinds);
        RUN(disk_without_target_or_type);
        RUN(uuid);
        RUN(metadata_facts);
        RUN(metadata_facts_unqualified_children);
        RUN(metadata_prefix_does_not_matter);
        RUN(metadata_malformed);
        RUN(policy_override);
        RUN(facts_format_roundtrip);
        RUN(storage_facts_roundtrip);
        RUN(malformed);
        RUN(not_a_domain);
        RUN(doctype_entities);
        RUN(entities_never_open_files);
        RUN(size_limit);
        RUN(too_many_disks);
        RUN(free_null);
        RUN(definition_for_host);
        return tests_done();
}
