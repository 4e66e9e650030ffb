/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `migguard status`: is migguard actually working on this host?  The one
 * trap an admin cannot see: libvirt looks for hook scripts only when it
 * starts and on reload, so a hook installed under a running libvirtd does
 * nothing until `systemctl reload libvirtd` (guests keep running).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "basic/alloc-util.h"
#include "cli.h"
#include "core/virt-util.h"
#include "core/daemon-lock.h"
#include "core/daemon-status.h"
#include "core/hook-load.h"
#include "core/libvirt-daemon.h"
#include "basic/log.h"
#include "core/policy.h"

#define HOOK_LINK MIGGUARD_HOOK_LINK
#define N_DECISIONS 10

static const char *when(time_t t, char *buf, size_t len) {
        struct tm tm;
        if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, len, "@%lld", (long long) t);
        return buf;
}

/* What migguardd runs with; false when its last policy reload failed. */
static bool show_daemon_policy(void) {
        DaemonStatus st;
        char a[32], b[32];
        if (daemon_status_load(cli_paths()->run_dir, &st) < 0)
                return true;
        bool ok = st.reload_failed == 0;
        if (ok)
                printf("           runs with the policy loaded at %s\n", when(st.policy_loaded, a, sizeof(a)));
        else
                printf("           policy reload FAILED at %s: %s; migguardd still runs with the policy loaded at "
                       "%s: fix the file and run 'systemctl reload migguardd'\n",
                       when(st.reload_failed, a, sizeof(a)), strna(st.reload_error),
                       when(st.policy_loaded, b, sizeof(b)));
        daemon_status_done(&st);
        return ok;
}

static bool show_daemon(void) {
        pid_t pid = 0;
        const char *run = cli_paths()->run_dir;
        if (daemon_lock_is_held(run) <= 0) {
                printf("daemon:    NOT running: start it with 'systemctl start migguardd'\n");
                return false;
        }
        if (daemon_lock_read_pid(run, &pid) == 0)
                printf("daemon:    migguardd running (pid %d)\n", (int) pid);
        else
                printf("daemon:    migguardd running\n");
        return show_daemon_policy();
}

/* Installed: the link exists and leads to an executable.  *ret_since: when
 * the link was made (its ctime), to compare with the daemon's start. */
static bool show_hook(time_t *ret_since) {
        struct stat st;
        char target[4096] = "";
        if (lstat(HOOK_LINK, &st) < 0) {
                printf("hook:      NOT installed: %s is missing\n", HOOK_LINK);
                return false;
        }
        ssize_t n = readlink(HOOK_LINK, target, sizeof(target) - 1);
        if (n > 0)
                target[n] = 0;
        if (access(HOOK_LINK, X_OK) < 0) {
                printf("hook:      BROKEN: %s%s%s is not executable\n", HOOK_LINK, n > 0 ? " -> " : "", target);
                return false;
        }
        printf("hook:      installed: %s%s%s\n", HOOK_LINK, n > 0 ? " -> " : "", target);
        *ret_since = st.st_ctim.tv_sec;
        return true;
}

static bool show_libvirt(bool hook_ok, time_t hook_since) {
        LibvirtDaemon d;
        char a[32], b[32];
        time_t loaded;
        if (libvirt_daemon_find(LIBVIRT_RUN_ROOT, "/proc", &d) < 0) {
                char name[16], sock[256];
                if (libvirt_daemon_socket(LIBVIRT_RUN_ROOT, name, sock, sizeof(sock)) < 0) {
                        printf("libvirt:   no running libvirtd or virtqemud found (/run/*.pid, /run/libvirt/*.pid)\n");
                        return false;
                }
                /* socket activation: the next client starts it, and a
                 * daemon that starts reads the hooks directory */
                printf("libvirt:   %s not running; %s starts it on the next connection%s\n", name, sock,
                       hook_ok ? ", with the hook active" : ", without migguard's hook");
                return hook_ok;
        }
        if (!hook_ok) {
                printf("libvirt:   %s (pid %d) is running without migguard's hook\n", d.name, (int) d.pid);
                return false;
        }
        if (hook_load_seen(cli_paths()->run_dir, &d, &loaded) > 0) {
                printf("libvirt:   hook active: %s (pid %d) loaded it at %s\n", d.name, (int) d.pid,
                       when(loaded, a, sizeof(a)));
                return true;
        }
        if (d.started >= hook_since) {
                printf("libvirt:   hook active: %s (pid %d) started at %s, after the hook was installed\n", d.name,
                       (int) d.pid, when(d.started, a, sizeof(a)));
                return true;
        }
        printf("libvirt:   hook NOT active: %s (pid %d) started at %s, before the hook was installed at %s; "
               "run 'systemctl reload %s' (running guests are not restarted)\n",
               d.name, (int) d.pid, when(d.started, a, sizeof(a)), when(hook_since, b, sizeof(b)), d.name);
        return false;
}

static bool show_policy(void) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        const char *conf = cli_paths()->config_file;
        if (policy_load(conf, &p, &err) < 0) {
                printf("policy:    INVALID: %s\n", err ? err : "cannot load");
                return false;
        }
        printf("policy:    %s (+ policy.d/*.conf)\n", conf);
        printf("           provision %s, allowed-dirs", p->provision_enabled ? "on" : "off");
        for (char **l = p->allowed_dirs; l && *l; l++)
                printf(" %s", *l);
        printf(", min-free-percent %u\n", p->min_free_percent);
        printf("           cpu check %s (%s), vcpus-over-cores %s; network check %s, %zu segment(s)\n",
               check_mode_to_string(p->cpu_check), p->cpu_match == CPU_MATCH_SAME_MODEL ? "same-model" : "compatible",
               check_mode_to_string(p->vcpus_over_cores), check_mode_to_string(p->network_check), p->n_segments);
        printf("           persist destination %s, source %s; storage identity %s; pinning %s\n",
               p->persist_destination ? "yes" : "no", persist_source_to_string(p->persist_source),
               check_mode_to_string(p->storage_identity), p->pinning_enabled ? "on" : "off");
        return true;
}

const char *cli_json_field(struct json_object *o, const char *k) {
        struct json_object *v;
        return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static void show_decision(const char *line) {
        struct json_object *o = json_tokener_parse(line), *t;
        char buf[32];
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return;
        }
        time_t ts = json_object_object_get_ex(o, "time", &t) ? (time_t) json_object_get_int64(t) : 0;
        const char *kind = log_message_id_kind(cli_json_field(o, "message_id"));
        printf("  %s  %-11s %-12s %s\n", when(ts, buf, sizeof(buf)), kind ? kind : "-",
               strna(cli_json_field(o, "domain")), strna(cli_json_field(o, "message")));
        json_object_put(o);
}

static void show_decisions(void) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/" DECISION_LOG_NAME, cli_paths()->state_dir) < 0)
                return;
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f) {
                printf("decisions: none yet (%s)\n", path);
                return;
        }
        char *last[N_DECISIONS] = { 0 };
        size_t n = 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                free(last[n % N_DECISIONS]);
                last[n++ % N_DECISIONS] = strdup(line);
        }
        printf("decisions: last %zu of %s\n", n < N_DECISIONS ? n : N_DECISIONS, path);
        for (size_t i = n > N_DECISIONS ? n - N_DECISIONS : 0; i < n; i++)
                if (last[i % N_DECISIONS])
                        show_decision(last[i % N_DECISIONS]);
        for (size_t i = 0; i < N_DECISIONS; i++)
                free(last[i]);
}

int cli_status(int argc, char *argv[]) {
        const char *uri;
        if (cli_parse_connect(argc, argv, 0, &uri) < 0)
                return cli_usage();

        time_t hook_since = 0;
        bool ok = show_daemon();
        bool hook_ok = show_hook(&hook_since);
        ok = show_libvirt(hook_ok, hook_since) && hook_ok && ok;
        _cleanup_(virConnectClosep) virConnectPtr conn = virConnectOpenReadOnly(uri);
        unsigned long v = 0;
        if (conn && virConnectGetLibVersion(conn, &v) == 0) {
                printf("           %s answers: libvirt %lu.%lu.%lu\n", uri, v / 1000000, v / 1000 % 1000, v % 1000);
                cli_show_migrations(conn);
        } else {
                printf("           %s does not answer\n", uri);
                ok = false;
        }
        ok = show_policy() && ok;
        show_decisions();
        return ok ? EXIT_OK : EXIT_REFUSED;
}
