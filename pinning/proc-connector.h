/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's process event connector (NETLINK_CONNECTOR, CN_IDX_PROC):
 * PROC_EVENT_COMM arrives as a thread sets its name, which is the moment
 * a QEMU migration thread becomes recognisable.  Needs root and the
 * initial network namespace (the kernel only multicasts there).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A non-blocking, close-on-exec socket listening to process events.
 * *ret_filtered: the kernel sends only name changes (Linux >= 6.6). */
int proc_connector_open(bool *ret_filtered);

/* @named_ns: when the name was set (CLOCK_MONOTONIC, the kernel's event time). */
typedef void (*CommHandler)(pid_t tgid, pid_t tid, const char *comm, uint64_t named_ns, void *userdata);
/* Read what is pending on @fd and call @h for each name change.
 * -ENOBUFS: events were lost (the queue overflowed); look everywhere. */
int proc_connector_dispatch(int fd, CommHandler h, void *userdata);
