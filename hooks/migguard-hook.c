/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard-hook: installed as /etc/libvirt/hooks/qemu.d/50-migguard.
 * libvirt runs it as `NAME OP SUBOP EXTRA` with the domain XML on stdin,
 * synchronously and without a timeout.  This file is only the contract:
 * which ops are handled, stdin limits, a watchdog, and what goes to
 * stderr (the admin's virsh error when we exit non-zero) vs the journal.
 * stdout is written only when `migrate begin` hands libvirt a changed
 * domain XML on purpose (discard='unmap' on provisioned raw disks).
 *
 * Linked as /etc/libvirt/hooks/daemon.d/50-migguard too: there it only
 * records that libvirt (re)loaded its hooks, for `migguard status`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-lock.h"
#include "domain-xml.h"
#include "hook-load.h"
#include "incoming-state.h"
#include "incoming.h"
#include "log.h"

#ifndef MIGGUARD_CONFIG_DIR
#define MIGGUARD_CONFIG_DIR "/etc/migguard"
#endif
#ifndef MIGGUARD_LIBEXEC_DIR
#define MIGGUARD_LIBEXEC_DIR "/usr/libexec/migguard"
#endif
#define MIGGUARD_STATE_DIR "/var/lib/migguard"
#define MIGGUARD_CONFIG_FILE MIGGUARD_CONFIG_DIR "/migguard.conf"

/* Bound on the whole hook: libvirt would wait forever for us. */
#define HOOK_WATCHDOG_SEC 90

static void watchdog(int sig _unused_) {
        static const char msg[] = "migguard: internal timeout after 90 s, giving up\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        _exit(1);
}

/* Read all of stdin, up to DOMAIN_XML_MAX_SIZE + 1 bytes. */
static int read_stdin(char **ret, size_t *ret_len) {
        size_t cap = 64 * 1024, len = 0;
        char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap > DOMAIN_XML_MAX_SIZE)
                                break;
                        cap *= 2;
                        char *n = realloc(buf, cap + 1);
                        if (!n) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = n;
                }
                ssize_t k = read(STDIN_FILENO, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        free(buf);
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        *ret = buf;
        *ret_len = len;
        return 0;
}

static const char *const msgids[] = {
        [NOTE_REFUSED] = MG_MSGID_REFUSED,       [NOTE_PROVISIONED] = MG_MSGID_PROVISIONED,
        [NOTE_CLEANED_UP] = MG_MSGID_CLEANED_UP, [NOTE_POOL] = MG_MSGID_POOL,
        [NOTE_WARNING] = MG_MSGID_WARNING,
};

static void report(const HookResult *res) {
        for (size_t i = 0; i < res->n_notes; i++) {
                const HookNote *n = &res->notes[i];
                LogFields f = { .message_id = msgids[n->kind],
                                .domain = res->domain,
                                .disk = n->disk,
                                .path = n->path,
                                .check = log_check_of(n->text) };
                log_struct(n->kind == NOTE_WARNING || n->kind == NOTE_REFUSED ? LOG_WARNING : LOG_INFO, &f, "%s%s%s",
                           n->text, n->path && !strstr(n->text, n->path) ? ": " : "",
                           n->path && !strstr(n->text, n->path) ? n->path : "");
        }
        for (char **l = res->stderr_lines; l && *l; l++)
                fprintf(stderr, "%s\n", *l);
}

/* The helpers sit next to the real hook binary (we are run through the
 * qemu.d symlink), whatever PREFIX the build was configured with. */
static char *libexec_dir(void) {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = 0;
                char *slash = strrchr(exe, '/');
                if (slash && slash != exe) {
                        *slash = 0;
                        return strdup(exe);
                }
        }
        return strdup(MIGGUARD_LIBEXEC_DIR);
}

/* Daemon hook `- start - start` / `- reload begin SIGHUP`: libvirt has
 * just looked for hooks.  Our parent is that daemon (virCommand forks it
 * directly).  Best effort: the exit code of a daemon hook is ignored. */
static int daemon_hook(int argc, char *argv[]) {
        LibvirtDaemon d;
        if (argc < 3 || !(streq(argv[2], "start") || streq(argv[2], "reload")))
                return 0;
        if (libvirt_daemon_from_pid("/proc", getppid(), &d) < 0)
                return 0;
        const char *run = getenv("MIGGUARD_RUN_DIR");
        (void) hook_load_record(run ? run : MIGGUARD_RUN_DIR, &d);
        return 0;
}

int main(int argc, char *argv[]) {
        typedef int (*Op)(const HookEnv *, const char *, size_t, HookResult *);
        Op op = NULL;

        if (argc > 0 && strstr(argv[0], "/daemon.d/"))
                return daemon_hook(argc, argv);
        /* Exit 0 at once for everything not handled, reconnect included. */
        if (argc < 4)
                return 0;
        if (streq(argv[2], "migrate") && streq(argv[3], "begin"))
                op = incoming_migrate_begin;
        else if (streq(argv[2], "prepare") && streq(argv[3], "begin"))
                op = incoming_prepare_begin;
        else if (streq(argv[2], "release") && streq(argv[3], "end"))
                op = incoming_release_end;
        else
                return 0;

        /* Journal when there is one; stderr only carries refusals. */
        int targets = log_targets_auto();
        log_setup("migguard-hook", targets == LOG_TARGET_JOURNAL ? LOG_TARGET_JOURNAL : 0, LOG_INFO);
        const char *state = getenv("MIGGUARD_STATE_DIR");
        if (log_set_decision_dir(state) < 0)
                return 1;
        signal(SIGALRM, watchdog);
        alarm(HOOK_WATCHDOG_SEC);

        const char *cfg = getenv("MIGGUARD_CONFIG"), *run = getenv("MIGGUARD_RUN_DIR"),
                   *libexec = getenv("MIGGUARD_LIBEXEC_DIR");
        _cleanup_free_ char *state_dir = NULL, *exe_dir = NULL, *storage = NULL, *parity = NULL;
        HookEnv env = {
                .config_file = cfg ? cfg : MIGGUARD_CONFIG_FILE,
                .run_dir = run ? run : MIGGUARD_RUN_DIR,

        };
        if (asprintf(&state_dir, "%s/incoming", env.run_dir) < 0)
                return 1;
        if (!libexec) {
                exe_dir = libexec_dir();
                libexec = exe_dir;
        }
        if (!libexec || asprintf(&storage, "%s/migguard-storage", libexec) < 0 ||
            asprintf(&parity, "%s/migguard-parity", libexec) < 0)
                return 1;
        env.storage_helper = storage;
        env.parity_helper = parity;
        env.lib_dir = state ? state : MIGGUARD_STATE_DIR;
        env.uri = getenv("MIGGUARD_CONNECT_URI"); /* tests; libvirt clears the environment */
        env.state_dir = state_dir;

        _cleanup_free_ char *xml = NULL;
        size_t len = 0;
        HookResult res = { 0 };
        int r = read_stdin(&xml, &len);
        if (r < 0) {
                fprintf(stderr, "migguard: cannot read domain XML: %s\n", strerror(-r));
                return op == incoming_migrate_begin ? 1 : 0;
        }
        r = op(&env, xml, len, &res);
        if (r < 0) {
                fprintf(stderr, "migguard: internal error: %s\n", strerror(-r));
                res.exit_status = 1;
        }
        report(&res);
        if (res.exit_status == 0 && res.new_xml && op == incoming_migrate_begin)
                fputs(res.new_xml, stdout);
        int status = res.exit_status;
        hook_result_done(&res);
        return status;
}
