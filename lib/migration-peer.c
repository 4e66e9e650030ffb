/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Established TCP peers of one process.  The kernel's text tables
 * /proc/PID/net/tcp{,6} are read directly: they are a stable, documented
 * ABI (proc(5)), and sock_diag over netlink would need a library (libnl's
 * idiag) that migguard does not otherwise use, for the same answer.
 */
#include "migration-peer.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

#define MAX_SOCKETS 256

int qemu_pid_of(const char *name, pid_t *ret) {
        char path[512];
        long pid = 0;
        if (strchr(name, '/'))
                return -EINVAL;
        snprintf(path, sizeof(path), "/run/libvirt/qemu/%s.pid", name);
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        int k = fscanf(f, "%ld", &pid);
        fclose(f);
        if (k != 1 || pid <= 1)
                return -EBADMSG;
        *ret = (pid_t) pid;
        return 0;
}

static int socket_inodes(pid_t pid, unsigned long *inodes, size_t max, size_t *ret_n) {
        char dir[64], link[128], target[64];
        size_t n = 0;
        snprintf(dir, sizeof(dir), "/proc/%d/fd", (int) pid);
        DIR *d = opendir(dir);
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d)) && n < max;) {
                snprintf(link, sizeof(link), "%s/%.20s", dir, de->d_name);
                ssize_t k = readlink(link, target, sizeof(target) - 1);
                if (k <= 0)
                        continue;
                target[k] = 0;
                if (sscanf(target, "socket:[%lu]", &inodes[n]) == 1)
                        n++;
        }
        closedir(d);
        *ret_n = n;
        return 0;
}

/* One /proc/net/tcp{,6} line -> remote address if ESTABLISHED and ours. */
static bool parse_line(const char *line, bool v6, const unsigned long *inodes, size_t n, char *addr, size_t len) {
        char rem[64];
        unsigned st;
        unsigned long inode;
        if (sscanf(line, "%*d: %*63[0-9A-Fa-f:] %63[0-9A-Fa-f:] %x %*s %*s %*s %*d %*d %lu", rem, &st, &inode) != 3 ||
            st != 1 /* TCP_ESTABLISHED */)
                return false;
        bool ours = false;
        for (size_t i = 0; i < n && !ours; i++)
                ours = inodes[i] == inode;
        if (!ours)
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
        return !streq(addr, "127.0.0.1") && !streq(addr, "::1") && strncmp(addr, "::ffff:127.", 11) != 0;
}

static int first_peer(pid_t pid, const unsigned long *inodes, size_t n, char *addr, size_t len) {
        static const char *const tables[] = { "tcp", "tcp6" };
        for (size_t t = 0; t < ELEMENTSOF(tables); t++) {
                char path[64], line[512];
                snprintf(path, sizeof(path), "/proc/%d/net/%s", (int) pid, tables[t]);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                bool found = false;
                while (!found && fgets(line, sizeof(line), f))
                        found = parse_line(line, t == 1, inodes, n, addr, len);
                fclose(f);
                if (found)
                        return 0;
        }
        return -ENOENT;
}

int migration_peer(pid_t pid, char **ret) {
        unsigned long inodes[MAX_SOCKETS];
        char addr[INET6_ADDRSTRLEN], host[NI_MAXHOST];
        size_t n = 0;
        int r = socket_inodes(pid, inodes, MAX_SOCKETS, &n);
        if (r < 0)
                return r;
        r = first_peer(pid, inodes, n, addr, sizeof(addr));
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
