/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Making libvirt's own storage pre-creation work for a directory: libvirt
 * pre-creates a copied disk's image only inside an active storage pool
 * whose target is exactly that directory, and trusts the pool's cached
 * volume list.  So: find or start such a pool (a transient one named
 * migguard-* when none exists) and refresh it.
 */
#pragma once

#include <libvirt/libvirt.h>

#include "basic/macro.h"
#include "basic/time-util.h"

#define STORAGE_URI "storage:///system"

/* Open the storage driver (storage:///system, falling back to @fallback). */
int storage_connect(const char *fallback_uri, virConnectPtr *ret);

/*
 * Make an active pool cover @dir; refresh it if any of @missing (paths of
 * absent images, NULL: always) is still listed, waiting for a busy pool
 * until @deadline (CLOCK_MONOTONIC).  *ret_pool_name: for logs.
 */
int storage_pool_ensure(virConnectPtr conn, const char *dir, char *const *missing, usec_t deadline,
                        char **ret_pool_name, char **ret_error);

/* Deterministic, readable name for migguard's transient pool for @dir. */
int storage_pool_name_for_dir(const char *dir, char **ret);
