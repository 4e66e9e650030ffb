/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/finding.c: the check names through one table,
 * both ways (they are the MIGGUARD_CHECK= field and `migguard check`'s
 * second column, so their spelling is part of the interface), and the
 * Findings list.
 */
#include "core/finding.h"
#include "tests.h"

TEST(string_table) {
        /* the documented names */
        ASSERT_STREQ(check_kind_to_string(CHECK_KIND_CPU), "cpu");
        ASSERT_STREQ(check_kind_to_string(CHECK_KIND_VCPUS), "vcpus");
        ASSERT_STREQ(check_kind_to_string(CHECK_KIND_NETWORK), "network");
        ASSERT_STREQ(check_kind_to_string(CHECK_KIND_PROVISION), "provision");
        ASSERT_STREQ(check_kind_to_string(CHECK_KIND_PERSIST), "persist");
        ASSERT_STREQ(check_kind_to_string(CHECK_KIND_PINNING), "pinning");

        /* every kind has a name of its own, and the name leads back to it */
        for (int k = 0; k < _CHECK_KIND_MAX; k++) {
                const char *s = check_kind_to_string((CheckKind) k);
                ASSERT_NOT_NULL(s);
                ASSERT_TRUE(*s);
                ASSERT_EQ(check_kind_from_string(s), k);
                for (int j = 0; j < k; j++)
                        ASSERT_FALSE(streq(s, check_kind_to_string((CheckKind) j)));
        }

        ASSERT_NULL(check_kind_to_string(_CHECK_KIND_MAX));
        ASSERT_NULL(check_kind_to_string(_CHECK_KIND_INVALID));
        ASSERT_NULL(check_kind_to_string((CheckKind) 1000));
        ASSERT_EQ(check_kind_from_string(NULL), _CHECK_KIND_INVALID);
        ASSERT_EQ(check_kind_from_string(""), _CHECK_KIND_INVALID);
        ASSERT_EQ(check_kind_from_string("CPU"), _CHECK_KIND_INVALID); /* exact spelling */
        ASSERT_EQ(check_kind_from_string("cpu "), _CHECK_KIND_INVALID);
        ASSERT_EQ(check_kind_from_string("cpus"), _CHECK_KIND_INVALID);
        ASSERT_EQ(check_kind_from_string("interface"), _CHECK_KIND_INVALID);
}

TEST(findings) {
        Findings f = { 0 };
        char text[] = "cpu: mine";

        ASSERT_FALSE(findings_have(&f, CHECK_KIND_CPU));
        ASSERT_OK(findings_add(&f, CHECK_KIND_CPU, text));
        text[0] = 'X'; /* the finding has its own copy */
        ASSERT_OK(
                findings_addf(&f, CHECK_KIND_NETWORK, "interface %s bridge %s: %d%%", "52:54:00:aa:bb:cc", "br0", 50));
        ASSERT_OK(findings_addf(&f, CHECK_KIND_CPU, "%s", "second"));
        ASSERT_OK(findings_add(&f, _CHECK_KIND_INVALID, "not a check's"));

        ASSERT_EQ(f.n, 4);
        ASSERT_EQ(f.items[0].check, CHECK_KIND_CPU);
        ASSERT_STREQ(f.items[0].text, "cpu: mine");
        ASSERT_EQ(f.items[1].check, CHECK_KIND_NETWORK);
        ASSERT_STREQ(f.items[1].text, "interface 52:54:00:aa:bb:cc bridge br0: 50%");
        ASSERT_EQ(f.items[2].check, CHECK_KIND_CPU);
        ASSERT_STREQ(f.items[2].text, "second");
        ASSERT_EQ(f.items[3].check, _CHECK_KIND_INVALID);

        ASSERT_TRUE(findings_have(&f, CHECK_KIND_CPU));
        ASSERT_TRUE(findings_have(&f, CHECK_KIND_NETWORK));
        ASSERT_FALSE(findings_have(&f, CHECK_KIND_PROVISION));
        ASSERT_FALSE(findings_have(&f, CHECK_KIND_VCPUS));

        findings_done(&f);
        ASSERT_EQ(f.n, 0);
        ASSERT_NULL(f.items);
        ASSERT_FALSE(findings_have(&f, CHECK_KIND_CPU));
        findings_done(&f); /* twice is fine */

        /* reusable after done */
        ASSERT_OK(findings_addf(&f, CHECK_KIND_PROVISION, "disk %s: %s", "vda", "x"));
        ASSERT_EQ(f.n, 1);
        ASSERT_STREQ(f.items[0].text, "disk vda: x");
        ASSERT_TRUE(findings_have(&f, CHECK_KIND_PROVISION));
        findings_done(&f);
}

TEST(many) {
        Findings f = { 0 };
        for (int i = 0; i < 1000; i++)
                ASSERT_OK(findings_addf(&f, (CheckKind) (i % _CHECK_KIND_MAX), "finding %d", i));
        ASSERT_EQ(f.n, 1000);
        ASSERT_STREQ(f.items[999].text, "finding 999");
        ASSERT_EQ(f.items[999].check, 999 % _CHECK_KIND_MAX);
        for (int k = 0; k < _CHECK_KIND_MAX; k++)
                ASSERT_TRUE(findings_have(&f, (CheckKind) k));
        findings_done(&f);
}

int main(void) {
        RUN(string_table);
        RUN(findings);
        RUN(many);
        return tests_done();
}
