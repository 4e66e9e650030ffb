/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/image.c: reading `qemu-img info --output=json`
 * (real qemu-img 7.2 output as fixtures), the "-o" option string handed to
 * `qemu-img create` (hostile values from domain metadata dropped), a
 * create + query round trip with the real qemu-img in a temp directory,
 * and the deadline both honour.
 */
#include "basic/time-util.h"
#include "core/image.h"
#include "tests.h"

#define QEMU_IMG_DEADLINE deadline_in(60 * USEC_PER_SEC)

/* qemu-img create -f qcow2 -o cluster_size=4096,lazy_refcounts=on,compression_type=zstd a.qcow2 10485761 */
static const char qcow2_json[] = "{\n"
                                 "    \"virtual-size\": 10486272,\n"
                                 "    \"filename\": \"a.qcow2\",\n"
                                 "    \"cluster-size\": 4096,\n"
                                 "    \"format\": \"qcow2\",\n"
                                 "    \"actual-size\": 16384,\n"
                                 "    \"format-specific\": {\n"
                                 "        \"type\": \"qcow2\",\n"
                                 "        \"data\": {\n"
                                 "            \"compat\": \"1.1\",\n"
                                 "            \"compression-type\": \"zstd\",\n"
                                 "            \"lazy-refcounts\": true,\n"
                                 "            \"refcount-bits\": 16,\n"
                                 "            \"corrupt\": false,\n"
                                 "            \"extended-l2\": false\n"
                                 "        }\n"
                                 "    },\n"
                                 "    \"dirty-flag\": false\n"
                                 "}\n";

/* qemu-img create -f qcow2 -o compat=0.10 c.qcow2 1M */
static const char qcow2_v2_json[] = "{\n"
                                    "    \"virtual-size\": 1048576,\n"
                                    "    \"filename\": \"c.qcow2\",\n"
                                    "    \"cluster-size\": 65536,\n"
                                    "    \"format\": \"qcow2\",\n"
                                    "    \"actual-size\": 200704,\n"
                                    "    \"format-specific\": {\n"
                                    "        \"type\": \"qcow2\",\n"
                                    "        \"data\": {\n"
                                    "            \"compat\": \"0.10\",\n"
                                    "            \"compression-type\": \"zlib\",\n"
                                    "            \"refcount-bits\": 16\n"
                                    "        }\n"
                                    "    },\n"
                                    "    \"dirty-flag\": false\n"
                                    "}\n";

/* qemu-img create -f raw b.raw 10485761 */
static const char raw_json[] = "{\n"
                               "    \"virtual-size\": 10486272,\n"
                               "    \"filename\": \"b.raw\",\n"
                               "    \"format\": \"raw\",\n"
                               "    \"actual-size\": 4096,\n"
                               "    \"dirty-flag\": false\n"
                               "}\n";

TEST(info_from_json_qcow2) {
        ImageInfo i;
        ASSERT_OK(image_info_from_json(qcow2_json, &i));
        ASSERT_STREQ(i.format, "qcow2");
        ASSERT_NULL(i.target);
        ASSERT_U64_EQ(i.virtual_size, 10486272);
        ASSERT_U64_EQ(i.actual_size, 16384);
        ASSERT_U64_EQ(i.cluster_size, 4096);
        ASSERT_STREQ(i.compat, "1.1");
        ASSERT_STREQ(i.compression_type, "zstd");
        ASSERT_EQ(i.lazy_refcounts, 1);
        ASSERT_EQ(i.extended_l2, 0);
        image_info_done(&i);
        ASSERT_NULL(i.format);
        image_info_done(&i); /* twice is fine */

        ASSERT_OK(image_info_from_json(qcow2_v2_json, &i));
        ASSERT_STREQ(i.compat, "0.10");
        ASSERT_STREQ(i.compression_type, "zlib");
        ASSERT_EQ(i.lazy_refcounts, -1); /* not reported for v2 */
        ASSERT_EQ(i.extended_l2, -1);
        ASSERT_U64_EQ(i.cluster_size, 65536);
        image_info_done(&i);
}

TEST(info_from_json_raw) {
        ImageInfo i;
        ASSERT_OK(image_info_from_json(raw_json, &i));
        ASSERT_STREQ(i.format, "raw");
        ASSERT_U64_EQ(i.virtual_size, 10486272);
        ASSERT_U64_EQ(i.actual_size, 4096);
        ASSERT_U64_EQ(i.cluster_size, 0);
        ASSERT_NULL(i.compat);
        ASSERT_NULL(i.compression_type);
        ASSERT_EQ(i.lazy_refcounts, -1);
        ASSERT_EQ(i.extended_l2, -1);
        image_info_done(&i);
}

/* QEMU >= 8 (Debian 13's 10.0) prints the children first; the file node
 * has a "virtual-size" (its length) and a "format-specific" of its own. */
static const char qcow2_qemu10_json[] = "{\n"
                                        "    \"children\": [\n"
                                        "        {\n"
                                        "            \"name\": \"file\",\n"
                                        "            \"info\": {\n"
                                        "                \"children\": [\n"
                                        "                ],\n"
                                        "                \"virtual-size\": 12800,\n"
                                        "                \"filename\": \"x.qcow2\",\n"
                                        "                \"format\": \"file\",\n"
                                        "                \"actual-size\": 16384,\n"
                                        "                \"format-specific\": {\n"
                                        "                    \"type\": \"file\",\n"
                                        "                    \"data\": {\n"
                                        "                    }\n"
                                        "                },\n"
                                        "                \"dirty-flag\": false\n"
                                        "            }\n"
                                        "        }\n"
                                        "    ],\n"
                                        "    \"virtual-size\": 10486272,\n"
                                        "    \"filename\": \"x.qcow2\",\n"
                                        "    \"cluster-size\": 4096,\n"
                                        "    \"format\": \"qcow2\",\n"
                                        "    \"actual-size\": 16384,\n"
                                        "    \"format-specific\": {\n"
                                        "        \"type\": \"qcow2\",\n"
                                        "        \"data\": {\n"
                                        "            \"compat\": \"1.1\",\n"
                                        "            \"compression-type\": \"zstd\",\n"
                                        "            \"lazy-refcounts\": true,\n"
                                        "            \"refcount-bits\": 16,\n"
                                        "            \"corrupt\": false,\n"
                                        "            \"extended-l2\": false\n"
                                        "        }\n"
                                        "    },\n"
                                        "    \"dirty-flag\": false\n"
                                        "}\n";

TEST(info_from_json_qemu10) {
        ImageInfo i;
        ASSERT_OK(image_info_from_json(qcow2_qemu10_json, &i));
        ASSERT_STREQ(i.format, "qcow2");
        ASSERT_U64_EQ(i.virtual_size, 10486272); /* not the file node's 12800 */
        ASSERT_U64_EQ(i.cluster_size, 4096);
        ASSERT_STREQ(i.compat, "1.1");
        ASSERT_STREQ(i.compression_type, "zstd");
        ASSERT_EQ(i.lazy_refcounts, 1);
        ASSERT_EQ(i.extended_l2, 0);
        image_info_done(&i);
}

TEST(info_from_json_odd) {
        ImageInfo i;
        /* qcow2 options are only read for qcow2 */
        ASSERT_OK(image_info_from_json("{\"format\":\"raw\",\"virtual-size\":1,\"format-specific\":"
                                       "{\"data\":{\"compat\":\"1.1\",\"lazy-refcounts\":true}}}",
                                       &i));
        ASSERT_NULL(i.compat);
        ASSERT_EQ(i.lazy_refcounts, -1);
        image_info_done(&i);
        /* wrong types are ignored, not trusted */
        ASSERT_OK(image_info_from_json("{\"format\":\"qcow2\",\"virtual-size\":1,\"cluster-size\":\"big\","
                                       "\"format-specific\":{\"data\":{\"compat\":11,\"lazy-refcounts\":\"yes\"}}}",
                                       &i));
        ASSERT_U64_EQ(i.cluster_size, 0);
        ASSERT_NULL(i.compat);
        ASSERT_EQ(i.lazy_refcounts, -1);
        image_info_done(&i);
        ASSERT_OK(image_info_from_json("{\"format\":\"qcow2\",\"virtual-size\":1,\"format-specific\":[1,2]}", &i));
        image_info_done(&i);
        ASSERT_OK(image_info_from_json("{\"format\":\"qcow2\",\"virtual-size\":1,\"format-specific\":"
                                       "{\"data\":\"x\"}}",
                                       &i));
        image_info_done(&i);
        ASSERT_OK(image_info_from_json("{\"format\":\"raw\",\"virtual-size\":18446744073709551615}", &i));
        ASSERT_TRUE(i.virtual_size > 0);
        image_info_done(&i);
}

TEST(info_from_json_bad) {
        static const char *const bad[] = {
                "",
                "not json",
                "[]",
                "{}",
                "{\"format\":\"raw\"}",
                "{\"virtual-size\":1}",
                "{\"format\":\"raw\",\"virtual-size\":-1}",
                "{\"format\":\"raw\",\"virtual-size\":\"1\"}",
                "{\"format\":7,\"virtual-size\":1}",
                "{\"format\":\"raw\",\"virtual-size\":1.5}",
        };
        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                ImageInfo i;
                image_info_init(&i);
                int r = image_info_from_json(bad[k], &i);
                if (r != -EBADMSG)
                        TEST_FAIL("'%s' accepted (r=%d)", bad[k], r);
                ASSERT_NULL(i.format);
        }
}

TEST(copy) {
        ImageInfo a, b;
        image_info_init(&a);
        ASSERT_EQ(a.lazy_refcounts, -1);
        ASSERT_EQ(a.extended_l2, -1);
        ASSERT_OK(image_info_from_json(qcow2_json, &a));
        a.target = strdup("vda");
        ASSERT_NOT_NULL(a.target);
        ASSERT_OK(image_info_copy(&a, &b));
        ASSERT_TRUE(a.format != b.format && a.target != b.target);
        ASSERT_STREQ(b.format, "qcow2");
        ASSERT_STREQ(b.target, "vda");
        ASSERT_STREQ(b.compat, "1.1");
        ASSERT_STREQ(b.compression_type, "zstd");
        ASSERT_U64_EQ(b.virtual_size, a.virtual_size);
        ASSERT_EQ(b.lazy_refcounts, 1);
        image_info_done(&a);
        image_info_done(&b);

        ImageInfo empty, c;
        image_info_init(&empty);
        ASSERT_OK(image_info_copy(&empty, &c));
        ASSERT_NULL(c.format);
        image_info_done(&c);
}

TEST(format_supported) {
        ASSERT_TRUE(image_format_supported("qcow2"));
        ASSERT_TRUE(image_format_supported("raw"));
        ASSERT_FALSE(image_format_supported("vmdk"));
        ASSERT_FALSE(image_format_supported("QCOW2"));
        ASSERT_FALSE(image_format_supported(""));
        ASSERT_FALSE(image_format_supported(NULL));
}

static void assert_options(const char *format, const ImageInfo *opts, bool sparse, const char *expected) {
        _cleanup_free_ char *o = NULL;
        ASSERT_OK(image_create_options(format, opts, sparse, &o));
        ASSERT_STREQ(o, expected);
}

static ImageInfo qcow2_opts(uint64_t cluster, const char *compat, int lazy, int ext, const char *compression) {
        ImageInfo i;
        image_info_init(&i);
        i.format = (char *) "qcow2";
        i.cluster_size = cluster;
        i.compat = (char *) compat;
        i.lazy_refcounts = lazy;
        i.extended_l2 = ext;
        i.compression_type = (char *) compression;
        return i;
}

TEST(create_options) {
        ImageInfo o;

        assert_options("raw", NULL, true, "preallocation=off");
        assert_options("raw", NULL, false, "preallocation=falloc");
        assert_options("qcow2", NULL, true, "preallocation=off");

        /* qcow2 v3 with everything */
        o = qcow2_opts(65536, "1.1", 1, 0, "zlib");
        assert_options("qcow2", &o, true,
                       "preallocation=off,cluster_size=65536,compat=1.1,lazy_refcounts=on,extended_l2=off,"
                       "compression_type=zlib");
        /* options are qcow2's: raw ignores them */
        assert_options("raw", &o, true, "preallocation=off");

        /* v2 (compat 0.10) cannot have the v3 features */
        o = qcow2_opts(65536, "0.10", 1, 1, "zstd");
        assert_options("qcow2", &o, true, "preallocation=off,cluster_size=65536,compat=0.10");

        /* extended L2 */
        o = qcow2_opts(131072, "1.1", 0, 1, NULL);
        assert_options("qcow2", &o, false,
                       "preallocation=falloc,cluster_size=131072,compat=1.1,lazy_refcounts=off,extended_l2=on");

        /* zstd */
        o = qcow2_opts(0, NULL, -1, -1, "zstd");
        assert_options("qcow2", &o, true, "preallocation=off,compression_type=zstd");

        /* cluster sizes qemu would refuse are left out */
        static const uint64_t bad_clusters[] = { 1, 256, 1000, 65535, 4 * 1024 * 1024, UINT64_MAX, 3 << 20 };
        for (size_t i = 0; i < ELEMENTSOF(bad_clusters); i++) {
                o = qcow2_opts(bad_clusters[i], NULL, -1, -1, NULL);
                assert_options("qcow2", &o, true, "preallocation=off");
        }
        o = qcow2_opts(512, NULL, -1, -1, NULL);
        assert_options("qcow2", &o, true, "preallocation=off,cluster_size=512");
        o = qcow2_opts(2 * 1024 * 1024, NULL, -1, -1, NULL);
        assert_options("qcow2", &o, true, "preallocation=off,cluster_size=2097152");
}

TEST(create_options_hostile) {
        /* values from (untrusted) domain metadata never inject options */
        static const char *const hostile[] = {
                "1.1,preallocation=full",
                "zstd,backing_file=/etc/shadow",
                "1.1 ",
                "a=b",
                "ZSTD",
                "",
                "zstd\n",
                "/etc/passwd",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "x,,y",
        };
        for (size_t i = 0; i < ELEMENTSOF(hostile); i++) {
                ImageInfo o = qcow2_opts(0, hostile[i], -1, -1, hostile[i]);
                assert_options("qcow2", &o, true, "preallocation=off");
        }
        /* 31 characters is the longest value passed on */
        ImageInfo o = qcow2_opts(0, NULL, -1, -1, "abcdefghijklmnopqrstuvwxyz01234");
        assert_options("qcow2", &o, true, "preallocation=off,compression_type=abcdefghijklmnopqrstuvwxyz01234");
}

static uint64_t round_up_512(uint64_t n) {
        return (n + 511) / 512 * 512;
}

TEST(create_and_query_qcow2) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/thin.qcow2", dir), *err = NULL;
        ImageInfo want = qcow2_opts(4096, "1.1", 1, -1, "zstd"), got;
        const uint64_t size = 10485761; /* not even sector aligned */

        ASSERT_OK(image_create(path, "qcow2", size, &want, true, QEMU_IMG_DEADLINE, &err));
        ASSERT_NULL(err);
        ASSERT_OK(image_info_query(path, QEMU_IMG_DEADLINE, &got));
        ASSERT_STREQ(got.format, "qcow2");
        /* qemu-img rounds the size up to whole 512-byte sectors */
        ASSERT_U64_EQ(got.virtual_size, round_up_512(size));
        ASSERT_U64_EQ(got.virtual_size, 10486272);
        ASSERT_U64_EQ(got.cluster_size, 4096);
        ASSERT_STREQ(got.compat, "1.1");
        ASSERT_EQ(got.lazy_refcounts, 1);
        ASSERT_EQ(got.extended_l2, 0);
        ASSERT_STREQ(got.compression_type, "zstd");
        ASSERT_TRUE(got.actual_size < 1024 * 1024); /* thin */
        image_info_done(&got);

        /* an exactly aligned size is kept exactly */
        _cleanup_free_ char *p2 = tests_strdupf("%s/aligned.qcow2", dir);
        ASSERT_OK(image_create(p2, "qcow2", 20 * 1024 * 1024, NULL, true, QEMU_IMG_DEADLINE, NULL));
        ASSERT_OK(image_info_query(p2, QEMU_IMG_DEADLINE, &got));
        ASSERT_U64_EQ(got.virtual_size, 20 * 1024 * 1024);
        ASSERT_U64_EQ(got.cluster_size, 65536); /* qemu-img's default */
        image_info_done(&got);
}

TEST(create_and_query_raw) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/thin.raw", dir), *full = tests_strdupf("%s/full.raw", dir);
        ImageInfo got;
        struct stat st;

        ASSERT_OK(image_create(path, "raw", 10485761, NULL, true, QEMU_IMG_DEADLINE, NULL));
        ASSERT_OK(image_info_query(path, QEMU_IMG_DEADLINE, &got));
        ASSERT_STREQ(got.format, "raw");
        ASSERT_U64_EQ(got.virtual_size, 10486272);
        ASSERT_NULL(got.compat);
        image_info_done(&got);
        ASSERT_SYS(stat(path, &st));
        ASSERT_EQ(st.st_size, 10486272);
        ASSERT_TRUE(st.st_blocks * 512 < 1024 * 1024); /* sparse */

        /* sparse = no: preallocated */
        ASSERT_OK(image_create(full, "raw", 4 * 1024 * 1024, NULL, false, QEMU_IMG_DEADLINE, NULL));
        ASSERT_SYS(stat(full, &st));
        ASSERT_EQ(st.st_size, 4 * 1024 * 1024);
        ASSERT_TRUE(st.st_blocks * 512 >= 4 * 1024 * 1024);
}

TEST(create_errors) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/x.img", dir), *nodir = tests_strdupf("%s/no/such/x.img", dir),
                            *err = NULL;
        ImageInfo got;

        ASSERT_ERR(image_create(path, "vmdk", 1024 * 1024, NULL, true, QEMU_IMG_DEADLINE, &err), -EOPNOTSUPP);
        ASSERT_ERR(image_create(path, NULL, 1024 * 1024, NULL, true, QEMU_IMG_DEADLINE, &err), -EOPNOTSUPP);
        ASSERT_NULL(err);
        ASSERT_NOT_EXISTS(path);

        ASSERT_ERR(image_create(nodir, "qcow2", 1024 * 1024, NULL, true, QEMU_IMG_DEADLINE, &err), -EIO);
        ASSERT_NOT_NULL(err); /* qemu-img's reason, one line */
        ASSERT_NULL(strchr(err, '\n'));

        /* a name that looks like an option is a file name after "--" */
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        ASSERT_SYS(chdir(dir));
        ASSERT_OK(image_create("-f", "raw", 1024 * 1024, NULL, true, QEMU_IMG_DEADLINE, NULL));
        ASSERT_SYS(chdir(cwd));
        _cleanup_free_ char *dash = tests_strdupf("%s/-f", dir);
        ASSERT_OK(image_info_query(dash, QEMU_IMG_DEADLINE, &got));
        image_info_done(&got);

        ASSERT_ERR(image_info_query(path, QEMU_IMG_DEADLINE, &got), -EIO);
        tests_write_file(path, "");
        ASSERT_OK(image_info_query(path, QEMU_IMG_DEADLINE, &got)); /* an empty file is a raw image of size 0 */
        ASSERT_STREQ(got.format, "raw");
        ASSERT_U64_EQ(got.virtual_size, 0);
        image_info_done(&got);
}

TEST(deadline) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/x.qcow2", dir), *err = NULL;
        ImageInfo got = { .format = (char *) "untouched" };
        usec_t passed = now_usec(CLOCK_MONOTONIC);

        ASSERT_OK(image_create(path, "qcow2", 1024 * 1024, NULL, true, QEMU_IMG_DEADLINE, NULL));
        /* a deadline already passed: qemu-img is not waited for */
        usec_t t0 = now_usec(CLOCK_MONOTONIC);
        ASSERT_ERR(image_info_query(path, passed, &got), -ETIMEDOUT);
        ASSERT_STREQ(got.format, "untouched");
        _cleanup_free_ char *p2 = tests_strdupf("%s/y.qcow2", dir);
        ASSERT_ERR(image_create(p2, "qcow2", 1024 * 1024, NULL, true, passed, &err), -ETIMEDOUT);
        ASSERT_NULL(err);
        ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) - t0 < 5 * USEC_PER_SEC);

        /* no deadline at all is allowed */
        ASSERT_OK(image_info_query(path, USEC_INFINITY, &got));
        ASSERT_STREQ(got.format, "qcow2");
        image_info_done(&got);
}

int main(void) {
        RUN(info_from_json_qcow2);
        RUN(info_from_json_raw);
        RUN(info_from_json_qemu10);
        RUN(info_from_json_odd);
        RUN(info_from_json_bad);
        RUN(copy);
        RUN(format_supported);
        RUN(create_options);
        RUN(create_options_hostile);
        RUN_IF(create_and_query_qcow2, tests_have_program("qemu-img"), "qemu-img");
        RUN_IF(create_and_query_raw, tests_have_program("qemu-img"), "qemu-img");
        RUN_IF(create_errors, tests_have_program("qemu-img"), "qemu-img");
        RUN_IF(deadline, tests_have_program("qemu-img"), "qemu-img");
        return tests_done();
}
