/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/parity-libvirt.c against libvirt's own in-process
 * test driver (test:///default: one network "default" on virbr0, one
 * interface eth1 192.168.0.5/24): the facts `migguard check`
 * reads from a remote destination.
 */
#include <libvirt/virterror.h>

#include "alloc-util.h"
#include "parity-libvirt.h"
#include "strv.h"
#include "tests.h"
#include "virt-util.h"

TEST(remote_facts) {
        virt_errors_silence();
        _cleanup_(virConnectClosep) virConnectPtr c = virConnectOpen("test:///default");
        ASSERT_NOT_NULL(c);
        ParityHost h = { .conn = c }; /* no netlink context: a remote host */
        NetDev dev = { 0 };
        _cleanup_free_ char *bridge = NULL;

        ASSERT_EQ(parity_libvirt_ops.network(&h, "default", &bridge), 1);
        ASSERT_STREQ(bridge, "virbr0");
        ASSERT_ERR(parity_libvirt_ops.network(&h, "nosuchnet", &bridge), -ENOENT);

        ASSERT_OK(parity_libvirt_ops.netdev(&h, "eth1", &dev));
        ASSERT_TRUE(dev.exists);
        ASSERT_STREQ(dev.kind, "");
        ASSERT_TRUE(dev.up);
        ASSERT_EQ(strv_length(dev.prefixes), 1);
        ASSERT_STREQ(dev.prefixes[0], "192.168.0.0/24");
        netdev_done(&dev);

        ASSERT_OK(parity_libvirt_ops.netdev(&h, "br-missing", &dev));
        ASSERT_FALSE(dev.exists);
        netdev_done(&dev);

        unsigned online = 0;
        ASSERT_TRUE(virNodeGetCPUMap(c, NULL, &online, 0) > 0);
        ASSERT_EQ(parity_libvirt_ops.online_cpus(&h), online); /* the destination's, not ours */
        ASSERT_TRUE(parity_libvirt_ops.libvirt_version(&h) >= 9000000);
}

int main(void) {
        RUN(remote_facts);
        return tests_done();
}
