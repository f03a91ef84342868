/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * cgroup v1 vmpressure: the kernel signals an eventfd when reclaim in a
 * memory cgroup becomes inefficient ("low", "medium", "critical").
 */

#include "source.h"

/*
 * Registers for @level ("critical") in @mode ("local": reclaim of this cgroup
 * only, "hierarchy") on the v1 memory cgroup at @dirfd.  Returns 0 or -errno.
 */
int vmpressure_source_open(int dirfd, const char *level, const char *mode, struct source **ret);
