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
#include "log.h"
#include "provision.h"
#include "strv.h"

#define PUBLISH_RETRY_MS 2000

static bool facts_equal(const ImageInfo *a, const ImageInfo *b) {
        return streq_ptr(a->target, b->target) && streq_ptr(a->format, b->format) &&
               a->virtual_size == b->virtual_size && a->cluster_size == b->cluster_size &&
               streq_ptr(a->compat, b->compat) && a->lazy_refcounts == b->lazy_refcounts &&
               a->extended_l2 == b->extended_l2 && streq_ptr(a->compression_type, b->compression_type);
}

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
                info.actual_size = 0; /* changes all the time; not a fact to publish */
                out->items[out->n++] = info;
        }
        return 0;
}

static bool unchanged(const DomainXml *x, const FactList *l) {
        if (x->n_facts != l->n)
                return false;
        for (size_t i = 0; i < l->n; i++)
                if (!facts_equal(&x->facts[i], &l->items[i]))
                        return false;
        return true;
}

/* 1: published or nothing to do, 0: busy (retry later), <0: error. */
static int publish_domain(Daemon *d, virDomainPtr dom) {
        _cleanup_free_ char *xml = NULL, *err = NULL, *meta = NULL;
        _cleanup_(domain_xml_freep) DomainXml *x = NULL;
        virDomainJobInfo job;
        FactList facts = { 0 };
        int r, state, reason;

        if (virDomainIsActive(dom) != 1)
                return 1;
        if (virDomainGetState(dom, &state, &reason, 0) == 0 && state == VIR_DOMAIN_PAUSED &&
            (reason == VIR_DOMAIN_PAUSED_MIGRATION || reason == VIR_DOMAIN_PAUSED_STARTING_UP ||
             reason == VIR_DOMAIN_PAUSED_POSTCOPY))
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
        if (r >= 0 && x->facts_host && streq(x->facts_host, d->hostname) && unchanged(x, &facts))
                r = 1;
        else if (r >= 0)
                r = domain_facts_format(d->hostname, facts.items, facts.n, &meta);
        if (r == 0) {
                r = virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, meta, MG_XMLNS_PREFIX, MG_XMLNS,
                                         VIR_DOMAIN_AFFECT_LIVE);
                if (r < 0) {
                        const virError *e = virGetLastError();
                        log_warning("Cannot publish disk facts of %s: %s", x->name, e ? e->message : "?");
                        r = -EIO;
                } else {
                        LogFields f = { .message_id = MG_MSGID_PUBLISHED, .domain = x->name };
                        log_struct(LOG_INFO, &f, "Published facts of %zu disk(s) of %s", facts.n, x->name);
                        r = 1;
                }
        }
        fact_list_done(&facts);
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
