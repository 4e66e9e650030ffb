/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How the Pinner hears of thread names in migguardd's event loop
 * (libvirt's default event implementation): the kernel's proc connector
 * (PROC_EVENT_COMM, as the name is set) where it works (initial network
 * namespace, CAP_NET_ADMIN), plus a slow safety scan; else a /proc scan
 * every 20 ms.
 */
#pragma once

#include <stdbool.h>

#include "pinning/pinner.h"

#define PIN_SCAN_INTERVAL_MS 20          /* /proc fallback */
#define PIN_SAFETY_SCAN_INTERVAL_MS 1000 /* with the proc connector: catch misses */

/* Register the Pinner's event sources.  *ret_connector: whether the proc
 * connector is used (*ret_filtered: and sends names only); else *ret_why
 * says why not. */
int pin_loop_start(Pinner *p, bool *ret_connector, bool *ret_filtered, const char **ret_why);
