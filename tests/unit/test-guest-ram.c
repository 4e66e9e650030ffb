/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * converge/guest-ram.c: the guest's RAM mapping found in smaps text as
 * QEMU's process shows it (TCG: a translation cache larger than the
 * guest), the exact size preferred, a near one taken, none refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "converge/guest-ram.h"
#include "tests.h"

#define MIB (1024ULL * 1024ULL)

static int resident(const char *text, uint64_t memory, uint64_t *ret) {
        /* fmemopen of an empty buffer fails: read /dev/null for "" */
        FILE *f = *text ? fmemopen((void *) text, strlen(text), "r") : fopen("/dev/null", "re");
        if (!f)
                return -errno;
        int r = guest_ram_resident_from(f, memory, ret);
        fclose(f);
        return r;
}

static const char SMAPS[] = "55d0c6a00000-55d0c6a21000 r--p 00000000 fe:01 1234     /usr/bin/qemu-system-x86_64\n"
                            "Size:                132 kB\n"
                            "Rss:                 132 kB\n"
                            "VmFlags: rd mr mw me sd\n"
                            /* the TCG translation cache: 1 GiB, 300 MiB resident */
                            "7f0000000000-7f0040000000 rwxp 00000000 00:00 0\n"
                            "Size:            1048576 kB\n"
                            "KernelPageSize:        4 kB\n"
                            "Rss:              307200 kB\n"
                            "Anonymous:        307200 kB\n"
                            "VmFlags: rd wr ex mr mw me ac sd\n"
                            /* guest RAM: 256 MiB, 170 MiB resident */
                            "7f1000000000-7f1010000000 rw-p 00000000 00:00 0\n"
                            "Size:             262144 kB\n"
                            "Rss:              174080 kB\n"
                            "AnonHugePages:    110592 kB\n"
                            "VmFlags: rd wr mr mw me ac sd hg dd\n"
                            "7f1010000000-7f1010001000 ---p 00000000 00:00 0\n"
                            "Size:                  4 kB\n"
                            "Rss:                   0 kB\n";

TEST(exact_mapping) {
        uint64_t r = 0;
        ASSERT_OK(resident(SMAPS, 256 * MIB, &r));
        ASSERT_EQ(r, 170 * MIB);
}

TEST(near_mapping) {
        /* a guest of 240 MiB has no mapping of exactly that: the largest
         * within 3/4..5/4 of it is taken (not the 1 GiB cache) */
        uint64_t r = 0;
        ASSERT_OK(resident(SMAPS, 240 * MIB, &r));
        ASSERT_EQ(r, 170 * MIB);
}

TEST(no_mapping) {
        uint64_t r = 0;
        ASSERT_ERR(resident(SMAPS, 4096 * MIB, &r), -ENOENT);
        ASSERT_ERR(resident("", 256 * MIB, &r), -ENOENT);
}

TEST(not_a_process) {
        uint64_t r = 0;
        ASSERT_TRUE(guest_ram_resident(-1, 256 * MIB, &r) < 0);
}

int main(void) {
        RUN(exact_mapping);
        RUN(near_mapping);
        RUN(no_mapping);
        RUN(not_a_process);
        return tests_done();
}
