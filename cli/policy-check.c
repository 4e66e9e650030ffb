/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `migguard policy check`: validate the policy files, print the result. */
#include <getopt.h>
#include <stdio.h>

#include "basic/alloc-util.h"
#include "cli.h"
#include "core/policy.h"

int cli_policy_check(int argc, char *argv[]) {
        static const struct option opts[] = { { "config", required_argument, NULL, 'f' }, {} };
        const char *conf = cli_paths()->config_file;
        for (int c; (c = getopt_long(argc, argv, "f:", opts, NULL)) != -1;) {
                if (c != 'f')
                        return cli_usage();
                conf = optarg;
        }
        if (optind != argc)
                return cli_usage();

        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        if (policy_load(conf, &p, &err) < 0) {
                fprintf(stderr, "migguard: %s\n", err ? err : "cannot load policy");
                return EXIT_REFUSED;
        }
        return policy_dump(p, stdout) < 0 ? EXIT_REFUSED : EXIT_OK;
}
