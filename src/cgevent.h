/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The cgroup v1 pressure sources, both eventfd notifications registered
 * through cgroup.event_control: vmpressure (the kernel signals when reclaim
 * in a memory cgroup becomes inefficient: "low", "medium", "critical") and
 * usage thresholds (memory.usage_in_bytes crossing a value, either way).
 */

#include <stdint.h>

#include "source.h"

/*
 * vmpressure: registers for @level ("critical") in @mode ("local": reclaim of
 * this cgroup only, "hierarchy") on the v1 memory cgroup at @dirfd.  A
 * "critical" event raises PRESSURE_VMPRESSURE_CRITICAL.  Returns 0 and stores
 * the source in @ret, or -errno.
 */
int cg_event_vmpressure_open(int dirfd, const char *level, const char *mode, struct source **ret);

/*
 * Usage threshold: wakes us when usage of the v1 memory cgroup at @dirfd
 * crosses @bytes (either way); each event re-checks memory (no signal).
 * Returns 0 and stores the source in @ret, or -errno.
 */
int cg_event_threshold_open(int dirfd, uint64_t bytes, struct source **ret);
