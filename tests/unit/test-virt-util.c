/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/virt-util.c against libvirt's in-process test
 * driver (test:///default, one running domain "test"): libvirt's last
 * error as one line and as a code, libvirt kept from printing errors
 * itself, "is this domain paused by a migration", and the cleanup
 * helpers.
 */
#include <fcntl.h>

#include "core/virt-util.h"
#include "tests.h"

/* What libvirt prints on stderr while @fn runs. */
static char *stderr_of(void (*fn)(virConnectPtr), virConnectPtr c) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/stderr", dir);
        fflush(stderr);
        int saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_SYS(saved);
        ASSERT_SYS(fd);
        ASSERT_SYS(dup2(fd, STDERR_FILENO));
        fn(c);
        fflush(stderr);
        ASSERT_SYS(dup2(saved, STDERR_FILENO));
        close(saved);
        close(fd);
        return tests_read_file(path);
}

static void lookup_missing(virConnectPtr c) {
        _cleanup_(virDomainFreep) virDomainPtr d = virDomainLookupByName(c, "no-such-domain");
        ASSERT_NULL(d);
}

TEST(last_error) {
        virt_errors_silence();
        _cleanup_(virConnectClosep) virConnectPtr c = virConnectOpen("test:///default");
        ASSERT_NOT_NULL(c);

        /* silenced: the hook's helpers' stderr is the admin's virsh error */
        _cleanup_free_ char *printed = stderr_of(lookup_missing, c);
        ASSERT_STREQ(printed, "");

        ASSERT_EQ(virt_last_error_code(), VIR_ERR_NO_DOMAIN);
        const virError *e = virGetLastError();
        ASSERT_NOT_NULL(e);
        ASSERT_STREQ(virt_last_error_message(), e->message); /* libvirt's own words */
        _cleanup_free_ char *line = virt_last_error();
        ASSERT_NOT_NULL(line);
        ASSERT_TRUE(*line);
        ASSERT_TRUE(strncmp(line, e->message, strlen(line)) == 0);
        ASSERT_NULL(strchr(line, '\n'));

        _cleanup_(virNetworkFreep) virNetworkPtr n = virNetworkLookupByName(c, "no-such-net");
        ASSERT_NULL(n);
        ASSERT_EQ(virt_last_error_code(), VIR_ERR_NO_NETWORK);

        /* no error at all */
        virResetLastError();
        ASSERT_EQ(virt_last_error_code(), VIR_ERR_OK);
        ASSERT_STREQ(virt_last_error_message(), "unknown libvirt error");
        _cleanup_free_ char *none = virt_last_error();
        ASSERT_STREQ(none, "unknown libvirt error");
}

TEST(migration_pending) {
        virt_errors_silence();
        _cleanup_(virConnectClosep) virConnectPtr c = virConnectOpen("test:///default");
        ASSERT_NOT_NULL(c);
        _cleanup_(virDomainFreep) virDomainPtr d = virDomainLookupByName(c, "test");
        ASSERT_NOT_NULL(d);

        ASSERT_EQ(virt_domain_migration_pending(d), 0); /* running */
        ASSERT_EQ(virt_domain_job_active(d), 0);
        ASSERT_FALSE(virt_domain_busy(d));
        ASSERT_EQ(virDomainSuspend(d), 0);
        ASSERT_EQ(virt_domain_migration_pending(d), 0); /* paused by the admin, not by a migration */
        ASSERT_FALSE(virt_domain_busy(d));
        ASSERT_EQ(virDomainResume(d), 0);
        ASSERT_EQ(virDomainDestroy(d), 0);
        ASSERT_EQ(virt_domain_migration_pending(d), 0); /* shut off */
}

TEST(cleanup_helpers) {
        /* NULL-safe, like every noun_freep() */
        virConnectPtr c = NULL;
        virDomainPtr d = NULL;
        virStoragePoolPtr p = NULL;
        virStorageVolPtr v = NULL;
        virNetworkPtr n = NULL;
        virInterfacePtr i = NULL;
        virConnectClosep(&c);
        virDomainFreep(&d);
        virStoragePoolFreep(&p);
        virStorageVolFreep(&v);
        virNetworkFreep(&n);
        virInterfaceFreep(&i);

        /* and they do free (valgrind and ASan would see a leak) */
        c = virConnectOpen("test:///default");
        ASSERT_NOT_NULL(c);
        d = virDomainLookupByName(c, "test");
        n = virNetworkLookupByName(c, "default");
        p = virStoragePoolLookupByName(c, "default-pool");
        ASSERT_NOT_NULL(d);
        ASSERT_NOT_NULL(n);
        ASSERT_NOT_NULL(p);
        virStoragePoolFreep(&p);
        virNetworkFreep(&n);
        virDomainFreep(&d);
        virConnectClosep(&c);
}

int main(void) {
        RUN(last_error);
        RUN(migration_pending);
        RUN(cleanup_helpers);
        return tests_done();
}
