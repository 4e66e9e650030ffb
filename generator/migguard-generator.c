/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migguard-generator: a systemd generator (systemd.generator(7)) that
 * turns the policy's [provision] allowed-dirs into a ReadWritePaths=
 * drop-in for migguardd.service.  ProtectSystem=strict makes every
 * directory read-only to migguardd unless the unit names it, and the
 * daemon removes half-made images in those directories after a failed
 * migration: with an image directory outside the unit's default, that
 * cleanup would fail with EROFS.  systemd runs generators at boot and on
 * every `systemctl daemon-reload`, so an edited allowed-dirs takes effect
 * with `systemctl daemon-reload && systemctl restart migguardd`.
 *
 *   migguard-generator NORMAL-DIR [EARLY-DIR LATE-DIR]
 *
 * Writes NORMAL-DIR/migguardd.service.d/50-migguard-allowed-dirs.conf.
 * A policy that does not load writes nothing (the unit's default stays)
 * and says why on stderr, which systemd sends to the journal; a generator
 * never fails the boot, so it always exits 0 unless called wrongly.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/alloc-util.h"
#include "basic/fileio.h"
#include "basic/path-util.h"
#include "core/paths.h"
#include "core/policy.h"

#define DROPIN_DIR "migguardd.service.d"
#define DROPIN_FILE "50-migguard-allowed-dirs.conf"

/* A path as one word of a unit file's ReadWritePaths=: quoted, "%" doubled
 * (specifiers); "-" in front, so a directory that does not exist (yet)
 * does not stop the service from starting.  Paths with a quote, backslash
 * or control character are not written. */
static bool write_path(FILE *f, const char *path) {
        for (const char *c = path; *c; c++)
                if (*c == '"' || *c == '\\' || (unsigned char) *c < 0x20)
                        return false;
        fputs(" \"-", f);
        for (const char *c = path; *c; c++) {
                if (*c == '%')
                        fputc('%', f);
                fputc(*c, f);
        }
        fputc('"', f);
        return true;
}

static int write_dropin(const char *normal_dir, char **dirs, const char *config) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        size_t len = 0;
        if (asprintf(&dir, "%s/" DROPIN_DIR, normal_dir) < 0 || asprintf(&path, "%s/" DROPIN_FILE, dir) < 0)
                return -ENOMEM;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Written by migguard-generator from [provision] allowed-dirs in %s\n[Service]\nReadWritePaths=",
                config);
        for (char **d = dirs; d && *d; d++)
                if (!write_path(f, *d))
                        fprintf(stderr,
                                "migguard-generator: allowed-dirs entry %s left out: it has a quote, backslash "
                                "or control character\n",
                                *d);
        fputc('\n', f);
        if (fclose(f) != 0)
                return -ENOMEM;
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        return write_file_atomic(path, text, len, 0644);
}

int main(int argc, char *argv[]) {
        if (argc != 2 && argc != 4) {
                fprintf(stderr, "usage: migguard-generator NORMAL-DIR [EARLY-DIR LATE-DIR]\n");
                return 2;
        }
        _cleanup_(paths_done) Paths paths = { 0 };
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_free_ char *err = NULL;
        int r = paths_load(&paths);
        if (r < 0) {
                fprintf(stderr, "migguard-generator: %s\n", strerror(-r));
                return 0;
        }
        r = policy_load(paths.config_file, &policy, &err);
        if (r < 0) {
                fprintf(stderr, "migguard-generator: policy not loaded, no ReadWritePaths= written: %s\n",
                        err ? err : strerror(-r));
                return 0;
        }
        r = write_dropin(argv[1], policy->allowed_dirs, paths.config_file);
        if (r < 0)
                fprintf(stderr, "migguard-generator: cannot write %s/" DROPIN_DIR "/" DROPIN_FILE ": %s\n", argv[1],
                        strerror(-r));
        return 0;
}
