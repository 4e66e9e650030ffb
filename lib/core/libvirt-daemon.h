/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The running libvirt daemon that serves qemu:///system: virtqemud with
 * modular daemons, else the monolithic libvirtd.  Found through its own
 * pid file (/run/NAME.pid or /run/libvirt/NAME.pid), checked against /proc so a stale file
 * naming a reused pid is not believed.  And the QEMU processes it runs,
 * through theirs (/run/libvirt/qemu/NAME.pid).
 */
#pragma once

#include <sys/types.h>
#include <time.h>

/* Where libvirt's system daemons keep their pid files. */
#define LIBVIRT_RUN_ROOT "/run"

typedef struct LibvirtDaemon {
        char name[16]; /* "virtqemud" or "libvirtd" */
        pid_t pid;
        unsigned long long start_ticks; /* /proc/PID/stat starttime: identifies this instance */
        time_t started;                 /* wall clock */
} LibvirtDaemon;

/* @run_root "/run", @proc_root "/proc".  -ESRCH when neither runs. */
int libvirt_daemon_find(const char *run_root, const char *proc_root, LibvirtDaemon *ret);

/* With none running: the socket that starts one on the next connection
 * (systemd socket activation, virtqemud.socket or libvirtd.socket), if it
 * exists under @run_root: 0 with its daemon's name and path, else -ENOENT. */
int libvirt_daemon_socket(const char *run_root, char ret_name[static 16], char *ret_path, size_t path_len);

/* @pid if it is libvirtd or virtqemud, else -ESRCH. */
int libvirt_daemon_from_pid(const char *proc_root, pid_t pid, LibvirtDaemon *ret);

/* The pid of domain @name's QEMU from libvirt's pid file under @run_root ("/run"). */
int libvirt_qemu_pid(const char *run_root, const char *name, pid_t *ret);
