/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Environment overrides, read one way everywhere: unset and "" both mean
 * "not set" (libvirt runs hooks in a cleared environment; tests set them). */
#pragma once

#include <stdlib.h>

static inline const char *env_or(const char *name, const char *fallback) {
        const char *v = getenv(name);
        return v && *v ? v : fallback;
}
