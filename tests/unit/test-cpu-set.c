/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/basic/cpu-set.c: CPU lists as the kernel, libvirt
 * and [pinning] cpus write them ("0-3,6"), both ways, and the online CPUs
 * from a fixture /sys and from the real one.
 */
#include "basic/cpu-set.h"
#include "basic/path-util.h"
#include "tests.h"

static cpu_set_t parse_ok(const char *s) {
        cpu_set_t set;
        int r = cpu_set_parse(s, &set);
        if (r < 0)
                TEST_FAIL("cpu_set_parse(\"%s\") = %d", s, r);
        return set;
}

TEST(parse) {
        cpu_set_t s = parse_ok("2-3,6");
        ASSERT_EQ(CPU_COUNT(&s), 3);
        ASSERT_TRUE(CPU_ISSET(2, &s) && CPU_ISSET(3, &s) && CPU_ISSET(6, &s));
        s = parse_ok("0");
        ASSERT_EQ(CPU_COUNT(&s), 1);
        ASSERT_TRUE(CPU_ISSET(0, &s));
        s = parse_ok("5-5,1,1");
        ASSERT_EQ(CPU_COUNT(&s), 2);
        s = parse_ok("0-1023");
        ASSERT_EQ(CPU_COUNT(&s), CPU_SETSIZE);
        s = parse_ok("1023");
        ASSERT_TRUE(CPU_ISSET(1023, &s));
        s = parse_ok("007");
        ASSERT_TRUE(CPU_ISSET(7, &s));

        static const char *const bad[] = { "3-2",   "a",    "",       "1,,2",
                                           "99999", "1024", "0-1024", "1,",
                                           ",1",    "-1",   "1-",     "1-2-3",
                                           " 1",    "1 ",   "0x1",    "18446744073709551617",
                                           "1;2",   "0-3\n" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CPU_ZERO(&s);
                CPU_SET(7, &s);
                int r = cpu_set_parse(bad[i], &s);
                if (r != -EINVAL)
                        TEST_FAIL("cpu_set_parse(\"%s\") = %d, expected -EINVAL", bad[i], r);
                /* untouched on failure */
                ASSERT_EQ(CPU_COUNT(&s), 1);
                ASSERT_TRUE(CPU_ISSET(7, &s));
        }
}

static void assert_format(const char *in, const char *want) {
        cpu_set_t s = parse_ok(in);
        char buf[4096];
        ASSERT_OK(cpu_set_format(&s, buf, sizeof(buf)));
        ASSERT_STREQ(buf, want);
        /* and back */
        cpu_set_t again = parse_ok(buf);
        ASSERT_TRUE(CPU_EQUAL(&s, &again));
}

TEST(format) {
        assert_format("0", "0");
        assert_format("0-1", "0-1");
        assert_format("4-7,9,0,1,2", "0-2,4-7,9");
        assert_format("1,2,3", "1-3"); /* neighbours become a range */
        assert_format("1,3,5", "1,3,5");
        assert_format("0-1023", "0-1023");
        assert_format("1023", "1023");
        assert_format("0,1023", "0,1023");

        cpu_set_t empty;
        char buf[8] = "junk";
        CPU_ZERO(&empty);
        ASSERT_OK(cpu_set_format(&empty, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "");
}

TEST(format_small_buffer) {
        cpu_set_t s = parse_ok("0-3,6");
        char buf[8];
        /* "0-3,6" needs 6 bytes with its NUL */
        ASSERT_OK(cpu_set_format(&s, buf, 6));
        ASSERT_STREQ(buf, "0-3,6");
        ASSERT_ERR(cpu_set_format(&s, buf, 5), -ENOBUFS);
        ASSERT_ERR(cpu_set_format(&s, buf, 1), -ENOBUFS);
        ASSERT_ERR(cpu_set_format(&s, buf, 0), -ENOBUFS);

        /* every other CPU: the longest list there is, and it fits in 4 KiB */
        CPU_ZERO(&s);
        for (int c = 0; c < CPU_SETSIZE; c += 2)
                CPU_SET(c, &s);
        char big[4096], small[64];
        ASSERT_OK(cpu_set_format(&s, big, sizeof(big)));
        ASSERT_TRUE(strncmp(big, "0,2,4,", 6) == 0);
        ASSERT_ERR(cpu_set_format(&s, small, sizeof(small)), -ENOBUFS);
}

static void write_online(const char *root, const char *text) {
        _cleanup_free_ char *dir = tests_strdupf("%s/devices/system/cpu", root),
                            *path = tests_strdupf("%s/online", dir);
        ASSERT_OK(mkdir_p(dir, 0755));
        tests_write_file(path, text);
}

TEST(online_fixture) {
        _cleanup_rm_rf_ char *root = tests_mkdtemp();
        cpu_set_t s;
        char buf[64];

        ASSERT_ERR(cpus_online(root, &s), -ENOENT);
        write_online(root, "0-3,6\n");
        ASSERT_OK(cpus_online(root, &s));
        ASSERT_OK(cpu_set_format(&s, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "0-3,6");
        write_online(root, "0\n");
        ASSERT_OK(cpus_online(root, &s));
        ASSERT_EQ(CPU_COUNT(&s), 1);
        write_online(root, "garbage\n");
        ASSERT_ERR(cpus_online(root, &s), -EINVAL);
        write_online(root, "");
        ASSERT_ERR(cpus_online(root, &s), -EINVAL);
}

TEST(online_real) {
        cpu_set_t s;
        ASSERT_OK(cpus_online("/sys", &s));
        ASSERT_EQ(CPU_COUNT(&s), sysconf(_SC_NPROCESSORS_ONLN));
}

int main(void) {
        RUN(parse);
        RUN(format);
        RUN(format_small_buffer);
        RUN(online_fixture);
        RUN_IF(online_real, access("/sys/devices/system/cpu/online", R_OK) == 0, "/sys/devices/system/cpu/online");
        return tests_done();
}
