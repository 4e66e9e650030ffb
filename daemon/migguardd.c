/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguardd: the long-running half of migguard.  Publishes disk facts for
 * running guests (source side), commits or cleans up incoming-migration
 * records (destination side), follows libvirtd/virtqemud restarts, and
 * tells systemd when it is ready.  This file: options, logging, signals,
 * the single-instance lock and the event loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <systemd/sd-daemon.h>

#include "daemon-lock.h"
#include "daemon.h"
#include "log.h"
#include "strv.h"
#include "virt-util.h"

#ifndef MIGGUARD_CONFIG_DIR
#define MIGGUARD_CONFIG_DIR "/etc/migguard"
#endif

#define RECONCILE_INTERVAL_MS 5000

static void help(void) {
        printf("Usage: migguardd [OPTIONS]\n\n"
               "  --config FILE     policy file (default " MIGGUARD_CONFIG_DIR "/migguard.conf)\n"
               "  --connect URI     libvirt URI (default qemu:///system)\n"
               "  --foreground      log to stderr as well (for tests and debugging)\n"
               "  --debug           log debug messages\n"
               "  --help            this text\n");
}

static void on_signal(int watch _unused_, int fd, int events _unused_, void *opaque) {
        Daemon *d = opaque;
        struct signalfd_siginfo si;
        if (read(fd, &si, sizeof(si)) != sizeof(si))
                return;
        if (si.ssi_signo == SIGHUP) {
                Policy *p = NULL;
                _cleanup_free_ char *err = NULL;
                if (policy_load(d->config_file, &p, &err) < 0) {
                        log_error("Keeping old policy: %s", err ? err : "cannot load policy");
                        return;
                }
                policy_free(d->policy);
                d->policy = p;
                log_info("Policy reloaded from %s", d->config_file);
                return;
        }
        d->quit = true;
}

static void reconcile_cb(int timer _unused_, void *opaque) {
        daemon_reconcile(opaque);
}

static int parse_args(int argc, char *argv[], Daemon *d, bool *foreground, int *level) {
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' }, { "connect", required_argument, NULL, 'C' },
                { "foreground", no_argument, NULL, 'f' },   { "debug", no_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },         {},
        };
        int c;
        while ((c = getopt_long(argc, argv, "c:C:fdh", opts, NULL)) >= 0)
                switch (c) {
                case 'c': d->config_file = optarg; break;
                case 'C': d->uri = optarg; break;
                case 'f': *foreground = true; break;
                case 'd': *level = LOG_DEBUG; break;
                case 'h': help(); exit(0);
                default: return -EINVAL;
                }
        return optind < argc ? -EINVAL : 0;
}

static int setup_signals(Daemon *d) {
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return -errno;
        signal(SIGPIPE, SIG_IGN);
        return virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE, on_signal, d, NULL) < 0 ? -EIO : 0;
}

int main(int argc, char *argv[]) {
        Daemon d = {
                .uri = "qemu:///system",
                .config_file = MIGGUARD_CONFIG_DIR "/migguard.conf",
                .run_dir = MIGGUARD_RUN_DIR,
                .lifecycle_cb = -1,
                .device_cb = -1,
                .metadata_cb = -1,
                .persist_timer = -1,
                .lib_dir = "/var/lib/migguard",
                .reconnect_timer = -1,
                .reconcile_timer = -1,
                .publish_timer = -1,
        };
        bool foreground = false;
        int level = LOG_INFO, r, lock_fd = -1;
        _cleanup_free_ char *err = NULL;

        if (parse_args(argc, argv, &d, &foreground, &level) < 0) {
                help();
                return 2;
        }
        const char *run = getenv("MIGGUARD_RUN_DIR"), *lib = getenv("MIGGUARD_STATE_DIR");
        if (lib)
                d.lib_dir = lib;
        if (run)
                d.run_dir = run;
        log_setup("migguardd", log_targets_auto() | (foreground ? LOG_TARGET_STDERR : 0), level);
        if (log_set_decision_dir(lib) < 0)
                return 1;
        virt_errors_silence();
        if (gethostname(d.hostname, sizeof(d.hostname) - 1) < 0)
                strcpy(d.hostname, "unknown");
        if (asprintf(&d.state_dir, "%s/incoming", d.run_dir) < 0)
                return 1;

        r = policy_load(d.config_file, &d.policy, &err);
        if (r < 0) {
                log_error("%s", err ? err : "Cannot load policy");
                return 1;
        }
        r = daemon_lock_acquire(d.run_dir, &lock_fd);
        if (r < 0) {
                log_error_errno(r,
                                r == -EBUSY ? "Another migguardd is running (%s/" DAEMON_LOCK_NAME " is locked)"
                                            : "Cannot take %s/" DAEMON_LOCK_NAME ": %m",
                                d.run_dir);
                return 1;
        }
        if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0 || setup_signals(&d) < 0) {
                log_error("Cannot set up the event loop");
                return 1;
        }

        if (daemon_connect(&d) < 0) {
                log_warning("Cannot connect to %s yet, will retry", d.uri);
                daemon_schedule_reconnect(&d);
        }
        d.reconcile_timer = virEventAddTimeout(RECONCILE_INTERVAL_MS, reconcile_cb, &d, NULL);
        daemon_pinning_start(&d);
        (void) sd_notify(0, "READY=1");
        log_struct(LOG_INFO, &(LogFields){ .message_id = MG_MSGID_DAEMON }, "migguardd started on %s", d.hostname);

        while (!d.quit)
                if (virEventRunDefaultImpl() < 0)
                        break;

        (void) sd_notify(0, "STOPPING=1");
        daemon_disconnect(&d);
        policy_free(d.policy);
        strv_free(d.publish_queue);
        free(d.host_cpu_model);
        strv_free(d.persist_uuids);
        strv_free(d.persist_xmls);
        strv_free(d.peer_uuids);
        strv_free(d.peer_names);
        free(d.state_dir);
        close(lock_fd);
        log_info("migguardd stopped");
        return 0;
}
