/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading a libvirt domain XML (untrusted: it arrives on the hook's stdin)
 * into the few facts migguard needs: identity, disks, and the facts the
 * source migguardd published in the domain's <metadata>.  libxml2 with
 * XPath; no network, no DTD, bounded size.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "macro.h"

#define MG_XMLNS "urn:migguard:domain:1"
#define MG_XMLNS_PREFIX "migguard"
#define DOMAIN_XML_MAX_SIZE (16 * 1024 * 1024)

typedef struct DomainDisk {
        char *target; /* vda */
        char *device; /* disk, cdrom, floppy, lun */
        char *type;   /* file, block, network, volume, dir, nvme, vhostuser */
        char *source; /* file= or dev= path, NULL when empty */
        char *format; /* <driver type=...> */
        bool readonly;
        bool shareable;
        bool transient;
} DomainDisk;

typedef struct DomainXml {
        char *name;
        char *uuid;
        char *virt_type; /* qemu, kvm */
        DomainDisk *disks;
        size_t n_disks;
        /* published by the source migguardd */
        char *facts_host;
        ImageInfo *facts;
        size_t n_facts;
} DomainXml;

void domain_xml_free(DomainXml *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(DomainXml *, domain_xml_free);

/* *ret_error: one line for the admin on a refusal (-EINVAL, -EBADMSG). */
int domain_xml_parse(const char *buf, size_t len, DomainXml **ret, char **ret_error);
const ImageInfo *domain_xml_find_facts(const DomainXml *d, const char *target);

/* Build the <facts> element the source publishes with virDomainSetMetadata()
 * (which puts it in the MG_XMLNS namespace). */
int domain_facts_format(const char *host, const ImageInfo *facts, size_t n, char **ret);
