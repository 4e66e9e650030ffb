/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for pinning/pin-domains.c that need no libvirt: which CPUs a
 * domain's vCPUs are pinned to (every <vcputune><vcpupin cpuset> and
 * <vcpu cpuset>), added to the set `auto` housekeeping keeps clear of.
 * (pin_domains_collect() runs against real libvirt in tests/pinning.bats.)
 */
#include "basic/cpu-set.h"
#include "pinning/pin-domains.h"
#include "tests.h"

static char *pins_of(const char *xml, const char *start) {
        cpu_set_t set;
        static char buf[256];
        CPU_ZERO(&set);
        if (start)
                ASSERT_OK(cpu_set_parse(start, &set));
        ASSERT_OK(vcpu_pins_add(xml, &set));
        ASSERT_OK(cpu_set_format(&set, buf, sizeof(buf)));
        return buf;
}

TEST(vcpupin_and_vcpu_cpuset) {
        static const char xml[] = "<domain type='kvm'><name>vm1</name>"
                                  "<vcpu placement='static' cpuset='8-9'>4</vcpu>"
                                  "<cputune>"
                                  "<vcpupin vcpu='0' cpuset='2'/>"
                                  "<vcpupin vcpu='1' cpuset='3'/>"
                                  "<vcpupin vcpu='2' cpuset='4-5,7'/>"
                                  "<emulatorpin cpuset='0'/>"
                                  "<iothreadpin iothread='1' cpuset='1'/>"
                                  "</cputune></domain>";
        /* emulator and iothread pins are not vCPUs: housekeeping may use those CPUs */
        ASSERT_STREQ(pins_of(xml, NULL), "2-5,7-9");
}

TEST(adds_to_what_is_there) {
        /* one set for every running domain */
        static const char a[] = "<domain><cputune><vcpupin vcpu='0' cpuset='1'/></cputune></domain>";
        static const char b[] = "<domain><vcpu cpuset='6'>1</vcpu></domain>";
        cpu_set_t set;
        char buf[64];
        CPU_ZERO(&set);
        ASSERT_OK(vcpu_pins_add(a, &set));
        ASSERT_OK(vcpu_pins_add(b, &set));
        ASSERT_OK(cpu_set_format(&set, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "1,6");
        ASSERT_STREQ(pins_of(a, "0,10"), "0-1,10");
}

TEST(unpinned) {
        ASSERT_STREQ(pins_of("<domain><name>x</name><vcpu>4</vcpu></domain>", NULL), "");
        ASSERT_STREQ(pins_of("<domain><vcpu placement='auto'>2</vcpu><cputune><emulatorpin cpuset='3'/></cputune>"
                             "</domain>",
                             NULL),
                     "");
        /* elements elsewhere in the document are not this domain's pins */
        ASSERT_STREQ(pins_of("<domain><metadata><cputune><vcpupin vcpu='0' cpuset='5'/></cputune></metadata>"
                             "<devices><vcpu cpuset='6'/></devices></domain>",
                             NULL),
                     "");
}

TEST(bad_values_ignored) {
        /* a value that is no CPU list adds nothing (and breaks nothing else) */
        ASSERT_STREQ(pins_of("<domain><cputune><vcpupin vcpu='0' cpuset='x'/><vcpupin vcpu='1' cpuset=''/>"
                             "<vcpupin vcpu='2' cpuset='5000'/><vcpupin vcpu='3' cpuset='3'/></cputune></domain>",
                             NULL),
                     "3");
}

TEST(malformed) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(4, &set);
        ASSERT_TRUE(vcpu_pins_add("<domain><cputune>", &set) < 0);
        ASSERT_TRUE(vcpu_pins_add("", &set) < 0);
        ASSERT_TRUE(vcpu_pins_add("<!DOCTYPE d [<!ENTITY e 'x'>]><domain/>", &set) < 0);
        ASSERT_EQ(CPU_COUNT(&set), 1); /* untouched */
        ASSERT_TRUE(CPU_ISSET(4, &set));
}

int main(void) {
        RUN(vcpupin_and_vcpu_cpuset);
        RUN(adds_to_what_is_there);
        RUN(unpinned);
        RUN(bad_values_ignored);
        RUN(malformed);
        return tests_done();
}
