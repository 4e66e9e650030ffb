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

#include "domain-xml.h"
#include "incoming-state.h"
#include "policy.h"

/* Would libvirt copy this disk with --copy-storage-all? */
bool disk_is_copy_candidate(const DomainDisk *disk);

/* Is @disk's source path unsafe to act on?  1 with the reason in *ret, 0
 * if not, -ENOMEM.  Shared with `migguard check`, so both say the same. */
int provision_path_refusal(const DomainDisk *disk, char **ret);

/* Would the policy refuse to provision @disk's missing image?  Same
 * returns as provision_path_refusal(). */
int provision_policy_refusal(const Policy *p, const DomainDisk *disk, char **ret);

/*
 * Check every disk and build the plan.  Refusals are one line each
 * ("disk vda: ..."), returned in *ret_refusals (empty vector: none).
 */
int provision_plan(const Policy *p, const DomainXml *d, IncomingState **ret_state, char ***ret_refusals);

/* Directories of the planned disks, each once. */
int provision_plan_dirs(const IncomingState *s, char ***ret);

/* Replace pre-created files; *ret_error names the disk that failed. */
int provision_prepare(const Policy *p, IncomingState *s, const char *state_dir, char **ret_error);

/* Remove the files recorded as made for this migration; *ret_removed lists them. */
int provision_cleanup(const IncomingState *s, char ***ret_removed);

/* Before QEMU ever ran: remove planned files created after migrate begin. */
int provision_cleanup_unprepared(const IncomingState *s, char ***ret_removed);
