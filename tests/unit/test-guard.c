/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for lib/guard.c and domain_definition_for_host(). */
#include "tests.h"

#include "domain-xml.h"
#include "guard.h"
#include "migration-peer.h"

#define UUID "0f0e0d0c-0b0a-0908-0706-050403020100"

TEST(save_load_remove) {
        char *dir = tests_mkdtemp();
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
        free(dir);
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

TEST(definition_for_host) {
        const char *xml = "<domain type='qemu'><name>src</name><uuid>" UUID "</uuid><title>t</title><metadata>"
                          "<migguard:facts xmlns:migguard='urn:migguard:domain:1' host='ha'/>"
                          "<other:x xmlns:other='urn:example:other'/></metadata></domain>";
        char *out = NULL;
        ASSERT_OK(domain_definition_for_host(xml, "renamed", &out));
        ASSERT_CONTAINS(out, "<name>renamed</name>");
        ASSERT_CONTAINS(out, "<title>t</title>");
        ASSERT_CONTAINS(out, "urn:example:other");
        ASSERT_TRUE(strstr(out, "urn:migguard") == NULL);
        free(out);
        ASSERT_ERR(domain_definition_for_host("<domain/>", "x", &out), -EBADMSG);
}

TEST(no_peer_for_this_process) {
        char *peer = NULL;
        ASSERT_ERR(migration_peer(getpid(), &peer), -ENOENT);
        pid_t pid;
        ASSERT_TRUE(qemu_pid_of("a/b", &pid) == -EINVAL);
}

int main(void) {
        RUN(save_load_remove);
        RUN(message);
        RUN(definition_for_host);
        RUN(no_peer_for_this_process);
        return tests_done();
}
