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

#include "core/image.h"
#include "basic/macro.h"

#define MG_XMLNS "urn:migguard:domain:1"
/* The admin's per-domain policy: <policy><storage identity='warn'/></policy> */
#define MG_POLICY_XMLNS "urn:migguard:policy:1"
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

typedef struct DomainInterface {
        char *mac;
        char *type;        /* bridge, network, direct, user, ... */
        char *source;      /* bridge name, network name or direct device */
        char *bridge;      /* type network, live XML: the bridge it uses */
        char *direct_mode; /* direct: vepa, bridge, private, passthrough */
        char *virtualport; /* <virtualport type=...> */
        unsigned n_vlan_tags;
} DomainInterface;

/* What the source migguardd published about one interface's segment. */
typedef struct NetFacts {
        char *mac;
        char *device;  /* the host device the interface leads to */
        char *kind;    /* bridge, openvswitch, ... */
        char *segment; /* [segment NAME] on the source, NULL if none */
        char **prefixes;
        int vlan; /* uplink VLAN id, -1 none */
} NetFacts;

/*
 * What the source published about one disk's storage identity: name/value
 * pairs (storage/storage-identity.h's published form), kept as text here
 * and validated by storage_identity_from_pairs() where they are used.
 */
typedef struct StorageFacts {
        char *target;
        char **pairs; /* "kind", "shared-fs", "fstype", "nfs4", ... */
} StorageFacts;

typedef struct DomainXml {
        char *name;
        char *uuid;
        char *virt_type; /* qemu, kvm */
        DomainDisk *disks;
        size_t n_disks;
        unsigned vcpus;
        char *emulator, *arch, *machine;
        char *cpu_mode;  /* custom, host-model, host-passthrough, maximum; NULL: no <cpu> */
        char *cpu_model; /* <cpu><model> */
        char *cpu_check; /* none, partial, full */
        char *cpu_xml;   /* the <cpu> element as text, for libvirt's CPU comparison */
        DomainInterface *ifaces;
        size_t n_ifaces;
        /*
         * A running guest's definition (live migration) rather than an
         * inactive one (`--offline`): the migrate hook is not told which,
         * so this is inferred from what only live XML carries: the
         * <resource><partition> libvirt sets at start, or facts a source
         * migguardd published in live metadata.
         */
        bool looks_live;

        /* published by the source migguardd */
        char *facts_host;
        ImageInfo *facts;
        size_t n_facts;
        char *src_cpu_model;    /* source host CPU model (capabilities) */
        char *src_cpu_xml;      /* source host-model CPU for this guest's emulator/virt type */
        char *src_inactive_xml; /* the source's persistent definition, if it had one */
        NetFacts *net_facts;
        size_t n_net_facts;
        StorageFacts *storage_facts;
        size_t n_storage_facts;

        /* the admin's MG_POLICY_XMLNS element as policy text ("[storage]\n
         * identity = warn\n"), NULL without one */
        char *policy_override;
} DomainXml;

void domain_xml_free(DomainXml *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(DomainXml *, domain_xml_free);

/* *ret_error: one line for the admin on a refusal (-EINVAL, -EBADMSG). */
int domain_xml_parse(const char *buf, size_t len, DomainXml **ret, char **ret_error);
const ImageInfo *domain_xml_find_facts(const DomainXml *d, const char *target);
const NetFacts *domain_xml_find_net_facts(const DomainXml *d, const char *mac);
void net_facts_done(NetFacts *f);
const StorageFacts *domain_xml_find_storage_facts(const DomainXml *d, const char *target);
void storage_facts_done(StorageFacts *f);

/* Build the <facts> element the source publishes with virDomainSetMetadata()
 * (which puts it in the MG_XMLNS namespace). */
int domain_facts_format(const char *host, const ImageInfo *facts, size_t n, char **ret);

/* Everything the source publishes: disks, host CPU, interfaces. */
typedef struct SourceFacts {
        const char *host;
        const ImageInfo *disks;
        size_t n_disks;
        const char *cpu_model; /* host CPU model */
        const char *cpu_xml;   /* host-model <cpu> element text */
        const NetFacts *nets;
        size_t n_nets;
        const StorageFacts *storage;
        size_t n_storage;
        const char *inactive_xml; /* persistent definition (no secrets) */
} SourceFacts;
int source_facts_format(const SourceFacts *f, char **ret);

/* @xml renamed to @name and without migguard's metadata: what to define here. */
int domain_definition_for_host(const char *xml, const char *name, char **ret);
