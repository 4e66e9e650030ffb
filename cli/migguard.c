/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard: the admin CLI.
 *   migguard policy check [--config FILE]   validate, print the effective policy
 *   migguard release VM [--connect URI]     allow a guarded guest to start here
 *   migguard version
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "alloc-util.h"
#include "guard.h"
#include "policy.h"
#include "virt-util.h"

#ifndef MIGGUARD_CONFIG_DIR
#define MIGGUARD_CONFIG_DIR "/etc/migguard"
#endif
#ifndef MIGGUARD_VERSION
#define MIGGUARD_VERSION "0.1"
#endif

static int usage(void) {
        fprintf(stderr, "Usage: migguard policy check [--config FILE]\n"
                        "       migguard release VM [--connect URI]\n"
                        "       migguard version\n");
        return 2;
}

static int policy_check(int argc, char *argv[]) {
        const char *conf = MIGGUARD_CONFIG_DIR "/migguard.conf";
        if (argc == 2 && streq(argv[0], "--config"))
                conf = argv[1];
        else if (argc != 0)
                return usage();

        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        if (policy_load(conf, &p, &err) < 0) {
                fprintf(stderr, "migguard: %s\n", err ? err : "cannot load policy");
                return 1;
        }
        return policy_dump(p, stdout) < 0 ? 1 : 0;
}

static int release(int argc, char *argv[]) {
        const char *uri = "qemu:///system", *lib = getenv("MIGGUARD_STATE_DIR");
        if (argc == 3 && streq(argv[1], "--connect"))
                uri = argv[2];
        else if (argc != 1)
                return usage();
        if (!lib)
                lib = "/var/lib/migguard";

        virt_errors_silence();
        _cleanup_(virConnectClosep) virConnectPtr conn = virConnectOpen(uri);
        if (!conn) {
                fprintf(stderr, "migguard: cannot connect to %s\n", uri);
                return 1;
        }
        _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(conn, argv[0]);
        if (!dom)
                dom = virDomainLookupByUUIDString(conn, argv[0]);
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (!dom || virDomainGetUUIDString(dom, uuid) < 0) {
                fprintf(stderr, "migguard: no domain '%s' on this host\n", argv[0]);
                return 1;
        }
        _cleanup_(guard_freep) Guard *g = NULL;
        int r = guard_load(lib, uuid, &g);
        if (r == -ENOENT || (r >= 0 && g->released)) {
                printf("%s is not guarded on this host\n", argv[0]);
                return 0;
        }
        if (r < 0) {
                fprintf(stderr, "migguard: cannot read the guard of %s: %s\n", argv[0], strerror(-r));
                return 1;
        }
        g->released = true;
        if (guard_save(lib, g) < 0) {
                fprintf(stderr, "migguard: cannot update %s/guards\n", lib);
                return 1;
        }
        if (g->autostart_was_on)
                (void) virDomainSetAutostart(dom, 1);
        printf("released %s: it may be started on this host again%s\n", argv[0],
               g->autostart_was_on ? " (autostart restored)" : "");
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc == 2 && streq(argv[1], "version")) {
                printf("migguard %s\n", MIGGUARD_VERSION);
                return 0;
        }
        if (argc >= 3 && streq(argv[1], "policy") && streq(argv[2], "check"))
                return policy_check(argc - 3, argv + 3);
        if (argc >= 3 && streq(argv[1], "release"))
                return release(argc - 2, argv + 2);
        return usage();
}
