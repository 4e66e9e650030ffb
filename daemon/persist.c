/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Destination side: a guest that arrived without `--persistent` is
 * transient and cannot be started here once shut down.  When its incoming
 * migration completed, define it with what libvirt's `--persistent` would
 * have stored: the source's persistent definition (published by the
 * source migguardd, pending --config changes included) or, for a
 * transient source, the live definition.  The definition is captured at
 * once (before this host republishes its own facts over the source's);
 * defining waits until libvirt's migration job has ended.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "alloc-util.h"
#include "daemon.h"
#include "domain-xml.h"
#include "log.h"
#include "strv.h"

#define PERSIST_RETRY_MS 500

static void persist_one(Daemon *d, const char *uuid, const char *xml, bool *retry) {
        _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByUUIDString(d->conn, uuid);
        _cleanup_(virDomainFreep) virDomainPtr def = NULL;
        virDomainJobInfo job;

        if (!dom || virDomainIsPersistent(dom) != 0)
                return; /* gone, or `--persistent` did it already */
        if (virDomainGetJobInfo(dom, &job) == 0 && job.type != VIR_DOMAIN_JOB_NONE) {
                *retry = true;
                return;
        }
        const char *name = virDomainGetName(dom);
        LogFields f = { .message_id = MG_MSGID_PERSISTED, .domain = name };
        def = virDomainDefineXML(d->conn, xml);
        if (!def) {
                const virError *e = virGetLastError();
                log_struct(LOG_WARNING, &f, "Cannot make %s persistent: %s", name, e && e->message ? e->message : "?");
                return;
        }
        log_struct(LOG_INFO, &f, "%s is now persistent on this host", name);
}

static void persist_cb(int timer _unused_, void *opaque) {
        Daemon *d = opaque;
        _cleanup_strv_free_ char **uuids = TAKE_PTR(d->persist_uuids);
        _cleanup_strv_free_ char **xmls = TAKE_PTR(d->persist_xmls);

        virEventUpdateTimeout(d->persist_timer, -1);
        for (size_t i = 0; uuids && uuids[i] && d->conn; i++) {
                bool retry = false;
                persist_one(d, uuids[i], xmls[i], &retry);
                if (retry && (strv_push(&d->persist_uuids, uuids[i]) < 0 || strv_push(&d->persist_xmls, xmls[i]) < 0))
                        return;
        }
        if (d->persist_uuids)
                virEventUpdateTimeout(d->persist_timer, PERSIST_RETRY_MS);
}

void daemon_queue_persist(Daemon *d, virDomainPtr dom) {
        _cleanup_free_ char *live = NULL, *err = NULL, *def = NULL;
        _cleanup_(domain_xml_freep) DomainXml *x = NULL;
        char uuid[VIR_UUID_STRING_BUFLEN];
        int r;

        if (!d->policy->persist_destination || virDomainIsPersistent(dom) != 0 || virDomainGetUUIDString(dom, uuid) < 0)
                return;
        live = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_MIGRATABLE);
        if (!live || domain_xml_parse(live, strlen(live), &x, &err) < 0)
                return;
        /* the source's definition when it had one, else the live one; named
         * as here (--dname) and without migguard's live-only facts */
        r = domain_definition_for_host(x->src_inactive_xml ? x->src_inactive_xml : live, virDomainGetName(dom), &def);
        if (r < 0) {
                log_warning("Cannot prepare the persistent definition of %s", virDomainGetName(dom));
                return;
        }
        if (strv_push(&d->persist_uuids, uuid) < 0 || strv_push(&d->persist_xmls, def) < 0)
                return;
        if (d->persist_timer < 0)
                d->persist_timer = virEventAddTimeout(0, persist_cb, d, NULL);
        else
                virEventUpdateTimeout(d->persist_timer, 0);
}
