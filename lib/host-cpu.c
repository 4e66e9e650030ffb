/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XPath over libvirt's capability documents (see host-cpu.h). */
#include "host-cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "xml-util.h"

int host_cpu_from_domcaps(const char *domcaps_xml, char **ret_cpu_xml, char **ret_model) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL, out = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_free_ char *err = NULL;
        int r = xml_parse_untrusted(domcaps_xml, strlen(domcaps_xml), &doc, &err);
        if (r < 0)
                return r;
        ctx = xmlXPathNewContext(doc);
        if (!ctx)
                return -ENOMEM;
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr mode =
                xpath_nodes(ctx, NULL, "/domainCapabilities/cpu/mode[@name='host-model' and @supported='yes']");
        if (!mode || !mode->nodesetval || mode->nodesetval->nodeNr < 1)
                return -ENOENT;
        xmlNodePtr m = mode->nodesetval->nodeTab[0];

        out = xmlNewDoc((const xmlChar *) "1.0");
        xmlNodePtr cpu = xmlNewNode(NULL, (const xmlChar *) "cpu");
        if (!out || !cpu)
                return -ENOMEM;
        xmlDocSetRootElement(out, cpu);
        xmlNewProp(cpu, (const xmlChar *) "mode", (const xmlChar *) "custom");
        xmlNewProp(cpu, (const xmlChar *) "match", (const xmlChar *) "exact");
        for (xmlNodePtr c = m->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                /* model, vendor, feature: the <cpu> vocabulary domcaps reuses */
                xmlNodePtr copy = xmlDocCopyNode(c, out, 1);
                if (!copy || !xmlAddChild(cpu, copy))
                        return -ENOMEM;
        }
        xmlBufferPtr b = xmlBufferCreate();
        if (!b)
                return -ENOMEM;
        r = xmlNodeDump(b, out, cpu, 0, 0) < 0 ? -ENOMEM : 0;
        if (r == 0)
                *ret_cpu_xml = strdup((const char *) xmlBufferContent(b));
        xmlBufferFree(b);
        if (r < 0 || !*ret_cpu_xml)
                return -ENOMEM;
        if (ret_model)
                *ret_model = xpath_string(ctx, m, "./model");
        return 0;
}

int host_cpu_model_from_caps(const char *caps_xml, char **ret_model) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_free_ char *err = NULL;
        int r = xml_parse_untrusted(caps_xml, strlen(caps_xml), &doc, &err);
        if (r < 0)
                return r;
        ctx = xmlXPathNewContext(doc);
        if (!ctx)
                return -ENOMEM;
        *ret_model = xpath_string(ctx, NULL, "/capabilities/host/cpu/model");
        return *ret_model ? 0 : -ENOENT;
}
