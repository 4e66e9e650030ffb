/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "Does the running libvirt daemon know about our hook?"  libvirt looks
 * for hook scripts only when it starts and on SIGHUP, then calls the
 * daemon hooks (`- start - start`, `- reload begin SIGHUP`).  migguard-hook,
 * linked as hooks/daemon.d/50-migguard, records each such call here
 * (RUN_DIR/hooks-loaded/NAME), so `migguard status` can tell a daemon that
 * started before the hook was installed from one that loaded it.
 */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "core/libvirt-daemon.h"

int hook_load_record(const char *run_dir, const LibvirtDaemon *d);

/* 1 if this very daemon instance (pid and start time) recorded a load,
 * with its time in *ret_when; 0 if not. */
int hook_load_seen(const char *run_dir, const LibvirtDaemon *d, time_t *ret_when);
