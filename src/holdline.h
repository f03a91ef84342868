/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Holding the line on cgroup v2: while a round's victims die, the scope's
 * memory.high is set just under memory.max, so an allocator faster than the
 * kills is throttled by the kernel (reclaim and sleep in its own context)
 * instead of reaching the limit, where the kernel's OOM killer would act.
 * Once the round is over the old value goes back.
 *
 * Writing memory.high may reclaim in the writer's context, so a thread of its
 * own writes it; the loop only says what it wants and never waits.  While a
 * hold is on, the value it replaced is kept in the cgroup's own
 * user.reapd.memory_high xattr: a reapd that crashed holding the line finds
 * it there at its next start and puts it back.  A value someone else wrote
 * meanwhile (systemctl set-property) is left as it is.
 */

#include <stdbool.h>
#include <stdint.h>

#define HOLDLINE_XATTR "user.reapd.memory_high"

struct holdline;

struct holdline_stats {
	unsigned long holds;    /* holds written */
	unsigned long releases; /* old values put back */
	int last_error;         /* -errno of the last write that failed, 0 */
	bool held;              /* memory.high is ours now */
	uint64_t held_bytes;    /* what it was set to */
};

/*
 * For the v2 cgroup @dirfd (not owned; @name for the log): puts back a value
 * a previous run left held, reads memory.high, keeps it open and starts the
 * thread.  Returns 0, -ENOENT when the cgroup has no memory.high (v1), or
 * -errno.
 */
int holdline_new(int dirfd, const char *name, struct holdline **ret);

/*
 * Only puts back what a previous run left held (with the hold off now).
 * Returns 0, or -errno when the cgroup has no memory.high to open.
 */
int holdline_restore(int dirfd, const char *name);

/* Puts the old value back if a hold is on (waits for it), then stops the thread. */
void holdline_free(struct holdline *h);

/*
 * Asks for memory.high at @limit_bytes less a margin (1/32 of it, 4 to 64
 * MiB), never above the value it replaces.  Returns at once.
 */
void holdline_hold(struct holdline *h, uint64_t limit_bytes);

/* Asks for the old value back. Returns at once; nothing when no hold is on. */
void holdline_release(struct holdline *h);

/* The value a hold at @limit_bytes asks for. */
uint64_t holdline_high_bytes(uint64_t limit_bytes);

void holdline_stats(struct holdline *h, struct holdline_stats *ret);
