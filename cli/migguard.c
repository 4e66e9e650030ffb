/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard: the admin CLI (migguard(8)).
 *   migguard status [--connect URI]
 *   migguard check VM DESTURI [--connect URI] [--config FILE]
 *   migguard watch VM [--connect URI]
 *   migguard release VM [--connect URI]
 *   migguard policy check [--config FILE]
 *   migguard version
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "cli.h"
#include "basic/macro.h"
#include "core/virt-util.h"

#ifndef MIGGUARD_VERSION
#define MIGGUARD_VERSION "0.1"
#endif

static const char usage_text[] = "Usage: migguard status [--connect URI]\n"
                                 "       migguard check VM DESTURI [--connect URI] [--config FILE] [--bandwidth MIB]\n"
                                 "                      [--no-convergence]\n"
                                 "       migguard watch VM [--connect URI]\n"
                                 "       migguard release VM [--connect URI]\n"
                                 "       migguard policy check [--config FILE]\n"
                                 "       migguard version\n";

int cli_usage(void) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
}

static Paths paths;

static void paths_free(void) {
        paths_done(&paths);
}

const Paths *cli_paths(void) {
        if (!paths.run_dir) {
                if (paths_load(&paths) < 0) {
                        fputs("migguard: out of memory\n", stderr);
                        exit(EXIT_UNREACHABLE);
                }
                atexit(paths_free);
        }
        return &paths;
}

int cli_parse_connect(int argc, char *argv[], int n_args, const char **uri) {
        static const struct option opts[] = { { "connect", required_argument, NULL, 'c' }, {} };
        *uri = DEFAULT_URI;
        for (int c; (c = getopt_long(argc, argv, "c:", opts, NULL)) != -1;) {
                if (c != 'c')
                        return -1;
                *uri = optarg;
        }
        return argc - optind == n_args ? optind : -1;
}

virConnectPtr cli_connect(const char *uri, bool readonly) {
        virConnectPtr c = readonly ? virConnectOpenReadOnly(uri) : virConnectOpen(uri);
        if (!c)
                fprintf(stderr, "migguard: cannot connect to %s: %s\n", uri, virt_last_error_message());
        return c;
}

virDomainPtr cli_lookup_domain(virConnectPtr conn, const char *uri, const char *name) {
        virDomainPtr d = virDomainLookupByName(conn, name);
        if (!d)
                d = virDomainLookupByUUIDString(conn, name);
        if (!d)
                fprintf(stderr, "migguard: no domain '%s' on %s\n", name, uri);
        return d;
}

int main(int argc, char *argv[]) {
        static const struct {
                const char *name;
                int (*run)(int, char **);
        } commands[] = {
                { "status", cli_status },
                { "check", cli_check },
                { "release", cli_release },
                { "watch", cli_watch },
        };

        if (argc < 2)
                return cli_usage();
        if (streq(argv[1], "version") || streq(argv[1], "--version")) {
                printf("migguard %s\n", MIGGUARD_VERSION);
                return EXIT_OK;
        }
        if (streq(argv[1], "help") || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                fputs(usage_text, stdout);
                return EXIT_OK;
        }
        virt_errors_silence();
        if (streq(argv[1], "policy"))
                return argc >= 3 && streq(argv[2], "check") ? cli_policy_check(argc - 2, argv + 2) : cli_usage();
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[1], commands[i].name))
                        return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "migguard: unknown command '%s'\n", argv[1]);
        return cli_usage();
}
