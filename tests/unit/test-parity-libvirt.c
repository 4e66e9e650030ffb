/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for parity/parity-libvirt.c against libvirt's own in-process
 * test driver (test:///default: one network "default" on virbr0, one
 * interface eth1 192.168.0.5/24): the facts `migguard check`
 * reads from a remote destination.
 */
#include <libvirt/virterror.h>

#include "basic/alloc-util.h"
#include "parity/parity-libvirt.h"
#include "basic/strv.h"
#include "tests.h"
#include "core/virt-util.h"

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

TEST(host_cpu) {
        /* the test driver describes a host CPU without a model and has no
         * domain capabilities: both say so instead of inventing one */
        virt_errors_silence();
        _cleanup_(virConnectClosep) virConnectPtr c = virConnectOpen("test:///default");
        ASSERT_NOT_NULL(c);
        char *model = NULL, *cpu = NULL;
        ASSERT_ERR(parity_host_cpu_model(c, &model), -ENOENT);
        ASSERT_NULL(model);

        const char *xml = "<domain type='qemu'><name>g</name><uuid>0f0e0d0c-0b0a-0908-0706-050403020100</uuid>"
                          "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                          "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>";
        _cleanup_(domain_xml_freep) DomainXml *d = NULL;
        _cleanup_free_ char *err = NULL;
        ASSERT_OK(domain_xml_parse(xml, strlen(xml), &d, &err));
        ASSERT_TRUE(parity_host_cpu_for(c, d, &cpu) < 0);
        ASSERT_NULL(cpu);
}

int main(void) {
        RUN(remote_facts);
        RUN(host_cpu);
        return tests_done();
}
