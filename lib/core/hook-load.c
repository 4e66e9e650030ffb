/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Records of libvirt (re)loading its hooks (see hook-load.h). */
#include "core/hook-load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/alloc-util.h"
#include "basic/fileio.h"
#include "basic/path-util.h"

#define HOOK_LOAD_DIR "hooks-loaded"

static int record_path(const char *run_dir, const char *name, char **ret) {
        return asprintf(ret, "%s/" HOOK_LOAD_DIR "/%s", run_dir, name) < 0 ? -ENOMEM : 0;
}

int hook_load_record(const char *run_dir, const LibvirtDaemon *d) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *line = NULL;
        if (asprintf(&dir, "%s/" HOOK_LOAD_DIR, run_dir) < 0 || record_path(run_dir, d->name, &path) < 0)
                return -ENOMEM;
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        int n = asprintf(&line, "%d %llu %lld\n", (int) d->pid, d->start_ticks, (long long) time(NULL));
        if (n < 0)
                return -ENOMEM;
        return write_file_atomic(path, line, (size_t) n, 0644);
}

int hook_load_seen(const char *run_dir, const LibvirtDaemon *d, time_t *ret_when) {
        _cleanup_free_ char *path = NULL;
        if (record_path(run_dir, d->name, &path) < 0)
                return -ENOMEM;
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        int pid;
        unsigned long long ticks;
        long long when;
        if (fscanf(f, "%d %llu %lld", &pid, &ticks, &when) != 3)
                return 0;
        if (pid != (int) d->pid || ticks != d->start_ticks)
                return 0; /* an earlier instance */
        *ret_when = (time_t) when;
        return 1;
}
