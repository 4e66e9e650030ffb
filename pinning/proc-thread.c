/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID/task walking and CPU list helpers (see proc-thread.h). */
#include "pinning/proc-thread.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/fileio.h"
#include "basic/path-util.h"
#include "basic/cpu-set.h"

int proc_thread_comm(const char *proc_root, pid_t pid, pid_t tid, char *buf, size_t len) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%d/task/%d/comm", proc_root, (int) pid, (int) tid);
        return read_one_line_file(path, buf, len);
}

int proc_threads_foreach(const char *proc_root, pid_t pid, ThreadVisitor visit, void *userdata) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%d/task", proc_root, (int) pid);
        DIR *d = opendir(path);
        if (!d)
                return -errno;
        int r = 0;
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                char comm[64];
                if (!isdigit((unsigned char) de->d_name[0]))
                        continue;
                pid_t tid = (pid_t) atoi(de->d_name);
                if (proc_thread_comm(proc_root, pid, tid, comm, sizeof(comm)) < 0)
                        continue; /* thread exited meanwhile */
                r = visit(tid, comm, userdata);
        }
        closedir(d);
        return r;
}

int proc_thread_allowed(const char *proc_root, pid_t pid, pid_t tid, cpu_set_t *ret) {
        char path[256], line[512];
        snprintf(path, sizeof(path), "%s/%d/task/%d/status", proc_root, (int) pid, (int) tid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        int r = -ENOENT;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
                        char *v = line + 18;
                        v += strspn(v, " \t");
                        v[strcspn(v, "\n")] = 0;
                        r = cpu_set_parse(v, ret);
                        break;
                }
        fclose(f);
        return r;
}
