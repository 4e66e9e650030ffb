/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file facts of a storage identity: which mount holds a file, found in
 * mountinfo with libmount by the file's st_dev (bind mounts and
 * overmounts make the path alone ambiguous), and where the file is in the
 * tree that mount shows (its root field plus the path below the target).
 */
#pragma once

#include <sys/types.h>

#include "storage/storage-identity.h"

/*
 * Fill @id's fstype, source, server_addr and root_path for canonical
 * @path on device @dev from PROC_ROOT/self/mountinfo.  -ENXIO: no mount
 * covers @path.  Partial fields are left for the caller to free.
 */
int file_identity_fill(const char *proc_root, const char *path, dev_t dev, StorageIdentity *id);
