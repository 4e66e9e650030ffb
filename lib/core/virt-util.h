/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt helpers shared by migguardd, the hook's helpers and the CLI:
 * cleanup functions for libvirt's objects, libvirt's last error as one
 * line, and silencing libvirt's own error printing.
 */
#pragma once

#include <stdbool.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "basic/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(virConnectPtr, virConnectClose);
DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virStoragePoolPtr, virStoragePoolFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virStorageVolPtr, virStorageVolFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virNetworkPtr, virNetworkFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virInterfacePtr, virInterfaceFree);

/* libvirt prints errors on stderr by default; ours say it themselves (and
 * the hook's stderr is the admin's virsh error). */
void virt_errors_silence(void);

/* libvirt's last error message, first line only: never NULL unless out
 * of memory ("unknown libvirt error" when there is none). */
char *virt_last_error(void);
/* The same as a string that lives until the next libvirt call, for messages. */
const char *virt_last_error_message(void);
/* libvirt's last error code, VIR_ERR_OK when none. */
int virt_last_error_code(void);

/* 1 if @dom is paused by a migration still in progress (incoming or
 * post-copy), 0 if not, -1 if its state cannot be read. */
int virt_domain_migration_pending(virDomainPtr dom);
/* 1 when a job (a migration in either direction, a save...) holds the
 * domain (a background job: VIR_DOMAIN_CONTROL_JOB), 0 when not, -1 on
 * error.  Unlike virDomainGetJobInfo this does not make libvirtd log an
 * error for the destination of a migration. */
int virt_domain_job_active(virDomainPtr dom);
/* true when @dom is paused by a migration or held by a job: changing it
 * now (metadata, a definition) would wait for the job or race it. */
bool virt_domain_busy(virDomainPtr dom);
