/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `migguard watch VM`: follows a migration in flight until it ends, one
 * progress line a second (converge/job-progress.h), updated in place on
 * a terminal and as plain lines otherwise, with what the convergence
 * guard did as it does it (from the decision log).  `migguard status`
 * lists the migrations in flight with the same line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "basic/alloc-util.h"
#include "basic/log.h"
#include "cli.h"
#include "converge/job-progress.h"
#include "core/finding.h"
#include "core/virt-util.h"

#define WATCH_INTERVAL_USEC 1000000
#define BAR_WIDTH 20

/* The guard's decisions about @name written to @log since the last call. */
static void show_guard(FILE *log, const char *name, bool tty) {
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        if (!log)
                return;
        clearerr(log);
        while (getline(&line, &cap, log) > 0) {
                struct json_object *o = json_tokener_parse(line);
                if (o && json_object_is_type(o, json_type_object) && streq_ptr(cli_json_field(o, "domain"), name) &&
                    streq_ptr(cli_json_field(o, "check"), check_kind_to_string(CHECK_KIND_CONVERGENCE)))
                        printf("%sguard: %s\n", tty ? "\r\033[K" : "", strna(cli_json_field(o, "message")));
                json_object_put(o);
        }
}

static void show_end(virDomainPtr dom, const char *name) {
        virTypedParameterPtr params = NULL;
        int type, n = 0;
        unsigned long long elapsed = 0, downtime = 0;
        if (virDomainGetJobStats(dom, &type, &params, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0 &&
            type == VIR_DOMAIN_JOB_COMPLETED &&
            virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &elapsed) == 1) {
                (void) virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_DOWNTIME, &downtime);
                printf("migration of %s completed in %.1f s, downtime %llu ms\n", name, (double) elapsed / 1000,
                       downtime);
        } else
                printf("migration of %s ended\n", name);
        virTypedParamsFree(params, n);
}

int cli_watch(int argc, char *argv[]) {
        const char *uri;
        int first = cli_parse_connect(argc, argv, 1, &uri);
        if (first < 0)
                return cli_usage();
        const char *name = argv[first];

        _cleanup_(virConnectClosep) virConnectPtr conn = cli_connect(uri, true);
        if (!conn)
                return EXIT_UNREACHABLE;
        _cleanup_(virDomainFreep) virDomainPtr dom = cli_lookup_domain(conn, uri, name);
        if (!dom)
                return EXIT_UNREACHABLE;
        JobProgress p;
        if (job_progress_sample(dom, &p) <= 0) {
                printf("no migration of %s in flight on %s\n", name, uri);
                return EXIT_REFUSED;
        }

        /* the guard's decisions from now on */
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/" DECISION_LOG_NAME, cli_paths()->state_dir) < 0)
                return EXIT_UNREACHABLE;
        _cleanup_(fclosep) FILE *log = fopen(path, "re");
        if (log)
                (void) fseek(log, 0, SEEK_END);

        bool tty = isatty(STDOUT_FILENO);
        printf("%s migration of %s:\n", p.outgoing ? "outgoing" : "incoming", name);
        do {
                _cleanup_free_ char *line = NULL;
                show_guard(log, name, tty);
                if (job_progress_format(&p, tty ? BAR_WIDTH : 0, &line) < 0)
                        return EXIT_UNREACHABLE;
                printf(tty ? "\r\033[K%s" : "%s\n", line);
                fflush(stdout);
                (void) usleep(WATCH_INTERVAL_USEC);
        } while (job_progress_sample(dom, &p) > 0);
        if (tty)
                putchar('\n');
        show_guard(log, name, false);
        show_end(dom, name);
        return EXIT_OK;
}

/* For `migguard status`: one line per migration in flight on this host. */
void cli_show_migrations(virConnectPtr conn) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        unsigned shown = 0;
        for (int i = 0; i < n; i++) {
                JobProgress p;
                _cleanup_free_ char *line = NULL;
                if (job_progress_sample(doms[i], &p) > 0 && job_progress_format(&p, 0, &line) >= 0)
                        printf("%s %s %s: %s\n", shown++ ? "          " : "migrations:", virDomainGetName(doms[i]),
                               p.outgoing ? "outgoing" : "incoming", line);
                virDomainFree(doms[i]);
        }
        free(doms);
        if (n >= 0 && shown == 0)
                printf("migrations: none in flight\n");
}
