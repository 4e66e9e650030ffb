/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Pinner's event sources (see pin-loop.h). */
#include "pinning/pin-loop.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "pinning/proc-connector.h"

static void on_comm(pid_t tgid, pid_t tid, const char *comm, uint64_t named_ns, void *userdata) {
        pinner_thread_named(userdata, tgid, tid, comm, named_ns);
}

static void on_proc_event(int watch _unused_, int fd, int events _unused_, void *opaque) {
        if (proc_connector_dispatch(fd, on_comm, opaque) == -ENOBUFS)
                pinner_scan(opaque); /* names were lost: find them */
}

static void on_scan(int timer _unused_, void *opaque) {
        pinner_scan(opaque);
}

int pin_loop_start(Pinner *p, bool *ret_connector, bool *ret_filtered, const char **ret_why) {
        int fd = proc_connector_open(ret_filtered);
        if (fd >= 0 && virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE, on_proc_event, p, NULL) >= 0) {
                *ret_connector = true;
                *ret_why = NULL;
                return virEventAddTimeout(PIN_SAFETY_SCAN_INTERVAL_MS, on_scan, p, NULL) < 0 ? -EIO : 0;
        }
        if (fd >= 0)
                close(fd);
        *ret_connector = false;
        *ret_why = fd == -ENETUNREACH ? "not in the initial network namespace" : strerror(fd < 0 ? -fd : EIO);
        return virEventAddTimeout(PIN_SCAN_INTERVAL_MS, on_scan, p, NULL) < 0 ? -EIO : 0;
}
