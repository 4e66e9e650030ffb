/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Destination image provisioning, in three steps tied to libvirt's hook
 * order:
 *   plan     (migrate begin): refuse hostile or impossible disks, note
 *            which copied-disk images are missing;
 *   prepare  (prepare begin, after libvirt pre-created the images it will
 *            copy into): swap each pre-created file for a thin image with
 *            the source's format, size and qcow2 options;
 *   cleanup  (release end of a failed migration): remove exactly the files
 *            made for it, identified by device and inode.
 * libvirt's own pre-creation is the oracle for "this disk is copied": a
 * disk that is not copied is never pre-created, so never provisioned.
 */
#pragma once

#include "basic/time-util.h"
#include "core/domain-xml.h"
#include "core/finding.h"
#include "core/incoming-state.h"
#include "core/policy.h"

/* Would libvirt copy this disk with --copy-storage-all? */
bool disk_is_copy_candidate(const DomainDisk *disk);

/* Is @disk's source path unsafe to act on?  1 with the reason in *ret, 0
 * if not, -ENOMEM.  Shared with `migguard check`, so both say the same. */
int provision_path_refusal(const DomainDisk *disk, char **ret);

/* Would the policy refuse to provision @disk's missing image?  Same
 * returns as provision_path_refusal(). */
int provision_policy_refusal(const Policy *p, const DomainDisk *disk, char **ret);

/* Would the policy refuse to provision into @dir, which has
 * @free_percent free?  Same returns as provision_path_refusal(). */
int provision_free_space_refusal(const Policy *p, const char *dir, unsigned long long free_percent, char **ret);

/*
 * Check every disk and build the plan.  Refusals are one line each
 * ("disk vda: ...", CHECK_KIND_PROVISION) in *ret_refusals (n == 0: none).
 */
int provision_plan(const Policy *p, const DomainXml *d, IncomingState **ret_state, Findings *ret_refusals);

/* Directories of the planned disks, each once. */
int provision_plan_dirs(const IncomingState *s, char ***ret);

/* Replace pre-created files, each qemu-img run ending by @deadline;
 * *ret_error names the disk and the step that failed. */
int provision_prepare(const Policy *p, IncomingState *s, const char *incoming_dir, usec_t deadline, char **ret_error);

/* Remove the files recorded as made for this migration; *ret_removed lists them. */
int provision_cleanup(const IncomingState *s, char ***ret_removed);

/* Before QEMU ever ran: remove planned files created after migrate begin. */
int provision_cleanup_unprepared(const IncomingState *s, char ***ret_removed);
