/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SIGHUP: reload the policy, as systemd can see it.  migguardd says
 * RELOADING=1 (with MONOTONIC_USEC, as sd_notify(3) asks) before and
 * READY=1 after, whatever the outcome.  A policy that fails to load keeps
 * the old one running; the failure is logged with its file and line, put
 * in STATUS= and in RUN_DIR/migguardd.status for `migguard status`.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "basic/log.h"
#include "basic/time-util.h"
#include "daemon.h"

static void apply(Daemon *d, Policy *p) {
        policy_unref(d->policy);
        d->policy = p;
        pinner_configure(d->pinner, p->pinning_enabled, p->pinning_auto ? NULL : &p->pinning_cpus);
        if (d->publisher)
                publisher_set_policy(d->publisher, p);
        converge_guard_set_policy(d->guard, p);
}

void daemon_reload(Daemon *d) {
        Policy *p = NULL;
        _cleanup_free_ char *err = NULL;

        (void) sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long) now_usec(CLOCK_MONOTONIC));
        int r = policy_load(d->config_file, &p, &err);
        if (r < 0) {
                const char *why = err ? err : "cannot load policy";
                LogFields f = { .message_id = MG_MSGID_DAEMON };
                log_struct(LOG_ERR, &f, "Policy reload failed, keeping the policy loaded before: %s", why);
                d->status.reload_failed = time(NULL);
                free(d->status.reload_error);
                d->status.reload_error = strdup(why);
                (void) sd_notifyf(0, "READY=1\nSTATUS=Policy reload failed (%s); running with the previous policy",
                                  why);
        } else {
                apply(d, p);
                d->status.policy_loaded = time(NULL);
                d->status.reload_failed = 0;
                free(d->status.reload_error);
                d->status.reload_error = NULL;
                LogFields f = { .message_id = MG_MSGID_DAEMON };
                log_struct(LOG_INFO, &f, "Policy reloaded from %s", d->config_file);
                (void) sd_notifyf(0, "READY=1\nSTATUS=Policy reloaded from %s", d->config_file);
        }
        if (daemon_status_save(d->paths.run_dir, &d->status) < 0)
                log_warning("Cannot write %s/" DAEMON_STATUS_NAME, d->paths.run_dir);
}
