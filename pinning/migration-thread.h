/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which QEMU threads are migration threads, by the name QEMU gives them
 * (prctl PR_SET_NAME, 15 characters at most), in both naming schemes:
 *   QEMU 7.2-9.0: live_migration, return path, multifdsend_N,
 *                 multifdrecv_N, postcopy/listen, postcopy/fault, ...
 *   QEMU 9.1+:    mig/src/main, mig/src/send_N, mig/src/return,
 *                 mig/dst/recv_N, mig/dst/fault, mig/dst/listen, ...
 */
#pragma once

#include <stdbool.h>

bool migration_thread_name(const char *comm);
