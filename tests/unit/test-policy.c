/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/policy.c: defaults, every documented section and key,
 * "NAME:LINE: reason" refusals, drop-in order, CPU lists and the dump
 * round trip.  The key table in product.md is the contract tested here.
 */
#include <pthread.h>
#include <stdio.h>

#include "core/policy.h"
#include "basic/strv.h"
#include "tests.h"

static Policy *parse_ok(const char *text) {
        Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        ASSERT_OK(policy_new(&p));
        int r = policy_parse_string(p, "test.conf", text, &err);
        if (r < 0)
                TEST_FAIL("parsing failed: %d %s\n---\n%s---", r, strna(err), text);
        ASSERT_NULL(err);
        return p;
}

/* Parse @text expecting a refusal whose message is exactly @expected. */
static void parse_fails(const char *text, const char *expected) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        ASSERT_OK(policy_new(&p));
        ASSERT_ERR(policy_parse_string(p, "test.conf", text, &err), -EINVAL);
        ASSERT_STREQ(err, expected);
}

TEST(defaults) {
        _cleanup_(policy_freep) Policy *p = NULL;
        ASSERT_OK(policy_new(&p));
        ASSERT_TRUE(p->provision_enabled);
        ASSERT_EQ(strv_length(p->allowed_dirs), 1);
        ASSERT_STREQ(p->allowed_dirs[0], "/var/lib/libvirt/images");
        ASSERT_TRUE(p->sparse);
        ASSERT_EQ(p->min_free_percent, 5);
        ASSERT_EQ(p->cpu_check, CHECK_ENFORCE);
        ASSERT_EQ(p->cpu_match, CPU_MATCH_COMPATIBLE);
        ASSERT_EQ(p->vcpus_over_cores, CHECK_WARN);
        ASSERT_EQ(p->network_check, CHECK_ENFORCE);
        ASSERT_EQ(p->subnet_check, SUBNET_CHECK_AUTO);
        ASSERT_EQ(p->n_segments, 0);
        ASSERT_TRUE(p->persist_destination);
        ASSERT_EQ(p->persist_source, PERSIST_SOURCE_GUARD);
        ASSERT_TRUE(p->converge_guard);
        ASSERT_EQ(p->converge_max_downtime, 1000u);
        ASSERT_EQ(p->converge_stall_seconds, 30u);
        ASSERT_EQ(p->converge_action, CONVERGE_ACTION_ABORT);
        ASSERT_TRUE(p->pinning_enabled);
        ASSERT_TRUE(p->pinning_auto);
}

TEST(empty_and_comments) {
        _cleanup_(policy_freep) Policy *p =
                parse_ok("\n; comment\n# another\n\n[provision]\n; nothing here\nsparse = no ; inline\n");
        ASSERT_FALSE(p->sparse);
        ASSERT_TRUE(p->provision_enabled);
}

TEST(every_key) {
        _cleanup_(policy_freep) Policy *p = parse_ok("[provision]\n"
                                                     "enabled = no\n"
                                                     "allowed-dirs = /srv/images/ /var/lib/libvirt/images //data//vm\n"
                                                     "sparse = false\n"
                                                     "min-free-percent = 17\n"
                                                     "[cpu]\n"
                                                     "check = warn\n"
                                                     "match = same-model\n"
                                                     "vcpus-over-cores = enforce\n"
                                                     "[network]\n"
                                                     "check = off\n"
                                                     "subnet-check = off\n"
                                                     "[segment lab-1]\n"
                                                     "bridges = br0 br1\n"
                                                     "networks = default\n"
                                                     "devices = eth0.100\n"
                                                     "[segment dmz]\n"
                                                     "bridges = brdmz\n"
                                                     "[persist]\n"
                                                     "destination = off\n"
                                                     "source = undefine\n"
                                                     "[converge]\n"
                                                     "guard = no\n"
                                                     "max-downtime = 4000\n"
                                                     "stall-seconds = 12\n"
                                                     "action = continue\n"
                                                     "[pinning]\n"
                                                     "enabled = 0\n"
                                                     "cpus = 2-3,6\n");

        ASSERT_FALSE(p->provision_enabled);
        ASSERT_EQ(strv_length(p->allowed_dirs), 3);
        ASSERT_STREQ(p->allowed_dirs[0], "/srv/images");
        ASSERT_STREQ(p->allowed_dirs[1], "/var/lib/libvirt/images");
        ASSERT_STREQ(p->allowed_dirs[2], "/data/vm");
        ASSERT_FALSE(p->sparse);
        ASSERT_EQ(p->min_free_percent, 17);
        ASSERT_EQ(p->cpu_check, CHECK_WARN);
        ASSERT_EQ(p->cpu_match, CPU_MATCH_SAME_MODEL);
        ASSERT_EQ(p->vcpus_over_cores, CHECK_ENFORCE);
        ASSERT_EQ(p->network_check, CHECK_OFF);
        ASSERT_EQ(p->subnet_check, SUBNET_CHECK_OFF);
        ASSERT_EQ(p->n_segments, 2);
        ASSERT_STREQ(p->segments[0].name, "lab-1");
        ASSERT_EQ(strv_length(p->segments[0].bridges), 2);
        ASSERT_STREQ(p->segments[0].bridges[1], "br1");
        ASSERT_STREQ(p->segments[0].networks[0], "default");
        ASSERT_STREQ(p->segments[0].devices[0], "eth0.100");
        ASSERT_STREQ(p->segments[1].name, "dmz");
        ASSERT_STREQ(p->segments[1].bridges[0], "brdmz");
        ASSERT_NULL(p->segments[1].networks);
        ASSERT_FALSE(p->persist_destination);
        ASSERT_EQ(p->persist_source, PERSIST_SOURCE_UNDEFINE);
        ASSERT_FALSE(p->converge_guard);
        ASSERT_EQ(p->converge_max_downtime, 4000u);
        ASSERT_EQ(p->converge_stall_seconds, 12u);
        ASSERT_EQ(p->converge_action, CONVERGE_ACTION_CONTINUE);
        ASSERT_FALSE(p->pinning_enabled);
        ASSERT_FALSE(p->pinning_auto);
        ASSERT_EQ(CPU_COUNT(&p->pinning_cpus), 3);
        ASSERT_TRUE(CPU_ISSET(2, &p->pinning_cpus));
        ASSERT_TRUE(CPU_ISSET(3, &p->pinning_cpus));
        ASSERT_TRUE(CPU_ISSET(6, &p->pinning_cpus));

        /* the dirs are usable by the allowed-dirs check */
        ASSERT_TRUE(policy_path_allowed(p, "/srv/images/a.qcow2"));
        ASSERT_TRUE(policy_path_allowed(p, "/var/lib/libvirt/images/sub/b.qcow2"));
        ASSERT_FALSE(policy_path_allowed(p, "/srv/images"));
        ASSERT_FALSE(policy_path_allowed(p, "/srv/images2/a.qcow2"));
        ASSERT_FALSE(policy_path_allowed(p, "/etc/passwd"));
}

TEST(value_spellings) {
        static const char *const yes[] = { "yes", "YES", "true", "on", "1" };
        static const char *const no[] = { "no", "False", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                _cleanup_free_ char *t = tests_strdupf("[persist]\ndestination = %s\n", yes[i]);
                _cleanup_(policy_freep) Policy *p = parse_ok("[persist]\ndestination = no\n");
                ASSERT_OK(policy_parse_string(p, "t", t, NULL));
                ASSERT_TRUE(p->persist_destination);
        }
        for (size_t i = 0; i < ELEMENTSOF(no); i++) {
                _cleanup_free_ char *t = tests_strdupf("[persist]\ndestination = %s\n", no[i]);
                _cleanup_(policy_freep) Policy *p = parse_ok(t);
                ASSERT_FALSE(p->persist_destination);
        }

        _cleanup_(policy_freep) Policy *p = parse_ok("[cpu]\ncheck = off\nmatch = compatible\n"
                                                     "[network]\nsubnet-check = auto\n"
                                                     "[persist]\nsource = keep\n"
                                                     "[provision]\nmin-free-percent = 0\n");
        ASSERT_EQ(p->cpu_check, CHECK_OFF);
        ASSERT_EQ(p->cpu_match, CPU_MATCH_COMPATIBLE);
        ASSERT_EQ(p->subnet_check, SUBNET_CHECK_AUTO);
        ASSERT_EQ(p->persist_source, PERSIST_SOURCE_KEEP);
        ASSERT_EQ(p->min_free_percent, 0);
        ASSERT_OK(policy_parse_string(p, "t", "[provision]\nmin-free-percent = 99\n[pinning]\ncpus = 1\n", NULL));
        ASSERT_EQ(p->min_free_percent, 99);
        ASSERT_FALSE(p->pinning_auto);
        ASSERT_OK(policy_parse_string(p, "t", "[pinning]\ncpus = auto\n", NULL));
        ASSERT_TRUE(p->pinning_auto);
}

TEST(bad_values) {
        parse_fails("[provision]\nenabled = maybe\n", "test.conf:2: invalid boolean 'maybe' (expected yes or no)");
        parse_fails("[provision]\nsparse =\n", "test.conf:2: invalid boolean '' (expected yes or no)");
        parse_fails("[provision]\nmin-free-percent = 100\n",
                    "test.conf:2: invalid percentage '100' (expected 0 to 99)");
        parse_fails("[provision]\nmin-free-percent = -1\n", "test.conf:2: invalid percentage '-1' (expected 0 to 99)");
        parse_fails("[provision]\nmin-free-percent = +5\n", "test.conf:2: invalid percentage '+5' (expected 0 to 99)");
        parse_fails("[provision]\nmin-free-percent = 5%\n", "test.conf:2: invalid percentage '5%' (expected 0 to 99)");
        parse_fails("[provision]\nmin-free-percent = 99999999999999999999999\n",
                    "test.conf:2: invalid percentage '99999999999999999999999' (expected 0 to 99)");
        parse_fails("[provision]\nallowed-dirs = relative/dir\n",
                    "test.conf:2: invalid directory 'relative/dir' (must be absolute, without '..' or '.' "
                    "components)");
        parse_fails("[provision]\nallowed-dirs = /ok /var/../etc\n",
                    "test.conf:2: invalid directory '/var/../etc' (must be absolute, without '..' or '.' "
                    "components)");
        parse_fails("[provision]\nallowed-dirs = /a/./b\n",
                    "test.conf:2: invalid directory '/a/./b' (must be absolute, without '..' or '.' components)");
        parse_fails("[provision]\nallowed-dirs =\n", "test.conf:2: empty directory list");
        parse_fails("\n\n[cpu]\ncheck = Enforce\n",
                    "test.conf:4: invalid value 'Enforce' (expected off, warn or enforce)");
        parse_fails("[cpu]\nmatch = identical\n",
                    "test.conf:2: invalid value 'identical' (expected compatible or same-model)");
        parse_fails("[cpu]\nvcpus-over-cores = yes\n",
                    "test.conf:2: invalid value 'yes' (expected off, warn or enforce)");
        parse_fails("[network]\ncheck = on\n", "test.conf:2: invalid value 'on' (expected off, warn or enforce)");
        parse_fails("[network]\nsubnet-check = warn\n", "test.conf:2: invalid value 'warn' (expected auto or off)");
        parse_fails("[persist]\nsource = delete\n",
                    "test.conf:2: invalid value 'delete' (expected keep, guard or undefine)");
        parse_fails("[converge]\nmax-downtime = 99\n",
                    "test.conf:2: invalid max downtime '99' (expected 100 to 60000 ms)");
        parse_fails("[converge]\nmax-downtime = 1s\n",
                    "test.conf:2: invalid max downtime '1s' (expected 100 to 60000 ms)");
        parse_fails("[converge]\nstall-seconds = 4\n",
                    "test.conf:2: invalid stall time '4' (expected 5 to 3600 seconds)");
        parse_fails("[converge]\naction = postcopy\n",
                    "test.conf:2: invalid value 'postcopy' (expected abort or continue)");
        parse_fails("[pinning]\ncpus = 3-2\n",
                    "test.conf:2: invalid CPU list '3-2' (expected auto or a list like 2-3,6)");
        parse_fails("[pinning]\ncpus =\n", "test.conf:2: invalid CPU list '' (expected auto or a list like 2-3,6)");
}

TEST(unknown_key_and_section) {
        parse_fails("[provision]\nenabled = yes\nallowed_dirs = /x\n", "test.conf:3: unknown key 'allowed_dirs'");
        parse_fails("# top\n[provisioning]\nenabled = yes\n", "test.conf:3: unknown section [provisioning]");
        parse_fails("enabled = yes\n", "test.conf:1: key 'enabled' outside of any section");
        parse_fails("[segment lab]\nbridge = br0\n", "test.conf:2: unknown key 'bridge' in [segment] section");
        parse_fails("[segment]\nbridges = br0\n", "test.conf:2: unknown section [segment]");
        parse_fails("[segment a/b]\nbridges = br0\n", "test.conf:2: invalid segment name 'a/b'");
        parse_fails("[segment  lab]\nbridges = br0\n", "test.conf:2: invalid segment name ' lab'");
        /* '#' is no inline comment for inih: never a silent extra name */
        parse_fails("[segment lab]\nbridges = br0 # lab bridge\n",
                    "test.conf:2: invalid name '#' (names cannot start with ';' or '#')");
        parse_fails("[segment lab]\ndevices =;eth0\n",
                    "test.conf:2: invalid name ';eth0' (names cannot start with ';' or '#')");
        /* a key of one section is unknown in another */
        parse_fails("[cpu]\nsparse = yes\n", "test.conf:2: unknown key 'sparse'");
}

TEST(syntax_errors) {
        parse_fails("[provision]\nthis line has no equals sign\n", "test.conf:2: syntax error");
        parse_fails("[provision\nenabled = yes\n", "test.conf:1: syntax error");
        /* the first problem wins, with its own line and reason */
        parse_fails("[provision]\nbogus line\nenabled = maybe\n", "test.conf:2: syntax error");
        parse_fails("[provision]\nenabled = maybe\nbogus line\n",
                    "test.conf:2: invalid boolean 'maybe' (expected yes or no)");
        parse_fails("[cpu]\ncheck = warn\nfoo = 1\nbar = 2\n", "test.conf:3: unknown key 'foo'");
        /* CRLF line ends are fine, the line count still right */
        parse_fails("[cpu]\r\ncheck = warn\r\nfoo = 1\r\n", "test.conf:3: unknown key 'foo'");
}

TEST(indentation) {
        /* indented keys are plain keys */
        _cleanup_(policy_freep) Policy *p = parse_ok("[provision]\n    enabled = no\n\tsparse = no\n  [cpu]\n"
                                                     "  check = off\n   ; indented comment\n");
        ASSERT_FALSE(p->provision_enabled);
        ASSERT_FALSE(p->sparse);
        ASSERT_EQ(p->cpu_check, CHECK_OFF);

        /* no multi-line values: a continuation line is an error, never a
         * silent replacement of the list */
        parse_fails("[provision]\nallowed-dirs = /a\n    /b\n", "test.conf:3: syntax error");
        parse_fails("[segment s]\nbridges = br0\n  br1\n", "test.conf:3: syntax error");
        parse_fails("[cpu]\ncheck = warn\n  = y ; x\n", "test.conf:3: unknown key ''");
}

TEST(long_lines) {
        /* A line longer than inih's buffer is an error, never split in two
         * (the tail would otherwise be parsed as a line of its own). */
        char text[512];
        int n = snprintf(text, sizeof(text), "[provision]\nallowed-dirs = /srv/");
        memset(text + n, 'x', 250);
        strcpy(text + n + 250, " ;comment\n");
        parse_fails(text, "test.conf:2: line too long (more than 199 characters)");

        /* 199 characters is fine, 200 is not */
        char line[256] = "allowed-dirs = /";
        size_t l = strlen(line);
        memset(line + l, 'y', 199 - l);
        line[199] = 0;
        _cleanup_free_ char *ok = tests_strdupf("[provision]\n%s\n", line);
        _cleanup_(policy_freep) Policy *p = parse_ok(ok);
        ASSERT_EQ(strlen(p->allowed_dirs[0]), 199 - strlen("allowed-dirs = "));
        line[199] = 'y';
        line[200] = 0;
        _cleanup_free_ char *bad = tests_strdupf("[provision]\n%s\n", line);
        parse_fails(bad, "test.conf:2: line too long (more than 199 characters)");
}

TEST(segments_merge) {
        _cleanup_(policy_freep) Policy *p = parse_ok("[segment a]\nbridges = br0\n[segment b]\nnetworks = n1\n"
                                                     "[segment a]\nbridges = br9 br8\ndevices = d0\n");
        ASSERT_EQ(p->n_segments, 2);
        ASSERT_EQ(strv_length(p->segments[0].bridges), 2);
        ASSERT_STREQ(p->segments[0].bridges[0], "br9");
        ASSERT_STREQ(p->segments[0].devices[0], "d0");
        ASSERT_STREQ(p->segments[1].networks[0], "n1");
}

TEST(later_wins_in_one_file) {
        _cleanup_(policy_freep) Policy *p =
                parse_ok("[cpu]\ncheck = off\n[network]\ncheck = warn\n[cpu]\ncheck = warn\ncheck = enforce\n");
        ASSERT_EQ(p->cpu_check, CHECK_ENFORCE);
        ASSERT_EQ(p->network_check, CHECK_WARN);
}

TEST(ref_unref) {
        Policy *p = NULL;
        ASSERT_OK(policy_new(&p));
        ASSERT_EQ(p->n_ref, 1);
        ASSERT_TRUE(policy_ref(p) == p);
        ASSERT_EQ(p->n_ref, 2);
        policy_unref(p);
        /* still there for the other holder (valgrind and ASan would see a use after free) */
        ASSERT_EQ(p->n_ref, 1);
        ASSERT_TRUE(p->provision_enabled);
        ASSERT_STREQ(p->allowed_dirs[0], "/var/lib/libvirt/images");
        policy_unref(p); /* the last one frees it (a leak otherwise) */

        ASSERT_NULL(policy_ref(NULL));
        policy_unref(NULL);
        _cleanup_(policy_unrefp) Policy *q = NULL;
        ASSERT_OK(policy_new(&q)); /* freed by the cleanup */
}

static void *ref_churn(void *arg) {
        Policy *p = arg;
        for (int i = 0; i < 20000; i++)
                policy_unref(policy_ref(p));
        return NULL;
}

TEST(ref_across_threads) {
        _cleanup_(policy_unrefp) Policy *p = NULL;
        pthread_t t[4];
        ASSERT_OK(policy_new(&p));
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ASSERT_EQ(pthread_create(&t[i], NULL, ref_churn, p), 0);
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ASSERT_EQ(pthread_join(t[i], NULL), 0);
        ASSERT_EQ(p->n_ref, 1);
}

TEST(to_string) {
        ASSERT_STREQ(check_mode_to_string(CHECK_OFF), "off");
        ASSERT_STREQ(check_mode_to_string(CHECK_WARN), "warn");
        ASSERT_STREQ(check_mode_to_string(CHECK_ENFORCE), "enforce");
        ASSERT_STREQ(check_mode_to_string((CheckMode) 42), "?");
        ASSERT_STREQ(persist_source_to_string(PERSIST_SOURCE_KEEP), "keep");
        ASSERT_STREQ(persist_source_to_string(PERSIST_SOURCE_GUARD), "guard");
        ASSERT_STREQ(persist_source_to_string(PERSIST_SOURCE_UNDEFINE), "undefine");
        ASSERT_STREQ(persist_source_to_string((PersistSource) -1), "?");
}

static char *dump_to_string(const Policy *p) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ASSERT_NOT_NULL(f);
        ASSERT_OK(policy_dump(p, f));
        ASSERT_EQ(fclose(f), 0);
        return buf;
}

static void assert_same_policy(const Policy *a, const Policy *b) {
        ASSERT_EQ(a->provision_enabled, b->provision_enabled);
        ASSERT_EQ(strv_length(a->allowed_dirs), strv_length(b->allowed_dirs));
        for (size_t i = 0; i < strv_length(a->allowed_dirs); i++)
                ASSERT_STREQ(a->allowed_dirs[i], b->allowed_dirs[i]);
        ASSERT_EQ(a->sparse, b->sparse);
        ASSERT_EQ(a->min_free_percent, b->min_free_percent);
        ASSERT_EQ(a->cpu_check, b->cpu_check);
        ASSERT_EQ(a->cpu_match, b->cpu_match);
        ASSERT_EQ(a->vcpus_over_cores, b->vcpus_over_cores);
        ASSERT_EQ(a->network_check, b->network_check);
        ASSERT_EQ(a->subnet_check, b->subnet_check);
        ASSERT_EQ(a->n_segments, b->n_segments);
        for (size_t i = 0; i < a->n_segments; i++) {
                char **la[] = { a->segments[i].bridges, a->segments[i].networks, a->segments[i].devices };
                char **lb[] = { b->segments[i].bridges, b->segments[i].networks, b->segments[i].devices };
                ASSERT_STREQ(a->segments[i].name, b->segments[i].name);
                for (size_t k = 0; k < ELEMENTSOF(la); k++) {
                        ASSERT_EQ(strv_length(la[k]), strv_length(lb[k]));
                        for (size_t j = 0; j < strv_length(la[k]); j++)
                                ASSERT_STREQ(la[k][j], lb[k][j]);
                }
        }
        ASSERT_EQ(a->persist_destination, b->persist_destination);
        ASSERT_EQ(a->persist_source, b->persist_source);
        ASSERT_EQ(a->pinning_enabled, b->pinning_enabled);
        ASSERT_EQ(a->pinning_auto, b->pinning_auto);
        if (!a->pinning_auto)
                ASSERT_TRUE(CPU_EQUAL(&a->pinning_cpus, &b->pinning_cpus));
}

static void roundtrip(const char *text) {
        _cleanup_(policy_freep) Policy *a = parse_ok(text), *b = NULL;
        _cleanup_free_ char *d1 = dump_to_string(a), *d2 = NULL;
        b = parse_ok(d1);
        assert_same_policy(a, b);
        d2 = dump_to_string(b);
        ASSERT_STREQ(d1, d2);
}

TEST(dump_roundtrip) {
        roundtrip("");
        roundtrip("[provision]\nenabled = no\nallowed-dirs = /a /b/c/\nsparse = no\nmin-free-percent = 0\n"
                  "[cpu]\ncheck = off\nmatch = same-model\nvcpus-over-cores = enforce\n"
                  "[network]\ncheck = warn\nsubnet-check = off\n"
                  "[segment s1]\nbridges = br0 br1\nnetworks = default\ndevices = eth0\n"
                  "[segment s_2.x]\ndevices = eno1\n"
                  "[persist]\ndestination = no\nsource = keep\n"
                  "[converge]\nguard = no\nmax-downtime = 60000\nstall-seconds = 5\naction = continue\n"
                  "[pinning]\nenabled = no\ncpus = 2-3,6\n");
        /* many CPUs: the dump must stay readable (ranges, short lines) */
        roundtrip("[pinning]\ncpus = 0-1023\n");
        roundtrip("[pinning]\ncpus = 1,3,5,7,9-200,1000-1023\n");

        _cleanup_(policy_freep) Policy *p = parse_ok("[pinning]\ncpus = 4-7,9,0,1,2\n");
        _cleanup_free_ char *d = dump_to_string(p);
        ASSERT_CONTAINS(d, "\ncpus = 0-2,4-7,9\n");
}

TEST(parse_file) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *f = tests_strdupf("%s/p.conf", dir), *nul = tests_strdupf("%s/nul.conf", dir), *err = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        ASSERT_OK(policy_new(&p));

        tests_write_file(f, "[cpu]\ncheck = off\n");
        ASSERT_OK(policy_parse_file(p, f, &err));
        ASSERT_EQ(p->cpu_check, CHECK_OFF);

        tests_write_file(f, "[cpu]\n\ncheck = sometimes\n");
        ASSERT_ERR(policy_parse_file(p, f, &err), -EINVAL);
        _cleanup_free_ char *expected =
                tests_strdupf("%s:3: invalid value 'sometimes' (expected off, warn or enforce)", f);
        ASSERT_STREQ(err, expected);
        RESET_FREE(err);

        FILE *fp = fopen(nul, "we");
        ASSERT_NOT_NULL(fp);
        fwrite("[cpu]\n\0check = off\n", 1, 19, fp);
        fclose(fp);
        ASSERT_ERR(policy_parse_file(p, nul, &err), -EINVAL);
        ASSERT_CONTAINS(err, "contains a NUL byte");
        RESET_FREE(err);

        ASSERT_ERR(policy_parse_file(p, dir, &err), -EINVAL);
        ASSERT_CONTAINS(err, "not a regular file");
        RESET_FREE(err);

        /* larger than the cap: refused before reading */
        ASSERT_SYS(truncate(f, POLICY_MAX_FILE_SIZE + 1));
        ASSERT_ERR(policy_parse_file(p, f, &err), -EINVAL);
        ASSERT_CONTAINS(err, "file too large");
        RESET_FREE(err);

        _cleanup_free_ char *missing = tests_strdupf("%s/missing.conf", dir);
        ASSERT_ERR(policy_parse_file(p, missing, &err), -ENOENT);
}

TEST(load_dropins) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *main_conf = tests_strdupf("%s/migguard.conf", dir),
                            *dropins = tests_strdupf("%s/policy.d", dir),
                            *a = tests_strdupf("%s/policy.d/10-a.conf", dir),
                            *b = tests_strdupf("%s/policy.d/20-b.conf", dir),
                            *ignored = tests_strdupf("%s/policy.d/30-c.conf.disabled", dir),
                            *hidden = tests_strdupf("%s/policy.d/.40-hidden.conf", dir), *err = NULL;
        Policy *p = NULL;

        /* no file at all: defaults */
        ASSERT_OK(policy_load(main_conf, &p, &err));
        ASSERT_NULL(err);
        ASSERT_EQ(p->cpu_check, CHECK_ENFORCE);
        p = (policy_free(p), NULL);

        tests_write_file(main_conf, "[cpu]\ncheck = off\nmatch = same-model\n[provision]\nmin-free-percent = 10\n");
        ASSERT_SYS(mkdir(dropins, 0755));
        /* written in reverse order so directory order cannot pass by luck */
        tests_write_file(b, "[cpu]\ncheck = enforce\n[persist]\nsource = keep\n");
        tests_write_file(a, "[cpu]\ncheck = warn\n[provision]\nmin-free-percent = 20\n[persist]\nsource = undefine\n");
        tests_write_file(ignored, "[cpu]\ncheck = off\n");
        tests_write_file(hidden, "[cpu]\ncheck = off\n");

        ASSERT_OK(policy_load(main_conf, &p, &err));
        ASSERT_NULL(err);
        ASSERT_EQ(p->cpu_check, CHECK_ENFORCE);        /* 20-b wins over 10-a over main */
        ASSERT_EQ(p->cpu_match, CPU_MATCH_SAME_MODEL); /* main, untouched by drop-ins */
        ASSERT_EQ(p->min_free_percent, 20);            /* 10-a over main */
        ASSERT_EQ(p->persist_source, PERSIST_SOURCE_KEEP);
        p = (policy_free(p), NULL);

        /* an error in a drop-in names that file and line */
        tests_write_file(b, "[cpu]\ncheck = enforce\nmystery = 1\n");
        ASSERT_ERR(policy_load(main_conf, &p, &err), -EINVAL);
        ASSERT_NULL(p);
        _cleanup_free_ char *expected = tests_strdupf("%s:3: unknown key 'mystery'", b);
        ASSERT_STREQ(err, expected);
        RESET_FREE(err);

        /* and in the main file, the main file */
        tests_write_file(b, "[cpu]\ncheck = enforce\n");
        tests_write_file(main_conf, "[nope]\nx = 1\n");
        ASSERT_ERR(policy_load(main_conf, &p, &err), -EINVAL);
        free(expected);
        expected = tests_strdupf("%s:2: unknown section [nope]", main_conf);
        ASSERT_STREQ(err, expected);
        RESET_FREE(err);

        /* drop-ins apply even without a main file */
        ASSERT_SYS(unlink(main_conf));
        ASSERT_OK(policy_load(main_conf, &p, &err));
        ASSERT_EQ(p->persist_source, PERSIST_SOURCE_UNDEFINE);
        ASSERT_EQ(p->cpu_check, CHECK_ENFORCE);
        policy_free(p);
}

TEST(domain_overrides) {
        _cleanup_(policy_freep) Policy *p = parse_ok("[storage]\nidentity = enforce\n");
        _cleanup_free_ char *err = NULL, *err2 = NULL, *err3 = NULL;
        ASSERT_OK(policy_apply_domain(p, NULL, &err));
        ASSERT_OK(policy_apply_domain(p, "", &err));
        ASSERT_OK(policy_apply_domain(p, "[storage]\nidentity = warn\n[cpu]\ncheck = off\n[network]\n", &err));
        ASSERT_NULL(err);
        ASSERT_EQ(p->storage_identity, CHECK_WARN);
        ASSERT_EQ(p->cpu_check, CHECK_OFF);
        /* not how strict a check is: the destination's own */
        ASSERT_ERR(policy_apply_domain(p, "[provision]\nallowed-dirs = /\n", &err), -EINVAL);
        ASSERT_STREQ(err, "domain policy: [provision] allowed-dirs cannot be set per domain");
        ASSERT_ERR(policy_apply_domain(p, "[pinning]\ncpus = 0\n", &err2), -EINVAL);
        ASSERT_STREQ(err2, "domain policy: [pinning] cpus cannot be set per domain");
        ASSERT_EQ(strv_length(p->allowed_dirs), 1);
        /* a bad value: the file's message, named after the domain */
        ASSERT_ERR(policy_apply_domain(p, "[storage]\nidentity = sometimes\n", &err3), -EINVAL);
        ASSERT_STREQ(err3, "domain policy:2: invalid value 'sometimes' (expected off, warn or enforce)");
}

int main(void) {
        RUN(defaults);
        RUN(empty_and_comments);
        RUN(every_key);
        RUN(value_spellings);
        RUN(bad_values);
        RUN(unknown_key_and_section);
        RUN(syntax_errors);
        RUN(indentation);
        RUN(long_lines);
        RUN(segments_merge);
        RUN(later_wins_in_one_file);
        RUN(ref_unref);
        RUN(ref_across_threads);
        RUN(to_string);
        RUN(dump_roundtrip);
        RUN(parse_file);
        RUN(load_dropins);
        RUN(domain_overrides);
        return tests_done();
}
