/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Thread priorities (see priority.c).  Self-contained: no <sched.h>. */
#pragma once

/* The calling thread, the event loop: above normal priority. */
void daemon_prioritize_event_loop(void);
/* The calling thread, background work: below normal priority. */
void daemon_lower_priority(void);
