/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * PSI triggers (/proc/pressure/memory, <cgroup>/memory.pressure): the kernel
 * wakes us with POLLPRI when tasks stalled on memory for more than a given
 * time within a window.
 */

#include <stdbool.h>

#include "source.h"

/*
 * Opens a "some" or "full" trigger on @path for @stall_ms of stall per
 * @window_ms.  Where the kernel refuses the window (without
 * CAP_SYS_RESOURCE windows must be multiples of 2 s), the window is widened to
 * the next multiple of 2 s and the stall scaled with it.  Returns 0, or
 * -errno (-ENOENT without PSI support).
 */
int psi_source_open(const char *path, bool full, unsigned stall_ms, unsigned window_ms,
		    struct source **ret);

/* Returns the window the kernel accepted, in ms. */
unsigned psi_source_window_ms(const struct source *s);

/* Returns the stall threshold the kernel accepted, in ms. */
unsigned psi_source_stall_ms(const struct source *s);
