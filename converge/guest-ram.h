/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How much of a guest's memory a migration's first round really sends.
 * QEMU sends a page the guest never touched as a flag, not as 4 KiB, so a
 * guest that has used a part of its memory migrates in a part of
 * memory/bandwidth.  The pages the guest touched are the resident pages
 * of its RAM mapping in QEMU: the mapping as large as the guest's memory
 * in /proc/PID/smaps.  QEMU's whole resident size is no measure of it:
 * under TCG the translation cache alone can be larger than the guest.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The resident bytes of the mapping of @memory bytes (or, failing an exact
 * one, the largest within 3/4..5/4 of it) in @smaps; -ENOENT: none. */
int guest_ram_resident_from(FILE *smaps, uint64_t memory, uint64_t *ret);

/* The same for QEMU process @pid. */
int guest_ram_resident(pid_t pid, uint64_t memory, uint64_t *ret);
