/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguardd: the long-running half of migguard.  Publishes guests' facts
 * (source side), commits or cleans up incoming-migration records and makes
 * arrived guests persistent (destination side), guards guests that left,
 * places QEMU's migration threads, follows libvirtd/virtqemud restarts,
 * and tells systemd when it is ready and reloading.  This file: options,
 * logging, signals, the single-instance lock, privileges and the event
 * loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <systemd/sd-daemon.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "core/daemon-lock.h"
#include "core/finding.h"
#include "core/libvirt-daemon.h"
#include "core/virt-util.h"
#include "daemon.h"
#include "priority.h"
#include "pinning/pin-domains.h"
#include "pinning/pin-loop.h"

#define RECONCILE_INTERVAL_MS 5000
static void help(void) {
        printf("Usage: migguardd [OPTIONS]\n\n"
               "  --config FILE     policy file (default " MIGGUARD_CONFIG_FILE ")\n"
               "  --connect URI     libvirt URI (default " LIBVIRT_DEFAULT_URI ")\n"
               "  --foreground      log to stderr as well (for tests and debugging)\n"
               "  --debug           log debug messages\n"
               "  --help            this text\n");
}

static void on_signal(int watch _unused_, int fd, int events _unused_, void *opaque) {
        Daemon *d = opaque;
        struct signalfd_siginfo si;
        if (read(fd, &si, sizeof(si)) != sizeof(si))
                return;
        if (si.ssi_signo == SIGHUP)
                daemon_reload(d);
        else
                d->quit = true;
}

static void reconcile_cb(int timer _unused_, void *opaque) {
        daemon_reconcile(opaque);
}

static void report_pinning(const PinReport *r, void *userdata _unused_) {
        LogFields lf = { .message_id = r->event == PIN_PLACED ? MG_MSGID_PINNED : MG_MSGID_WARNING,
                         .domain = r->domain,
                         .check = check_kind_to_string(CHECK_KIND_PINNING) };
        switch (r->event) {
        case PIN_PLACED:
                if (r->delay_us)
                        log_struct(LOG_INFO, &lf,
                                   "Placed migration thread '%s' (%d) of %s on CPUs %s, %llu us after "
                                   "it was named",
                                   r->comm, (int) r->tid, r->domain, r->cpus, (unsigned long long) r->delay_us);
                else
                        log_struct(LOG_INFO, &lf, "Placed migration thread '%s' (%d) of %s on CPUs %s", r->comm,
                                   (int) r->tid, r->domain, r->cpus);
                break;
        case PIN_NO_HOUSEKEEPING:
                log_struct(LOG_WARNING, &lf,
                           "No housekeeping CPU left (all online CPUs carry vCPU pins): leaving migration thread "
                           "'%s' (%d) of %s where it is",
                           r->comm, (int) r->tid, r->domain);
                break;
        case PIN_CGROUP_REFUSED:
                log_struct(LOG_WARNING, &lf,
                           "Cannot place migration thread '%s' (%d) of %s on CPUs %s: its cpuset cgroup %s does not "
                           "allow them (emulatorpin?)",
                           r->comm, (int) r->tid, r->domain, r->cpus, strna(r->cgroup));
                break;
        }
}

void daemon_pinning_refresh(Daemon *d) {
        _cleanup_free_ PinDomain *doms = NULL;
        size_t n = 0;
        cpu_set_t used;
        if (d->conn && pin_domains_collect(d->conn, LIBVIRT_RUN_ROOT, &doms, &n, &used) >= 0)
                pinner_set_domains(d->pinner, doms, n, &used);
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

/* Thread names, then fewer privileges, then the publisher and guard
 * threads (which inherit them). */
static int start_pinning_and_publisher(Daemon *d) {
        bool connector, filtered = false;
        const char *why;
        int r = pinner_new("/proc", "/sys", &d->pinner);
        if (r < 0)
                return r;
        pinner_set_reporter(d->pinner, report_pinning, d);
        pinner_configure(d->pinner, d->policy->pinning_enabled,
                         d->policy->pinning_auto ? NULL : &d->policy->pinning_cpus);
        r = pin_loop_start(d->pinner, &connector, &filtered, &why);
        if (r < 0)
                return r;
        if (connector)
                log_info("Migration threads: following the kernel's proc connector (%s)",
                         filtered ? "name changes only" : "every process event");
        else
                log_info("Migration threads: proc connector unavailable (%s), scanning /proc every %d ms", why,
                         PIN_SCAN_INTERVAL_MS);
        r = daemon_drop_privileges();
        if (r < 0)
                return r;
        r = publisher_new(d->uri, d->hostname, d->policy, &d->publisher);
        if (r >= 0)
                r = converge_guard_new(d->uri, d->policy, &d->guard);
        if (r < 0)
                return r;
        daemon_prioritize_event_loop();
        return 0;
}

static void daemon_done(Daemon *d) {
        publisher_free(d->publisher); /* first: they stop their threads */
        converge_guard_free(d->guard);
        daemon_disconnect(d);
        pinner_free(d->pinner);
        policy_unref(d->policy);
        peer_book_done(&d->peers);
        strv_free(d->persist_uuids);
        strv_free(d->persist_xmls);
        strv_free(d->commit_uuids);
        strv_free(d->commit_whys);
        daemon_status_done(&d->status);
        paths_done(&d->paths);
}

static int run(Daemon *d, bool foreground, int level) {
        _cleanup_free_ char *err = NULL;
        _cleanup_close_ int lock_fd = -1;

        log_setup("migguardd", log_targets_auto() | (foreground ? LOG_TARGET_STDERR : 0), level);
        if (paths_load(&d->paths) < 0 || log_set_decision_dir(d->paths.state_dir) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (!d->config_file)
                d->config_file = d->paths.config_file;
        virt_errors_silence();
        if (gethostname(d->hostname, sizeof(d->hostname) - 1) < 0)
                strcpy(d->hostname, "unknown");

        int r = policy_load(d->config_file, &d->policy, &err);
        if (r < 0)
                return log_error_errno(r, "%s", err ? err : "Cannot load policy");
        r = daemon_lock_acquire(d->paths.run_dir, &lock_fd);
        if (r < 0)
                return log_error_errno(r,
                                       r == -EBUSY ? "Another migguardd is running (%s/" DAEMON_LOCK_NAME " is locked)"
                                                   : "Cannot take %s/" DAEMON_LOCK_NAME ": %m",
                                       d->paths.run_dir);
        d->status = (DaemonStatus){ .policy_file = strdup(d->config_file), .policy_loaded = time(NULL) };
        (void) daemon_status_save(d->paths.run_dir, &d->status);
        if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0 || setup_signals(d) < 0)
                return log_error_errno(-EIO, "Cannot set up the event loop");
        r = start_pinning_and_publisher(d);
        if (r < 0)
                return log_error_errno(r, "Cannot start: %m");

        if (daemon_connect(d) < 0) {
                log_warning("Cannot connect to %s yet, will retry", d->uri);
                daemon_schedule_reconnect(d);
        }
        d->reconcile_timer = virEventAddTimeout(RECONCILE_INTERVAL_MS, reconcile_cb, d, NULL);
        (void) sd_notify(0, "READY=1");
        log_struct(LOG_INFO, &(LogFields){ .message_id = MG_MSGID_DAEMON }, "migguardd started on %s", d->hostname);

        while (!d->quit)
                if (virEventRunDefaultImpl() < 0)
                        break;
        (void) sd_notify(0, "STOPPING=1");
        log_info("migguardd stopped");
        return 0;
}

int main(int argc, char *argv[]) {
        Daemon d = {
                .uri = LIBVIRT_DEFAULT_URI,
                .lifecycle_cb = -1,
                .device_cb = -1,
                .metadata_cb = -1,
                .reconnect_timer = -1,
                .reconcile_timer = -1,
                .persist_timer = -1,
                .commit_timer = -1,
        };
        bool foreground = false;
        int level = LOG_INFO;

        if (parse_args(argc, argv, &d, &foreground, &level) < 0) {
                help();
                return 2;
        }
        int r = run(&d, foreground, level);
        daemon_done(&d);
        return r < 0 ? 1 : 0;
}
