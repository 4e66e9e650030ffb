/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where did a guest migrate to?  libvirt does not tell the source, but
 * during the switchover the source QEMU still holds its migration (and
 * NBD) connections to the destination: their remote address names the
 * destination.  Best effort; tunnelled migrations go through libvirtd and
 * give nothing here.
 */
#pragma once

#include <sys/types.h>

/* QEMU's pid from libvirt's pidfile for domain @name (system instance). */
int qemu_pid_of(const char *name, pid_t *ret);
/* "hb (192.0.2.2)" or "192.0.2.2" for @pid's first established remote TCP peer. */
int migration_peer(pid_t pid, char **ret);
