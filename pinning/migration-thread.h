/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which QEMU threads are migration threads, by the name QEMU gives them.
 * QEMU names its threads only with -name debug-threads=on, which libvirt
 * always passes; the kernel keeps at most 15 characters, and glibc refuses
 * (does not truncate) a longer name, so such a thread keeps the name of
 * the thread that made it.  The list, read from QEMU's sources (7.2.0,
 * 9.0, 9.1, 10.0), is in migration-thread.c.
 */
#pragma once

#include <stdbool.h>

bool migration_thread_name(const char *comm);
