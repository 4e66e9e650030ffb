/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cleanup helpers for the foreign types every layer owns: libxml2
 * documents and XPath objects, json-c objects, stdio streams and
 * directories.  libvirt's types have theirs in core/virt-util.h.  Keeping
 * them in one header means every module frees these the same way (systemd
 * alloc-util.h, dbus-broker util/).
 */
#pragma once

#include <dirent.h>
#include <stdio.h>

#include <json-c/json.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "basic/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc);
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathContextPtr, xmlXPathFreeContext);
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathObjectPtr, xmlXPathFreeObject);
DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

static inline void json_object_putp(struct json_object **o) {
        if (*o)
                (void) json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

static inline void xml_charp_free(xmlChar **p) {
        if (*p)
                xmlFree(*p);
}

#define _cleanup_xmlfree_ _cleanup_(xml_charp_free)
