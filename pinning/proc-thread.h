/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Threads of a process through /proc (root injectable for fixture trees
 * in unit tests): their names and allowed CPUs, and placing one thread.
 */
#pragma once

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

typedef int (*ThreadVisitor)(pid_t tid, const char *comm, void *userdata);

/* Call @visit for each thread of @pid under @proc_root ("/proc"). */
int proc_threads_foreach(const char *proc_root, pid_t pid, ThreadVisitor visit, void *userdata);
int proc_thread_comm(const char *proc_root, pid_t pid, pid_t tid, char *buf, size_t len);
/* Cpus_allowed_list of one thread, parsed. */
int proc_thread_allowed(const char *proc_root, pid_t pid, pid_t tid, cpu_set_t *ret);
