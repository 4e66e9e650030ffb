/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Source side: publish each running guest's facts in its live <metadata>
 * (MG_XMLNS), which travels in the XML the destination's migrate hook
 * reads: its disks (provisioning), their storage identity (shared
 * storage), its interfaces and this host's CPU (parity) and its
 * persistent definition (persistence).
 *
 * This is the slow work of migguardd (one `qemu-img info` per disk, and
 * libvirt round trips), so it runs in a thread of its own with its own
 * libvirt connection: the event loop, which places migration threads and
 * answers libvirt's keepalives, never waits for it.  Domains are queued by
 * UUID; one that is migrating is retried later (setting metadata would
 * wait for the migration job).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "basic/time-util.h"
#include "core/domain-xml.h"
#include "core/virt-util.h"
#include "daemon.h"
#include "priority.h"
#include "parity/net-facts.h"
#include "parity/parity-libvirt.h"
#include "provision/disk-facts.h"
#include "storage/storage-facts.h"

#define PUBLISH_RETRY_USEC (2 * USEC_PER_SEC)
/* qemu-img info of one guest's images: generous, it only delays facts */
#define PUBLISH_DEADLINE_USEC (60 * USEC_PER_SEC)

/* UUID + '\n': shorter than PIPE_BUF, so every record is written whole */
#define RECORD_LEN (VIR_UUID_STRING_BUFLEN)

struct Publisher {
        pthread_t thread;
        bool started;
        /* The event loop hands work over without ever waiting for this
         * thread (no shared lock: a lower-priority holder would stall it):
         * UUIDs through a pipe (EOF: stop), policies through one pointer. */
        int pipe[2];
        Policy *next_policy;
        /* the thread's own */
        Policy *policy;
        char **queue; /* UUIDs to publish now */
        char **later; /* UUIDs to retry at later_at (CLOCK_MONOTONIC) */
        usec_t later_at;
        char *uri;
        char hostname[256];
        virConnectPtr conn;
        char *host_cpu_model;
};

/* The facts as they are published now, formatted the same way, for comparison. */
static int current_facts(const DomainXml *x, char **ret) {
        if (!x->facts_host) {
                *ret = NULL;
                return 0;
        }
        SourceFacts f = { .host = x->facts_host,
                          .disks = x->facts,
                          .n_disks = x->n_facts,
                          .storage = x->storage_facts,
                          .n_storage = x->n_storage_facts,
                          .cpu_model = x->src_cpu_model,
                          .cpu_xml = x->src_cpu_xml,
                          .nets = x->net_facts,
                          .n_nets = x->n_net_facts,
                          .inactive_xml = x->src_inactive_xml };
        return source_facts_format(&f, ret);
}

typedef struct Collected {
        ImageInfo *disks;
        size_t n_disks;
        StorageFacts *storage;
        size_t n_storage;
        NetFacts *nets;
        size_t n_nets;
        char *cpu_xml, *inactive;
} Collected;

static void collected_done(Collected *c) {
        disk_facts_free(c->disks, c->n_disks);
        storage_facts_free(c->storage, c->n_storage);
        net_facts_free(c->nets, c->n_nets);
        free(c->cpu_xml);
        free(c->inactive);
}

static int collect(Publisher *p, const Policy *policy, virDomainPtr dom, const DomainXml *x, Collected *c) {
        int r = disk_facts_collect(x, deadline_in(PUBLISH_DEADLINE_USEC), &c->disks, &c->n_disks);
        if (r >= 0)
                r = storage_facts_collect(NULL, x, &c->storage, &c->n_storage);
        if (r >= 0)
                r = net_facts_collect(policy, x, &c->nets, &c->n_nets);
        if (r < 0)
                return r;
        if (!p->host_cpu_model)
                (void) parity_host_cpu_model(p->conn, &p->host_cpu_model);
        (void) parity_host_cpu_for(p->conn, x, &c->cpu_xml);
        /* what `--persistent` would store on the destination; no secrets:
         * live metadata is readable by read-only clients */
        if (virDomainIsPersistent(dom) == 1)
                c->inactive = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_MIGRATABLE);
        return 0;
}

/* 1: published or nothing to do, 0: busy (retry later), <0: error. */
static int publish_domain(Publisher *p, const Policy *policy, virDomainPtr dom) {
        _cleanup_free_ char *xml = NULL, *err = NULL, *meta = NULL, *old = NULL;
        _cleanup_(domain_xml_freep) DomainXml *x = NULL;
        Collected c = { 0 };

        if (virDomainIsActive(dom) != 1)
                return 1;
        /* Setting metadata would wait for a running job (migration) to end. */
        if (virt_domain_busy(dom))
                return 0;
        xml = virDomainGetXMLDesc(dom, 0);
        if (!xml)
                return -EIO;
        int r = domain_xml_parse(xml, strlen(xml), &x, &err);
        if (r >= 0)
                r = collect(p, policy, dom, x, &c);
        if (r >= 0) {
                SourceFacts f = { .host = p->hostname,
                                  .disks = c.disks,
                                  .n_disks = c.n_disks,
                                  .storage = c.storage,
                                  .n_storage = c.n_storage,
                                  .cpu_model = p->host_cpu_model,
                                  .cpu_xml = c.cpu_xml,
                                  .nets = c.nets,
                                  .n_nets = c.n_nets,
                                  .inactive_xml = c.inactive };
                r = source_facts_format(&f, &meta);
        }
        if (r >= 0)
                r = current_facts(x, &old);
        if (r >= 0 && old && streq(old, meta)) {
                log_debug("Facts of %s unchanged", x->name);
                r = 1;
        } else if (r >= 0) {
                if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, meta, MG_XMLNS_PREFIX, MG_XMLNS,
                                         VIR_DOMAIN_AFFECT_LIVE) < 0) {
                        log_warning("Cannot publish facts of %s: %s", x->name, virt_last_error_message());
                        r = -EIO;
                } else {
                        LogFields lf = { .message_id = MG_MSGID_PUBLISHED, .domain = x->name };
                        log_struct(LOG_INFO, &lf,
                                   "Published facts of %zu disk(s), %zu interface(s) and the host CPU of %s", c.n_disks,
                                   c.n_nets, x->name);
                        r = 1;
                }
        }
        collected_done(&c);
        return r;
}

/* The thread's connection, reopened after libvirt went away. */
static bool connected(Publisher *p) {
        if (p->conn && virConnectIsAlive(p->conn) == 1)
                return true;
        if (p->conn)
                (void) virConnectClose(p->conn);
        free(p->host_cpu_model);
        p->host_cpu_model = NULL;
        p->conn = virConnectOpen(p->uri);
        return p->conn != NULL;
}

/* Publish @uuids; the busy ones go to *retry. */
static void publish_all(Publisher *p, const Policy *policy, char **uuids, char ***retry) {
        for (char **u = uuids; u && *u; u++) {
                if (!connected(p)) {
                        (void) strv_push(retry, *u);
                        continue;
                }
                _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByUUIDString(p->conn, *u);
                if (dom && publish_domain(p, policy, dom) == 0)
                        (void) strv_push(retry, *u);
        }
}

/* Read what the event loop sent: UUIDs into the queue.  false at EOF. */
static bool receive(Publisher *p, char *buf, size_t *len) {
        ssize_t n = read(p->pipe[0], buf + *len, RECORD_LEN * 64 - *len);
        if (n == 0)
                return false;
        if (n < 0)
                return errno == EINTR || errno == EAGAIN;
        *len += (size_t) n;
        size_t used = 0;
        for (; *len - used >= RECORD_LEN; used += RECORD_LEN) {
                buf[used + RECORD_LEN - 1] = 0;
                if (!strv_contains(p->queue, buf + used))
                        (void) strv_push(&p->queue, buf + used);
        }
        memmove(buf, buf + used, *len - used);
        *len -= used;
        return true;
}

static void take_policy(Publisher *p) {
        Policy *next = __atomic_exchange_n(&p->next_policy, NULL, __ATOMIC_ACQ_REL);
        if (next) {
                policy_unref(p->policy);
                p->policy = next;
        }
}

static void *run(void *userdata) {
        Publisher *p = userdata;
        char buf[RECORD_LEN * 64];
        size_t len = 0;

        daemon_lower_priority();
        for (;;) {
                if (!p->queue && p->later && now_usec(CLOCK_MONOTONIC) >= p->later_at)
                        p->queue = TAKE_PTR(p->later);
                struct pollfd pfd = { .fd = p->pipe[0], .events = POLLIN };
                int wait = p->queue ? 0 : p->later ? deadline_left_ms(p->later_at) : -1;
                if (poll(&pfd, 1, wait) > 0 && !receive(p, buf, &len))
                        break;
                take_policy(p);
                if (!p->queue)
                        continue;

                _cleanup_strv_free_ char **batch = TAKE_PTR(p->queue), **retry = NULL;
                publish_all(p, p->policy, batch, &retry);
                for (char **u = retry; u && *u; u++)
                        if (!strv_contains(p->later, *u))
                                (void) strv_push(&p->later, *u);
                if (retry)
                        p->later_at = now_usec(CLOCK_MONOTONIC) + PUBLISH_RETRY_USEC;
        }
        return NULL;
}

int publisher_new(const char *uri, const char *hostname, Policy *policy, Publisher **ret) {
        Publisher *p = calloc(1, sizeof(Publisher));
        if (!p)
                return -ENOMEM;
        p->pipe[0] = p->pipe[1] = -1;
        p->uri = strdup(uri);
        snprintf(p->hostname, sizeof(p->hostname), "%s", hostname);
        p->policy = policy_ref(policy);
        if (!p->uri || pipe2(p->pipe, O_CLOEXEC) < 0 || fcntl(p->pipe[1], F_SETFL, O_NONBLOCK) < 0) {
                int r = p->uri ? -errno : -ENOMEM;
                publisher_free(p);
                return r;
        }
        int r = pthread_create(&p->thread, NULL, run, p);
        if (r != 0) {
                publisher_free(p);
                return -r;
        }
        p->started = true;
        *ret = p;
        return 0;
}

void publisher_free(Publisher *p) {
        if (!p)
                return;
        closep(&p->pipe[1]); /* EOF: the thread ends */
        if (p->started)
                pthread_join(p->thread, NULL);
        closep(&p->pipe[0]);
        strv_free(p->queue);
        strv_free(p->later);
        policy_unref(p->policy);
        policy_unref(p->next_policy);
        if (p->conn)
                (void) virConnectClose(p->conn);
        free(p->host_cpu_model);
        free(p->uri);
        free(p);
}

void publisher_set_policy(Publisher *p, Policy *policy) {
        policy_unref(__atomic_exchange_n(&p->next_policy, policy_ref(policy), __ATOMIC_ACQ_REL));
}

void publisher_queue(Publisher *p, const char *uuid) {
        char record[RECORD_LEN];
        if (strlen(uuid) != RECORD_LEN - 1)
                return;
        memcpy(record, uuid, RECORD_LEN - 1);
        record[RECORD_LEN - 1] = '\n';
        /* never blocks; a full pipe means tens of thousands queued already */
        if (write(p->pipe[1], record, RECORD_LEN) != RECORD_LEN)
                log_debug("Publisher busy, facts of %s not queued", uuid);
}

void daemon_queue_publish(Daemon *d, const char *uuid) {
        if (d->publisher)
                publisher_queue(d->publisher, uuid);
}

void daemon_queue_publish_all(Daemon *d) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(d->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN];
                if (virDomainGetUUIDString(doms[i], uuid) >= 0)
                        daemon_queue_publish(d, uuid);
                virDomainFree(doms[i]);
        }
        free(doms);
}
