/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Arrived guests made persistent (see destination.h). */
#include "persist/destination.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain-xml.h"
#include "core/virt-util.h"

int persist_definition_of(virDomainPtr dom, char **ret_xml) {
        _cleanup_free_ char *live = NULL, *err = NULL;
        _cleanup_(domain_xml_freep) DomainXml *x = NULL;

        if (virDomainIsPersistent(dom) != 0)
                return -EEXIST;
        live = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_MIGRATABLE);
        if (!live)
                return -EIO;
        int r = domain_xml_parse(live, strlen(live), &x, &err);
        if (r < 0)
                return r;
        /* the source's definition when it had one, else the live one */
        return domain_definition_for_host(x->src_inactive_xml ? x->src_inactive_xml : live, virDomainGetName(dom),
                                          ret_xml);
}

PersistOutcome persist_define(virConnectPtr conn, const char *uuid, const char *xml, char **ret_message) {
        _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);
        _cleanup_(virDomainFreep) virDomainPtr def = NULL;

        *ret_message = NULL;
        if (!dom || virDomainIsPersistent(dom) != 0)
                return PERSIST_NOTHING;
        if (virt_domain_busy(dom))
                return PERSIST_RETRY;
        const char *name = virDomainGetName(dom);
        def = virDomainDefineXML(conn, xml);
        if (!def) {
                if (asprintf(ret_message, "Cannot make %s persistent: %s", name, virt_last_error_message()) < 0)
                        *ret_message = NULL;
                return PERSIST_FAILED;
        }
        if (asprintf(ret_message, "%s is now persistent on this host", name) < 0)
                *ret_message = NULL;
        return PERSIST_DEFINED;
}
