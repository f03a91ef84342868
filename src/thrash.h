/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Thrashing, from the kernel's refault counters: pages that were evicted and
 * had to be read back (file) or swapped back in (anon) soon after, counted
 * per window of THRASH_WINDOW_MS against the LRU they came back to.  The rule
 * is lmkd's: the share of the file LRU refaulted in the current window (here
 * also of the anon LRU, whichever is larger), plus the growth of the window
 * before, halved for every window that has passed since it ended.  A kill for thrashing
 * lowers the limit by the decay for the rest of its window (the thrashing
 * went on, so the next kill may come sooner) and starts counting afresh, so
 * the refaults that caused one kill never cause a second.  Pure; no I/O.
 */

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

#define THRASH_WINDOW_MS 1000

struct thrash {
	unsigned limit_pct; /* --thrashing-limit (0: off) */
	unsigned decay_pct; /* --thrashing-decay */
	unsigned cur_limit_pct; /* the limit for this window: decayed by kills in it */
	uint64_t window_start_ms; /* 0: no baseline yet */
	struct vm_counters base;  /* the counters when the window (or the count) started */
	uint64_t prev_pct;        /* what earlier windows left, decayed */
	uint64_t last_pgscan_direct;
	bool rebase;              /* a kill: count afresh at the next update */
	/* As of the last update: */
	uint64_t pct;             /* refaults this window, % of the LRU, plus prev_pct */
	bool direct_reclaim;      /* allocating tasks scanned pages since the update before */
	bool valid;               /* the counters are there (cgroup v1 has none) */
};

void thrash_init(struct thrash *t, unsigned limit_pct, unsigned decay_pct);

/* Takes the counters read at @now_ms; @c NULL when they could not be read. */
void thrash_update(struct thrash *t, const struct vm_counters *c, uint64_t now_ms);

/* True when the last update measured thrashing above the current limit. */
bool thrash_over(const struct thrash *t);

/* A round of kills ran; @for_thrashing: it was because of thrashing. */
void thrash_killed(struct thrash *t, bool for_thrashing);
