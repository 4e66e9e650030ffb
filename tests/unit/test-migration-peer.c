/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for persist/migration-peer.c: which lines of /proc/net/tcp
 * and tcp6 (recorded from real hosts, addresses from the documentation
 * ranges) name a guest's destination.  By socket inode where QEMU's fds
 * can be read; else by QEMU's user and a remote port in libvirt's
 * migration range.  Loopback and sockets not ESTABLISHED never count.
 * And the whole lookup on this process's own connection.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "persist/migration-peer.h"
#include "tests.h"

/* 192.0.2.15:50000 -> 192.0.2.2:49152, uid 107, inode 34567 */
#define V4_MIG                                                                                                         \
        "   1: 0F0200C0:C350 020200C0:C000 01 00000000:00000000 02:000A7D2B 00000000   107        0 34567 2 "          \
        "0000000000000000 20 4 30 10 -1\n"
/* the same, to the last port of the range (49215) */
#define V4_MIG_LAST                                                                                                    \
        "   2: 0F0200C0:C351 020200C0:C03F 01 00000000:00000000 00:00000000 00000000   107        0 34568 2 "          \
        "0000000000000000 20 4 30 10 -1\n"
/* just outside the range: 49216 and 49151 */
#define V4_ABOVE                                                                                                       \
        "   3: 0F0200C0:C352 020200C0:C040 01 00000000:00000000 00:00000000 00000000   107        0 34569 2 "          \
        "0000000000000000 20 4 30 10 -1\n"
#define V4_BELOW                                                                                                       \
        "   4: 0F0200C0:C353 020200C0:BFFF 01 00000000:00000000 00:00000000 00000000   107        0 34570 2 "          \
        "0000000000000000 20 4 30 10 -1\n"
/* libvirtd's own connection to the destination's libvirtd (16509), another user */
#define V4_LIBVIRT                                                                                                     \
        "   5: 0F0200C0:D431 020200C0:407D 01 00000000:00000000 02:00000B4C 00000000     0        0 23001 1 "          \
        "0000000000000000 20 4 30 10 -1\n"
/* 127.0.0.1:5901 -> 127.0.0.1:49152: a VNC client on this host */
#define V4_LOOPBACK                                                                                                    \
        "   6: 0100007F:170D 0100007F:C000 01 00000000:00000000 00:00000000 00000000   107        0 34571 1 "          \
        "0000000000000000 20 4 30 10 -1\n"
/* listening, and a closed one still in TIME_WAIT (to the destination) */
#define V4_LISTEN                                                                                                      \
        "   0: 00000000:170C 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 34560 1 "          \
        "0000000000000000 100 0 0 10 0\n"
#define V4_TIME_WAIT                                                                                                   \
        "   7: 0F0200C0:C354 020200C0:C000 06 00000000:00000000 03:00001770 00000000     0        0 0 3 "              \
        "0000000000000000\n"
#define V4_FIN_WAIT                                                                                                    \
        "   8: 0F0200C0:C355 020200C0:C001 04 00000000:00000000 01:00000014 00000000   107        0 34572 1 "          \
        "0000000000000000 20 4 30 10 -1\n"
#define V4_HEADER "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

/* [2001:db8::f]:50000 -> [2001:db8::2]:49153, uid 107, inode 45678 */
#define V6_MIG                                                                                                         \
        "   0: B80D012000000000000000000F000000:C350 B80D0120000000000000000002000000:C001 01 "                        \
        "00000000:00000000 00:00000000 00000000   107        0 45678 1 0000000000000000 20 4 30 10 -1\n"
/* ::1 and ::ffff:127.0.0.1 */
#define V6_LOOPBACK                                                                                                    \
        "   1: 00000000000000000000000001000000:C350 00000000000000000000000001000000:C000 01 "                        \
        "00000000:00000000 00:00000000 00000000   107        0 45679 1 0000000000000000 20 4 30 10 -1\n"
#define V6_MAPPED_LOOPBACK                                                                                             \
        "   2: 0000000000000000FFFF00000100007F:C350 0000000000000000FFFF00000100007F:C000 01 "                        \
        "00000000:00000000 00:00000000 00000000   107        0 45680 1 0000000000000000 20 4 30 10 -1\n"
/* ::ffff:192.0.2.2, an IPv4 peer through a dual-stack socket */
#define V6_MAPPED                                                                                                      \
        "   3: 0000000000000000FFFF00000F0200C0:C350 0000000000000000FFFF0000020200C0:C000 01 "                        \
        "00000000:00000000 00:00000000 00000000   107        0 45681 1 0000000000000000 20 4 30 10 -1\n"

static bool parse(const char *line, bool v6, const unsigned long *inodes, size_t n, uid_t uid, char *addr) {
        memset(addr, 'X', INET6_ADDRSTRLEN);
        addr[INET6_ADDRSTRLEN - 1] = 0;
        return migration_peer_parse_line(line, v6, inodes, n, uid, addr, INET6_ADDRSTRLEN);
}

TEST(by_inode) {
        char addr[INET6_ADDRSTRLEN];
        const unsigned long qemu[] = { 11, 34567, 23001 };

        ASSERT_TRUE(parse(V4_MIG, false, qemu, ELEMENTSOF(qemu), 107, addr));
        ASSERT_STREQ(addr, "192.0.2.2");
        /* QEMU's own socket counts whatever its port and user */
        ASSERT_TRUE(parse(V4_LIBVIRT, false, qemu, ELEMENTSOF(qemu), 107, addr));
        ASSERT_STREQ(addr, "192.0.2.2");
        /* and no other socket does, even of QEMU's user in the range */
        ASSERT_FALSE(parse(V4_MIG_LAST, false, qemu, ELEMENTSOF(qemu), 107, addr));
        ASSERT_FALSE(parse(V4_ABOVE, false, qemu, 1, 107, addr)); /* only the first inode given */

        const unsigned long v6[] = { 45678 };
        ASSERT_TRUE(parse(V6_MIG, true, v6, 1, 0, addr));
        ASSERT_STREQ(addr, "2001:db8::2");
        const unsigned long mapped[] = { 45681 };
        ASSERT_TRUE(parse(V6_MAPPED, true, mapped, 1, 0, addr));
        ASSERT_STREQ(addr, "::ffff:192.0.2.2");
}

TEST(by_uid_and_migration_port) {
        char addr[INET6_ADDRSTRLEN];

        ASSERT_TRUE(parse(V4_MIG, false, NULL, 0, 107, addr));
        ASSERT_STREQ(addr, "192.0.2.2");
        ASSERT_TRUE(parse(V4_MIG_LAST, false, NULL, 0, 107, addr));
        ASSERT_STREQ(addr, "192.0.2.2");
        ASSERT_TRUE(parse(V6_MIG, true, NULL, 0, 107, addr));
        ASSERT_STREQ(addr, "2001:db8::2");

        /* outside libvirt's migration range (49152-49215) */
        ASSERT_FALSE(parse(V4_ABOVE, false, NULL, 0, 107, addr));
        ASSERT_FALSE(parse(V4_BELOW, false, NULL, 0, 107, addr));
        ASSERT_FALSE(parse(V4_LIBVIRT, false, NULL, 0, 0, addr));
        /* another user's socket */
        ASSERT_FALSE(parse(V4_MIG, false, NULL, 0, 108, addr));
        ASSERT_FALSE(parse(V4_MIG, false, NULL, 0, 0, addr));
        ASSERT_FALSE(parse(V6_MIG, true, NULL, 0, 0, addr));
}

TEST(loopback_rejected) {
        char addr[INET6_ADDRSTRLEN];
        const unsigned long all[] = { 34571, 45679, 45680 };

        ASSERT_FALSE(parse(V4_LOOPBACK, false, all, ELEMENTSOF(all), 107, addr));
        ASSERT_FALSE(parse(V4_LOOPBACK, false, NULL, 0, 107, addr));
        ASSERT_FALSE(parse(V6_LOOPBACK, true, all, ELEMENTSOF(all), 107, addr));
        ASSERT_FALSE(parse(V6_LOOPBACK, true, NULL, 0, 107, addr));
        ASSERT_FALSE(parse(V6_MAPPED_LOOPBACK, true, all, ELEMENTSOF(all), 107, addr));
        ASSERT_FALSE(parse(V6_MAPPED_LOOPBACK, true, NULL, 0, 107, addr));
}

TEST(not_established_rejected) {
        char addr[INET6_ADDRSTRLEN];
        const unsigned long all[] = { 34560, 0, 34572 };

        ASSERT_FALSE(parse(V4_LISTEN, false, all, ELEMENTSOF(all), 107, addr));
        ASSERT_FALSE(parse(V4_TIME_WAIT, false, all, ELEMENTSOF(all), 0, addr));
        ASSERT_FALSE(parse(V4_TIME_WAIT, false, NULL, 0, 0, addr));
        ASSERT_FALSE(parse(V4_FIN_WAIT, false, all, ELEMENTSOF(all), 107, addr));
        ASSERT_FALSE(parse(V4_FIN_WAIT, false, NULL, 0, 107, addr));
}

TEST(odd_lines) {
        char addr[INET6_ADDRSTRLEN];
        const unsigned long q[] = { 34567 };
        static const char *const odd[] = {
                V4_HEADER,
                "",
                "\n",
                "garbage\n",
                "   1: 0F0200C0:C350 020200C0:C000 01\n", /* cut short */
                "   1: 0F0200C0:C350 020200C0 01 00000000:00000000 02:000A7D2B 00000000   107 0 34567\n", /* no port */
                "   1: 0F0200C0:C350 0202C0:C000 01 00000000:00000000 02:000A7D2B 00000000   107 0 34567\n", /* short
                                                                                                                address
                                                                                                              */
                "   1: 0F0200C0:C350 ZZ0200C0:C000 01 00000000:00000000 02:000A7D2B 00000000   107 0 34567\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(odd); i++) {
                if (parse(odd[i], false, q, 1, 107, addr) || parse(odd[i], false, NULL, 0, 107, addr))
                        TEST_FAIL("line accepted: '%s'", odd[i]);
        }
        /* a table's lines are only read as that table's */
        ASSERT_FALSE(parse(V4_MIG, true, q, 1, 107, addr));
        const unsigned long q6[] = { 45678 };
        ASSERT_FALSE(parse(V6_MIG, false, q6, 1, 107, addr));

        /* the address buffer's size is honoured */
        char small[8];
        ASSERT_FALSE(migration_peer_parse_line(V4_MIG, false, q, 1, 107, small, sizeof(small)));
}

/* A non-loopback IPv4 address of this host, or false. */
static bool local_address(struct in_addr *ret) {
        struct ifaddrs *ifa = NULL;
        bool found = false;
        if (getifaddrs(&ifa) < 0)
                return false;
        for (struct ifaddrs *i = ifa; i && !found; i = i->ifa_next)
                if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
                        struct in_addr a = ((struct sockaddr_in *) i->ifa_addr)->sin_addr;
                        if ((ntohl(a.s_addr) >> 24) != 127) {
                                *ret = a;
                                found = true;
                        }
                }
        freeifaddrs(ifa);
        return found;
}

static bool have_local_address(void) {
        struct in_addr a;
        return local_address(&a);
}

static int tcp_socket(void) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_SYS(fd);
        return fd;
}

TEST(this_process) {
        char *peer = NULL;
        struct in_addr here;
        char want[INET_ADDRSTRLEN];

        ASSERT_ERR(migration_peer(getpid(), &peer), -ENOENT); /* no connection at all */

        /* a connection to this host's own address, by way of its socket's inode */
        ASSERT_TRUE(local_address(&here));
        ASSERT_NOT_NULL(inet_ntop(AF_INET, &here, want, sizeof(want)));
        _cleanup_close_ int lfd = tcp_socket(), cfd = tcp_socket(), afd = -1;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = here };
        socklen_t sl = sizeof(sa);
        ASSERT_SYS(bind(lfd, (struct sockaddr *) &sa, sizeof(sa)));
        ASSERT_SYS(listen(lfd, 1));
        ASSERT_SYS(getsockname(lfd, (struct sockaddr *) &sa, &sl));
        ASSERT_SYS(connect(cfd, (struct sockaddr *) &sa, sizeof(sa)));
        afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        ASSERT_SYS(afd);

        ASSERT_OK(migration_peer(getpid(), &peer));
        /* "name (address)" where the address has a name, else the address */
        _cleanup_free_ char *named = tests_strdupf("(%s)", want);
        if (!streq(peer, want) && !strstr(peer, named))
                TEST_FAIL("peer '%s', expected %s", peer, want);
        free(peer);

        ASSERT_ERR(migration_peer(999999999, &peer), -ENOENT); /* no such process */
}

int main(void) {
        RUN(by_inode);
        RUN(by_uid_and_migration_port);
        RUN(loopback_rejected);
        RUN(not_established_rejected);
        RUN(odd_lines);
        RUN_IF(this_process, have_local_address(), "a non-loopback IPv4 address");
        return tests_done();
}
