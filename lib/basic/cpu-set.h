/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPU sets as the kernel and libvirt write them: "0-1,4". */
#pragma once

#include <sched.h>

/* "0-3,6" -> set; -EINVAL for anything else (empty, reversed ranges). */
int cpu_set_parse(const char *s, cpu_set_t *ret);
/* set -> "0-3,6" in @buf of @len bytes; "" for an empty set; -ENOBUFS. */
int cpu_set_format(const cpu_set_t *set, char *buf, size_t len);
/* Online CPUs: SYS_ROOT/devices/system/cpu/online (@sys_root "/sys"). */
int cpus_online(const char *sys_root, cpu_set_t *ret);
