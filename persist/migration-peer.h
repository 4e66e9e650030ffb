/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where did a guest migrate to?  libvirt does not tell the source, but
 * during the switchover the source QEMU still holds its migration (and
 * NBD) connections to the destination: their remote address names the
 * destination.  Best effort; tunnelled migrations go through libvirtd and
 * give nothing here.
 *
 * Which sockets are QEMU's is exact where its /proc/PID/fd can be read
 * (PTRACE_MODE_READ: the same user, or CAP_SYS_PTRACE, which migguardd
 * does not keep).  Otherwise the answer comes from the sockets of QEMU's
 * user connected to a port in libvirt's default migration range
 * (49152-49215, where the destination listens for migration and NBD
 * data), and only when they all lead to one host.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define MIGRATION_PORT_MIN 49152
#define MIGRATION_PORT_MAX 49215

/* "hb (192.0.2.2)" or "192.0.2.2" for @pid's migration peer; -ENOENT
 * when there is none, -ENOTUNIQ when its user's sockets lead to several. */
int migration_peer(pid_t pid, char **ret);

/* One /proc/net/tcp{,6} line: its remote address if ESTABLISHED, not to
 * loopback, and either one of @inodes (n > 0) or, with n == 0, owned by
 * @uid and to a port in the migration range.  Exposed for tests. */
bool migration_peer_parse_line(const char *line, bool v6, const unsigned long *inodes, size_t n, uid_t uid, char *addr,
                               size_t len);
