/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for provision/provision.c on a temporary "allowed directory":
 * which disks are planned and which are refused (with the admin's
 * message), the swap of a libvirt-style pre-created image for a thin one,
 * and cleanup that removes only what was made for this migration.
 * Needs qemu-img for the prepare tests.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "core/domain-xml.h"
#include "core/incoming-state.h"
#include "core/policy.h"
#include "provision/provision.h"
#include "basic/spawn-util.h"
#include "basic/strv.h"
#include "basic/time-util.h"
#include "tests.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
/* Every qemu-img run of one prepare ends by then. */
#define PREPARE_DEADLINE deadline_in(60 * USEC_PER_SEC)

typedef struct Fixture {
        char *root;   /* temp dir */
        char *images; /* root/images: the only allowed dir */
        char *state;  /* root/state: incoming state dir */
        char *other;  /* root/other: exists, not allowed */
        Policy *policy;
} Fixture;

static void fixture_init(Fixture *f, const char *extra_policy) {
        _cleanup_free_ char *text = NULL, *err = NULL;

        f->root = tests_mkdtemp();
        f->images = tests_strdupf("%s/images", f->root);
        f->state = tests_strdupf("%s/state", f->root);
        f->other = tests_strdupf("%s/other", f->root);
        ASSERT_SYS(mkdir(f->images, 0755));
        ASSERT_SYS(mkdir(f->other, 0755));
        ASSERT_OK(policy_new(&f->policy));
        text = tests_strdupf("[provision]\nallowed-dirs = %s\nmin-free-percent = 0\n%s", f->images,
                             extra_policy ? extra_policy : "");
        int r = policy_parse_string(f->policy, "fixture", text, &err);
        if (r < 0)
                TEST_FAIL("fixture policy: %s", strna(err));
}

static void fixture_done(Fixture *f) {
        tests_rm_rf(f->root);
        free(f->root);
        free(f->images);
        free(f->state);
        free(f->other);
        policy_unref(f->policy);
}
#define _cleanup_fixture_ _cleanup_(fixture_done)

/* One <disk>; NULL leaves the attribute or element out. */
static char *disk_xml(const char *type, const char *device, const char *format, const char *source, const char *target,
                      const char *extra) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ASSERT_NOT_NULL(f);
        fputs("<disk", f);
        if (type)
                fprintf(f, " type='%s'", type);
        if (device)
                fprintf(f, " device='%s'", device);
        fputs(">", f);
        if (format)
                fprintf(f, "<driver name='qemu' type='%s'/>", format);
        if (source)
                fprintf(f, "<source file='%s'/>", source);
        fprintf(f, "<target dev='%s'/>%s</disk>", target, extra ? extra : "");
        ASSERT_EQ(fclose(f), 0);
        return buf;
}

/* A domain from disk snippets (each freed here) and optional metadata. */
static DomainXml *domain(const char *metadata, char *disk1, char *disk2, char *disk3) {
        _cleanup_free_ char *xml =
                tests_strdupf("<domain type='kvm'><name>vm</name><uuid>" UUID "</uuid><metadata>%s</metadata>"
                              "<devices>%s%s%s</devices></domain>",
                              metadata ? metadata : "", disk1 ? disk1 : "", disk2 ? disk2 : "", disk3 ? disk3 : "");
        DomainXml *d = NULL;
        _cleanup_free_ char *err = NULL;
        if (domain_xml_parse(xml, strlen(xml), &d, &err) < 0)
                TEST_FAIL("fixture XML refused: %s\n%s", strna(err), xml);
        free(disk1);
        free(disk2);
        free(disk3);
        return d;
}

static DomainXml *one_file_disk(const char *format, const char *source) {
        return domain(NULL, disk_xml("file", "disk", format, source, "vda", NULL), NULL, NULL);
}

/* Plan, expecting @n_planned disks and exactly the refusals given
 * (NULL-terminated), each tagged as provisioning's. */
static IncomingState *plan(const Fixture *f, const DomainXml *d, size_t n_planned, ...) {
        IncomingState *s = NULL;
        Findings refusals = { 0 };
        va_list ap;

        ASSERT_OK(provision_plan(f->policy, d, &s, &refusals));
        ASSERT_NOT_NULL(s);
        ASSERT_STREQ(s->uuid, UUID);
        ASSERT_STREQ(s->name, "vm");
        ASSERT_EQ(s->phase, INCOMING_PLANNED);

        size_t n = 0;
        va_start(ap, n_planned);
        for (const char *want; (want = va_arg(ap, const char *)); n++) {
                if (n >= refusals.n)
                        TEST_FAIL("missing refusal '%s'", want);
                ASSERT_STREQ(refusals.items[n].text, want);
                ASSERT_EQ(refusals.items[n].check, CHECK_KIND_PROVISION);
        }
        va_end(ap);
        if (n < refusals.n)
                TEST_FAIL("unexpected refusal '%s'", refusals.items[n].text);
        ASSERT_EQ(findings_have(&refusals, CHECK_KIND_PROVISION), n > 0);
        findings_done(&refusals);
        if (s->n_disks != n_planned)
                TEST_FAIL("planned %zu disks, expected %zu", s->n_disks, n_planned);
        return s;
}

TEST(copy_candidate) {
        DomainDisk d = { .device = (char *) "disk", .type = (char *) "file", .source = (char *) "/a" };
        ASSERT_TRUE(disk_is_copy_candidate(&d));
        d.device = (char *) "lun";
        ASSERT_TRUE(disk_is_copy_candidate(&d));
        d.device = (char *) "cdrom";
        ASSERT_FALSE(disk_is_copy_candidate(&d));
        d.device = (char *) "floppy";
        ASSERT_FALSE(disk_is_copy_candidate(&d));
        d.device = (char *) "disk";
        d.readonly = true;
        ASSERT_FALSE(disk_is_copy_candidate(&d));
        d.readonly = false;
        d.shareable = true;
        ASSERT_FALSE(disk_is_copy_candidate(&d));
        d.shareable = false;
        d.transient = true;
        ASSERT_FALSE(disk_is_copy_candidate(&d));
        d.transient = false;
        d.source = NULL;
        ASSERT_FALSE(disk_is_copy_candidate(&d));
}

TEST(plan_missing_image) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images);
        _cleanup_(domain_xml_freep) DomainXml *d =
                domain("<m:facts xmlns:m='urn:migguard:domain:1' host='src'>"
                       "<m:disk target='vda' format='qcow2' virtual-size='8388608' cluster-size='4096' compat='1.1' "
                       "lazy-refcounts='on' compression-type='zstd'/></m:facts>",
                       disk_xml("file", "disk", "qcow2", path, "vda", NULL), NULL, NULL);
        _cleanup_(incoming_state_freep) IncomingState *s = plan(&f, d, 1, NULL);

        ASSERT_STREQ(s->disks[0].path, path);
        ASSERT_STREQ(s->disks[0].opts.target, "vda");
        ASSERT_STREQ(s->disks[0].opts.format, "qcow2");
        ASSERT_U64_EQ(s->disks[0].opts.virtual_size, 8388608);
        ASSERT_U64_EQ(s->disks[0].opts.cluster_size, 4096);
        ASSERT_STREQ(s->disks[0].opts.compat, "1.1");
        ASSERT_EQ(s->disks[0].opts.lazy_refcounts, 1);
        ASSERT_STREQ(s->disks[0].opts.compression_type, "zstd");
        ASSERT_FALSE(s->disks[0].created);
        /* planning never creates anything */
        ASSERT_NOT_EXISTS(path);

        _cleanup_strv_free_ char **dirs = NULL;
        ASSERT_OK(provision_plan_dirs(s, &dirs));
        ASSERT_EQ(strv_length(dirs), 1);
        ASSERT_STREQ(dirs[0], f.images);
}

TEST(plan_facts_for_other_format_ignored) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.img", f.images);
        _cleanup_(domain_xml_freep) DomainXml *d =
                domain("<m:facts xmlns:m='urn:migguard:domain:1'>"
                       "<m:disk target='vda' format='qcow2' cluster-size='4096' compat='1.1'/></m:facts>",
                       disk_xml("file", "disk", "raw", path, "vda", NULL), NULL, NULL);
        _cleanup_(incoming_state_freep) IncomingState *s = plan(&f, d, 1, NULL);
        ASSERT_STREQ(s->disks[0].opts.format, "raw");
        ASSERT_U64_EQ(s->disks[0].opts.cluster_size, 0);
        ASSERT_NULL(s->disks[0].opts.compat);
}

TEST(plan_existing_file_untouched) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images);
        tests_write_file(path, "precious data");
        _cleanup_(domain_xml_freep) DomainXml *d = one_file_disk("qcow2", path);
        incoming_state_free(plan(&f, d, 0, NULL));
        _cleanup_free_ char *content = tests_read_file(path);
        ASSERT_STREQ(content, "precious data");
}

TEST(plan_refusals) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *dir = tests_strdupf("%s/adir", f.images), *target = tests_strdupf("%s/t.img", f.images),
                            *link = tests_strdupf("%s/link.img", f.images),
                            *realdir = tests_strdupf("%s/real", f.images),
                            *linkdir = tests_strdupf("%s/linkdir", f.images),
                            *via = tests_strdupf("%s/linkdir/x.qcow2", f.images),
                            *outside = tests_strdupf("%s/x.qcow2", f.other),
                            *nodir = tests_strdupf("%s/nodir/x.qcow2", f.images),
                            *vmdk = tests_strdupf("%s/x.vmdk", f.images),
                            *noformat = tests_strdupf("%s/x.unknown", f.images);
        ASSERT_SYS(mkdir(dir, 0755));
        tests_write_file(target, "");
        ASSERT_SYS(symlink(target, link));
        ASSERT_SYS(mkdir(realdir, 0755));
        ASSERT_SYS(symlink("real", linkdir));

        struct {
                const char *format, *source, *refusal;
        } cases[] = {
                { "qcow2", dir, tests_strdupf("disk vda: destination '%s' is a directory", dir) },
                { "qcow2", link, tests_strdupf("disk vda: destination '%s' is a symlink", link) },
                { "qcow2", via, tests_strdupf("disk vda: path '%s' goes through a symlink", via) },
                { "raw", "/dev/null", tests_strdupf("disk vda: destination '/dev/null' is not a regular file") },
                { "qcow2", outside,
                  tests_strdupf("disk vda: image '%s' is missing and outside [provision] allowed-dirs", outside) },
                { "qcow2", nodir, tests_strdupf("disk vda: image directory '%s/nodir' does not exist", f.images) },
                { "vmdk", vmdk, tests_strdupf("disk vda: cannot provision image format 'vmdk' (qcow2 or raw only)") },
                { NULL, noformat,
                  tests_strdupf("disk vda: cannot provision image format 'unknown' (qcow2 or raw only)") },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(domain_xml_freep) DomainXml *d = one_file_disk(cases[i].format, cases[i].source);
                incoming_state_free(plan(&f, d, 0, cases[i].refusal, NULL));
                free((char *) cases[i].refusal);
        }
        /* nothing was created anywhere */
        ASSERT_NOT_EXISTS(outside);
        ASSERT_NOT_EXISTS(via);
}

TEST(plan_hostile_paths) {
        /* refused before the file system is touched (no openat2 needed) */
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *dotdot = tests_strdupf("%s/../images/x.qcow2", f.images),
                            *dot = tests_strdupf("%s/./x.qcow2", f.images),
                            *tab_xml = tests_strdupf("%s/x&#9;.qcow2", f.images),
                            *tab = tests_strdupf("%s/x\t.qcow2", f.images);
        /* as written in the XML, and as the admin is told */
        const char *const paths[][2] = {
                { dotdot, dotdot },
                { dot, dot },
                { "relative/x.qcow2", "relative/x.qcow2" },
                { tab_xml, tab },
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *want = tests_strdupf(
                        "disk vda: path '%s' is not a plain absolute path (relative, '.', '..' or control characters)",
                        paths[i][1]);
                _cleanup_(domain_xml_freep) DomainXml *d = one_file_disk("qcow2", paths[i][0]);
                incoming_state_free(plan(&f, d, 0, want, NULL));
        }
}

/* Our own node where we may (CAP_MKNOD), else any block device in /dev. */
static char *block_device_path(const char *dir) {
        _cleanup_free_ char *node = tests_strdupf("%s/blk.img", dir);
        if (mknod(node, S_IFBLK | 0600, makedev(7, 0)) == 0)
                return TAKE_PTR(node);
        static const char *const candidates[] = { "/dev/loop0",   "/dev/vda",  "/dev/sda",
                                                  "/dev/nvme0n1", "/dev/xvda", "/dev/zram0" };
        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                struct stat st;
                if (lstat(candidates[i], &st) == 0 && S_ISBLK(st.st_mode))
                        return strdup(candidates[i]);
        }
        return NULL;
}

static bool have_block_device(void) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *p = block_device_path(dir);
        return p != NULL;
}

TEST(plan_block_device) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *used = block_device_path(f.images);
        ASSERT_NOT_NULL(used);
        _cleanup_free_ char *want =
                tests_strdupf("disk vda: destination '%s' is a block device, not an image file", used);
        _cleanup_(domain_xml_freep) DomainXml *d = one_file_disk("raw", used);
        incoming_state_free(plan(&f, d, 0, want, NULL));
}

TEST(plan_never_copied_disks) {
        /* missing, inside the allowed dir, and still never planned */
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *a = tests_strdupf("%s/ro.img", f.images), *b = tests_strdupf("%s/shared.img", f.images),
                            *c = tests_strdupf("%s/cd.iso", f.images), *e = tests_strdupf("%s/t.qcow2", f.images),
                            *g = tests_strdupf("%s/blk.img", f.images);

        _cleanup_(domain_xml_freep) DomainXml *d1 =
                domain(NULL, disk_xml("file", "disk", "raw", a, "vda", "<readonly/>"),
                       disk_xml("file", "disk", "raw", b, "vdb", "<shareable/>"),
                       disk_xml("file", "cdrom", "raw", c, "sda", "<readonly/>"));
        incoming_state_free(plan(&f, d1, 0, NULL));

        _cleanup_(domain_xml_freep) DomainXml *d2 =
                domain(NULL, disk_xml("file", "disk", "qcow2", e, "vdc", "<transient/>"),
                       disk_xml("file", "floppy", "raw", c, "fda", NULL),
                       disk_xml("file", "cdrom", "raw", NULL, "sdb", "<readonly/>"));
        incoming_state_free(plan(&f, d2, 0, NULL));

        /* only type='file' disks are provisioned */
        _cleanup_free_ char *blk = tests_strdupf("<disk type='block' device='disk'><driver type='raw'/>"
                                                 "<source dev='%s'/><target dev='vdd'/></disk>",
                                                 g);
        _cleanup_(domain_xml_freep) DomainXml *d3 =
                domain(NULL, strdup(blk),
                       strdup("<disk type='network' device='disk'><driver type='raw'/>"
                              "<source protocol='rbd' name='p/i'/><target dev='vde'/></disk>"),
                       NULL);
        incoming_state_free(plan(&f, d3, 0, NULL));
}

TEST(plan_disabled) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "enabled = no\n");
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images);
        _cleanup_(domain_xml_freep) DomainXml *d = one_file_disk("qcow2", path);
        incoming_state_free(plan(&f, d, 0, NULL));
        /* hostile paths are still refused */
        _cleanup_free_ char *want = tests_strdupf("disk vda: destination '%s' is a directory", f.other);
        _cleanup_(domain_xml_freep) DomainXml *d2 = one_file_disk("qcow2", f.other);
        incoming_state_free(plan(&f, d2, 0, want, NULL));
}

TEST(plan_free_space) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "min-free-percent = 99\n");
        struct statvfs sv;
        ASSERT_SYS(statvfs(f.images, &sv));
        unsigned long long pct = sv.f_blocks ? (unsigned long long) sv.f_bavail * 100 / sv.f_blocks : 100;
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images);
        _cleanup_(domain_xml_freep) DomainXml *d = one_file_disk("qcow2", path);
        if (pct >= 99) {
                incoming_state_free(plan(&f, d, 1, NULL));
                return;
        }
        _cleanup_free_ char *want = tests_strdupf(
                "disk vda: %s has %llu%% free, policy [provision] min-free-percent is 99%%", f.images, pct);
        incoming_state_free(plan(&f, d, 0, want, NULL));
}

TEST(free_space_refusal) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "min-free-percent = 10\n");
        _cleanup_free_ char *why = NULL;

        ASSERT_EQ(provision_free_space_refusal(f.policy, "/srv/images", 10, &why), 0); /* the minimum is enough */
        ASSERT_NULL(why);
        ASSERT_EQ(provision_free_space_refusal(f.policy, "/srv/images", 100, &why), 0);
        ASSERT_NULL(why);
        ASSERT_EQ(provision_free_space_refusal(f.policy, "/srv/images", 9, &why), 1);
        ASSERT_STREQ(why, "/srv/images has 9% free, policy [provision] min-free-percent is 10%");
        RESET_FREE(why);
        ASSERT_EQ(provision_free_space_refusal(f.policy, "/srv/images", 0, &why), 1);
        ASSERT_STREQ(why, "/srv/images has 0% free, policy [provision] min-free-percent is 10%");
        RESET_FREE(why);

        /* min-free-percent = 0: never refused */
        f.policy->min_free_percent = 0;
        ASSERT_EQ(provision_free_space_refusal(f.policy, "/srv/images", 0, &why), 0);
        ASSERT_NULL(why);
}

TEST(path_and_policy_refusals) {
        /* the same words `migguard check` says on the source */
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *inside = tests_strdupf("%s/a.qcow2", f.images),
                            *outside = tests_strdupf("%s/a.qcow2", f.other), *why = NULL;
        DomainDisk d = { .target = (char *) "vda",
                         .device = (char *) "disk",
                         .type = (char *) "file",
                         .source = inside,
                         .format = (char *) "qcow2" };

        ASSERT_EQ(provision_path_refusal(&d, &why), 0);
        ASSERT_NULL(why);
        ASSERT_EQ(provision_policy_refusal(f.policy, &d, &why), 0);
        ASSERT_NULL(why);

        d.source = (char *) "/var/lib/../etc/x.qcow2";
        ASSERT_EQ(provision_path_refusal(&d, &why), 1);
        ASSERT_STREQ(why, "path '/var/lib/../etc/x.qcow2' is not a plain absolute path (relative, '.', '..' or "
                          "control characters)");
        RESET_FREE(why);

        d.source = outside;
        ASSERT_EQ(provision_policy_refusal(f.policy, &d, &why), 1);
        _cleanup_free_ char *want =
                tests_strdupf("image '%s' is missing and outside [provision] allowed-dirs", outside);
        ASSERT_STREQ(why, want);
        RESET_FREE(why);

        d.source = inside;
        d.format = (char *) "vmdk";
        ASSERT_EQ(provision_policy_refusal(f.policy, &d, &why), 1);
        ASSERT_STREQ(why, "cannot provision image format 'vmdk' (qcow2 or raw only)");
        RESET_FREE(why);
        d.format = NULL;
        ASSERT_EQ(provision_policy_refusal(f.policy, &d, &why), 1);
        ASSERT_STREQ(why, "cannot provision image format 'unknown' (qcow2 or raw only)");
}

TEST(plan_several_disks) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *sub = tests_strdupf("%s/sub", f.images), *a = tests_strdupf("%s/a.qcow2", f.images),
                            *b = tests_strdupf("%s/sub/b.img", f.images), *c = tests_strdupf("%s/c.img", f.images),
                            *want = tests_strdupf("disk vdc: destination '%s' is a directory", sub);
        ASSERT_SYS(mkdir(sub, 0755));
        _cleanup_(domain_xml_freep) DomainXml *d = domain(NULL, disk_xml("file", "disk", "qcow2", a, "vda", NULL),
                                                          disk_xml("file", "disk", "raw", b, "vdb", NULL),
                                                          disk_xml("file", "disk", "raw", sub, "vdc", NULL));
        _cleanup_(incoming_state_freep) IncomingState *s = plan(&f, d, 2, want, NULL);
        ASSERT_STREQ(s->disks[0].path, a);
        ASSERT_STREQ(s->disks[1].path, b);

        _cleanup_strv_free_ char **dirs = NULL;
        ASSERT_OK(provision_plan_dirs(s, &dirs));
        ASSERT_EQ(strv_length(dirs), 2);
        ASSERT_STREQ(dirs[0], f.images);
        ASSERT_STREQ(dirs[1], sub);

        /* the same directory is listed once */
        ImageInfo o;
        image_info_init(&o);
        ASSERT_OK(incoming_state_add_disk(s, c, &o));
        strv_free(dirs);
        dirs = NULL;
        ASSERT_OK(provision_plan_dirs(s, &dirs));
        ASSERT_EQ(strv_length(dirs), 2);
}

/* What libvirt 9.0 does before `prepare begin`: a fully allocated qcow2. */
static void precreate(const char *path, const char *format, uint64_t size, mode_t mode, uid_t uid, gid_t gid) {
        char sz[32];
        snprintf(sz, sizeof(sz), "%llu", (unsigned long long) size);
        char *argv[] = { (char *) "qemu-img",
                         (char *) "create",
                         (char *) "-q",
                         (char *) "-f",
                         (char *) format,
                         (char *) "-o",
                         (char *) "preallocation=falloc",
                         (char *) path,
                         sz,
                         NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, deadline_in(60 * USEC_PER_SEC), &r));
        if (r.exit_status != 0)
                TEST_FAIL("qemu-img create failed: %s", strna(r.err));
        spawn_result_done(&r);
        ASSERT_SYS(chown(path, uid, gid));
        ASSERT_SYS(chmod(path, mode));
}

static IncomingState *plan_one(Fixture *f, const char *path, const char *format, const char *facts) {
        _cleanup_(domain_xml_freep) DomainXml *d =
                domain(facts, disk_xml("file", "disk", format, path, "vda", NULL), NULL, NULL);
        return plan(f, d, 1, NULL);
}

static void assert_no_temp_files(const char *dir) {
        DIR *dh = opendir(dir);
        ASSERT_NOT_NULL(dh);
        for (struct dirent *de; (de = readdir(dh));)
                if (strstr(de->d_name, ".migguard-"))
                        TEST_FAIL("temporary file left behind: %s/%s", dir, de->d_name);
        closedir(dh);
}

TEST(prepare_replaces_precreated) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images), *err = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s =
                plan_one(&f, path, "qcow2",
                         "<m:facts xmlns:m='urn:migguard:domain:1' host='src'><m:disk target='vda' format='qcow2' "
                         "virtual-size='8388608' cluster-size='4096' compat='1.1' lazy-refcounts='on' "
                         "compression-type='zstd'/></m:facts>");
        struct stat before, after;

        precreate(path, "qcow2", 8 * 1024 * 1024, 0640, 107, 108);
        ASSERT_SYS(stat(path, &before));
        ASSERT_TRUE(before.st_blocks * 512 >= 8 * 1024 * 1024); /* libvirt's file is fat */

        ASSERT_EQ(provision_prepare(f.policy, s, f.state, PREPARE_DEADLINE, &err), 1);
        ASSERT_NULL(err);

        ASSERT_SYS(stat(path, &after));
        ASSERT_TRUE(S_ISREG(after.st_mode));
        ASSERT_NE(after.st_ino, before.st_ino);
        ASSERT_EQ(after.st_mode & 07777, 0640);
        ASSERT_EQ(after.st_uid, 107);
        ASSERT_EQ(after.st_gid, 108);
        ASSERT_TRUE(after.st_blocks * 512 < 1024 * 1024); /* thin */

        ImageInfo got;
        ASSERT_OK(image_info_query(path, PREPARE_DEADLINE, &got));
        ASSERT_STREQ(got.format, "qcow2");
        ASSERT_U64_EQ(got.virtual_size, 8 * 1024 * 1024);
        ASSERT_U64_EQ(got.cluster_size, 4096);
        ASSERT_EQ(got.lazy_refcounts, 1);
        ASSERT_STREQ(got.compression_type, "zstd");
        image_info_done(&got);

        /* the new file is recorded, in memory and on disk */
        ASSERT_TRUE(s->disks[0].created);
        ASSERT_U64_EQ(s->disks[0].dev, after.st_dev);
        ASSERT_U64_EQ(s->disks[0].ino, after.st_ino);
        ASSERT_EQ(s->phase, INCOMING_PREPARED);
        _cleanup_(incoming_state_freep) IncomingState *saved = NULL;
        ASSERT_OK(incoming_state_load(f.state, UUID, &saved));
        ASSERT_EQ(saved->phase, INCOMING_PREPARED);
        ASSERT_TRUE(saved->disks[0].created);
        ASSERT_U64_EQ(saved->disks[0].ino, after.st_ino);
        ASSERT_U64_EQ(saved->disks[0].dev, after.st_dev);
        assert_no_temp_files(f.images);

        /* and cleanup removes exactly that file */
        _cleanup_strv_free_ char **removed = NULL;
        ASSERT_OK(provision_cleanup(saved, &removed));
        ASSERT_EQ(strv_length(removed), 1);
        ASSERT_STREQ(removed[0], path);
        ASSERT_NOT_EXISTS(path);
}

TEST(prepare_raw_and_size_rounding) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, "sparse = yes\n");
        _cleanup_free_ char *path = tests_strdupf("%s/vm.img", f.images), *err = NULL;
        /* the source is 10486272 bytes; libvirt pre-creates it rounded up to KiB */
        _cleanup_(incoming_state_freep) IncomingState *s =
                plan_one(&f, path, "raw",
                         "<m:facts xmlns:m='urn:migguard:domain:1'><m:disk target='vda' format='raw' "
                         "virtual-size='10486272'/></m:facts>");
        precreate(path, "raw", 10486784, 0600, 0, 0);
        ASSERT_EQ(provision_prepare(f.policy, s, f.state, PREPARE_DEADLINE, &err), 1);
        ImageInfo got;
        ASSERT_OK(image_info_query(path, PREPARE_DEADLINE, &got));
        ASSERT_STREQ(got.format, "raw");
        ASSERT_U64_EQ(got.virtual_size, 10486272); /* the source's exact size */
        image_info_done(&got);
        ASSERT_U64_EQ(s->disks[0].opts.virtual_size, 10486272);

        /* without facts the pre-created size is kept */
        _cleanup_free_ char *p2 = tests_strdupf("%s/nofacts.img", f.images);
        _cleanup_(incoming_state_freep) IncomingState *s2 = plan_one(&f, p2, "raw", NULL);
        precreate(p2, "raw", 10486784, 0600, 0, 0);
        ASSERT_EQ(provision_prepare(f.policy, s2, f.state, PREPARE_DEADLINE, &err), 1);
        ASSERT_OK(image_info_query(p2, PREPARE_DEADLINE, &got));
        ASSERT_U64_EQ(got.virtual_size, 10486784);
        image_info_done(&got);
}

TEST(prepare_deadline_passed) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images), *err = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = plan_one(&f, path, "qcow2", NULL);
        struct stat before, after;

        precreate(path, "qcow2", 1024 * 1024, 0600, 0, 0);
        ASSERT_SYS(stat(path, &before));
        /* the hook's budget is gone: no qemu-img is waited for */
        ASSERT_ERR(provision_prepare(f.policy, s, f.state, now_usec(CLOCK_MONOTONIC), &err), -ETIMEDOUT);
        _cleanup_free_ char *want = tests_strdupf("disk vda: cannot read pre-created image (qemu-img info) '%s': ran "
                                                  "out of time (the hook's deadline passed)",
                                                  path);
        ASSERT_STREQ(err, want);
        /* libvirt's file is left in place, and recorded as this migration's to remove */
        ASSERT_SYS(stat(path, &after));
        ASSERT_EQ(after.st_ino, before.st_ino);
        ASSERT_TRUE(s->disks[0].created);
        _cleanup_(incoming_state_freep) IncomingState *saved = NULL;
        ASSERT_OK(incoming_state_load(f.state, UUID, &saved));
        ASSERT_TRUE(saved->disks[0].created);
        ASSERT_U64_EQ(saved->disks[0].ino, before.st_ino);
        assert_no_temp_files(f.images);
}

TEST(prepare_not_precreated) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images), *err = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = plan_one(&f, path, "qcow2", NULL);
        /* libvirt did not copy this disk: nothing is created */
        ASSERT_EQ(provision_prepare(f.policy, s, f.state, PREPARE_DEADLINE, &err), 0);
        ASSERT_NULL(err);
        ASSERT_NOT_EXISTS(path);
        ASSERT_FALSE(s->disks[0].created);
}

TEST(prepare_refuses) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images),
                            *other = tests_strdupf("%s/hardlink", f.images), *err = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = plan_one(&f, path, "qcow2", NULL);

        /* a file older than migrate begin is someone else's */
        precreate(path, "qcow2", 1024 * 1024, 0600, 0, 0);
        struct timespec old[2] = { { .tv_sec = time(NULL) - 3600 }, { .tv_sec = time(NULL) - 3600 } };
        ASSERT_SYS(utimensat(AT_FDCWD, path, old, 0));
        struct stat before, after;
        ASSERT_SYS(stat(path, &before));
        ASSERT_ERR(provision_prepare(f.policy, s, f.state, PREPARE_DEADLINE, &err), -EEXIST);
        ASSERT_CONTAINS(err, "disk vda: file predates this migration, not replacing");
        ASSERT_SYS(stat(path, &after));
        ASSERT_EQ(after.st_ino, before.st_ino);
        ASSERT_FALSE(s->disks[0].created);
        RESET_FREE(err);

        /* a hard-linked file is never replaced */
        ASSERT_SYS(utimensat(AT_FDCWD, path, NULL, 0));
        ASSERT_SYS(link(path, other));
        ASSERT_ERR(provision_prepare(f.policy, s, f.state, PREPARE_DEADLINE, &err), -EPERM);
        ASSERT_CONTAINS(err, "disk vda: refusing to replace");
        ASSERT_SYS(unlink(other));
        RESET_FREE(err);

        /* nor a directory or a symlink */
        ASSERT_SYS(unlink(path));
        ASSERT_SYS(mkdir(path, 0755));
        ASSERT_ERR(provision_prepare(f.policy, s, f.state, PREPARE_DEADLINE, &err), -EPERM);
        RESET_FREE(err);
        ASSERT_SYS(rmdir(path));
        tests_write_file(other, "");
        ASSERT_SYS(symlink(other, path));
        ASSERT_ERR(provision_prepare(f.policy, s, f.state, PREPARE_DEADLINE, &err), -EPERM);
        _cleanup_free_ char *content = tests_read_file(other);
        ASSERT_STREQ(content, "");
        ASSERT_FALSE(s->disks[0].created);
}

TEST(cleanup_only_own_file) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", f.images),
                            *replacement = tests_strdupf("%s/replacement", f.images), *err = NULL;
        _cleanup_(incoming_state_freep) IncomingState *s = plan_one(&f, path, "qcow2", NULL);
        _cleanup_strv_free_ char **removed = NULL;

        precreate(path, "qcow2", 1024 * 1024, 0600, 0, 0);
        ASSERT_EQ(provision_prepare(f.policy, s, f.state, PREPARE_DEADLINE, &err), 1);

        /* someone put another file at the path (new inode, while ours still exists) */
        tests_write_file(replacement, "not ours");
        ASSERT_SYS(rename(replacement, path));
        ASSERT_OK(provision_cleanup(s, &removed));
        ASSERT_EQ(strv_length(removed), 0);
        _cleanup_free_ char *content = tests_read_file(path);
        ASSERT_STREQ(content, "not ours");
        strv_free(removed);
        removed = NULL;

        /* a disk not marked created is never removed, even with matching identity */
        struct stat st;
        ASSERT_SYS(stat(path, &st));
        s->disks[0].dev = st.st_dev;
        s->disks[0].ino = st.st_ino;
        s->disks[0].created = false;
        ASSERT_OK(provision_cleanup(s, &removed));
        ASSERT_EQ(strv_length(removed), 0);
        strv_free(removed);
        removed = NULL;

        /* a symlink at the path is not followed */
        _cleanup_free_ char *target = tests_strdupf("%s/target", f.other);
        tests_write_file(target, "");
        ASSERT_SYS(stat(target, &st));
        ASSERT_SYS(unlink(path));
        ASSERT_SYS(symlink(target, path));
        s->disks[0].created = true;
        s->disks[0].dev = st.st_dev;
        s->disks[0].ino = st.st_ino;
        ASSERT_OK(provision_cleanup(s, &removed));
        ASSERT_EQ(strv_length(removed), 0);
        ASSERT_SYS(access(target, F_OK));
        strv_free(removed);
        removed = NULL;

        /* nothing there at all */
        ASSERT_SYS(unlink(path));
        ASSERT_OK(provision_cleanup(s, &removed));
        ASSERT_EQ(strv_length(removed), 0);
}

TEST(cleanup_unprepared) {
        _cleanup_fixture_ Fixture f = { 0 };
        fixture_init(&f, NULL);
        _cleanup_free_ char *fresh = tests_strdupf("%s/fresh.img", f.images),
                            *old = tests_strdupf("%s/old.img", f.images),
                            *linked = tests_strdupf("%s/linked.img", f.images),
                            *link2 = tests_strdupf("%s/linked2", f.images),
                            *missing = tests_strdupf("%s/missing.img", f.images);
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        _cleanup_strv_free_ char **removed = NULL;
        ImageInfo o;

        image_info_init(&o);
        ASSERT_OK(incoming_state_new(UUID, "vm", &s));
        s->begin_usec = (int64_t) now_usec(CLOCK_REALTIME);
        ASSERT_OK(incoming_state_add_disk(s, fresh, &o));
        ASSERT_OK(incoming_state_add_disk(s, old, &o));
        ASSERT_OK(incoming_state_add_disk(s, linked, &o));
        ASSERT_OK(incoming_state_add_disk(s, missing, &o));

        tests_write_file(fresh, "libvirt made me");
        tests_write_file(old, "older than the migration");
        struct timespec t[2] = { { .tv_sec = time(NULL) - 3600 }, { .tv_sec = time(NULL) - 3600 } };
        ASSERT_SYS(utimensat(AT_FDCWD, old, t, 0));
        tests_write_file(linked, "");
        ASSERT_SYS(link(linked, link2));

        ASSERT_OK(provision_cleanup_unprepared(s, &removed));
        ASSERT_EQ(strv_length(removed), 1);
        ASSERT_STREQ(removed[0], fresh);
        ASSERT_NOT_EXISTS(fresh);
        ASSERT_SYS(access(old, F_OK));
        ASSERT_SYS(access(linked, F_OK));
}

int main(void) {
        RUN(copy_candidate);
        RUN(plan_missing_image);
        RUN(plan_facts_for_other_format_ignored);
        RUN(plan_existing_file_untouched);
        RUN(plan_refusals);
        RUN(plan_hostile_paths);
        RUN_IF(plan_block_device, have_block_device(), "a block device node");
        RUN(plan_never_copied_disks);
        RUN(plan_disabled);
        RUN(plan_free_space);
        RUN(free_space_refusal);
        RUN(path_and_policy_refusals);
        RUN(plan_several_disks);
        if (tests_requires("prepare", tests_have_program("qemu-img"), "qemu-img")) {
                RUN(prepare_replaces_precreated);
                RUN(prepare_raw_and_size_rounding);
                RUN(prepare_deadline_passed);
                RUN(prepare_not_precreated);
                RUN(prepare_refuses);
                RUN(cleanup_only_own_file);
        }
        RUN(cleanup_unprepared);
        return tests_done();
}
