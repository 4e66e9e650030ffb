/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard: the admin CLI.  For now: `migguard policy check` validates the
 * policy files and prints the effective policy; `migguard version`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#ifndef MIGGUARD_CONFIG_DIR
#define MIGGUARD_CONFIG_DIR "/etc/migguard"
#endif
#ifndef MIGGUARD_VERSION
#define MIGGUARD_VERSION "0.1"
#endif

static int usage(void) {
        fprintf(stderr, "Usage: migguard policy check [--config FILE]\n"
                        "       migguard version\n");
        return 2;
}

int main(int argc, char *argv[]) {
        if (argc >= 2 && streq(argv[1], "version")) {
                printf("migguard %s\n", MIGGUARD_VERSION);
                return 0;
        }
        if (argc < 3 || !streq(argv[1], "policy") || !streq(argv[2], "check"))
                return usage();

        const char *conf = MIGGUARD_CONFIG_DIR "/migguard.conf";
        if (argc == 5 && streq(argv[3], "--config"))
                conf = argv[4];
        else if (argc != 3)
                return usage();

        Policy *p = NULL;
        char *err = NULL;
        if (policy_load(conf, &p, &err) < 0) {
                fprintf(stderr, "migguard: %s\n", err ? err : "cannot load policy");
                free(err);
                return 1;
        }
        int r = policy_dump(p, stdout);
        policy_free(p);
        return r < 0 ? 1 : 0;
}
