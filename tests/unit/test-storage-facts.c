/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for storage/storage-facts.c: what a source publishes about
 * its disks (storage_facts_collect) and what the destination makes of it
 * at `migrate begin` (storage_check).  The fixture is a real temporary
 * directory seen through two mountinfo files carrying its real device
 * numbers: one where share/ is a GlusterFS mount (fuse.glusterfs
 * 192.0.2.10:/export) and one where only the root file system holds it,
 * as a host without the export mounted sees a stale copy.  The published
 * pairs travel through source_facts_format() and domain_xml_parse() as
 * they do through libvirt's metadata; the policy is parsed from the text
 * the refusal tells the admin to write.
 */
#include "tests.h"

#include <sys/sysmacros.h>

#include "basic/alloc-util.h"
#include "basic/path-util.h"
#include "basic/strv.h"
#include "core/domain-xml.h"
#include "core/finding.h"
#include "core/policy.h"
#include "storage/storage-compare.h"
#include "storage/storage-facts.h"
#include "storage/storage-identity.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define EXPORT "192.0.2.10:/export"
#define WWID "naa.6001405f2a8a3e4f9cd4d2a8b8e6c1f0"

typedef struct Fixture {
        char *dir;         /* share/ (the "export") and local/ */
        char *proc_shared; /* share/ mounted from EXPORT */
        char *proc_local;  /* no such mount: share/ is on the root file system */
        char *shared_img;  /* share/vm/a.qcow2 */
        char *local_img;   /* local/b.qcow2 */
        char *missing_img; /* share/vm/missing.qcow2, never created */
} Fixture;

static void fixture_done(Fixture *f) {
        tests_rm_rf(f->dir);
        tests_rm_rf(f->proc_shared);
        tests_rm_rf(f->proc_local);
        free(f->dir);
        free(f->proc_shared);
        free(f->proc_local);
        free(f->shared_img);
        free(f->local_img);
        free(f->missing_img);
}

static char *fixture_proc(const char *mountinfo) {
        char *proc = tests_mkdtemp();
        _cleanup_free_ char *self = tests_strdupf("%s/self", proc), *path = tests_strdupf("%s/mountinfo", self);
        ASSERT_SYS(mkdir(self, 0755));
        tests_write_file(path, mountinfo);
        return proc;
}

static Fixture fixture_new(void) {
        Fixture f = { .dir = tests_mkdtemp() };
        _cleanup_free_ char *share = tests_strdupf("%s/share", f.dir), *vm = tests_strdupf("%s/share/vm", f.dir);
        _cleanup_free_ char *local = tests_strdupf("%s/local", f.dir), *root = NULL, *mount = NULL;
        struct stat st;

        ASSERT_OK(mkdir_p(vm, 0755));
        ASSERT_OK(mkdir_p(local, 0755));
        f.shared_img = tests_strdupf("%s/a.qcow2", vm);
        f.local_img = tests_strdupf("%s/b.qcow2", local);
        f.missing_img = tests_strdupf("%s/missing.qcow2", vm);
        tests_write_file(f.shared_img, "QFI\xfb");
        tests_write_file(f.local_img, "QFI\xfb");
        ASSERT_SYS(stat(share, &st));
        /* both lines on the directory's real device: the longest mount point wins */
        root = tests_strdupf("1 0 %u:%u / / rw,relatime - ext4 /dev/sda1 rw\n", major(st.st_dev), minor(st.st_dev));
        mount = tests_strdupf("%s50 1 %u:%u /vol %s rw,relatime - fuse.glusterfs " EXPORT
                              " rw,user_id=0,group_id=0,allow_other\n",
                              root, major(st.st_dev), minor(st.st_dev), share);
        f.proc_shared = fixture_proc(mount);
        f.proc_local = fixture_proc(root);
        return f;
}

static StorageRoots roots_of(const char *proc) {
        return (StorageRoots){ .proc_root = proc, .sys_root = "/nonexistent", .dev_root = "/nonexistent" };
}

static char *file_disk(const char *target, const char *path) {
        return tests_strdupf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                             "<source file='%s'/><target dev='%s' bus='virtio'/></disk>",
                             path, target);
}

static char *block_disk(const char *target, const char *path) {
        return tests_strdupf("<disk type='block' device='disk'><driver name='qemu' type='raw'/>"
                             "<source dev='%s'/><target dev='%s' bus='virtio'/></disk>",
                             path, target);
}

#define CDROM                                                                                                          \
        "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"                                            \
        "<target dev='sda' bus='sata'/><readonly/></disk>"
#define NETWORK_DISK                                                                                                   \
        "<disk type='network' device='disk'><driver name='qemu' type='raw'/>"                                          \
        "<source protocol='nbd' name='vol'><host name='192.0.2.10' port='10809'/></source>"                            \
        "<target dev='vdc' bus='virtio'/></disk>"

static DomainXml *parse_domain(const char *metadata, const char *devices) {
        _cleanup_free_ char *xml = tests_strdupf("<domain type='kvm'><name>vm</name><uuid>" UUID "</uuid>"
                                                 "<metadata>%s</metadata><devices>%s</devices></domain>",
                                                 metadata, devices);
        DomainXml *d = NULL;
        _cleanup_free_ char *err = NULL;
        int r = domain_xml_parse(xml, strlen(xml), &d, &err);
        if (r < 0)
                TEST_FAIL("domain_xml_parse failed: %d %s\n%s", r, strna(err), xml);
        return d;
}

/* <facts ...> as libvirt stores it: the root in our namespace, under our prefix. */
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

/* @storage published by host "ha" for a guest with @devices. */
static DomainXml *with_facts(const StorageFacts *storage, size_t n, const char *devices) {
        SourceFacts sf = { .host = "ha", .storage = storage, .n_storage = n };
        _cleanup_free_ char *facts = NULL, *stored = NULL;
        ASSERT_OK(source_facts_format(&sf, &facts));
        stored = as_libvirt_stores(facts);
        return parse_domain(stored, devices);
}

/* What the source migguardd publishes, its view of the mounts in @proc_source. */
static DomainXml *published(const char *proc_source, const char *devices) {
        _cleanup_(domain_xml_freep) DomainXml *x = parse_domain("", devices);
        StorageRoots roots = roots_of(proc_source);
        StorageFacts *facts = NULL;
        size_t n = 0;
        ASSERT_OK(storage_facts_collect(&roots, x, &facts, &n));
        DomainXml *d = with_facts(facts, n, devices);
        storage_facts_free(facts, n);
        return d;
}

static void assert_pairs(char *const *pairs, const char *const *expected) {
        size_t i = 0;
        for (; expected[i]; i++)
                if (!pairs || !streq_ptr(pairs[i], expected[i]))
                        TEST_FAIL("pair %zu: \"%s\" != \"%s\"", i, pairs ? strna(pairs[i]) : "(no pairs)", expected[i]);
        ASSERT_NULL(pairs[i]);
}

static uint64_t inode_of(const char *path) {
        struct stat st;
        ASSERT_SYS(stat(path, &st));
        return (uint64_t) st.st_ino;
}

/* storage_check() with "[storage] identity = @mode" against the mounts in @proc_here. */
static void check(const char *mode, const DomainXml *d, const char *proc_here, Findings *refusals, Findings *warnings) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *text = tests_strdupf("[storage]\nidentity = %s\n", mode), *err = NULL;
        StorageRoots roots = roots_of(proc_here);
        ASSERT_OK(policy_new(&p));
        ASSERT_OK(policy_parse_string(p, "test.conf", text, &err));
        ASSERT_OK(storage_check(p, d, &roots, refusals, warnings));
}

static void check_quiet(const char *mode, const DomainXml *d, const char *proc_here) {
        Findings refusals = {}, warnings = {};
        check(mode, d, proc_here, &refusals, &warnings);
        if (refusals.n + warnings.n > 0)
                TEST_FAIL("identity = %s: expected nothing, got \"%s\"", mode,
                          refusals.n ? refusals.items[0].text : warnings.items[0].text);
        findings_done(&refusals);
        findings_done(&warnings);
}

/* Exactly one finding, CHECK_KIND_STORAGE, @expected verbatim: a refusal
 * under enforce, the same line as a warning under warn. */
static void check_one(const char *mode, const DomainXml *d, const char *proc_here, const char *expected) {
        Findings refusals = {}, warnings = {};
        bool enforce = streq(mode, "enforce");
        check(mode, d, proc_here, &refusals, &warnings);
        const Findings *got = enforce ? &refusals : &warnings, *none = enforce ? &warnings : &refusals;
        ASSERT_EQ(got->n, 1);
        ASSERT_EQ(none->n, 0);
        ASSERT_EQ(got->items[0].check, CHECK_KIND_STORAGE);
        ASSERT_STREQ(got->items[0].text, expected);
        ASSERT_NULL(strchr(got->items[0].text, '\n'));
        findings_done(&refusals);
        findings_done(&warnings);
}

TEST(collect) {
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img), *vdb = file_disk("vdb", f.local_img);
        _cleanup_free_ char *vdd = file_disk("vdd", f.missing_img);
        _cleanup_free_ char *devices = tests_strdupf("%s%s" CDROM NETWORK_DISK "%s", vda, vdb, vdd);
        _cleanup_(domain_xml_freep) DomainXml *x = parse_domain("", devices);
        StorageRoots roots = roots_of(f.proc_shared);
        StorageFacts *facts = NULL;
        size_t n = 0;

        ASSERT_EQ(x->n_disks, 5);
        ASSERT_OK(storage_facts_collect(&roots, x, &facts, &n));
        /* the cdrom has no source, the network disk no path, vdd's image is not there */
        ASSERT_EQ(n, 2);

        _cleanup_free_ char *ino_a = tests_strdupf("%" PRIu64, inode_of(f.shared_img));
        _cleanup_free_ char *ino_b = tests_strdupf("%" PRIu64, inode_of(f.local_img));
        ASSERT_STREQ(facts[0].target, "vda");
        assert_pairs(facts[0].pairs,
                     (const char *const[]){ "kind", "shared-fs", "fstype", "fuse.glusterfs", "source", EXPORT,
                                            "root-path", "/vol/vm/a.qcow2", "ino", ino_a, NULL });
        ASSERT_STREQ(facts[1].target, "vdb");
        assert_pairs(facts[1].pairs, (const char *const[]){ "kind", "local", "fstype", "ext4", "source", "/dev/sda1",
                                                            "root-path", f.local_img, "ino", ino_b, NULL });
        storage_facts_free(facts, n);

        /* the same file seen by a host without the mount: local */
        roots = roots_of(f.proc_local);
        ASSERT_OK(storage_facts_collect(&roots, x, &facts, &n));
        ASSERT_EQ(n, 2);
        ASSERT_STREQ(facts[0].pairs[1], "local");
        ASSERT_STREQ(facts[0].pairs[5], "/dev/sda1");
        storage_facts_free(facts, n);

        /* no disks: nothing, and still something to free */
        _cleanup_(domain_xml_freep) DomainXml *empty = parse_domain("", "");
        ASSERT_OK(storage_facts_collect(&roots, empty, &facts, &n));
        ASSERT_EQ(n, 0);
        storage_facts_free(facts, n);
}

TEST(published_roundtrip) {
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img), *vdb = file_disk("vdb", f.local_img);
        _cleanup_free_ char *devices = tests_strdupf("%s%s" CDROM NETWORK_DISK, vda, vdb);
        _cleanup_(domain_xml_freep) DomainXml *x = parse_domain("", devices);
        StorageRoots roots = roots_of(f.proc_shared);
        StorageFacts *facts = NULL;
        size_t n = 0;

        ASSERT_OK(storage_facts_collect(&roots, x, &facts, &n));
        _cleanup_(domain_xml_freep) DomainXml *d = with_facts(facts, n, devices);
        ASSERT_STREQ(d->facts_host, "ha");
        ASSERT_EQ(d->n_storage_facts, n);
        for (size_t i = 0; i < n; i++) {
                const StorageFacts *back = domain_xml_find_storage_facts(d, facts[i].target);
                ASSERT_NOT_NULL(back);
                ASSERT_EQ(strv_length(back->pairs), strv_length(facts[i].pairs));
                assert_pairs(back->pairs, (const char *const *) facts[i].pairs);
        }
        ASSERT_NULL(domain_xml_find_storage_facts(d, "sda"));
        ASSERT_NULL(domain_xml_find_storage_facts(d, "vdc"));

        /* and what the destination reads back is the identity the source saw */
        _cleanup_(storage_identity_done) StorageIdentity id = {}, here = {};
        ASSERT_OK(storage_identity_from_pairs(domain_xml_find_storage_facts(d, "vda")->pairs, &id));
        ASSERT_OK(storage_identity_of(&roots, f.shared_img, &here));
        ASSERT_EQ(id.kind, STORAGE_SHARED_FS);
        ASSERT_STREQ(id.source, here.source);
        ASSERT_STREQ(id.root_path, here.root_path);
        ASSERT_U64_EQ(id.ino, here.ino);
        storage_facts_free(facts, n);
}

TEST(check_same_storage) {
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img), *vdb = file_disk("vdb", f.local_img);
        _cleanup_free_ char *devices = tests_strdupf("%s%s" CDROM NETWORK_DISK, vda, vdb);
        _cleanup_(domain_xml_freep) DomainXml *d = published(f.proc_shared, devices);

        ASSERT_EQ(d->n_storage_facts, 2);
        check_quiet("enforce", d, f.proc_shared);
        check_quiet("warn", d, f.proc_shared);
}

TEST(check_export_not_mounted) {
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img), *vdb = file_disk("vdb", f.local_img);
        _cleanup_free_ char *devices = tests_strdupf("%s%s" CDROM NETWORK_DISK, vda, vdb);
        _cleanup_(domain_xml_freep) DomainXml *d = published(f.proc_shared, devices);
        _cleanup_free_ char *expected = tests_strdupf(
                "disk vda: %s here is on ext4 (/dev/sda1), on the source it is on fuse.glusterfs " EXPORT
                ": the export is not mounted here, or a stale copy is in the way; " STORAGE_PRECREATED_HINT,
                f.shared_img);

        /* vdb is local on the source: not compared, wherever it is here */
        check_one("enforce", d, f.proc_local, expected);
        static const char tail[] = "; remove that file, or set [storage] identity = warn for this domain";
        ASSERT_STREQ(expected + strlen(expected) - strlen(tail), tail);
        check_one("warn", d, f.proc_local, expected);
        check_quiet("off", d, f.proc_local);
}

TEST(check_copy_on_export) {
        /* a copy at the image's path on the same export: another inode, no "remove that file" */
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img);
        _cleanup_(domain_xml_freep) DomainXml *d = published(f.proc_shared, vda);
        _cleanup_free_ char *old = tests_strdupf("%s.old", f.shared_img);
        uint64_t source_ino = inode_of(f.shared_img);

        ASSERT_SYS(rename(f.shared_img, old));
        tests_write_file(f.shared_img, "QFI\xfb");
        _cleanup_free_ char *expected =
                tests_strdupf("disk vda: %s here is another file on the same export (inode %" PRIu64 " here, %" PRIu64
                              " on the source): a copy, not the source's image",
                              f.shared_img, inode_of(f.shared_img), source_ino);
        check_one("enforce", d, f.proc_shared, expected);
}

TEST(check_missing_here) {
        /* nothing at the path here: nothing to open by mistake */
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img);
        _cleanup_(domain_xml_freep) DomainXml *d = published(f.proc_shared, vda);

        ASSERT_EQ(d->n_storage_facts, 1);
        ASSERT_SYS(unlink(f.shared_img));
        check_quiet("enforce", d, f.proc_shared);
        check_quiet("enforce", d, f.proc_local);
}

TEST(check_not_a_file_here) {
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img);
        _cleanup_(domain_xml_freep) DomainXml *d = published(f.proc_shared, vda);

        ASSERT_SYS(unlink(f.shared_img));
        ASSERT_SYS(mkdir(f.shared_img, 0755));
        _cleanup_free_ char *expected =
                tests_strdupf("disk vda: cannot tell what %s is here: %s; on the source it is shared storage",
                              f.shared_img, strerror(EMEDIUMTYPE));
        check_one("enforce", d, f.proc_shared, expected);
}

TEST(check_local_source) {
        /* published by a host where the file is local: migrating it needs a
         * storage copy, which is provisioning's business, not this check's */
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img);
        _cleanup_(domain_xml_freep) DomainXml *d = published(f.proc_local, vda);

        ASSERT_EQ(d->n_storage_facts, 1);
        ASSERT_STREQ(d->storage_facts[0].pairs[1], "local");
        check_quiet("enforce", d, f.proc_shared);
        check_quiet("enforce", d, f.proc_local);
}

TEST(check_unreadable_mountinfo) {
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img), *nothing = tests_strdupf("%s/nothing", f.dir);
        _cleanup_(domain_xml_freep) DomainXml *d = published(f.proc_shared, vda);
        _cleanup_free_ char *expected =
                tests_strdupf("disk vda: cannot tell what %s is here: %s; on the source it is shared storage",
                              f.shared_img, strerror(ENOENT));
        check_one("enforce", d, nothing, expected);
}

TEST(check_block_missing_here) {
        /* a LUN with a persistent id on the source, no such node here */
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *node = tests_strdupf("%s/mg-lun", f.dir), *vdb = block_disk("vdb", node);
        char *lun[] = { "kind", "block", "wwid", WWID, "by-id", "wwn-0x6001405f2a8a3e4f9cd4d2a8b8e6c1f0", NULL };
        StorageFacts facts = { .target = (char *) "vdb", .pairs = lun };
        _cleanup_(domain_xml_freep) DomainXml *d = with_facts(&facts, 1, vdb);

        ASSERT_EQ(d->n_storage_facts, 1);
        check_quiet("enforce", d, f.proc_shared);
}

TEST(check_without_facts) {
        /* an older source that published nothing: nothing to compare */
        _cleanup_(fixture_done) Fixture f = fixture_new();
        _cleanup_free_ char *vda = file_disk("vda", f.shared_img);
        _cleanup_(domain_xml_freep) DomainXml *d = parse_domain("", vda);
        check_quiet("enforce", d, f.proc_local);
}

int main(void) {
        RUN(collect);
        RUN(published_roundtrip);
        RUN(check_same_storage);
        RUN(check_export_not_mounted);
        RUN(check_copy_on_export);
        RUN(check_missing_here);
        RUN(check_not_a_file_here);
        RUN(check_local_source);
        RUN(check_unreadable_mountinfo);
        RUN(check_block_missing_here);
        RUN(check_without_facts);
        return tests_done();
}
