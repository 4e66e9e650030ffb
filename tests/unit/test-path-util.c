/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/basic/path-util.c: which image paths count as plain and
 * absolute, "strictly below a directory", symlink-free lstat through
 * openat2() on a fixture tree, and mkdir_p.
 */
#include <fcntl.h>

#include "basic/path-util.h"
#include "tests.h"

TEST(safe_absolute) {
        static const char *const good[] = {
                "/",
                "/a",
                "/var/lib/libvirt/images/vm.qcow2",
                "//double//slashes//ok",
                "/trailing/",
                "/dots.in.names/..a/a../...",
                "/.hidden/file",
                "/with space/and-utf8-\xc3\xa9",
        };
        static const char *const bad[] = {
                "",   "relative/path", "./a",     "a",      "/a/../b", "/..",     "/a/..",   "/a/./b",
                "/.", "/a/.",          "/a//./b", "/a/\nb", "/a/\tb",  "/a/\x01", "/a/\x7f",
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!path_is_safe_absolute(good[i]))
                        TEST_FAIL("'%s' should be safe", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (path_is_safe_absolute(bad[i]))
                        TEST_FAIL("'%s' should not be safe", bad[i]);
        ASSERT_FALSE(path_is_safe_absolute(NULL));

        /* PATH_MAX_LEN characters is the longest accepted */
        char *long_path = malloc(PATH_MAX_LEN + 2);
        ASSERT_NOT_NULL(long_path);
        memset(long_path, 'x', PATH_MAX_LEN + 1);
        long_path[0] = '/';
        long_path[PATH_MAX_LEN] = 0;
        ASSERT_TRUE(path_is_safe_absolute(long_path));
        long_path[PATH_MAX_LEN] = 'x';
        long_path[PATH_MAX_LEN + 1] = 0;
        ASSERT_FALSE(path_is_safe_absolute(long_path));
        free(long_path);
}

TEST(startswith_dir) {
        ASSERT_TRUE(path_startswith_dir("/a/b/c", "/a/b"));
        ASSERT_TRUE(path_startswith_dir("/a/b/c", "/a/b/"));
        ASSERT_TRUE(path_startswith_dir("/a/b//c", "/a/b"));
        ASSERT_TRUE(path_startswith_dir("/a/b/c/d", "/a"));
        ASSERT_TRUE(path_startswith_dir("/a", "/"));
        ASSERT_FALSE(path_startswith_dir("/a/bc", "/a/b"));
        ASSERT_FALSE(path_startswith_dir("/a/b", "/a/b"));
        ASSERT_FALSE(path_startswith_dir("/a/b/", "/a/b"));
        ASSERT_FALSE(path_startswith_dir("/a/b//", "/a/b"));
        ASSERT_FALSE(path_startswith_dir("/a", "/a/b"));
        ASSERT_FALSE(path_startswith_dir("/x/b/c", "/a/b"));
        ASSERT_FALSE(path_startswith_dir("", "/a"));
        ASSERT_FALSE(path_startswith_dir("/", "/"));
}

TEST(strip_trailing_slashes) {
        char a[] = "/a/b///", b[] = "/", c[] = "///", d[] = "/a";
        path_strip_trailing_slashes(a);
        path_strip_trailing_slashes(b);
        path_strip_trailing_slashes(c);
        path_strip_trailing_slashes(d);
        ASSERT_STREQ(a, "/a/b");
        ASSERT_STREQ(b, "/");
        ASSERT_STREQ(c, "/");
        ASSERT_STREQ(d, "/a");
}

TEST(split) {
        _cleanup_free_ char *dir = NULL, *base = NULL;
        ASSERT_OK(path_split("/var/lib/x.img", &dir, &base));
        ASSERT_STREQ(dir, "/var/lib");
        ASSERT_STREQ(base, "x.img");
        RESET_FREE(dir);
        RESET_FREE(base);
        ASSERT_OK(path_split("/x.img", &dir, &base));
        ASSERT_STREQ(dir, "/");
        ASSERT_STREQ(base, "x.img");
        RESET_FREE(dir);
        ASSERT_OK(path_split("/a/b", &dir, NULL));
        ASSERT_STREQ(dir, "/a");
        ASSERT_ERR(path_split("/a/", &dir, NULL), -EINVAL);
        ASSERT_ERR(path_split("/", &dir, NULL), -EINVAL);
        ASSERT_ERR(path_split("noslash", &dir, NULL), -EINVAL);
        ASSERT_STREQ(dir, "/a"); /* untouched on failure */
}

/*
 * root/
 *   real/            directory
 *   real/file        regular file
 *   real/link        symlink -> file
 *   real/dangling    symlink -> nowhere
 *   linkdir          symlink -> real
 */
TEST(lstat_nofollow) {
        _cleanup_rm_rf_ char *root = tests_mkdtemp();
        _cleanup_free_ char *real = tests_strdupf("%s/real", root), *file = tests_strdupf("%s/real/file", root),
                            *link = tests_strdupf("%s/real/link", root),
                            *dangling = tests_strdupf("%s/real/dangling", root),
                            *linkdir = tests_strdupf("%s/linkdir", root),
                            *via_linkdir = tests_strdupf("%s/linkdir/file", root),
                            *missing = tests_strdupf("%s/real/missing", root),
                            *missing_dir = tests_strdupf("%s/nodir/file", root),
                            *through_file = tests_strdupf("%s/real/file/x", root),
                            *dotdot = tests_strdupf("%s/real/../real/file", root);
        struct stat st;

        ASSERT_SYS(mkdir(real, 0755));
        tests_write_file(file, "data");
        ASSERT_SYS(symlink("file", link));
        ASSERT_SYS(symlink("/nonexistent/target", dangling));
        ASSERT_SYS(symlink("real", linkdir));

        ASSERT_OK(path_lstat_nofollow(file, &st));
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ(st.st_size, 4);

        /* the last component is lstat()ed, not followed */
        ASSERT_OK(path_lstat_nofollow(link, &st));
        ASSERT_TRUE(S_ISLNK(st.st_mode));
        ASSERT_OK(path_lstat_nofollow(dangling, &st));
        ASSERT_TRUE(S_ISLNK(st.st_mode));

        ASSERT_OK(path_lstat_nofollow(real, &st));
        ASSERT_TRUE(S_ISDIR(st.st_mode));

        /* a symlink on the way is refused */
        ASSERT_ERR(path_lstat_nofollow(via_linkdir, &st), -ELOOP);

        ASSERT_ERR(path_lstat_nofollow(missing, &st), -ENOENT);
        ASSERT_ERR(path_lstat_nofollow(missing_dir, &st), -ENOENT);
        ASSERT_ERR(path_lstat_nofollow(through_file, &st), -ENOTDIR);
        ASSERT_ERR(path_lstat_nofollow(dotdot, &st), -EINVAL);
        ASSERT_ERR(path_lstat_nofollow("relative/file", &st), -EINVAL);

        /* the parent fd points at the real directory */
        int dfd = -1;
        _cleanup_free_ char *base = NULL;
        ASSERT_OK(path_open_parent_nofollow(file, &dfd, &base));
        ASSERT_STREQ(base, "file");
        ASSERT_SYS(fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_SYS(close(dfd));
        dfd = -1;
        ASSERT_ERR(path_open_parent_nofollow(via_linkdir, &dfd, NULL), -ELOOP);
        ASSERT_EQ(dfd, -1);
}

TEST(mkdir_p) {
        _cleanup_rm_rf_ char *root = tests_mkdtemp();
        _cleanup_free_ char *deep = tests_strdupf("%s/a/b/c", root), *slash = tests_strdupf("%s/x/y/", root),
                            *file = tests_strdupf("%s/file", root), *under_file = tests_strdupf("%s/file/sub", root);
        struct stat st;

        ASSERT_OK(mkdir_p(deep, 0750));
        ASSERT_SYS(stat(deep, &st));
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        /* again: already there is fine */
        ASSERT_OK(mkdir_p(deep, 0750));

        ASSERT_OK(mkdir_p(slash, 0700));
        ASSERT_SYS(stat(slash, &st));
        ASSERT_TRUE(S_ISDIR(st.st_mode));

        tests_write_file(file, "");
        ASSERT_ERR(mkdir_p(under_file, 0700), -ENOTDIR);
        /* a file where the directory should be is not a directory */
        ASSERT_ERR(mkdir_p(file, 0700), -ENOTDIR);
        ASSERT_ERR(mkdir_p("", 0700), -EINVAL);
}

int main(void) {
        RUN(safe_absolute);
        RUN(startswith_dir);
        RUN(strip_trailing_slashes);
        RUN(split);
        RUN(lstat_nofollow);
        RUN(mkdir_p);
        return tests_done();
}
