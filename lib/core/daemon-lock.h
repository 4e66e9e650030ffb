/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "Is migguardd running on this host?" without a protocol: migguardd holds
 * an exclusive flock on /run/migguard/migguardd.lock for its lifetime; the
 * hook asks the kernel whether that lock is held.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define DAEMON_LOCK_NAME "migguardd.lock"

int daemon_lock_acquire(const char *run_dir, int *ret_fd);
/* 1: held by a running migguardd, 0: not running, <0: error. */
int daemon_lock_is_held(const char *run_dir);
/* The pid migguardd wrote into the lock file (meaningful while held). */
int daemon_lock_read_pid(const char *run_dir, pid_t *ret_pid);
