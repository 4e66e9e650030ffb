/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keeping copied raw images thin on libvirt >= 10.  The storage copy
 * writes zeroes for the source's holes; QEMU turns them back into holes
 * only where the destination's block node may unmap.  libvirt 9 opened raw
 * images through a format node above a storage node that always had
 * discard=unmap; newer libvirt drops the raw format node, and the storage
 * node then follows the disk's own discard setting (default: ignore), so a
 * 300 MiB raw disk holding 12 MiB arrived fully allocated.  And a libvirt 11
 * / QEMU 10 source sends the holes of a raw image as zero data, which fills
 * the image even on libvirt 9.  The destination hook therefore asks for
 * discard='unmap' and detect_zeroes='unmap' on the raw disks migguard
 * provisions, in the XML it may hand back at `migrate begin`, unless the
 * admin chose a discard mode.  Guests see no ABI change (virtio-blk offers
 * discard either way); their discards and zero writes now free space in a
 * thin image, at the price of QEMU checking written data for zeroes.
 */
#pragma once

#include <stddef.h>

/* Set discard='unmap' (and detect_zeroes='unmap' unless set) on each raw disk whose target is in @targets and
 * whose <driver> has no discard attribute.  *ret_xml: the new document, or
 * NULL when nothing changed; *ret_changed: the targets changed. */
int disk_discard_unmap(const char *xml, size_t len, char *const *targets, char **ret_xml, char ***ret_changed);
