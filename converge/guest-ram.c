/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resident part of a guest's RAM mapping (see guest-ram.h). */
#include "converge/guest-ram.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>

#include "basic/alloc-util.h"

/* smaps is a kernel text format with no library to read it: a header line
 * per mapping ("start-end perms offset dev inode [path]") and then
 * "Key:   N kB" lines; only Size and Rss are read here. */
int guest_ram_resident_from(FILE *smaps, uint64_t memory, uint64_t *ret) {
        char line[512];
        uint64_t size = 0, rss = 0, best_size = 0, best_rss = 0, kb;
        unsigned long long start, end;
        bool in_mapping = false, exact = false;

        for (;;) {
                bool eof = !fgets(line, sizeof(line), smaps);
                /* a new header (or the end) closes the mapping before it */
                if (eof || sscanf(line, "%llx-%llx ", &start, &end) == 2) {
                        if (in_mapping && !exact) {
                                if (size == memory) {
                                        exact = true;
                                        best_size = size;
                                        best_rss = rss;
                                } else if (size >= memory / 4 * 3 && size <= memory / 4 * 5 && size > best_size) {
                                        best_size = size;
                                        best_rss = rss;
                                }
                        }
                        if (eof)
                                break;
                        in_mapping = true;
                        size = rss = 0;
                        continue;
                }
                if (sscanf(line, "Size: %" SCNu64 " kB", &kb) == 1)
                        size = kb * 1024;
                else if (sscanf(line, "Rss: %" SCNu64 " kB", &kb) == 1)
                        rss = kb * 1024;
        }
        if (best_size == 0)
                return -ENOENT;
        *ret = best_rss;
        return 0;
}

int guest_ram_resident(pid_t pid, uint64_t memory, uint64_t *ret) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/smaps", (int) pid);
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        return guest_ram_resident_from(f, memory, ret);
}
