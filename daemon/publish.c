/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Source side: publish each running guest's disk facts (format, exact
 * virtual size, qcow2 creation options, as qemu-img reports them) in its
 * live <metadata>.  Live metadata travels in the XML the destination's
 * migrate hook reads, which is how the destination learns what it must
 * create: libvirt itself only sends the capacity.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "alloc-util.h"
#include "daemon.h"
#include "domain-xml.h"
#include "image.h"
#include "host-cpu.h"
#include "log.h"
#include "netdev.h"
#include "parity.h"
#include "provision.h"
#include "strv.h"
#include "virt-util.h"

#define PUBLISH_RETRY_MS 2000

typedef struct FactList {
        ImageInfo *items;
        size_t n;
} FactList;

static void fact_list_done(FactList *l) {
        for (size_t i = 0; i < l->n; i++)
                image_info_done(&l->items[i]);
        free(l->items);
}

static int collect_facts(const DomainXml *x, FactList *out) {
        out->items = calloc(x->n_disks ? x->n_disks : 1, sizeof(ImageInfo));
        if (!out->items)
                return -ENOMEM;
        for (size_t i = 0; i < x->n_disks; i++) {
                const DomainDisk *disk = &x->disks[i];
                ImageInfo info;
                if (!disk_is_copy_candidate(disk) || !streq(disk->type, "file"))
                        continue;
                if (image_info_query(disk->source, &info) < 0) {
                        log_debug("Cannot read image facts of %s", disk->source);
                        continue;
                }
                info.target = strdup(disk->target);
                if (!info.target) {
                        image_info_done(&info);
                        return -ENOMEM;
                }
                /* the allocation changes all the time; whether the image is
                 * mostly holes seldom does, and tells the destination
                 * whether a fully allocated copy lost its holes */
                if (info.actual_size > 0 && info.virtual_size > 0)
                        info.sparse = info.actual_size < info.virtual_size / 2;
                info.actual_size = 0;
                out->items[out->n++] = info;
        }
        return 0;
}

typedef struct NetList {
        NetFacts *items;
        size_t n;
} NetList;

static void net_list_done(NetList *l) {
        for (size_t i = 0; i < l->n; i++)
                net_facts_done(&l->items[i]);
        free(l->items);
}

/* Where each interface leads on this host: device kind, subnets, VLAN, segment. */
static int collect_nets(Daemon *d, const DomainXml *x, NetList *out) {
        _cleanup_(netdev_context_freep) NetDevContext *ctx = NULL;
        if (x->n_ifaces == 0)
                return 0;
        out->items = calloc(x->n_ifaces, sizeof(NetFacts));
        if (!out->items)
                return -ENOMEM;
        if (netdev_context_new(&ctx) < 0)
                return -EIO;
        for (size_t i = 0; i < x->n_ifaces; i++) {
                const DomainInterface *nic = &x->ifaces[i];
                const char *device = streq(nic->type, "network") ? nic->bridge : nic->source;
                NetDev dev;
                if (!nic->mac ||
                    (!streq(nic->type, "bridge") && !streq(nic->type, "network") && !streq(nic->type, "direct")))
                        continue;
                NetFacts *f = &out->items[out->n++];
                *f = (NetFacts){ .vlan = -1, .mac = strdup(nic->mac) };
                const char *seg = policy_segment_of(d->policy, nic->type, nic->source);
                if (!f->mac || (seg && !(f->segment = strdup(seg))))
                        return -ENOMEM;
                if (!device || netdev_query(ctx, device, &dev) < 0 || !dev.exists)
                        continue;
                f->device = strdup(device);
                f->kind = TAKE_PTR(dev.kind);
                f->prefixes = TAKE_PTR(dev.prefixes);
                f->vlan = dev.uplink_vlan;
                netdev_done(&dev);
        }
        return 0;
}

/* This host's host-model CPU for the guest's emulator and virt type. */
static void collect_cpu(Daemon *d, const DomainXml *x, char **ret_xml) {
        _cleanup_free_ char *caps = NULL, *model = NULL;
        if (!d->host_cpu_model) {
                caps = virConnectGetCapabilities(d->conn);
                if (caps)
                        (void) host_cpu_model_from_caps(caps, &d->host_cpu_model);
        }
        _cleanup_free_ char *domcaps =
                virConnectGetDomainCapabilities(d->conn, x->emulator, x->arch, x->machine, x->virt_type, 0);
        if (domcaps)
                (void) host_cpu_from_domcaps(domcaps, ret_xml, &model);
}

/* The facts as they are published now, formatted the same way, for comparison. */
static int current_facts(const DomainXml *x, char **ret) {
        if (!x->facts_host) {
                *ret = NULL;
                return 0;
        }
        SourceFacts f = { .host = x->facts_host,
                          .disks = x->facts,
                          .n_disks = x->n_facts,
                          .cpu_model = x->src_cpu_model,
                          .cpu_xml = x->src_cpu_xml,
                          .nets = x->net_facts,
                          .n_nets = x->n_net_facts,
                          .inactive_xml = x->src_inactive_xml };
        return source_facts_format(&f, ret);
}

/* 1: published or nothing to do, 0: busy (retry later), <0: error. */
static int publish_domain(Daemon *d, virDomainPtr dom) {
        _cleanup_free_ char *xml = NULL, *err = NULL, *meta = NULL, *old = NULL, *cpu_xml = NULL, *inactive = NULL;
        _cleanup_(domain_xml_freep) DomainXml *x = NULL;
        virDomainJobInfo job;
        FactList facts = { 0 };
        NetList nets = { 0 };
        int r;

        if (virDomainIsActive(dom) != 1)
                return 1;
        if (virt_domain_migration_pending(dom) > 0)
                return 0;
        /* Setting metadata would wait for a running job (migration) to end. */
        if (virDomainGetJobInfo(dom, &job) == 0 && job.type != VIR_DOMAIN_JOB_NONE)
                return 0;
        xml = virDomainGetXMLDesc(dom, 0);
        if (!xml)
                return -EIO;
        r = domain_xml_parse(xml, strlen(xml), &x, &err);
        if (r < 0)
                return r;
        r = collect_facts(x, &facts);
        if (r >= 0)
                r = collect_nets(d, x, &nets);
        if (r >= 0) {
                collect_cpu(d, x, &cpu_xml);
                /* what `--persistent` would store on the destination; no
                 * secrets: live metadata is readable by read-only clients */
                if (virDomainIsPersistent(dom) == 1)
                        inactive = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_MIGRATABLE);
                SourceFacts f = { .host = d->hostname,
                                  .disks = facts.items,
                                  .n_disks = facts.n,
                                  .cpu_model = d->host_cpu_model,
                                  .cpu_xml = cpu_xml,
                                  .nets = nets.items,
                                  .n_nets = nets.n,
                                  .inactive_xml = inactive };
                r = source_facts_format(&f, &meta);
        }
        if (r >= 0)
                r = current_facts(x, &old);
        if (r >= 0 && old && streq(old, meta))
                r = 1;
        else if (r >= 0) {
                r = virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, meta, MG_XMLNS_PREFIX, MG_XMLNS,
                                         VIR_DOMAIN_AFFECT_LIVE);
                if (r < 0) {
                        const virError *e = virGetLastError();
                        log_warning("Cannot publish facts of %s: %s", x->name, e ? e->message : "?");
                        r = -EIO;
                } else {
                        LogFields lf = { .message_id = MG_MSGID_PUBLISHED, .domain = x->name };
                        log_struct(LOG_INFO, &lf,
                                   "Published facts of %zu disk(s), %zu interface(s) and the host CPU of %s", facts.n,
                                   nets.n, x->name);
                        r = 1;
                }
        }
        fact_list_done(&facts);
        net_list_done(&nets);
        return r;
}

static void publish_cb(int timer _unused_, void *opaque) {
        Daemon *d = opaque;
        _cleanup_strv_free_ char **queue = TAKE_PTR(d->publish_queue);
        bool retry = false;

        virEventUpdateTimeout(d->publish_timer, -1);
        for (char **u = queue; u && *u && d->conn; u++) {
                _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByUUIDString(d->conn, *u);
                if (!dom)
                        continue;
                if (publish_domain(d, dom) == 0) {
                        (void) strv_push(&d->publish_queue, *u);
                        retry = true;
                }
        }
        if (retry)
                virEventUpdateTimeout(d->publish_timer, PUBLISH_RETRY_MS);
}

void daemon_queue_publish(Daemon *d, const char *uuid) {
        if (!strv_contains(d->publish_queue, uuid) && strv_push(&d->publish_queue, uuid) < 0)
                return;
        if (d->publish_timer < 0)
                d->publish_timer = virEventAddTimeout(0, publish_cb, d, NULL);
        else
                virEventUpdateTimeout(d->publish_timer, 0);
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

void daemon_publish_pending(Daemon *d) {
        if (d->publish_queue && d->publish_timer >= 0)
                virEventUpdateTimeout(d->publish_timer, 0);
}
