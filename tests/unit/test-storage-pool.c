/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for provision/storage-pool.c that need no libvirt: the name of
 * migguard's transient pool for a directory (the rest is covered by the
 * bats suite on real libvirt hosts).
 */
#include "provision/storage-pool.h"
#include "tests.h"

static char *name_for(const char *dir) {
        char *n = NULL;
        ASSERT_OK(storage_pool_name_for_dir(dir, &n));
        ASSERT_NOT_NULL(n);
        return n;
}

static void assert_pool_charset(const char *n) {
        ASSERT_TRUE(strncmp(n, "migguard-", 9) == 0);
        if (strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(n))
                TEST_FAIL("pool name '%s' has characters outside [a-z0-9-]", n);
}

TEST(deterministic) {
        _cleanup_free_ char *a = name_for("/var/lib/libvirt/images"), *b = name_for("/var/lib/libvirt/images");
        ASSERT_STREQ(a, b);
        assert_pool_charset(a);
        ASSERT_CONTAINS(a, "var-lib-libvirt-images");
}

TEST(distinct) {
        static const char *const dirs[] = { "/a-b", "/a/b", "/a_b", "/A/B",        "/a b",        "/a/b/",
                                            "/",    "/a",   "/b",   "/srv/images", "/srv/Images", "/srv/images2" };
        char *names[ELEMENTSOF(dirs)];
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                names[i] = name_for(dirs[i]);
                assert_pool_charset(names[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                for (size_t j = i + 1; j < ELEMENTSOF(dirs); j++)
                        if (streq(names[i], names[j]))
                                TEST_FAIL("'%s' and '%s' both map to '%s'", dirs[i], dirs[j], names[i]);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                free(names[i]);
}

TEST(hostile_and_long) {
        char longdir[4096];
        memset(longdir, 'x', sizeof(longdir) - 1);
        longdir[0] = '/';
        longdir[sizeof(longdir) - 1] = 0;
        _cleanup_free_ char *l = name_for(longdir), *h = name_for("/\xc3\xa9t\xc3\xa9/\n;$(rm -rf)/'\"<>&");
        assert_pool_charset(l);
        assert_pool_charset(h);
        /* libvirt allows long names, but keep it readable */
        ASSERT_TRUE(strlen(l) <= 9 + 47 + 1 + 8);
}

int main(void) {
        RUN(deterministic);
        RUN(distinct);
        RUN(hostile_and_long);
        return tests_done();
}
