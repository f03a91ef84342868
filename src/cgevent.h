/* SPDX-License-Identifier: MIT */
#pragma once

/* cgroup v1 eventfd notifications (cgroup.event_control) as a pressure source. */

#include "source.h"

/*
 * Registers a cgroup v1 notification: an eventfd is signalled per
 * "<eventfd> <fd of @file> @args" written to @dirfd's cgroup.event_control.
 * The source raises @signal on each event.  Returns 0 or -errno.
 */
int cg_event_source_open(int dirfd, const char *file, const char *args, unsigned signal,
			 const char *name, struct source **ret);
