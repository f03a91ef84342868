/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * cgroup v2 memory.events as a pressure source: kernfs wakes pollers of the
 * file (EPOLLPRI) whenever a counter in it changes (memory.high or
 * memory.max was hit, an OOM).
 */

#include "source.h"

/*
 * Opens @dirfd's memory.events and wakes us when it changes.  Each event
 * re-checks memory (the source raises no signal).  Returns 0 and stores the
 * source in @ret, or -errno.
 */
int memevents_source_open(int dirfd, struct source **ret);
