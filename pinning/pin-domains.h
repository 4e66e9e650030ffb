/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the Pinner needs to know about the domains running here, from
 * libvirt: each one's QEMU pid, and which CPUs their vCPUs are pinned to
 * (every <vcputune><vcpupin cpuset> and <vcpu cpuset>), so that `auto`
 * housekeeping CPUs stay off them.
 */
#pragma once

#include <sched.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "pinning/pinner.h"

/* Add the CPUs of every vcpupin and <vcpu cpuset> of one domain XML to @set. */
int vcpu_pins_add(const char *domain_xml, cpu_set_t *set);

/* The running domains of @conn; QEMU pids from libvirt's pid files under
 * @run_root ("/run").  *ret_domains is malloc()ed. */
int pin_domains_collect(virConnectPtr conn, const char *run_root, PinDomain **ret_domains, size_t *ret_n,
                        cpu_set_t *ret_vcpu_cpus);
