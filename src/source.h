/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A pressure source: something the kernel wakes us through (a PSI trigger, a
 * vmpressure or usage-threshold eventfd, memory.events).  Every source has
 * the same small interface, so the loop does not care which one fired.
 */

#include <stdint.h>

struct source;

struct source_ops {
	const char *name;
	uint32_t poll_events; /* EPOLLPRI or EPOLLIN */
	/* Returns the fd to watch. */
	int (*fd)(const struct source *s);
	/*
	 * Consumes one wake-up.  Returns 1 when it reports real pressure, 0 when
	 * it was spurious or nothing to act on, -errno on failure.
	 */
	int (*read_event)(struct source *s);
	void (*free)(struct source *s);
};

/* Each source embeds this header first. */
struct source {
	const struct source_ops *ops;
	unsigned signal; /* enum pressure_signal bit raised on a real event (0: just re-check) */
};

static inline int source_fd(const struct source *s)
{
	return s->ops->fd(s);
}

static inline int source_read_event(struct source *s)
{
	return s->ops->read_event(s);
}

static inline void source_free(struct source *s)
{
	if (s)
		s->ops->free(s);
}
