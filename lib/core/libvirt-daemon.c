/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding the running libvirt daemon (see libvirt-daemon.h). */
#include "core/libvirt-daemon.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/alloc-util.h"
#include "basic/fileio.h"
#include "basic/path-util.h"

static const char *const daemon_names[] = { "virtqemud", "libvirtd" };

/* Field 22 of /proc/PID/stat; the comm field before it may hold spaces. */
static int start_ticks(const char *proc_root, pid_t pid, unsigned long long *ret) {
        char path[256], buf[1024];
        snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int) pid);
        int r = read_one_line_file(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        char *p = strrchr(buf, ')');
        if (!p)
                return -EBADMSG;
        p++;
        for (int field = 3; field <= 22; field++) {
                char *end;
                p += strspn(p, " ");
                if (field == 22) {
                        errno = 0;
                        unsigned long long v = strtoull(p, &end, 10);
                        if (end == p || errno)
                                return -EBADMSG;
                        *ret = v;
                        return 0;
                }
                p += strcspn(p, " ");
                if (!*p)
                        return -EBADMSG;
        }
        return -EBADMSG;
}

static int boot_time(const char *proc_root, time_t *ret) {
        char path[256];
        snprintf(path, sizeof(path), "%s/stat", proc_root);
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        char line[256];
        long long bt;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "btime %lld", &bt) == 1) {
                        *ret = (time_t) bt;
                        return 0;
                }
        return -ENODATA;
}

int libvirt_daemon_from_pid(const char *proc_root, pid_t pid, LibvirtDaemon *ret) {
        char path[256], comm[16];
        LibvirtDaemon d = { .pid = pid };
        time_t bt = 0;
        long hz = sysconf(_SC_CLK_TCK);

        snprintf(path, sizeof(path), "%s/%d/comm", proc_root, (int) pid);
        if (pid <= 0 || read_one_line_file(path, comm, sizeof(comm)) < 0)
                return -ESRCH;
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(daemon_names); i++)
                known = known || streq(comm, daemon_names[i]);
        if (!known)
                return -ESRCH;
        memcpy(d.name, comm, sizeof(d.name)); /* both TASK_COMM_LEN */
        int r = start_ticks(proc_root, pid, &d.start_ticks);
        if (r < 0)
                return r;
        r = boot_time(proc_root, &bt);
        if (r < 0)
                return r;
        d.started = bt + (time_t) (d.start_ticks / (unsigned long long) (hz > 0 ? hz : 100));
        *ret = d;
        return 0;
}

/* libvirt's default for a root daemon is RUNSTATEDIR/NAME.pid; -p (as the
 * test rig uses) may put it under /run/libvirt/. */
int libvirt_daemon_find(const char *run_root, const char *proc_root, LibvirtDaemon *ret) {
        static const char *const where[] = { "%s/%s.pid", "%s/libvirt/%s.pid" };
        for (size_t i = 0; i < ELEMENTSOF(daemon_names); i++)
                for (size_t w = 0; w < ELEMENTSOF(where); w++) {
                        char path[256];
                        pid_t pid;
                        snprintf(path, sizeof(path), where[w], run_root, daemon_names[i]);
                        if (read_pid_file(path, &pid) < 0)
                                continue;
                        LibvirtDaemon d;
                        if (libvirt_daemon_from_pid(proc_root, pid, &d) == 0 && streq(d.name, daemon_names[i])) {
                                *ret = d;
                                return 0;
                        }
                }
        return -ESRCH;
}

int libvirt_daemon_socket(const char *run_root, char ret_name[static 16], char *ret_path, size_t path_len) {
        /* the sockets qemu:///system connects to, in libvirt's order */
        static const struct {
                const char *daemon, *sock;
        } socks[] = { { "virtqemud", "virtqemud-sock" }, { "libvirtd", "libvirt-sock" } };
        for (size_t i = 0; i < ELEMENTSOF(socks); i++) {
                struct stat st;
                if (snprintf(ret_path, path_len, "%s/libvirt/%s", run_root, socks[i].sock) >= (int) path_len)
                        return -ENAMETOOLONG;
                if (stat(ret_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
                        snprintf(ret_name, 16, "%s", socks[i].daemon);
                        return 0;
                }
        }
        return -ENOENT;
}

int libvirt_qemu_pid(const char *run_root, const char *name, pid_t *ret) {
        char path[512];
        pid_t pid;
        if (strchr(name, '/'))
                return -EINVAL;
        if (snprintf(path, sizeof(path), "%s/libvirt/qemu/%s.pid", run_root, name) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        int r = read_pid_file(path, &pid);
        if (r < 0)
                return r;
        if (pid <= 1)
                return -EBADMSG;
        *ret = pid;
        return 0;
}
