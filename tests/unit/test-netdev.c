/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for parity/netdev.c: prefix arithmetic and a real rtnetlink read of lo. */
#include "tests.h"

#include "parity/netdev.h"
#include "basic/strv.h"

TEST(prefix_network) {
        char *s = NULL;
        ASSERT_OK(prefix_network("198.51.100.7/24", &s));
        ASSERT_STREQ(s, "198.51.100.0/24");
        RESET_FREE(s);
        ASSERT_OK(prefix_network("203.0.113.130/25", &s));
        ASSERT_STREQ(s, "203.0.113.128/25");
        RESET_FREE(s);
        ASSERT_OK(prefix_network("2001:db8:1:2::5/64", &s));
        ASSERT_STREQ(s, "2001:db8:1:2::/64");
        RESET_FREE(s);
        ASSERT_OK(prefix_network("192.0.2.1/32", &s));
        ASSERT_STREQ(s, "192.0.2.1/32");
        RESET_FREE(s);
        ASSERT_ERR(prefix_network("192.0.2.1", &s), -EINVAL);
        ASSERT_ERR(prefix_network("192.0.2.1/33", &s), -EINVAL);
        ASSERT_ERR(prefix_network("nonsense/8", &s), -EINVAL);
        ASSERT_ERR(prefix_network("1.2.3.4/-1", &s), -EINVAL);
}

TEST(intersect) {
        char *a[] = { (char *) "198.51.100.0/24", (char *) "2001:db8::/64", NULL };
        char *b[] = { (char *) "203.0.113.0/24", (char *) "2001:db8::/64", NULL };
        char *c[] = { (char *) "203.0.113.0/24", NULL };
        ASSERT_TRUE(prefixes_intersect(a, b));
        ASSERT_FALSE(prefixes_intersect(a, c));
        ASSERT_FALSE(prefixes_intersect(NULL, c));
}

TEST(loopback_and_missing) {
        NetDevContext *c = NULL;
        NetDev d;
        ASSERT_OK(netdev_context_new(&c));
        ASSERT_OK(netdev_query(c, "lo", &d));
        ASSERT_TRUE(d.exists);
        ASSERT_STREQ(d.kind, "");
        ASSERT_EQ(d.uplink_vlan, -1);
        /* 127.0.0.1 is host scope: not a segment */
        ASSERT_FALSE(strv_contains(d.prefixes, "127.0.0.0/8"));
        netdev_done(&d);
        ASSERT_OK(netdev_query(c, "mg-nonexistent0", &d));
        ASSERT_FALSE(d.exists);
        netdev_done(&d);
        ASSERT_ERR(netdev_query(c, "../etc", &d), -EINVAL);
        netdev_context_free(c);
}

int main(void) {
        RUN(prefix_network);
        RUN(intersect);
        RUN(loopback_and_missing);
        return tests_done();
}
