/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/core/incoming-state.c: the JSON form of one incoming
 * migration (round trip, hostile input), save/load/list/remove in a
 * directory, the lock-free "is there a record" question, and the state
 * lock's wait, bounded by a deadline.
 */
#include <pthread.h>
#include <time.h>

#include "core/incoming-state.h"
#include "basic/strv.h"
#include "basic/time-util.h"
#include "tests.h"

#define UUID1 "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define UUID2 "6ba7b810-9dad-11d1-80b4-00c04fd430c8"

static IncomingState *sample_state(const char *uuid) {
        IncomingState *s = NULL;
        ImageInfo a, b;

        ASSERT_OK(incoming_state_new(uuid, "vm \"one\"", &s));
        image_info_init(&a);
        image_info_init(&b);
        a = (ImageInfo){ .target = (char *) "vda",
                         .format = (char *) "qcow2",
                         .virtual_size = 10485761,
                         .cluster_size = 4096,
                         .compat = (char *) "1.1",
                         .lazy_refcounts = 1,
                         .extended_l2 = 0,
                         .compression_type = (char *) "zstd",
                         .sparse = -1 };
        b = (ImageInfo){ .format = (char *) "raw",
                         .virtual_size = UINT64_MAX - 1,
                         .lazy_refcounts = -1,
                         .extended_l2 = -1,
                         .sparse = 1 };
        ASSERT_OK(incoming_state_add_disk(s, "/var/lib/libvirt/images/a.qcow2", &a));
        ASSERT_OK(incoming_state_add_disk(s, "/var/lib/libvirt/images/b\n\"c\".img", &b));
        s->disks[0].created = true;
        s->disks[0].dev = 0xfd01;
        s->disks[0].ino = 1234567890123ULL;
        s->phase = INCOMING_PREPARED;
        return s;
}

static void assert_same_state(const IncomingState *a, const IncomingState *b) {
        ASSERT_STREQ(a->uuid, b->uuid);
        ASSERT_STREQ(a->name, b->name);
        ASSERT_EQ(a->begin_usec, b->begin_usec);
        ASSERT_EQ(a->phase, b->phase);
        ASSERT_EQ(a->n_disks, b->n_disks);
        for (size_t i = 0; i < a->n_disks; i++) {
                const IncomingDisk *x = &a->disks[i], *y = &b->disks[i];
                ASSERT_STREQ(x->path, y->path);
                ASSERT_STREQ(x->opts.target, y->opts.target);
                ASSERT_STREQ(x->opts.format, y->opts.format);
                ASSERT_U64_EQ(x->opts.virtual_size, y->opts.virtual_size);
                ASSERT_U64_EQ(x->opts.cluster_size, y->opts.cluster_size);
                ASSERT_STREQ(x->opts.compat, y->opts.compat);
                ASSERT_EQ(x->opts.lazy_refcounts, y->opts.lazy_refcounts);
                ASSERT_EQ(x->opts.extended_l2, y->opts.extended_l2);
                ASSERT_EQ(x->opts.sparse, y->opts.sparse);
                ASSERT_STREQ(x->opts.compression_type, y->opts.compression_type);
                ASSERT_EQ(x->created, y->created);
                ASSERT_U64_EQ(x->dev, y->dev);
                ASSERT_U64_EQ(x->ino, y->ino);
        }
}

TEST(new_state) {
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        int64_t before = (int64_t) now_usec(CLOCK_REALTIME);
        ASSERT_OK(incoming_state_new(UUID1, "vm", &s));
        ASSERT_STREQ(s->uuid, UUID1);
        ASSERT_STREQ(s->name, "vm");
        ASSERT_EQ(s->phase, INCOMING_PLANNED);
        ASSERT_EQ(s->n_disks, 0);
        ASSERT_TRUE(s->begin_usec >= before && s->begin_usec <= (int64_t) now_usec(CLOCK_REALTIME));
        /* roughly wall-clock time (file mtimes are compared with it) */
        ASSERT_TRUE(llabs(s->begin_usec / 1000000 - (int64_t) time(NULL)) <= 2);
        incoming_state_free(NULL);
}

TEST(json_roundtrip) {
        _cleanup_(incoming_state_freep) IncomingState *s = sample_state(UUID1), *t = NULL, *u = NULL;
        _cleanup_free_ char *j1 = NULL, *j2 = NULL;

        ASSERT_OK(incoming_state_to_json(s, &j1));
        ASSERT_CONTAINS(j1, "\"phase\":\"prepared\"");
        ASSERT_OK(incoming_state_from_json(j1, &t));
        assert_same_state(s, t);
        ASSERT_OK(incoming_state_to_json(t, &j2));
        ASSERT_STREQ(j1, j2);

        /* planned, no disks */
        incoming_state_free(s);
        ASSERT_OK(incoming_state_new(UUID2, "x", &s));
        RESET_FREE(j1);
        ASSERT_OK(incoming_state_to_json(s, &j1));
        ASSERT_CONTAINS(j1, "\"phase\":\"planned\"");
        ASSERT_OK(incoming_state_from_json(j1, &u));
        assert_same_state(s, u);
}

TEST(json_minimal_and_defaults) {
        _cleanup_(incoming_state_freep) IncomingState *s = NULL;
        ASSERT_OK(incoming_state_from_json("{\"uuid\":\"" UUID1 "\",\"name\":\"n\",\"phase\":\"weird\","
                                           "\"disks\":[{\"path\":\"/a\"}]}",
                                           &s));
        ASSERT_EQ(s->phase, INCOMING_PLANNED);
        ASSERT_EQ(s->begin_usec, 0);
        ASSERT_EQ(s->n_disks, 1);
        ASSERT_STREQ(s->disks[0].path, "/a");
        ASSERT_NULL(s->disks[0].opts.format);
        ASSERT_EQ(s->disks[0].opts.lazy_refcounts, -1);
        ASSERT_EQ(s->disks[0].opts.extended_l2, -1);
        ASSERT_FALSE(s->disks[0].created);
        ASSERT_U64_EQ(s->disks[0].dev, 0);
}

TEST(json_bad) {
        static const char *const bad[] = {
                "",
                "null",
                "[]",
                "\"string\"",
                "{",
                "{}",
                "{\"uuid\":\"" UUID1 "\",\"name\":\"n\",\"phase\":\"planned\"}",              /* no disks */
                "{\"uuid\":\"" UUID1 "\",\"name\":\"n\",\"phase\":\"planned\",\"disks\":{}}", /* not an array */
                "{\"uuid\":\"" UUID1 "\",\"name\":\"n\",\"phase\":\"planned\",\"disks\":[{}]}",
                "{\"uuid\":\"" UUID1 "\",\"name\":\"n\",\"phase\":\"planned\",\"disks\":[1]}",
                "{\"uuid\":\"" UUID1 "\",\"name\":\"n\",\"phase\":\"planned\",\"disks\":[null]}",
                "{\"uuid\":\"" UUID1 "\",\"name\":\"n\",\"phase\":\"planned\",\"disks\":[{\"path\":7}]}",
                "{\"uuid\":1,\"name\":\"n\",\"phase\":\"planned\",\"disks\":[]}",
                "{\"name\":\"n\",\"phase\":\"planned\",\"disks\":[]}",
                "{\"uuid\":\"" UUID1 "\",\"phase\":\"planned\",\"disks\":[]}",
                "{\"uuid\":\"" UUID1 "\",\"name\":\"n\",\"disks\":[]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                IncomingState *s = NULL;
                int r = incoming_state_from_json(bad[i], &s);
                if (r != -EBADMSG || s)
                        TEST_FAIL("'%s' accepted (r=%d)", bad[i], r);
        }
}

TEST(save_load_list_remove) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *sdir = tests_strdupf("%s/run/migguard/incoming", dir),
                            *path1 = tests_strdupf("%s/" UUID1 ".json", sdir),
                            *tmp1 = tests_strdupf("%s/" UUID1 ".json.tmp", sdir),
                            *junk = tests_strdupf("%s/not-a-uuid.json", sdir);
        _cleanup_(incoming_state_freep) IncomingState *s1 = sample_state(UUID1), *s2 = sample_state(UUID2), *l = NULL;
        _cleanup_strv_free_ char **list = NULL;
        struct stat st;

        /* nothing there yet, not even the directory */
        ASSERT_OK(incoming_state_list(sdir, &list));
        ASSERT_EQ(strv_length(list), 0);
        strv_free(list);
        list = NULL;
        ASSERT_ERR(incoming_state_load(sdir, UUID1, &l), -ENOENT);

        ASSERT_OK(incoming_state_save(sdir, s1)); /* creates the directory */
        ASSERT_OK(incoming_state_save(sdir, s2));
        ASSERT_SYS(stat(path1, &st));
        ASSERT_EQ(st.st_mode & 07777, 0600);
        ASSERT_SYS(stat(sdir, &st));
        ASSERT_EQ(st.st_mode & 07777, 0700);
        ASSERT_NOT_EXISTS(tmp1);

        ASSERT_OK(incoming_state_load(sdir, UUID1, &l));
        assert_same_state(s1, l);
        incoming_state_free(l);
        l = NULL;

        /* overwrite in place */
        s1->phase = INCOMING_PLANNED;
        s1->disks[0].created = false;
        ASSERT_OK(incoming_state_save(sdir, s1));
        ASSERT_OK(incoming_state_load(sdir, UUID1, &l));
        assert_same_state(s1, l);
        incoming_state_free(l);
        l = NULL;

        /* only UUID.json files are listed */
        tests_write_file(junk, "{}");
        tests_write_file(tmp1, "{}");
        ASSERT_OK(incoming_state_list(sdir, &list));
        ASSERT_EQ(strv_length(list), 2);
        ASSERT_TRUE(strv_contains(list, UUID1));
        ASSERT_TRUE(strv_contains(list, UUID2));
        strv_free(list);
        list = NULL;

        ASSERT_OK(incoming_state_remove(sdir, UUID1));
        ASSERT_OK(incoming_state_remove(sdir, UUID1)); /* already gone is fine */
        ASSERT_ERR(incoming_state_load(sdir, UUID1, &l), -ENOENT);
        ASSERT_OK(incoming_state_list(sdir, &list));
        ASSERT_EQ(strv_length(list), 1);
        ASSERT_STREQ(list[0], UUID2);
}

TEST(load_refuses) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/" UUID1 ".json", dir), *other = tests_strdupf("%s/other", dir);
        IncomingState *l = NULL;

        tests_write_file(path, "garbage");
        ASSERT_ERR(incoming_state_load(dir, UUID1, &l), -EBADMSG);
        ASSERT_SYS(unlink(path));

        /* a symlink is not followed */
        tests_write_file(other, "{}");
        ASSERT_SYS(symlink(other, path));
        ASSERT_ERR(incoming_state_load(dir, UUID1, &l), -ELOOP);
        ASSERT_SYS(unlink(path));

        /* larger than 4 MiB */
        tests_write_file(path, "");
        ASSERT_SYS(truncate(path, 4 * 1024 * 1024 + 1));
        ASSERT_ERR(incoming_state_load(dir, UUID1, &l), -EBADMSG);
        ASSERT_SYS(unlink(path));

        ASSERT_SYS(mkdir(path, 0700));
        ASSERT_ERR(incoming_state_load(dir, UUID1, &l), -EBADMSG);
        ASSERT_NULL(l);
}

static long long now_ms(void) {
        return (long long) (now_usec(CLOCK_MONOTONIC) / USEC_PER_MSEC);
}

TEST(lock) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *sdir = tests_strdupf("%s/incoming", dir);
        int fd1 = -1, fd2 = -1;

        ASSERT_OK(incoming_state_lock(sdir, 0, &fd1)); /* creates the directory */
        ASSERT_TRUE(fd1 >= 0);

        /* a second locker (own open file description) waits, then gives up */
        long long t0 = now_ms();
        ASSERT_ERR(incoming_state_lock(sdir, deadline_in(200 * USEC_PER_MSEC), &fd2), -ETIMEDOUT);
        long long took = now_ms() - t0;
        if (took < 150 || took > 3000)
                TEST_FAIL("lock wait took %lld ms, expected about 200", took);
        ASSERT_EQ(fd2, -1);

        /* deadline 0: tried once, not waited for */
        t0 = now_ms();
        ASSERT_ERR(incoming_state_lock(sdir, 0, &fd2), -ETIMEDOUT);
        ASSERT_ERR(incoming_state_lock(sdir, now_usec(CLOCK_MONOTONIC) - 1, &fd2), -ETIMEDOUT);
        ASSERT_TRUE(now_ms() - t0 < 100);
        ASSERT_EQ(fd2, -1);

        ASSERT_SYS(close(fd1));
        ASSERT_OK(incoming_state_lock(sdir, 0, &fd2)); /* once free, even a passed deadline gets it */
        ASSERT_SYS(close(fd2));
        ASSERT_OK(incoming_state_lock(sdir, USEC_INFINITY, &fd2));
        ASSERT_SYS(close(fd2));

        /* the lock file does not show up as a state */
        _cleanup_strv_free_ char **list = NULL;
        ASSERT_OK(incoming_state_list(sdir, &list));
        ASSERT_EQ(strv_length(list), 0);
}

static void *release_later(void *arg) {
        usleep(150 * 1000);
        ASSERT_SYS(close(*(int *) arg));
        return NULL;
}

TEST(lock_waits_for_release) {
        /* released before the deadline: the waiter gets it then, not at the deadline */
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        int fd1 = -1, fd2 = -1;
        pthread_t t;

        ASSERT_OK(incoming_state_lock(dir, 0, &fd1));
        ASSERT_EQ(pthread_create(&t, NULL, release_later, &fd1), 0);
        long long t0 = now_ms();
        ASSERT_OK(incoming_state_lock(dir, deadline_in(10 * USEC_PER_SEC), &fd2));
        long long took = now_ms() - t0;
        ASSERT_EQ(pthread_join(t, NULL), 0);
        if (took < 100 || took > 5000)
                TEST_FAIL("got the lock after %lld ms, expected about 150", took);
        ASSERT_SYS(close(fd2));
}

TEST(lock_refuses_symlink) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *lock = tests_strdupf("%s/.lock", dir), *target = tests_strdupf("%s/target", dir);
        int fd = -1;
        tests_write_file(target, "");
        ASSERT_SYS(symlink(target, lock));
        ASSERT_ERR(incoming_state_lock(dir, 0, &fd), -ELOOP);
        ASSERT_EQ(fd, -1);
}

TEST(exists) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *sdir = tests_strdupf("%s/incoming", dir), *path = tests_strdupf("%s/" UUID1 ".json", sdir);
        _cleanup_(incoming_state_freep) IncomingState *s = sample_state(UUID1);

        ASSERT_FALSE(incoming_state_exists(sdir, UUID1)); /* no directory at all */
        ASSERT_OK(incoming_state_save(sdir, s));
        ASSERT_TRUE(incoming_state_exists(sdir, UUID1));
        ASSERT_FALSE(incoming_state_exists(sdir, UUID2));

        /* asked without the lock, while someone holds it */
        int fd = -1;
        ASSERT_OK(incoming_state_lock(sdir, 0, &fd));
        ASSERT_TRUE(incoming_state_exists(sdir, UUID1));
        ASSERT_FALSE(incoming_state_exists(sdir, UUID2));
        ASSERT_SYS(close(fd));

        /* anything at the path counts (load decides what it is worth) */
        ASSERT_OK(incoming_state_remove(sdir, UUID1));
        ASSERT_FALSE(incoming_state_exists(sdir, UUID1));
        ASSERT_SYS(symlink("/nonexistent", path));
        ASSERT_TRUE(incoming_state_exists(sdir, UUID1));
        ASSERT_SYS(unlink(path));

        /* cannot tell (directory not searchable by anyone but root): assume it does */
        if (geteuid() != 0) {
                ASSERT_SYS(chmod(sdir, 0));
                ASSERT_TRUE(incoming_state_exists(sdir, UUID1));
                ASSERT_SYS(chmod(sdir, 0700));
        }
        _cleanup_free_ char *file = tests_strdupf("%s/file", dir);
        tests_write_file(file, "");
        ASSERT_TRUE(incoming_state_exists(file, UUID1)); /* ENOTDIR: not "no record" */
}

int main(void) {
        RUN(new_state);
        RUN(json_roundtrip);
        RUN(json_minimal_and_defaults);
        RUN(json_bad);
        RUN(save_load_list_remove);
        RUN(load_refuses);
        RUN(lock);
        RUN(lock_waits_for_release);
        RUN(lock_refuses_symlink);
        RUN(exists);
        return tests_done();
}
