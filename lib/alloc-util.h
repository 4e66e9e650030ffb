/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cleanup helpers for the foreign types migguard owns: libxml2 documents
 * and XPath objects, libvirt connections, domains, pools and volumes, and
 * stdio streams.  Keeping them in one header means every module frees
 * these the same way (systemd alloc-util.h, dbus-broker util/).
 */
#pragma once

#include <stdio.h>

#include <libvirt/libvirt.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc);
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathContextPtr, xmlXPathFreeContext);
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathObjectPtr, xmlXPathFreeObject);
DEFINE_TRIVIAL_CLEANUP_FUNC(virConnectPtr, virConnectClose);
DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virStoragePoolPtr, virStoragePoolFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virStorageVolPtr, virStorageVolFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virNetworkPtr, virNetworkFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virInterfacePtr, virInterfaceFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);

static inline void xml_charp_free(xmlChar **p) {
        if (*p)
                xmlFree(*p);
}

#define _cleanup_xmlfree_ _cleanup_(xml_charp_free)
