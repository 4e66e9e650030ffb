/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for storage/storage-pool-view.c against libvirt's in-process
 * test driver (test:///default, whose one pool "default-pool" is a dir
 * pool at /default-pool): the network pool of another host whose target
 * holds a disk path, and its export as "host:/dir", as `migguard check`
 * reads them from a destination.  The test driver mounts nothing: a netfs
 * pool there is only its XML, which is all pool_view_of() reads.
 */
#include <libvirt/virterror.h>

#include "core/virt-util.h"
#include "storage/storage-pool-view.h"
#include "tests.h"

#define NETFS_POOL(name, target)                                                                                       \
        "<pool type='netfs'><name>" name "</name>"                                                                     \
        "<source><host name='192.0.2.10'/><dir path='/export'/><format type='nfs'/></source>"                          \
        "<target><path>" target "</path></target></pool>"

static virConnectPtr open_test_driver(void) {
        virt_errors_silence();
        virConnectPtr c = virConnectOpen("test:///default");
        ASSERT_NOT_NULL(c);
        return c;
}

/* A transient, running pool; NULL when the test driver refuses it. */
static virStoragePoolPtr pool_start(virConnectPtr c, const char *xml) {
        return virStoragePoolCreateXML(c, xml, 0);
}

static void pool_stop(virStoragePoolPtr *p) {
        if (*p) {
                ASSERT_SYS(virStoragePoolDestroy(*p));
                virStoragePoolFree(*p);
                *p = NULL;
        }
}

/* No pool holds @path: 0, and *ret untouched. */
static void assert_no_view(virConnectPtr c, const char *path) {
        PoolView v = { .name = (char *) "untouched" };
        int r = pool_view_of(c, path, &v);
        if (r != 0)
                TEST_FAIL("%s: expected no pool, got %d (%s)", path, r, r > 0 ? v.name : strerror(-r));
        ASSERT_STREQ(v.name, "untouched");
        ASSERT_NULL(v.source);
}

TEST(netfs_pool) {
        _cleanup_(virConnectClosep) virConnectPtr c = open_test_driver();
        virStoragePoolPtr share = pool_start(c, NETFS_POOL("share", "/mnt/share"));
        ASSERT_NOT_NULL(share);

        _cleanup_(pool_view_done) PoolView v = {};
        ASSERT_EQ(pool_view_of(c, "/mnt/share/vm/db.qcow2", &v), 1);
        ASSERT_STREQ(v.name, "share");
        ASSERT_STREQ(v.type, "netfs");
        ASSERT_STREQ(v.source, "192.0.2.10:/export"); /* as mountinfo shows the NFS mount */
        ASSERT_STREQ(v.target, "/mnt/share");

        /* a path elsewhere, one that only shares a prefix, the mount point itself */
        assert_no_view(c, "/var/lib/libvirt/images/db.qcow2");
        assert_no_view(c, "/mnt/shared/db.qcow2");
        assert_no_view(c, "/mnt/share");
        assert_no_view(c, "/mnt/share/");
        pool_stop(&share);

        /* only running pools: nothing is mounted for a stopped one */
        assert_no_view(c, "/mnt/share/vm/db.qcow2");
        virStoragePoolPtr defined = virStoragePoolDefineXML(c, NETFS_POOL("share-off", "/mnt/share"), 0);
        ASSERT_NOT_NULL(defined);
        assert_no_view(c, "/mnt/share/vm/db.qcow2");
        ASSERT_SYS(virStoragePoolUndefine(defined));
        virStoragePoolFree(defined);
}

TEST(dir_pool_never_matches) {
        /* the test driver's own pool: a directory, no network file system */
        _cleanup_(virConnectClosep) virConnectPtr c = open_test_driver();
        _cleanup_(virStoragePoolFreep) virStoragePoolPtr dflt = virStoragePoolLookupByName(c, "default-pool");
        ASSERT_NOT_NULL(dflt);
        ASSERT_EQ(virStoragePoolIsActive(dflt), 1);
        _cleanup_free_ char *xml = virStoragePoolGetXMLDesc(dflt, 0);
        ASSERT_CONTAINS(xml, "<pool type='dir'>");
        ASSERT_CONTAINS(xml, "<path>/default-pool</path>");
        assert_no_view(c, "/default-pool/disk.img");

        /* nor does another one next to a netfs pool */
        virStoragePoolPtr images = pool_start(c, "<pool type='dir'><name>images</name>"
                                                 "<target><path>/var/lib/libvirt/images</path></target></pool>");
        ASSERT_NOT_NULL(images);
        assert_no_view(c, "/var/lib/libvirt/images/db.qcow2");
        pool_stop(&images);
}

/* Does this libvirt's test driver take a netfs pool?  The error if not. */
static char *netfs_refused(void) {
        _cleanup_(virConnectClosep) virConnectPtr c = open_test_driver();
        virStoragePoolPtr p = pool_start(c, NETFS_POOL("probe", "/mnt/probe"));
        if (!p)
                return tests_strdupf("libvirt's test driver refuses a netfs pool: %s", virt_last_error_message());
        pool_stop(&p);
        return NULL;
}

int main(void) {
        _cleanup_free_ char *refused = netfs_refused();
        /* not a missing dependency (the driver is libvirt's own): a skip in CI too */
        if (refused)
                tests_skip("netfs_pool", refused);
        else
                RUN(netfs_pool);
        RUN(dir_pool_never_matches);
        return tests_done();
}
