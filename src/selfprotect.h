/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Protecting the daemon itself, so it keeps working when the machine has no
 * memory or CPU left: fewer capabilities, real-time priority, its own
 * oom_score_adj at -1000, a prefaulted stack and every page locked.  Each
 * step that fails logs one warning and reapd runs on without it.
 */

#include <stdbool.h>

/*
 * Keeps only the capabilities reapd uses (@switch_user: also those to
 * switch users, for a kill hook; see caps_wanted()).  Call before any thread starts (capabilities are
 * per thread) and before anything is run (hooks inherit the bounding set).
 * Does nothing unless running as root.
 */
void selfprotect_drop_caps(bool switch_user);

/*
 * Runs at SCHED_FIFO 2 (unless @enabled is false; 1 is for boosted victims).  Call before the reaper
 * and watchdog threads start: they inherit it.
 */
void selfprotect_realtime(bool enabled);

/* Then raises the calling (loop) thread one level above its threads. */
void selfprotect_raise_loop(bool enabled);

/*
 * Sets our own oom_score_adj to -1000 through @proc_fd, and (@lock) touches
 * the stack and locks every page, present and future.
 */
void selfprotect_lock(int proc_fd, bool lock);
