/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Established TCP peers of one process (see migration-peer.h).  The
 * kernel's text tables /proc/PID/net/tcp{,6} are read directly: they are a
 * stable, documented ABI (proc(5)), and sock_diag over netlink would need
 * a library (libnl's idiag) that migguard does not otherwise use, for the
 * same answer.
 */
#include "persist/migration-peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/alloc-util.h"
#include "basic/macro.h"

#define MAX_SOCKETS 256

static int socket_inodes(pid_t pid, unsigned long *inodes, size_t max, size_t *ret_n) {
        char dir[64], link[128], target[64];
        size_t n = 0;
        snprintf(dir, sizeof(dir), "/proc/%d/fd", (int) pid);
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d)
                return -errno;
        int denied = 0;
        for (struct dirent *de; (de = readdir(d)) && n < max;) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(link, sizeof(link), "%s/%.20s", dir, de->d_name);
                ssize_t k = readlink(link, target, sizeof(target) - 1);
                if (k <= 0) {
                        denied = denied || errno == EACCES || errno == EPERM;
                        continue;
                }
                target[k] = 0;
                if (sscanf(target, "socket:[%lu]", &inodes[n]) == 1)
                        n++;
        }
        if (n == 0 && denied)
                return -EACCES;
        *ret_n = n;
        return 0;
}

static int process_uid(pid_t pid, uid_t *ret) {
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                unsigned uid;
                if (sscanf(line, "Uid: %u", &uid) == 1) {
                        *ret = (uid_t) uid;
                        return 0;
                }
        }
        return -EBADMSG;
}

bool migration_peer_parse_line(const char *line, bool v6, const unsigned long *inodes, size_t n, uid_t uid, char *addr,
                               size_t len) {
        char rem[64];
        unsigned st, port, owner;
        unsigned long inode;
        if (sscanf(line, "%*d: %*63[0-9A-Fa-f]:%*x %63[0-9A-Fa-f]:%x %x %*s %*s %*s %u %*d %lu", rem, &port, &st,
                   &owner, &inode) != 5 ||
            st != 1 /* TCP_ESTABLISHED */)
                return false;
        bool ours = false;
        for (size_t i = 0; i < n && !ours; i++)
                ours = inodes[i] == inode;
        if (n == 0)
                ours = owner == (unsigned) uid && port >= MIGRATION_PORT_MIN && port <= MIGRATION_PORT_MAX;
        if (!ours || strlen(rem) != (v6 ? 32u : 8u))
                return false;
        unsigned char b[16];
        /* the kernel prints each 32-bit word in host byte order */
        for (int w = 0; w < (v6 ? 4 : 1); w++) {
                unsigned word;
                if (sscanf(rem + w * 8, "%8x", &word) != 1)
                        return false;
                memcpy(b + w * 4, &word, 4);
        }
        if (!inet_ntop(v6 ? AF_INET6 : AF_INET, b, addr, (socklen_t) len))
                return false;
        /* loopback: 127/8, ::1, and 127/8 mapped into IPv6 */
        if (!v6)
                return b[0] != 127;
        struct in6_addr a6;
        memcpy(&a6, b, sizeof(a6));
        return !IN6_IS_ADDR_LOOPBACK(&a6) && !(IN6_IS_ADDR_V4MAPPED(&a6) && b[12] == 127);
}

/* The one remote address of the matching sockets: -ENOENT none,
 * -ENOTUNIQ several (only possible when matching by user). */
static int find_peer(pid_t pid, const unsigned long *inodes, size_t n, uid_t uid, char *addr, size_t len) {
        static const char *const tables[] = { "tcp", "tcp6" };
        bool found = false;
        for (size_t t = 0; t < ELEMENTSOF(tables); t++) {
                char path[64], line[512], here[INET6_ADDRSTRLEN];
                snprintf(path, sizeof(path), "/proc/%d/net/%s", (int) pid, tables[t]);
                _cleanup_(fclosep) FILE *f = fopen(path, "re");
                while (f && fgets(line, sizeof(line), f)) {
                        if (!migration_peer_parse_line(line, t == 1, inodes, n, uid, here, sizeof(here)))
                                continue;
                        if (n > 0) {
                                snprintf(addr, len, "%s", here);
                                return 0; /* QEMU's own socket: the first one tells */
                        }
                        if (found && !streq(addr, here))
                                return -ENOTUNIQ;
                        snprintf(addr, len, "%s", here);
                        found = true;
                }
        }
        return found ? 0 : -ENOENT;
}

int migration_peer(pid_t pid, char **ret) {
        unsigned long inodes[MAX_SOCKETS];
        char addr[INET6_ADDRSTRLEN], host[NI_MAXHOST];
        size_t n = 0;
        uid_t uid = (uid_t) -1;
        int r = socket_inodes(pid, inodes, MAX_SOCKETS, &n);
        if (r == -EACCES || r == -EPERM)
                r = process_uid(pid, &uid); /* match by QEMU's user instead */
        if (r < 0)
                return r;
        if (n == 0 && uid == (uid_t) -1)
                return -ENOENT;
        r = find_peer(pid, inodes, n, uid, addr, sizeof(addr));
        if (r < 0)
                return r;

        struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *ai = NULL;
        if (getaddrinfo(addr, NULL, &hints, &ai) == 0 && ai &&
            getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NAMEREQD) == 0) {
                freeaddrinfo(ai);
                return asprintf(ret, "%s (%s)", host, addr) < 0 ? -ENOMEM : 0;
        }
        if (ai)
                freeaddrinfo(ai);
        return (*ret = strdup(addr)) ? 0 : -ENOMEM;
}
