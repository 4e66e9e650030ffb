/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's process event connector (NETLINK_CONNECTOR, CN_IDX_PROC):
 * PROC_EVENT_COMM arrives as a thread sets its name, which is the moment
 * a QEMU migration thread becomes recognisable.  Needs root and the
 * initial network namespace (the kernel only multicasts there).
 */
#pragma once

#include <sys/types.h>

/* A non-blocking, close-on-exec socket listening to process events. */
int proc_connector_open(void);

typedef void (*CommHandler)(pid_t tgid, pid_t tid, const char *comm, void *userdata);
/* Read what is pending on @fd and call @h for each name change. */
int proc_connector_dispatch(int fd, CommHandler h, void *userdata);
