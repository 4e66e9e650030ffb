/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where migguard keeps things, in one place: the built-in defaults (some
 * set by the Makefile from PREFIX and SYSCONFDIR) and the environment
 * variables that override them for tests.  Every program takes its paths
 * from paths_load(), so the hook, migguardd and the CLI always agree.
 */
#pragma once

#ifndef MIGGUARD_CONFIG_DIR
#define MIGGUARD_CONFIG_DIR "/etc/migguard"
#endif
#ifndef MIGGUARD_LIBEXEC_DIR
#define MIGGUARD_LIBEXEC_DIR "/usr/libexec/migguard"
#endif
#ifndef MIGGUARD_SYSCONF_DIR
#define MIGGUARD_SYSCONF_DIR "/etc"
#endif
#define MIGGUARD_CONFIG_FILE MIGGUARD_CONFIG_DIR "/migguard.conf"
#define MIGGUARD_RUN_DIR_DEFAULT "/run/migguard"
#define MIGGUARD_STATE_DIR_DEFAULT "/var/lib/migguard"
#define MIGGUARD_HOOK_LINK MIGGUARD_SYSCONF_DIR "/libvirt/hooks/qemu.d/50-migguard"
#define LIBVIRT_DEFAULT_URI "qemu:///system"

typedef struct Paths {
        char *config_file;  /* MIGGUARD_CONFIG, else MIGGUARD_CONFIG_FILE */
        char *run_dir;      /* MIGGUARD_RUN_DIR, else /run/migguard: daemon lock, hook loads, status */
        char *incoming_dir; /* RUN_DIR/incoming: records of incoming migrations */
        char *state_dir;    /* MIGGUARD_STATE_DIR, else /var/lib/migguard: guards, decision log */
} Paths;

int paths_load(Paths *ret);
void paths_done(Paths *p);
