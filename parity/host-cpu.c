/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XPath over libvirt's capability documents (see host-cpu.h). */
#include "parity/host-cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/alloc-util.h"
#include "basic/xml-util.h"

int host_cpu_from_domcaps(const char *domcaps_xml, char **ret_cpu_xml, char **ret_model) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL, out = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        int r = xml_parse_xpath(domcaps_xml, strlen(domcaps_xml), &doc, &ctx, NULL);
        if (r < 0)
                return r;
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
        r = xml_node_to_string(out, cpu, ret_cpu_xml);
        if (r < 0)
                return r;
        if (ret_model)
                *ret_model = xpath_string(ctx, m, "./model");
        return 0;
}

int host_cpu_model_from_caps(const char *caps_xml, char **ret_model) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        int r = xml_parse_xpath(caps_xml, strlen(caps_xml), &doc, &ctx, NULL);
        if (r < 0)
                return r;
        char *model = xpath_string(ctx, NULL, "/capabilities/host/cpu/model");
        if (!model)
                return -ENOENT;
        *ret_model = model;
        return 0;
}
