/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process event connector (see proc-connector.h).  The message layout is
 * the kernel's UAPI (<linux/cn_proc.h>): a netlink header, a cn_msg and a
 * proc_event; no library wraps this small, stable protocol.
 */
#include "pinning/proc-connector.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/macro.h"

#define PROC_CONNECTOR_RCVBUF (4 * 1024 * 1024)

/* The initial network namespace's inode number is fixed by the kernel
 * (PROC_NET_INIT_INO); /proc/1 may not be readable in a sandbox. */
#define PROC_NET_INIT_INO 0xEFFFFFF9U

static bool in_init_netns(void) {
        struct stat a, b;
        if (stat("/proc/self/ns/net", &a) < 0)
                return false;
        if (a.st_ino == PROC_NET_INIT_INO)
                return true;
        return stat("/proc/1/ns/net", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/*
 * Linux >= 6.6 lets a listener ask for some events only (cn_proc.c's
 * cn_filter): LISTEN with a struct proc_input instead of the bare op.
 * Without it every fork, exec and exit of the host queues up in front of
 * the name we wait for.  Older kernels ignore that form of the message,
 * and older UAPI headers lack the struct: hence our copy of its layout.
 */
struct proc_listen_filtered {
        enum proc_cn_mcast_op mcast_op;
        uint32_t event_type; /* a mask of enum proc_cn_event */
};

static int send_listen(int fd, const void *data, size_t len) {
        char msg[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(struct proc_listen_filtered))]
                __attribute__((aligned(NLMSG_ALIGNTO))) = { 0 };
        struct nlmsghdr *h = (struct nlmsghdr *) msg;
        struct cn_msg *cn = NLMSG_DATA(h);
        h->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + len);
        h->nlmsg_type = NLMSG_DONE;
        h->nlmsg_pid = (unsigned) getpid();
        cn->id.idx = CN_IDX_PROC;
        cn->id.val = CN_VAL_PROC;
        cn->len = (uint16_t) len;
        memcpy(cn->data, data, len);
        return send(fd, msg, h->nlmsg_len, 0) < 0 ? -errno : 0;
}

static void *name_self(void *arg _unused_) {
        (void) prctl(PR_SET_NAME, "mg-cn-probe");
        return NULL;
}

static void note_probe(pid_t tgid, pid_t tid _unused_, const char *comm, uint64_t named_ns _unused_, void *userdata) {
        if (tgid == getpid() && streq(comm, "mg-cn-probe"))
                *(bool *) userdata = true;
}

/* Does the kernel send us names now?  A thread of ours names itself. */
static bool names_arrive(int fd) {
        pthread_t t;
        bool seen = false;
        if (pthread_create(&t, NULL, name_self, NULL) != 0)
                return false;
        pthread_join(t, NULL);
        for (int i = 0; i < 20 && !seen; i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 10) > 0)
                        (void) proc_connector_dispatch(fd, note_probe, &seen);
        }
        return seen;
}

int proc_connector_open(bool *ret_filtered) {
        if (!in_init_netns())
                return -ENETUNREACH;
        _cleanup_close_ int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
        if (fd < 0)
                return -errno;
        /* Every process event of the host may arrive here: a burst (a
         * build, a boot) must not overflow the queue.  FORCE goes past
         * rmem_max, with the CAP_NET_ADMIN this socket needs anyway. */
        int size = PROC_CONNECTOR_RCVBUF;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0 };
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        struct proc_listen_filtered only_names = { PROC_CN_MCAST_LISTEN, PROC_EVENT_COMM };
        int r = send_listen(fd, &only_names, sizeof(only_names));
        if (r < 0)
                return r;
        *ret_filtered = names_arrive(fd);
        if (!*ret_filtered) {
                enum proc_cn_mcast_op all = PROC_CN_MCAST_LISTEN;
                r = send_listen(fd, &all, sizeof(all));
                if (r < 0)
                        return r;
        }
        return TAKE_FD(fd);
}

int proc_connector_dispatch(int fd, CommHandler h, void *userdata) {
        char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                for (struct nlmsghdr *m = (struct nlmsghdr *) buf; NLMSG_OK(m, (size_t) n); m = NLMSG_NEXT(m, n)) {
                        struct cn_msg *cn = NLMSG_DATA(m);
                        /* the event sits 4-byte aligned in the message; proc_event wants 8 */
                        struct proc_event ev = { 0 };
                        char comm[17];
                        memcpy(&ev, cn->data, cn->len < sizeof(ev) ? cn->len : sizeof(ev));
                        if (ev.what != PROC_EVENT_COMM)
                                continue;
                        memcpy(comm, ev.event_data.comm.comm, 16);
                        comm[16] = 0;
                        h(ev.event_data.comm.process_tgid, ev.event_data.comm.process_pid, comm, ev.timestamp_ns,
                          userdata);
                }
        }
}
