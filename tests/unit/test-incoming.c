/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for hooks/incoming.c, the destination hook's logic, one
 * libvirt hook call at a time: migrate begin, prepare begin, release end.
 * Everything the hook touches is a temporary directory (policy, run dir
 * with migguardd's lock, incoming records, guards, images), and its two
 * helpers are small shell scripts standing in for migguard-parity and
 * migguard-storage: printing findings or a pool name, failing, or
 * sleeping past the deadline.  The contract checked is the admin's:
 * exit status, "migguard: refused: ..." lines tagged with their check,
 * records saved only when the migration may go on, and `prepare begin` /
 * `release end` (which run for every domain start and stop) leaving at
 * once, lock or no lock, when a domain is none of migguard's business.
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "basic/path-util.h"
#include "basic/spawn-util.h"
#include "basic/strv.h"
#include "basic/time-util.h"
#include "core/daemon-lock.h"
#include "core/incoming-state.h"
#include "hooks/incoming.h"
#include "persist/guard.h"
#include "tests.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define FACTS_QCOW2                                                                                                    \
        "<metadata><m:facts xmlns:m='urn:migguard:domain:1' host='src'><m:disk target='vda' format='qcow2' "           \
        "virtual-size='8388608' cluster-size='65536' compat='1.1'/></m:facts></metadata>"
#define PARITY_CLEAN "{\"refusals\":[],\"warnings\":[]}"

typedef struct Hook {
        char *root;
        char *images;   /* the allowed directory */
        char *run;      /* run dir: migguardd's lock */
        char *incoming; /* run/incoming: records */
        char *state;    /* guards */
        char *config;
        char *storage, *parity; /* helper scripts */
        HookEnv env;
        int daemon_fd; /* >= 0: "migguardd" holds its lock */
} Hook;

static void write_script(const char *path, const char *body) {
        _cleanup_free_ char *text = tests_strdupf("#!/bin/sh\n%s\n", body);
        tests_write_file(path, text);
        ASSERT_SYS(chmod(path, 0755));
}

/* A parity helper printing @json, after noting its arguments and stdin. */
static void parity_prints(Hook *h, const char *json) {
        _cleanup_free_ char *body = tests_strdupf("cat > '%s/parity.stdin'\nprintf '%%s\\n' \"$@\" > '%s/parity.args'\n"
                                                  "printf '%%s\\n' '%s'",
                                                  h->root, h->root, json);
        write_script(h->parity, body);
}

/* A storage helper printing a pool name, after noting its arguments. */
static void storage_prints(Hook *h, const char *pool) {
        _cleanup_free_ char *body =
                tests_strdupf("printf '%%s\\n' \"$@\" > '%s/storage.args'\necho '%s'", h->root, pool);
        write_script(h->storage, body);
}

static void write_policy(Hook *h, const char *extra) {
        _cleanup_free_ char *text = tests_strdupf("[provision]\nallowed-dirs = %s\nmin-free-percent = 0\n%s", h->images,
                                                  extra ? extra : "");
        tests_write_file(h->config, text);
}

static void hook_init(Hook *h, const char *policy) {
        h->root = tests_mkdtemp();
        h->images = tests_strdupf("%s/images", h->root);
        h->run = tests_strdupf("%s/run", h->root);
        h->incoming = tests_strdupf("%s/run/incoming", h->root);
        h->state = tests_strdupf("%s/state", h->root);
        h->config = tests_strdupf("%s/migguard.conf", h->root);
        h->storage = tests_strdupf("%s/migguard-storage", h->root);
        h->parity = tests_strdupf("%s/migguard-parity", h->root);
        h->daemon_fd = -1;
        ASSERT_SYS(mkdir(h->images, 0755));
        ASSERT_SYS(mkdir(h->run, 0755));
        ASSERT_SYS(mkdir(h->state, 0755));
        write_policy(h, policy);
        parity_prints(h, PARITY_CLEAN);
        storage_prints(h, "migguard-test-pool");
        h->env = (HookEnv){
                .config_file = h->config,
                .run_dir = h->run,
                .incoming_dir = h->incoming,
                .state_dir = h->state,
                .storage_helper = h->storage,
                .parity_helper = h->parity,
                .deadline = deadline_in(30 * USEC_PER_SEC),
        };
}

static void hook_done(Hook *h) {
        if (h->daemon_fd >= 0)
                close(h->daemon_fd);
        tests_rm_rf(h->root);
        free(h->root);
        free(h->images);
        free(h->run);
        free(h->incoming);
        free(h->state);
        free(h->config);
        free(h->storage);
        free(h->parity);
}
#define _cleanup_hook_ _cleanup_(hook_done)

/* migguardd "runs": this process holds its lock (flock is per open file). */
static void daemon_start(Hook *h) {
        ASSERT_OK(daemon_lock_acquire(h->run, &h->daemon_fd));
        ASSERT_EQ(daemon_lock_is_held(h->run), 1);
}

static void daemon_stop(Hook *h) {
        ASSERT_SYS(close(h->daemon_fd));
        h->daemon_fd = -1;
}

static char *domain_xml(const char *metadata, const char *disks) {
        return tests_strdupf("<domain type='kvm'><name>vm</name><uuid>" UUID "</uuid>%s<vcpu>1</vcpu>"
                             "<devices>%s</devices></domain>",
                             metadata ? metadata : "", disks ? disks : "");
}

static char *file_disk(const char *format, const char *path) {
        return tests_strdupf("<disk type='file' device='disk'><driver name='qemu' type='%s'/><source file='%s'/>"
                             "<target dev='vda' bus='virtio'/></disk>",
                             format, path);
}

typedef int (*HookOp)(const HookEnv *, const char *, size_t, HookResult *);

static HookResult call(HookOp op, const Hook *h, const char *xml) {
        HookResult res = { 0 };
        ASSERT_OK(op(&h->env, xml, strlen(xml), &res));
        return res;
}

static long long now_ms(void) {
        return (long long) (now_usec(CLOCK_MONOTONIC) / USEC_PER_MSEC);
}

static const HookNote *find_note(const HookResult *r, NoteKind kind) {
        for (size_t i = 0; i < r->n_notes; i++)
                if (r->notes[i].kind == kind)
                        return &r->notes[i];
        return NULL;
}

/* Refused: exit 1, one "migguard: refused: " line per refusal, the first
 * containing @text, with a refusal note of @check saying the same. */
static void assert_refused(const HookResult *r, const char *text, CheckKind check) {
        ASSERT_EQ(r->exit_status, 1);
        ASSERT_NOT_NULL(r->stderr_lines);
        ASSERT_NOT_NULL(r->stderr_lines[0]);
        for (char **l = r->stderr_lines; *l; l++)
                if (strncmp(*l, "migguard: refused: ", 19) != 0)
                        TEST_FAIL("stderr line '%s' is not a refusal", *l);
        ASSERT_CONTAINS(r->stderr_lines[0], text);
        ASSERT_NULL(strchr(r->stderr_lines[0], '\n')); /* one line each */
        const HookNote *n = find_note(r, NOTE_REFUSED);
        ASSERT_NOT_NULL(n);
        ASSERT_STREQ(n->text, r->stderr_lines[0] + 19);
        if (n->check != check)
                TEST_FAIL("refusal '%s' tagged %s, expected %s", n->text, strna(check_kind_to_string(n->check)),
                          strna(check_kind_to_string(check)));
}

/* Failed (not a refusal): exit 1, "migguard: ..." containing @text. */
static void assert_failed(const HookResult *r, const char *text) {
        ASSERT_EQ(r->exit_status, 1);
        ASSERT_NOT_NULL(r->stderr_lines);
        ASSERT_NOT_NULL(r->stderr_lines[0]);
        ASSERT_TRUE(strncmp(r->stderr_lines[0], "migguard: ", 10) == 0);
        ASSERT_CONTAINS(r->stderr_lines[0], text);
        ASSERT_NULL(strchr(r->stderr_lines[0], '\n'));
}

static void assert_passed_quietly(const HookResult *r) {
        ASSERT_EQ(r->exit_status, 0);
        ASSERT_NULL(r->stderr_lines);
        ASSERT_EQ(r->n_notes, 0);
        ASSERT_NULL(r->new_xml);
}

static bool record_exists(const Hook *h) {
        _cleanup_free_ char *p = tests_strdupf("%s/" UUID ".json", h->incoming);
        return access(p, F_OK) == 0;
}

/* ---- migrate begin ---- */

TEST(migrate_begin_malformed_xml) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        static const char *const bad[] = {
                "<domain><name>vm</name>",
                "",
                "<domain><name>vm</name></domain>", /* no uuid */
                "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                HookResult r = call(incoming_migrate_begin, &h, bad[i]);
                assert_refused(&r, "", _CHECK_KIND_INVALID);
                ASSERT_EQ(strv_length(r.stderr_lines), 1);
                ASSERT_NULL(r.new_xml);
                hook_result_done(&r);
        }
        HookResult r = call(incoming_migrate_begin, &h, bad[0]);
        assert_refused(&r, "migguard: refused: malformed domain XML", _CHECK_KIND_INVALID);
        hook_result_done(&r);
        r = call(incoming_migrate_begin, &h, bad[2]);
        ASSERT_STREQ(r.stderr_lines[0], "migguard: refused: domain XML has no valid <uuid>");
        hook_result_done(&r);

        /* refused before any helper ran or anything was written */
        _cleanup_free_ char *args = tests_strdupf("%s/parity.args", h.root);
        ASSERT_NOT_EXISTS(args);
        ASSERT_NOT_EXISTS(h.incoming);
}

TEST(migrate_begin_bad_policy) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, "[cpu]\ncheck = maybe\n");
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);
        HookResult r = call(incoming_migrate_begin, &h, xml);
        /* the admin learns which file and line */
        _cleanup_free_ char *where = tests_strdupf("migguard: %s:5: ", h.config);
        assert_failed(&r, "invalid value 'maybe'");
        ASSERT_TRUE(strncmp(r.stderr_lines[0], where, strlen(where)) == 0);
        ASSERT_STREQ(r.domain, "vm");
        hook_result_done(&r);
        ASSERT_FALSE(record_exists(&h));
}

TEST(migrate_begin_parity_refusal) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        parity_prints(&h, "{\"refusals\":[{\"check\":\"cpu\",\"text\":\"cpu: x\"},"
                          "{\"check\":\"network\",\"text\":\"interface 52:54:00:aa:bb:cc bridge br0: down\"}],"
                          "\"warnings\":[{\"check\":\"vcpus\",\"text\":\"vcpus: guest has 4 vCPUs\"}]}");
        h.env.uri = "test:///default";
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);
        HookResult r = call(incoming_migrate_begin, &h, xml);

        assert_refused(&r, "cpu: x", CHECK_KIND_CPU);
        ASSERT_STREQ(r.stderr_lines[0], "migguard: refused: cpu: x");
        ASSERT_STREQ(r.stderr_lines[1], "migguard: refused: interface 52:54:00:aa:bb:cc bridge br0: down");
        ASSERT_NULL(r.stderr_lines[2]);
        ASSERT_STREQ(r.domain, "vm");
        /* each finding keeps its check; warnings go to the journal only */
        size_t refused = 0, warned = 0;
        for (size_t i = 0; i < r.n_notes; i++) {
                const HookNote *n = &r.notes[i];
                if (n->kind == NOTE_REFUSED && streq(n->text, "cpu: x"))
                        refused += n->check == CHECK_KIND_CPU;
                else if (n->kind == NOTE_REFUSED)
                        refused += n->check == CHECK_KIND_NETWORK;
                else if (n->kind == NOTE_WARNING && streq(n->text, "vcpus: guest has 4 vCPUs"))
                        warned += n->check == CHECK_KIND_VCPUS;
        }
        ASSERT_EQ(refused, 2);
        ASSERT_EQ(warned, 1);
        hook_result_done(&r);

        /* the helper got the policy, the URI and the domain XML itself */
        _cleanup_free_ char *args = tests_strdupf("%s/parity.args", h.root),
                            *in = tests_strdupf("%s/parity.stdin", h.root),
                            *want_args = tests_strdupf("%s\ntest:///default\n", h.config),
                            *got_args = tests_read_file(args), *got_in = tests_read_file(in);
        ASSERT_STREQ(got_args, want_args);
        ASSERT_STREQ(got_in, xml);
        /* refused: nothing recorded for it */
        ASSERT_FALSE(record_exists(&h));
}

TEST(migrate_begin_parity_warning_only) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        parity_prints(&h, "{\"refusals\":[],\"warnings\":[{\"check\":\"network\",\"text\":\"interface x: warn\"},"
                          "{\"check\":\"bogus\",\"text\":\"odd\"},{\"check\":\"cpu\"},7]}");
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);
        HookResult r = call(incoming_migrate_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.stderr_lines);
        const HookNote *n = find_note(&r, NOTE_WARNING);
        ASSERT_NOT_NULL(n);
        ASSERT_STREQ(n->text, "interface x: warn");
        ASSERT_EQ(n->check, CHECK_KIND_NETWORK);
        /* an unknown check name is no check, never a crash; a finding without text is dropped */
        ASSERT_EQ(r.n_notes, 2);
        ASSERT_STREQ(r.notes[1].text, "odd");
        ASSERT_EQ(r.notes[1].check, _CHECK_KIND_INVALID);
        hook_result_done(&r);
        /* the default URI */
        _cleanup_free_ char *args = tests_strdupf("%s/parity.args", h.root), *got = tests_read_file(args);
        ASSERT_CONTAINS(got, "\nqemu:///system\n");
        ASSERT_TRUE(record_exists(&h)); /* every migration that may go on gets a record */
}

TEST(migrate_begin_parity_timeout) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        write_script(h.parity, "exec sleep 10");
        h.env.deadline = deadline_in(300 * USEC_PER_MSEC);
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);
        long long t0 = now_ms();
        HookResult r = call(incoming_migrate_begin, &h, xml);
        long long took = now_ms() - t0;
        if (took < 250 || took > 5000)
                TEST_FAIL("gave up after %lld ms, expected about 300", took);
        /* the admin is told which step ran out of time */
        assert_failed(&r,
                      "cannot check CPU, network and storage parity: migguard-parity did not finish within the hook's "
                      "deadline");
        ASSERT_NULL(find_note(&r, NOTE_REFUSED));
        hook_result_done(&r);
        ASSERT_FALSE(record_exists(&h));
}

TEST(migrate_begin_parity_broken) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);

        write_script(h.parity, "echo 'cannot connect to libvirt' >&2\necho 'second line' >&2\nexit 2");
        HookResult r = call(incoming_migrate_begin, &h, xml);
        assert_failed(&r, "cannot check CPU, network and storage parity: cannot connect to libvirt");
        ASSERT_NULL(strstr(r.stderr_lines[0], "second line"));
        hook_result_done(&r);

        write_script(h.parity, "exit 3");
        r = call(incoming_migrate_begin, &h, xml);
        assert_failed(&r, "cannot check CPU, network and storage parity: checker failed");
        hook_result_done(&r);

        write_script(h.parity, "echo 'not json'");
        r = call(incoming_migrate_begin, &h, xml);
        assert_failed(&r, "cannot check CPU, network and storage parity: unreadable checker output");
        hook_result_done(&r);

        ASSERT_SYS(unlink(h.parity));
        r = call(incoming_migrate_begin, &h, xml);
        assert_failed(&r, "cannot check CPU, network and storage parity: ");
        hook_result_done(&r);
        ASSERT_FALSE(record_exists(&h));
}

TEST(migrate_begin_parity_off) {
        /* every parity check off: the helper is not even run */
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h,
                  "[cpu]\ncheck = off\nvcpus-over-cores = off\n[network]\ncheck = off\n[storage]\nidentity = off\n");
        write_script(h.parity, "exit 1");
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);
        HookResult r = call(incoming_migrate_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.stderr_lines);
        hook_result_done(&r);
}

TEST(migrate_begin_provision_refusal) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        daemon_start(&h);
        _cleanup_free_ char *outside = tests_strdupf("%s/elsewhere/vm.qcow2", h.root),
                            *disk = file_disk("qcow2", outside), *xml = domain_xml(FACTS_QCOW2, disk),
                            *want = tests_strdupf("migguard: refused: disk vda: image '%s' is missing and outside "
                                                  "[provision] allowed-dirs",
                                                  outside);
        HookResult r = call(incoming_migrate_begin, &h, xml);
        assert_refused(&r, "is missing and outside [provision] allowed-dirs", CHECK_KIND_PROVISION);
        ASSERT_STREQ(r.stderr_lines[0], want);
        hook_result_done(&r);
        ASSERT_FALSE(record_exists(&h));
        _cleanup_free_ char *args = tests_strdupf("%s/storage.args", h.root);
        ASSERT_NOT_EXISTS(args);
}

TEST(migrate_begin_missing_image_migguardd_down) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", h.images), *disk = file_disk("qcow2", path),
                            *xml = domain_xml(FACTS_QCOW2, disk),
                            *want = tests_strdupf("migguard: refused: disk vda: image '%s' must be provisioned but "
                                                  "migguardd is not running here; start it (systemctl start "
                                                  "migguardd) and retry",
                                                  path);
        ASSERT_EQ(daemon_lock_is_held(h.run), 0);
        HookResult r = call(incoming_migrate_begin, &h, xml);
        assert_refused(&r, "migguardd is not running here", CHECK_KIND_PROVISION);
        ASSERT_STREQ(r.stderr_lines[0], want);
        ASSERT_NULL(r.stderr_lines[1]);
        hook_result_done(&r);
        /* nothing made, nothing recorded, no pool asked for */
        ASSERT_FALSE(record_exists(&h));
        ASSERT_NOT_EXISTS(path);
        _cleanup_free_ char *args = tests_strdupf("%s/storage.args", h.root);
        ASSERT_NOT_EXISTS(args);
}

TEST(migrate_begin_missing_image_recorded) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        daemon_start(&h);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", h.images), *disk = file_disk("qcow2", path),
                            *xml = domain_xml(FACTS_QCOW2, disk);
        HookResult r = call(incoming_migrate_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.stderr_lines);
        ASSERT_NULL(r.new_xml); /* qcow2: nothing to change in the XML */
        ASSERT_STREQ(r.domain, "vm");
        const HookNote *n = find_note(&r, NOTE_POOL);
        ASSERT_NOT_NULL(n);
        ASSERT_EQ(n->check, CHECK_KIND_PROVISION);
        _cleanup_free_ char *want = tests_strdupf("directory %s: storage pool migguard-test-pool ready", h.images);
        ASSERT_STREQ(n->text, want);
        ASSERT_STREQ(n->path, h.images);
        ASSERT_NULL(find_note(&r, NOTE_REFUSED));
        hook_result_done(&r);

        /* the record for prepare begin and migguardd */
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        ASSERT_OK(incoming_state_load(h.incoming, UUID, &s));
        ASSERT_STREQ(s->name, "vm");
        ASSERT_EQ(s->phase, INCOMING_PLANNED);
        ASSERT_EQ(s->n_disks, 1);
        ASSERT_STREQ(s->disks[0].path, path);
        ASSERT_STREQ(s->disks[0].opts.format, "qcow2");
        ASSERT_U64_EQ(s->disks[0].opts.virtual_size, 8388608);
        ASSERT_FALSE(s->disks[0].created);
        ASSERT_NOT_EXISTS(path); /* migrate begin never creates an image */

        /* the storage helper was asked for exactly this directory and image */
        _cleanup_free_ char *args_path = tests_strdupf("%s/storage.args", h.root), *args = tests_read_file(args_path),
                            *tail = tests_strdupf("\n%s\n%s\n", h.images, path);
        ASSERT_TRUE(strncmp(args, "ensure\n--within-ms\n", 19) == 0);
        long ms = strtol(args + 19, NULL, 10);
        ASSERT_TRUE(ms > 0 && ms <= 30000); /* what is left of the hook's deadline */
        ASSERT_TRUE(strlen(args) > strlen(tail) && streq(args + strlen(args) - strlen(tail), tail));
}

TEST(migrate_begin_raw_kept_thin) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        daemon_start(&h);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.img", h.images), *disk = file_disk("raw", path),
                            *xml = domain_xml(NULL, disk);
        HookResult r = call(incoming_migrate_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        /* libvirt gets the XML back with discard on the provisioned raw disk */
        ASSERT_NOT_NULL(r.new_xml);
        ASSERT_CONTAINS(r.new_xml, "discard=\"unmap\"");
        ASSERT_CONTAINS(r.new_xml, "detect_zeroes=\"unmap\"");
        ASSERT_CONTAINS(r.new_xml, UUID);
        const HookNote *n = find_note(&r, NOTE_PROVISIONED);
        ASSERT_NOT_NULL(n);
        ASSERT_STREQ(n->disk, "vda");
        ASSERT_EQ(n->check, CHECK_KIND_PROVISION);
        hook_result_done(&r);

        /* sparse = no: the admin wants allocated images, the XML stays */
        write_policy(&h, "sparse = no\n");
        r = call(incoming_migrate_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.new_xml);
        hook_result_done(&r);
}

TEST(migrate_begin_storage_helper_fails) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        daemon_start(&h);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", h.images), *disk = file_disk("qcow2", path),
                            *xml = domain_xml(FACTS_QCOW2, disk),
                            *want = tests_strdupf("migguard: directory %s: pool target is busy", h.images);

        write_script(h.storage, "echo 'pool target is busy' >&2\nexit 1");
        HookResult r = call(incoming_migrate_begin, &h, xml);
        assert_failed(&r, "pool target is busy");
        ASSERT_STREQ(r.stderr_lines[0], want);
        hook_result_done(&r);
        ASSERT_FALSE(record_exists(&h)); /* no record: nothing for prepare to do */

        write_script(h.storage, "exec sleep 10");
        h.env.deadline = deadline_in(300 * USEC_PER_MSEC);
        long long t0 = now_ms();
        r = call(incoming_migrate_begin, &h, xml);
        ASSERT_TRUE(now_ms() - t0 < 5000);
        assert_failed(&r, "the storage pool helper did not finish within the hook's");
        ASSERT_CONTAINS(r.stderr_lines[0], h.images);
        hook_result_done(&r);
        ASSERT_FALSE(record_exists(&h));
}

TEST(migrate_begin_existing_image) {
        /* nothing to provision: a record all the same, no pool asked for */
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", h.images), *disk = file_disk("qcow2", path),
                            *xml = domain_xml(NULL, disk), *args = tests_strdupf("%s/storage.args", h.root);
        tests_write_file(path, "precious");
        HookResult r = call(incoming_migrate_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.stderr_lines);
        hook_result_done(&r);
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        ASSERT_OK(incoming_state_load(h.incoming, UUID, &s));
        ASSERT_EQ(s->n_disks, 0);
        ASSERT_NOT_EXISTS(args);
        _cleanup_free_ char *content = tests_read_file(path);
        ASSERT_STREQ(content, "precious");
}

TEST(migrate_begin_forgets_stale_attempt) {
        /* an earlier attempt whose pre-creation failed left a file libvirt made */
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        daemon_start(&h);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", h.images), *disk = file_disk("qcow2", path),
                            *xml = domain_xml(FACTS_QCOW2, disk);
        _cleanup_(incoming_state_freep) IncomingState *old = NULL;
        ImageInfo o;
        image_info_init(&o);
        ASSERT_OK(incoming_state_new(UUID, "vm", &old));
        ASSERT_OK(incoming_state_add_disk(old, path, &o));
        ASSERT_OK(incoming_state_save(h.incoming, old));
        tests_write_file(path, "left by libvirt");

        HookResult r = call(incoming_migrate_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        const HookNote *n = find_note(&r, NOTE_CLEANED_UP);
        ASSERT_NOT_NULL(n);
        ASSERT_STREQ(n->path, path);
        ASSERT_EQ(n->check, CHECK_KIND_PROVISION);
        hook_result_done(&r);
        ASSERT_NOT_EXISTS(path);
        ASSERT_TRUE(record_exists(&h)); /* this migration's own record */
}

/* ---- prepare begin ---- */

/* Someone else (another migration's hook) holds the state lock. */
static int hold_state_lock(const Hook *h) {
        int fd = -1;
        ASSERT_OK(incoming_state_lock(h->incoming, 0, &fd));
        return fd;
}

TEST(prepare_begin_not_ours_while_locked) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_close_ int lock = hold_state_lock(&h);
        ASSERT_TRUE(lock >= 0);
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);
        h.env.deadline = deadline_in(5 * USEC_PER_SEC);

        /* a plain start: no record, no guard, out at once */
        long long t0 = now_ms();
        HookResult r = call(incoming_prepare_begin, &h, xml);
        long long took = now_ms() - t0;
        if (took > 1000)
                TEST_FAIL("prepare begin of an unrelated domain took %lld ms while the lock was held", took);
        assert_passed_quietly(&r);
        hook_result_done(&r);

        /* and so for anything it cannot read: not its business */
        r = call(incoming_prepare_begin, &h, "<domain><name>x</name>");
        assert_passed_quietly(&r);
        hook_result_done(&r);
}

TEST(prepare_begin_not_ours_other_process_holds_lock) {
        /* the same with the lock held by another process */
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);
        int ready[2];
        ASSERT_SYS(pipe2(ready, O_CLOEXEC));
        pid_t child = fork();
        ASSERT_SYS(child);
        if (child == 0) {
                int fd = -1;
                if (incoming_state_lock(h.incoming, 0, &fd) < 0)
                        _exit(1);
                if (write(ready[1], "x", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        close(ready[1]);
        char c;
        ASSERT_EQ(read(ready[0], &c, 1), 1);
        close(ready[0]);

        h.env.deadline = deadline_in(5 * USEC_PER_SEC);
        long long t0 = now_ms();
        HookResult r = call(incoming_prepare_begin, &h, xml);
        long long took = now_ms() - t0;
        ASSERT_SYS(kill(child, SIGKILL));
        ASSERT_SYS(waitpid(child, NULL, 0));
        if (took > 1000)
                TEST_FAIL("prepare begin took %lld ms while another process held the lock", took);
        assert_passed_quietly(&r);
        hook_result_done(&r);
}

TEST(prepare_begin_guarded_while_locked) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        Guard g = { .uuid = (char *) UUID,
                    .name = (char *) "vm",
                    .destination = (char *) "hb (192.0.2.2)",
                    .time = 1700000000 };
        ASSERT_OK(guard_save(h.state, &g));
        _cleanup_close_ int lock = hold_state_lock(&h);
        ASSERT_TRUE(lock >= 0);
        _cleanup_free_ char *xml = domain_xml(NULL, NULL), *want = NULL;
        h.env.deadline = deadline_in(5 * USEC_PER_SEC);

        long long t0 = now_ms();
        HookResult r = call(incoming_prepare_begin, &h, xml);
        ASSERT_TRUE(now_ms() - t0 < 1000);
        ASSERT_OK(guard_message(&g, &want));
        assert_refused(&r, "vm was migrated to hb (192.0.2.2) at ", CHECK_KIND_PERSIST);
        ASSERT_STREQ(r.stderr_lines[0] + 19, want);
        ASSERT_CONTAINS(r.stderr_lines[0], "release it with: migguard release vm");
        ASSERT_NULL(r.stderr_lines[1]);
        hook_result_done(&r);

        /* released: the admin said it does not run there */
        g.released = true;
        ASSERT_OK(guard_save(h.state, &g));
        r = call(incoming_prepare_begin, &h, xml);
        assert_passed_quietly(&r);
        hook_result_done(&r);
}

TEST(prepare_begin_record_lock_busy) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        ASSERT_OK(incoming_state_new(UUID, "vm", &s));
        ASSERT_OK(incoming_state_save(h.incoming, s));
        _cleanup_close_ int lock = hold_state_lock(&h);
        ASSERT_TRUE(lock >= 0);
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);

        h.env.deadline = deadline_in(300 * USEC_PER_MSEC);
        long long t0 = now_ms();
        HookResult r = call(incoming_prepare_begin, &h, xml);
        long long took = now_ms() - t0;
        if (took < 250 || took > 5000)
                TEST_FAIL("gave up after %lld ms, expected about 300", took);
        assert_failed(&r, "gave up waiting for the lock");
        ASSERT_CONTAINS(r.stderr_lines[0], h.incoming);
        hook_result_done(&r);
        ASSERT_TRUE(record_exists(&h)); /* untouched */
}

TEST(prepare_begin_stale_record) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", h.images), *xml = domain_xml(NULL, NULL);
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        ImageInfo o;
        image_info_init(&o);
        o.format = (char *) "qcow2";
        ASSERT_OK(incoming_state_new(UUID, "vm", &s));
        ASSERT_OK(incoming_state_add_disk(s, path, &o));
        /* migrate begin was longer ago than prepare ever follows it */
        s->begin_usec -= (int64_t) (INCOMING_PREPARE_WINDOW_SEC + 60) * 1000000;
        ASSERT_OK(incoming_state_save(h.incoming, s));
        tests_write_file(path, "someone's image");

        HookResult r = call(incoming_prepare_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.stderr_lines);
        const HookNote *n = find_note(&r, NOTE_WARNING);
        ASSERT_NOT_NULL(n);
        ASSERT_STREQ(n->text, "ignoring stale provisioning record");
        hook_result_done(&r);
        ASSERT_FALSE(record_exists(&h));
        _cleanup_free_ char *content = tests_read_file(path);
        ASSERT_STREQ(content, "someone's image"); /* never acted on */

        /* a prepared record is not prepare's to act on again, nor to drop */
        s->begin_usec = (int64_t) now_usec(CLOCK_REALTIME);
        s->phase = INCOMING_PREPARED;
        ASSERT_OK(incoming_state_save(h.incoming, s));
        r = call(incoming_prepare_begin, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NOT_NULL(find_note(&r, NOTE_WARNING));
        hook_result_done(&r);
        ASSERT_TRUE(record_exists(&h));
}

/* What libvirt does between the two hooks: a fully allocated image. */
static void precreate(const char *path) {
        char *argv[] = { (char *) "qemu-img",
                         (char *) "create",
                         (char *) "-q",
                         (char *) "-f",
                         (char *) "qcow2",
                         (char *) "-o",
                         (char *) "preallocation=falloc",
                         (char *) path,
                         (char *) "8388608",
                         NULL };
        SpawnResult r = { 0 };
        ASSERT_OK(spawn_run(argv, deadline_in(60 * USEC_PER_SEC), &r));
        if (r.exit_status != 0)
                TEST_FAIL("qemu-img create failed: %s", strna(r.err));
        spawn_result_done(&r);
}

/* migrate begin, libvirt's pre-creation, prepare begin: a thin image in place. */
static void migrate_in(Hook *h, const char *path, const char *xml) {
        HookResult r = call(incoming_migrate_begin, h, xml);
        ASSERT_EQ(r.exit_status, 0);
        hook_result_done(&r);
        precreate(path);
        r = call(incoming_prepare_begin, h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.stderr_lines);
        const HookNote *n = find_note(&r, NOTE_PROVISIONED);
        ASSERT_NOT_NULL(n);
        _cleanup_free_ char *want = tests_strdupf("disk vda: provisioned thin qcow2 image '%s' of 8388608 bytes", path);
        ASSERT_STREQ(n->text, want);
        ASSERT_STREQ(n->disk, "vda");
        ASSERT_STREQ(n->path, path);
        ASSERT_EQ(n->check, CHECK_KIND_PROVISION);
        hook_result_done(&r);
}

TEST(prepare_then_release_removes_image) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        daemon_start(&h);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", h.images), *disk = file_disk("qcow2", path),
                            *xml = domain_xml(FACTS_QCOW2, disk);
        struct stat st;

        migrate_in(&h, path, xml);
        ASSERT_SYS(stat(path, &st));
        ASSERT_TRUE(st.st_blocks * 512 < 1024 * 1024); /* thin */
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        ASSERT_OK(incoming_state_load(h.incoming, UUID, &s));
        ASSERT_EQ(s->phase, INCOMING_PREPARED);
        ASSERT_TRUE(s->disks[0].created);
        ASSERT_U64_EQ(s->disks[0].ino, st.st_ino);

        /* the migration failed: release end removes exactly that image */
        HookResult r = call(incoming_release_end, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.stderr_lines);
        const HookNote *n = find_note(&r, NOTE_CLEANED_UP);
        ASSERT_NOT_NULL(n);
        ASSERT_STREQ(n->path, path);
        ASSERT_EQ(n->check, CHECK_KIND_PROVISION);
        hook_result_done(&r);
        ASSERT_NOT_EXISTS(path);
        ASSERT_FALSE(record_exists(&h));
}

TEST(release_keeps_image_without_migguardd) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        daemon_start(&h);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.qcow2", h.images), *disk = file_disk("qcow2", path),
                            *xml = domain_xml(FACTS_QCOW2, disk);
        migrate_in(&h, path, xml);

        /* migguardd is down: a failed migration cannot be told from a finished one */
        daemon_stop(&h);
        HookResult r = call(incoming_release_end, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        const HookNote *n = find_note(&r, NOTE_WARNING);
        ASSERT_NOT_NULL(n);
        ASSERT_CONTAINS(n->text, "migguardd not running: kept image");
        ASSERT_STREQ(n->path, path);
        ASSERT_NULL(find_note(&r, NOTE_CLEANED_UP));
        hook_result_done(&r);
        ASSERT_SYS(access(path, F_OK));
        ASSERT_TRUE(record_exists(&h));
}

TEST(release_before_prepare) {
        /* libvirt failed after pre-creating, before prepare: only files made since migrate begin go */
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_free_ char *fresh = tests_strdupf("%s/fresh.img", h.images),
                            *old = tests_strdupf("%s/old.img", h.images), *xml = domain_xml(NULL, NULL);
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        ImageInfo o;
        image_info_init(&o);
        ASSERT_OK(incoming_state_new(UUID, "vm", &s));
        ASSERT_OK(incoming_state_add_disk(s, fresh, &o));
        ASSERT_OK(incoming_state_add_disk(s, old, &o));
        ASSERT_OK(incoming_state_save(h.incoming, s));
        tests_write_file(fresh, "made by libvirt");
        tests_write_file(old, "there before");
        struct timespec t[2] = { { .tv_sec = time(NULL) - 3600 }, { .tv_sec = time(NULL) - 3600 } };
        ASSERT_SYS(utimensat(AT_FDCWD, old, t, 0));

        HookResult r = call(incoming_release_end, &h, xml);
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_EQ(r.n_notes, 1);
        ASSERT_EQ(r.notes[0].kind, NOTE_CLEANED_UP);
        ASSERT_STREQ(r.notes[0].path, fresh);
        hook_result_done(&r);
        ASSERT_NOT_EXISTS(fresh);
        ASSERT_SYS(access(old, F_OK));
        ASSERT_FALSE(record_exists(&h));
}

/* ---- release end ---- */

TEST(release_end_not_ours) {
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        _cleanup_free_ char *xml = domain_xml(NULL, NULL), *lockfile = tests_strdupf("%s/.lock", h.incoming);

        /* no record: returns at once, creates nothing (not even the lock file) */
        HookResult r = call(incoming_release_end, &h, xml);
        assert_passed_quietly(&r);
        hook_result_done(&r);
        ASSERT_NOT_EXISTS(h.incoming);

        ASSERT_SYS(mkdir(h.incoming, 0700));
        r = call(incoming_release_end, &h, xml);
        assert_passed_quietly(&r);
        hook_result_done(&r);
        ASSERT_NOT_EXISTS(lockfile);

        /* nor waits for a lock someone holds */
        _cleanup_close_ int lock = hold_state_lock(&h);
        ASSERT_TRUE(lock >= 0);
        h.env.deadline = deadline_in(5 * USEC_PER_SEC);
        long long t0 = now_ms();
        r = call(incoming_release_end, &h, xml);
        ASSERT_TRUE(now_ms() - t0 < 1000);
        assert_passed_quietly(&r);
        hook_result_done(&r);

        /* unreadable XML: its exit code is ignored by libvirt anyway */
        r = call(incoming_release_end, &h, "<domain");
        ASSERT_EQ(r.exit_status, 0);
        ASSERT_NULL(r.stderr_lines);
        hook_result_done(&r);
}

TEST(release_end_lock_busy) {
        /* a record, and the lock never comes: give up quietly by the deadline, keep everything */
        _cleanup_hook_ Hook h = { 0 };
        hook_init(&h, NULL);
        daemon_start(&h);
        _cleanup_free_ char *path = tests_strdupf("%s/vm.img", h.images), *xml = domain_xml(NULL, NULL);
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        ImageInfo o;
        image_info_init(&o);
        ASSERT_OK(incoming_state_new(UUID, "vm", &s));
        ASSERT_OK(incoming_state_add_disk(s, path, &o));
        ASSERT_OK(incoming_state_save(h.incoming, s));
        tests_write_file(path, "made by libvirt");
        _cleanup_close_ int lock = hold_state_lock(&h);
        ASSERT_TRUE(lock >= 0);

        h.env.deadline = deadline_in(300 * USEC_PER_MSEC);
        long long t0 = now_ms();
        HookResult r = call(incoming_release_end, &h, xml);
        ASSERT_TRUE(now_ms() - t0 < 5000);
        ASSERT_EQ(r.exit_status, 0);
        hook_result_done(&r);
        ASSERT_SYS(access(path, F_OK));
        ASSERT_TRUE(record_exists(&h));
}

TEST(result_done) {
        HookResult r = { 0 };
        hook_result_done(&r);
        hook_result_done(&r);
        ASSERT_NULL(r.notes);
}

int main(void) {
        RUN(migrate_begin_malformed_xml);
        RUN(migrate_begin_bad_policy);
        RUN(migrate_begin_parity_refusal);
        RUN(migrate_begin_parity_warning_only);
        RUN(migrate_begin_parity_timeout);
        RUN(migrate_begin_parity_broken);
        RUN(migrate_begin_parity_off);
        RUN(migrate_begin_provision_refusal);
        RUN(migrate_begin_missing_image_migguardd_down);
        RUN(migrate_begin_missing_image_recorded);
        RUN(migrate_begin_raw_kept_thin);
        RUN(migrate_begin_storage_helper_fails);
        RUN(migrate_begin_existing_image);
        RUN(migrate_begin_forgets_stale_attempt);
        RUN(prepare_begin_not_ours_while_locked);
        RUN(prepare_begin_not_ours_other_process_holds_lock);
        RUN(prepare_begin_guarded_while_locked);
        RUN(prepare_begin_record_lock_busy);
        RUN(prepare_begin_stale_record);
        if (tests_requires("prepare", tests_have_program("qemu-img"), "qemu-img")) {
                RUN(prepare_then_release_removes_image);
                RUN(release_keeps_image_without_migguardd);
        }
        RUN(release_before_prepare);
        RUN(release_end_not_ours);
        RUN(release_end_lock_busy);
        RUN(result_done);
        return tests_done();
}
