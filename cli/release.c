/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `migguard release VM`: let a guest that migrated away start here again. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/alloc-util.h"
#include "cli.h"
#include "core/virt-util.h"
#include "persist/guard.h"

int cli_release(int argc, char *argv[]) {
        const char *uri, *state_dir = cli_paths()->state_dir;
        int first = cli_parse_connect(argc, argv, 1, &uri);
        if (first < 0)
                return cli_usage();
        const char *name = argv[first];

        _cleanup_(virConnectClosep) virConnectPtr conn = cli_connect(uri, false);
        if (!conn)
                return EXIT_UNREACHABLE;
        _cleanup_(virDomainFreep) virDomainPtr dom = cli_lookup_domain(conn, uri, name);
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (!dom || virDomainGetUUIDString(dom, uuid) < 0)
                return EXIT_UNREACHABLE;
        _cleanup_(guard_freep) Guard *g = NULL;
        int r = guard_load(state_dir, uuid, &g);
        if (r == -ENOENT || (r >= 0 && g->released)) {
                printf("%s is not guarded on this host\n", name);
                return EXIT_OK;
        }
        if (r < 0) {
                fprintf(stderr, "migguard: cannot read the guard of %s: %s\n", name, strerror(-r));
                return EXIT_REFUSED;
        }
        g->released = true;
        if (guard_save(state_dir, g) < 0) {
                fprintf(stderr, "migguard: cannot update %s/" GUARD_DIR_NAME "\n", state_dir);
                return EXIT_REFUSED;
        }
        if (g->autostart_was_on)
                (void) virDomainSetAutostart(dom, 1);
        printf("released %s: it may be started on this host again%s\n", name,
               g->autostart_was_on ? " (autostart restored)" : "");
        return EXIT_OK;
}
