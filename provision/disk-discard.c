/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* discard='unmap' for provisioned raw disks (see disk-discard.h). */
#include "provision/disk-discard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/strv.h"
#include "basic/xml-util.h"

int disk_discard_unmap(const char *xml, size_t len, char *const *targets, char **ret_xml, char ***ret_changed) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_strv_free_ char **changed = calloc(1, sizeof(char *));
        int r;

        if (!changed)
                return -ENOMEM;
        r = xml_parse_xpath(xml, len, &doc, &ctx, NULL);
        if (r < 0)
                return r;
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr drivers =
                xpath_nodes(ctx, NULL, "/domain/devices/disk[@type='file']/driver[@type='raw' and not(@discard)]");
        for (int i = 0; drivers && drivers->nodesetval && i < drivers->nodesetval->nodeNr; i++) {
                xmlNodePtr driver = drivers->nodesetval->nodeTab[i];
                _cleanup_free_ char *target = xpath_string(ctx, driver->parent, "target/@dev");
                if (!target || !strv_contains(targets, target))
                        continue;
                /* detect_zeroes: a source that sends its holes as zero data
                 * (seen from libvirt 11 / QEMU 10) still leaves holes here */
                if (!xmlSetProp(driver, BAD_CAST "discard", BAD_CAST "unmap") ||
                    (!xmlHasProp(driver, BAD_CAST "detect_zeroes") &&
                     !xmlSetProp(driver, BAD_CAST "detect_zeroes", BAD_CAST "unmap")))
                        return -ENOMEM;
                r = strv_push(&changed, target);
                if (r < 0)
                        return r;
        }
        if (!changed[0]) {
                *ret_xml = NULL;
                *ret_changed = TAKE_PTR(changed);
                return 0;
        }
        r = xml_doc_to_string(doc, ret_xml);
        if (r < 0)
                return r;
        *ret_changed = TAKE_PTR(changed);
        return 0;
}
