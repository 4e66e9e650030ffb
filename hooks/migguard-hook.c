/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard-hook: installed as /etc/libvirt/hooks/qemu.d/50-migguard.
 * libvirt runs it as `NAME OP SUBOP EXTRA` with the domain XML on stdin,
 * synchronously and without a timeout.  This file is only the contract:
 * which ops are handled, stdin limits, one deadline for the whole call
 * (HOOK_DEADLINE_SEC, handed down to every wait) with a watchdog behind
 * it, and what goes to stderr (the admin's virsh error when we exit
 * non-zero) vs the journal.
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

#include "basic/env-util.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "core/daemon-lock.h"
#include "core/domain-xml.h"
#include "core/hook-load.h"
#include "core/libvirt-daemon.h"
#include "core/paths.h"
#include "hooks/incoming.h"

/* Last resort, should a step not honour the deadline (a hung file system):
 * libvirt would wait for us forever. */
#define HOOK_WATCHDOG_SEC (HOOK_DEADLINE_SEC + 10)

static void watchdog(int sig _unused_) {
        static const char msg[] = "migguard: internal timeout: the hook did not finish within its deadline, "
                                  "giving up\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        _exit(1);
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
                                .check = check_kind_to_string(n->check) };
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
        const char *set = env_or("MIGGUARD_LIBEXEC_DIR", NULL);
        char exe[4096];
        if (set)
                return strdup(set);
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
static int daemon_hook(int argc, char *argv[], const Paths *paths) {
        LibvirtDaemon d;
        if (argc < 3 || !(streq(argv[2], "start") || streq(argv[2], "reload")))
                return 0;
        if (libvirt_daemon_from_pid("/proc", getppid(), &d) < 0)
                return 0;
        (void) hook_load_record(paths->run_dir, &d);
        return 0;
}

typedef int (*Op)(const HookEnv *, const char *, size_t, HookResult *);

static Op op_of(int argc, char *argv[]) {
        if (argc < 4)
                return NULL;
        if (streq(argv[2], "migrate") && streq(argv[3], "begin"))
                return incoming_migrate_begin;
        if (streq(argv[2], "prepare") && streq(argv[3], "begin"))
                return incoming_prepare_begin;
        if (streq(argv[2], "release") && streq(argv[3], "end"))
                return incoming_release_end;
        return NULL;
}

static int run(Op op, const Paths *paths) {
        _cleanup_free_ char *exe_dir = libexec_dir(), *storage = NULL, *parity = NULL, *xml = NULL;
        HookEnv env = {
                .config_file = paths->config_file,
                .run_dir = paths->run_dir,
                .incoming_dir = paths->incoming_dir,
                .state_dir = paths->state_dir,
                .uri = env_or("MIGGUARD_CONNECT_URI", NULL), /* tests; libvirt clears the environment */
                .deadline = deadline_in(HOOK_DEADLINE_SEC * USEC_PER_SEC),
        };
        if (!exe_dir || asprintf(&storage, "%s/migguard-storage", exe_dir) < 0 ||
            asprintf(&parity, "%s/migguard-parity", exe_dir) < 0)
                return 1;
        env.storage_helper = storage;
        env.parity_helper = parity;

        size_t len = 0;
        HookResult res = { 0 };
        int r = read_full_fd(STDIN_FILENO, DOMAIN_XML_MAX_SIZE, &xml, &len);
        if (r == -EFBIG) {
                fprintf(stderr, "migguard: refused: domain XML larger than %d MiB\n", DOMAIN_XML_MAX_SIZE >> 20);
                return op == incoming_migrate_begin ? 1 : 0;
        }
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

int main(int argc, char *argv[]) {
        Paths paths;
        if (paths_load(&paths) < 0)
                return argc > 2 && streq(argv[2], "migrate") ? 1 : 0;
        if (argc > 0 && strstr(argv[0], "/daemon.d/")) {
                int r = daemon_hook(argc, argv, &paths);
                paths_done(&paths);
                return r;
        }
        /* Exit 0 at once for everything not handled, reconnect included. */
        Op op = op_of(argc, argv);
        if (!op) {
                paths_done(&paths);
                return 0;
        }
        /* Journal when there is one; stderr only carries refusals. */
        int targets = log_targets_auto();
        log_setup("migguard-hook", targets == LOG_TARGET_JOURNAL ? LOG_TARGET_JOURNAL : 0, LOG_INFO);
        int status = 1;
        if (log_set_decision_dir(paths.state_dir) >= 0) {
                signal(SIGALRM, watchdog);
                alarm(HOOK_WATCHDOG_SEC);
                status = run(op, &paths);
        }
        paths_done(&paths);
        return status;
}
