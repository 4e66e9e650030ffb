/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Migration threads off the guest's vCPUs.  QEMU names its migration
 * threads (see migration-thread.h); whenever a QEMU of a running domain
 * gets one, it is moved to the housekeeping CPUs: `[pinning] cpus`, or
 * with `auto` every online CPU not used by any vcpupin / <vcpu cpuset> of
 * any running domain here.  vCPU threads and everything else keep their
 * placement; migration threads end with the migration, so an abort leaves
 * nothing changed.
 *
 * The Pinner only decides and places; it learns thread names from
 * pin-loop.c (proc connector or /proc scan) and the running domains from
 * pin-domains.c, and tells what it did through a reporter callback.  One
 * thread uses it at a time.
 */
#pragma once

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/macro.h"

typedef struct PinDomain {
        pid_t pid;      /* its QEMU */
        char name[256]; /* for reports */
} PinDomain;

typedef enum PinEvent {
        PIN_PLACED,          /* thread moved to the housekeeping CPUs */
        PIN_NO_HOUSEKEEPING, /* every online CPU carries a vCPU pin: left where it is */
        PIN_CGROUP_REFUSED,  /* its cpuset cgroup (emulatorpin?) excludes the housekeeping CPUs */
} PinEvent;

typedef struct PinReport {
        PinEvent event;
        const char *domain;
        pid_t tid;
        const char *comm;
        const char *cpus;   /* the housekeeping CPUs, "2-3" */
        const char *cgroup; /* PIN_CGROUP_REFUSED: the thread's cpuset cgroup */
        uint64_t delay_us;  /* PIN_PLACED: from the thread's naming to its placement; 0: unknown (scan) */
} PinReport;

typedef void (*PinReporter)(const PinReport *r, void *userdata);

typedef struct Pinner Pinner;

/* @proc_root "/proc", @sys_root "/sys" (fixture trees in tests). */
int pinner_new(const char *proc_root, const char *sys_root, Pinner **ret);
void pinner_free(Pinner *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Pinner *, pinner_free);

/* Each thread is reported once (the first time it is seen). */
void pinner_set_reporter(Pinner *p, PinReporter reporter, void *userdata);
/* Policy: off, or on with @cpus as housekeeping CPUs (NULL: auto). */
void pinner_configure(Pinner *p, bool enabled, const cpu_set_t *cpus);
/* The domains running here and the CPUs their vCPUs are pinned to. */
void pinner_set_domains(Pinner *p, const PinDomain *domains, size_t n, const cpu_set_t *vcpu_cpus);
/* The housekeeping CPUs now; false when there are none. */
bool pinner_housekeeping(const Pinner *p, cpu_set_t *ret);

/* Thread @tid of process @tgid set its name to @comm at @named_ns
 * (CLOCK_MONOTONIC; 0: unknown). */
void pinner_thread_named(Pinner *p, pid_t tgid, pid_t tid, const char *comm, uint64_t named_ns);
/* Look at every thread of every domain's QEMU. */
void pinner_scan(Pinner *p);
