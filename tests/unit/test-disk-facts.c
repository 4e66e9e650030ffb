/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for provision/disk-facts.c with the real qemu-img: the facts
 * a source publishes for each disk libvirt would copy (and only those),
 * whether the image is mostly holes, and the destination's warning when
 * a raw image migguard made thin arrived fully allocated.
 */

#include "basic/time-util.h"
#include "core/domain-xml.h"
#include "core/image.h"
#include "core/incoming-state.h"
#include "provision/disk-facts.h"
#include "tests.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define DEADLINE deadline_in(60 * USEC_PER_SEC)

static DomainXml *domain(const char *devices) {
        _cleanup_free_ char *xml = tests_strdupf("<domain type='kvm'><name>vm</name><uuid>" UUID "</uuid>"
                                                 "<devices>%s</devices></domain>",
                                                 devices);
        DomainXml *d = NULL;
        _cleanup_free_ char *err = NULL;
        if (domain_xml_parse(xml, strlen(xml), &d, &err) < 0)
                TEST_FAIL("fixture XML refused: %s", strna(err));
        return d;
}

static const ImageInfo *facts_for(const ImageInfo *f, size_t n, const char *target) {
        for (size_t i = 0; i < n; i++)
                if (streq_ptr(f[i].target, target))
                        return &f[i];
        return NULL;
}

TEST(collect) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *q = tests_strdupf("%s/a.qcow2", dir), *thin = tests_strdupf("%s/thin.img", dir),
                            *full = tests_strdupf("%s/full.img", dir), *iso = tests_strdupf("%s/cd.iso", dir),
                            *ro = tests_strdupf("%s/ro.img", dir), *missing = tests_strdupf("%s/missing.img", dir);
        ImageInfo opts = { .cluster_size = 4096, .compat = (char *) "1.1", .lazy_refcounts = 1, .extended_l2 = -1 };

        ASSERT_OK(image_create(q, "qcow2", 8 * 1024 * 1024, &opts, true, DEADLINE, NULL));
        ASSERT_OK(image_create(thin, "raw", 4 * 1024 * 1024, NULL, true, DEADLINE, NULL));
        ASSERT_OK(image_create(full, "raw", 4 * 1024 * 1024, NULL, false, DEADLINE, NULL));
        ASSERT_OK(image_create(iso, "raw", 1024 * 1024, NULL, true, DEADLINE, NULL));
        ASSERT_OK(image_create(ro, "raw", 1024 * 1024, NULL, true, DEADLINE, NULL));

        _cleanup_free_ char *devices = tests_strdupf(
                "<disk type='file' device='disk'><driver type='qcow2'/><source file='%s'/><target dev='vda'/></disk>"
                "<disk type='file' device='disk'><driver type='raw'/><source file='%s'/><target dev='vdb'/></disk>"
                "<disk type='file' device='disk'><driver type='raw'/><source file='%s'/><target dev='vdc'/></disk>"
                "<disk type='file' device='cdrom'><source file='%s'/><target dev='sda'/><readonly/></disk>"
                "<disk type='file' device='disk'><source file='%s'/><target dev='vdd'/><readonly/></disk>"
                "<disk type='file' device='disk'><source file='%s'/><target dev='vde'/></disk>"
                "<disk type='block' device='disk'><source dev='/dev/null'/><target dev='vdf'/></disk>",
                q, thin, full, iso, ro, missing);
        _cleanup_(domain_xml_freep) DomainXml *d = domain(devices);
        ImageInfo *f = NULL;
        size_t n = 0;
        ASSERT_OK(disk_facts_collect(d, DEADLINE, &f, &n));

        /* copied file disks only; an unreadable image is left out */
        ASSERT_EQ(n, 3);
        const ImageInfo *a = facts_for(f, n, "vda"), *b = facts_for(f, n, "vdb"), *c = facts_for(f, n, "vdc");
        ASSERT_NOT_NULL(a);
        ASSERT_NOT_NULL(b);
        ASSERT_NOT_NULL(c);
        ASSERT_NULL(facts_for(f, n, "sda"));
        ASSERT_NULL(facts_for(f, n, "vdd"));
        ASSERT_NULL(facts_for(f, n, "vde"));
        ASSERT_NULL(facts_for(f, n, "vdf"));

        ASSERT_STREQ(a->format, "qcow2");
        ASSERT_U64_EQ(a->virtual_size, 8 * 1024 * 1024);
        ASSERT_U64_EQ(a->cluster_size, 4096);
        ASSERT_STREQ(a->compat, "1.1");
        ASSERT_EQ(a->lazy_refcounts, 1);
        ASSERT_STREQ(b->format, "raw");
        ASSERT_U64_EQ(b->virtual_size, 4 * 1024 * 1024);
        /* mostly holes or not; the allocation itself is not published (it changes all the time) */
        ASSERT_EQ(b->sparse, 1);
        ASSERT_EQ(c->sparse, 0);
        for (size_t i = 0; i < n; i++)
                ASSERT_U64_EQ(f[i].actual_size, 0);
        disk_facts_free(f, n);

        /* no disks at all */
        _cleanup_(domain_xml_freep) DomainXml *empty = domain("");
        ASSERT_OK(disk_facts_collect(empty, DEADLINE, &f, &n));
        ASSERT_EQ(n, 0);
        disk_facts_free(f, n);
        disk_facts_free(NULL, 0);

        /* out of time: nothing can be read, nothing is published */
        ASSERT_OK(disk_facts_collect(d, now_usec(CLOCK_MONOTONIC), &f, &n));
        ASSERT_EQ(n, 0);
        disk_facts_free(f, n);
}

static IncomingState *arrived(const char *path, const char *format, int sparse, bool created) {
        IncomingState *s = NULL;
        ImageInfo o;
        image_info_init(&o);
        o.target = (char *) "vda";
        o.format = (char *) format;
        o.virtual_size = 4 * 1024 * 1024;
        o.sparse = sparse;
        ASSERT_OK(incoming_state_new(UUID, "vm", &s));
        ASSERT_OK(incoming_state_add_disk(s, path, &o));
        s->disks[0].created = created;
        return s;
}

TEST(check_arrival) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *full = tests_strdupf("%s/full.img", dir), *thin = tests_strdupf("%s/thin.img", dir);
        ASSERT_OK(image_create(full, "raw", 4 * 1024 * 1024, NULL, false, DEADLINE, NULL));
        ASSERT_OK(image_create(thin, "raw", 4 * 1024 * 1024, NULL, true, DEADLINE, NULL));
        Findings w = { 0 };

        /* made thin by migguard for a sparse source, arrived full: warned */
        _cleanup_(incoming_state_freep) IncomingState *s = arrived(full, "raw", 1, true);
        ASSERT_OK(provision_check_arrival(s, &w));
        ASSERT_EQ(w.n, 1);
        ASSERT_EQ(w.items[0].check, CHECK_KIND_PROVISION);
        _cleanup_free_ char *want = tests_strdupf("disk vda: %s arrived fully allocated (", full);
        ASSERT_TRUE(strncmp(w.items[0].text, want, strlen(want)) == 0);
        ASSERT_CONTAINS(w.items[0].text, " of 4194304 bytes) although its source image is sparse");
        ASSERT_CONTAINS(w.items[0].text, "--migrate-disks-detect-zeroes vda");
        findings_done(&w);

        /* nothing to say: still thin; not migguard's image; a source that was full; qcow2 */
        static const struct {
                bool use_thin;
                const char *format;
                int sparse;
                bool created;
        } quiet[] = {
                { true, "raw", 1, true },   { false, "raw", 1, false },  { false, "raw", 0, true },
                { false, "raw", -1, true }, { false, "qcow2", 1, true },
        };
        for (size_t i = 0; i < ELEMENTSOF(quiet); i++) {
                _cleanup_(incoming_state_freep) IncomingState *t =
                        arrived(quiet[i].use_thin ? thin : full, quiet[i].format, quiet[i].sparse, quiet[i].created);
                ASSERT_OK(provision_check_arrival(t, &w));
                if (w.n != 0)
                        TEST_FAIL("case %zu warned: %s", i, w.items[0].text);
        }

        /* the image is gone: nothing to check */
        ASSERT_SYS(unlink(full));
        ASSERT_OK(provision_check_arrival(s, &w));
        ASSERT_EQ(w.n, 0);
}

int main(void) {
        if (tests_requires("disk-facts", tests_have_program("qemu-img"), "qemu-img")) {
                RUN(collect);
                RUN(check_arrival);
        }
        return tests_done();
}
