/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared storage, both ends.  Source: each disk's storage identity
 * (storage-identity.h), published with the guest's other facts.
 * Destination, at `migrate begin`, before any data moves: every disk the
 * source has on shared storage (a network or cluster file system, or a
 * block device with a persistent identity) must be that very storage here
 * when its path exists here.  When the path does not exist here, nothing
 * can be opened by mistake: a storage copy provisions it as for any
 * disk, and without one libvirt's own open fails the migration.
 */
#pragma once

#include <stddef.h>

#include "core/domain-xml.h"
#include "core/finding.h"
#include "core/policy.h"
#include "storage/storage-identity.h"

/* The identities of @x's disks (file and block disks with a source). */
int storage_facts_collect(const StorageRoots *roots, const DomainXml *x, StorageFacts **ret, size_t *ret_n);
void storage_facts_free(StorageFacts *facts, size_t n);

/* Compare each disk the source published with this host (@roots: NULL
 * for the system).  Findings per [storage] identity: refusals (enforce)
 * or warnings (warn), CHECK_KIND_STORAGE. */
int storage_check(const Policy *p, const DomainXml *d, const StorageRoots *roots, Findings *refusals,
                  Findings *warnings);
