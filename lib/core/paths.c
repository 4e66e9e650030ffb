/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Default paths and their overrides (see paths.h). */
#include "core/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/env-util.h"
#include "basic/macro.h"

void paths_done(Paths *p) {
        free(p->config_file);
        free(p->run_dir);
        free(p->incoming_dir);
        free(p->state_dir);
        *p = (Paths){ 0 };
}

int paths_load(Paths *ret) {
        Paths p = {
                .config_file = strdup(env_or("MIGGUARD_CONFIG", MIGGUARD_CONFIG_FILE)),
                .run_dir = strdup(env_or("MIGGUARD_RUN_DIR", MIGGUARD_RUN_DIR_DEFAULT)),
                .state_dir = strdup(env_or("MIGGUARD_STATE_DIR", MIGGUARD_STATE_DIR_DEFAULT)),
        };
        if (p.run_dir && asprintf(&p.incoming_dir, "%s/incoming", p.run_dir) < 0)
                p.incoming_dir = NULL;
        if (!p.config_file || !p.run_dir || !p.state_dir || !p.incoming_dir) {
                paths_done(&p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}
