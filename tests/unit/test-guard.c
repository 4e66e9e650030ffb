/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for persist/guard.c: guard files saved atomically, loaded,
 * released and removed; the lock-free "is there a guard" question the
 * hook asks on every domain start; and the admin's message.
 */
#include <dirent.h>

#include "persist/guard.h"
#include "tests.h"

#define UUID "0f0e0d0c-0b0a-0908-0706-050403020100"

TEST(save_load_remove) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        Guard g = { .uuid = (char *) UUID,
                    .name = (char *) "vm1",
                    .destination = (char *) "hb (192.0.2.2)",
                    .time = 1700000000,
                    .autostart_was_on = true };
        Guard *l = NULL;
        ASSERT_ERR(guard_load(dir, UUID, &l), -ENOENT);
        ASSERT_OK(guard_save(dir, &g));
        ASSERT_OK(guard_load(dir, UUID, &l));
        ASSERT_STREQ(l->name, "vm1");
        ASSERT_STREQ(l->destination, "hb (192.0.2.2)");
        ASSERT_TRUE(l->autostart_was_on);
        ASSERT_FALSE(l->released);
        ASSERT_EQ(l->time, 1700000000);
        l->released = true;
        ASSERT_OK(guard_save(dir, l));
        guard_free(l);
        ASSERT_OK(guard_load(dir, UUID, &l));
        ASSERT_TRUE(l->released);
        guard_free(l);
        ASSERT_OK(guard_remove(dir, UUID));
        ASSERT_OK(guard_remove(dir, UUID));
        ASSERT_ERR(guard_load(dir, "../../etc/passwd-0000000000000000000", &l), -EINVAL);
}

TEST(message) {
        char *m = NULL;
        Guard g = { .uuid = (char *) UUID, .name = (char *) "vm1", .destination = (char *) "hb (192.0.2.2)" };
        ASSERT_OK(guard_message(&g, &m));
        ASSERT_CONTAINS(m, "vm1 was migrated to hb (192.0.2.2) at an unknown time");
        ASSERT_CONTAINS(m, "release it with: migguard release vm1");
        free(m);
        g.destination = (char *) "";
        ASSERT_OK(guard_message(&g, &m));
        ASSERT_CONTAINS(m, "vm1 was migrated to another host (unknown)");
        free(m);
}

static size_t entries_in(const char *dir) {
        DIR *d = opendir(dir);
        size_t n = 0;
        ASSERT_NOT_NULL(d);
        for (struct dirent *de; (de = readdir(d));)
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

TEST(saved_atomically) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *gdir = tests_strdupf("%s/" GUARD_DIR_NAME, dir),
                            *path = tests_strdupf("%s/" GUARD_DIR_NAME "/" UUID ".json", dir);
        Guard g = { .uuid = (char *) UUID, .name = (char *) "vm1", .destination = (char *) "" };
        struct stat st;

        ASSERT_OK(guard_save(dir, &g)); /* creates guards/ */
        ASSERT_SYS(stat(path, &st));
        ASSERT_EQ(st.st_mode & 07777, 0640);
        g.released = true;
        ASSERT_OK(guard_save(dir, &g));
        ASSERT_EQ(entries_in(gdir), 1); /* replaced, no temporary file left */

        /* a symlink planted at the guard's path is replaced, not written through */
        _cleanup_free_ char *target = tests_strdupf("%s/target", dir), *content = NULL;
        tests_write_file(target, "keep");
        ASSERT_SYS(unlink(path));
        ASSERT_SYS(symlink(target, path));
        ASSERT_OK(guard_save(dir, &g));
        content = tests_read_file(target);
        ASSERT_STREQ(content, "keep");
        ASSERT_SYS(lstat(path, &st));
        ASSERT_TRUE(S_ISREG(st.st_mode));
}

TEST(load_refuses) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *gdir = tests_strdupf("%s/" GUARD_DIR_NAME, dir),
                            *path = tests_strdupf("%s/" GUARD_DIR_NAME "/" UUID ".json", dir),
                            *other = tests_strdupf("%s/other.json", dir);
        Guard *l = NULL;

        ASSERT_SYS(mkdir(gdir, 0750));
        tests_write_file(path, "garbage");
        ASSERT_ERR(guard_load(dir, UUID, &l), -EBADMSG);
        tests_write_file(path, "[]");
        ASSERT_ERR(guard_load(dir, UUID, &l), -EBADMSG);
        ASSERT_SYS(unlink(path));
        tests_write_file(other, "{\"name\":\"elsewhere\"}");
        ASSERT_SYS(symlink(other, path));
        ASSERT_ERR(guard_load(dir, UUID, &l), -EBADMSG);
        ASSERT_NULL(l);

        /* only a UUID names a guard file */
        static const char *const bad[] = { "", "../../etc/passwd-0000000000000000000", UUID "x",
                                           "0F0E0D0C-0B0A-0908-0706-050403020100",
                                           "0f0e0d0c/0b0a/0908/0706/050403020100" };
        Guard g = { .name = (char *) "x", .destination = (char *) "" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ASSERT_ERR(guard_load(dir, bad[i], &l), -EINVAL);
                ASSERT_ERR(guard_remove(dir, bad[i]), -EINVAL);
                g.uuid = (char *) bad[i];
                ASSERT_ERR(guard_save(dir, &g), -EINVAL);
                ASSERT_FALSE(guard_exists(dir, bad[i]));
        }
}

TEST(exists) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/" GUARD_DIR_NAME "/" UUID ".json", dir);
        Guard g = { .uuid = (char *) UUID, .name = (char *) "vm1", .destination = (char *) "" };

        ASSERT_FALSE(guard_exists(dir, UUID)); /* not even guards/ */
        ASSERT_OK(guard_save(dir, &g));
        ASSERT_TRUE(guard_exists(dir, UUID));
        ASSERT_FALSE(guard_exists(dir, "6ba7b810-9dad-11d1-80b4-00c04fd430c8"));
        g.released = true; /* released guards still exist: load tells */
        ASSERT_OK(guard_save(dir, &g));
        ASSERT_TRUE(guard_exists(dir, UUID));
        ASSERT_OK(guard_remove(dir, UUID));
        ASSERT_FALSE(guard_exists(dir, UUID));

        /* whatever is at the path counts: the hook then reads it under its rules */
        ASSERT_SYS(symlink("/nonexistent", path));
        ASSERT_TRUE(guard_exists(dir, UUID));
        ASSERT_SYS(unlink(path));
        /* cannot tell (state dir is a file): assume it does */
        _cleanup_free_ char *file = tests_strdupf("%s/file", dir);
        tests_write_file(file, "");
        ASSERT_TRUE(guard_exists(file, UUID));
}

int main(void) {
        RUN(save_load_remove);
        RUN(message);
        RUN(saved_atomically);
        RUN(load_refuses);
        RUN(exists);
        return tests_done();
}
