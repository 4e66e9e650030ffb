/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Provisioning's two ends outside the hook.  Source: the facts the
 * destination needs to create each copied disk's image (format, exact
 * virtual size, qcow2 creation options, whether it is sparse), as
 * `qemu-img info` reports them; libvirt itself only sends the capacity.
 * Destination, once the guest arrived: whether a raw image migguard made
 * thin lost its holes on the way.
 */
#pragma once

#include <stddef.h>

#include "basic/time-util.h"
#include "core/domain-xml.h"
#include "core/finding.h"
#include "core/incoming-state.h"

/* Facts of every disk libvirt would copy (file disks only), each queried
 * until @deadline; a disk whose image cannot be read is left out. */
int disk_facts_collect(const DomainXml *x, usec_t deadline, ImageInfo **ret, size_t *ret_n);
void disk_facts_free(ImageInfo *facts, size_t n);

/* Warnings (CHECK_KIND_PROVISION) for provisioned raw images of sparse
 * sources that arrived fully allocated. */
int provision_check_arrival(const IncomingState *s, Findings *warnings);
