/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process event connector (see proc-connector.h).  The message layout is
 * the kernel's UAPI (<linux/cn_proc.h>): a netlink header, a cn_msg and a
 * proc_event; no library wraps this small, stable protocol.
 */
#include "proc-connector.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

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

int proc_connector_open(void) {
        if (!in_init_netns())
                return -ENETUNREACH;
        _cleanup_close_ int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
        if (fd < 0)
                return -errno;
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0 };
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        /* nlmsghdr + cn_msg (a flexible array) + the op, in one buffer */
        char msg[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))]
                __attribute__((aligned(NLMSG_ALIGNTO))) = { 0 };
        struct nlmsghdr *h = (struct nlmsghdr *) msg;
        struct cn_msg *cn = NLMSG_DATA(h);
        enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
        h->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(op));
        h->nlmsg_type = NLMSG_DONE;
        h->nlmsg_pid = (unsigned) getpid();
        cn->id.idx = CN_IDX_PROC;
        cn->id.val = CN_VAL_PROC;
        cn->len = sizeof(op);
        memcpy(cn->data, &op, sizeof(op));
        if (send(fd, msg, h->nlmsg_len, 0) < 0)
                return -errno;
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
                        h(ev.event_data.comm.process_tgid, ev.event_data.comm.process_pid, comm, userdata);
                }
        }
}
