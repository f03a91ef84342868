/* SPDX-License-Identifier: MIT */
#include "thrash.h"

#include <stddef.h>

void thrash_init(struct thrash *t, unsigned limit_pct, unsigned decay_pct)
{
	*t = (struct thrash){
		.limit_pct = limit_pct,
		.decay_pct = decay_pct > 100 ? 100 : decay_pct,
		.cur_limit_pct = limit_pct,
	};
}

/* @refaults refaulted pages as a percentage of an LRU of @lru pages. */
static uint64_t share_pct(uint64_t refaults, uint64_t lru)
{
	if (refaults > UINT64_MAX / 100)
		refaults = UINT64_MAX / 100;
	return refaults * 100 / (lru + 1);
}

static void start_count(struct thrash *t, const struct vm_counters *c, uint64_t now_ms,
			bool new_window)
{
	t->base = *c;
	t->rebase = false;
	if (new_window) {
		t->window_start_ms = now_ms ? now_ms : 1;
		t->cur_limit_pct = t->limit_pct;
	}
}

void thrash_update(struct thrash *t, const struct vm_counters *c, uint64_t now_ms)
{
	uint64_t file, anon, growth, elapsed, windows;
	bool fresh;

	t->valid = c != NULL;
	t->direct_reclaim = false;
	if (!c) {
		t->pct = 0;
		t->window_start_ms = 0;
		return;
	}
	t->direct_reclaim = t->window_start_ms && c->pgscan_direct > t->last_pgscan_direct;
	t->last_pgscan_direct = c->pgscan_direct;
	/* No baseline yet, or counters that went back (a scope's cgroup made anew). */
	fresh = !t->window_start_ms || c->refault_file < t->base.refault_file ||
		c->refault_anon < t->base.refault_anon || now_ms < t->window_start_ms;
	/* After a kill (rebase) the window goes on: the refaults that caused it count once. */
	if (fresh || t->rebase) {
		start_count(t, c, now_ms, fresh);
		t->prev_pct = 0;
		t->pct = 0;
		return;
	}
	file = share_pct(c->refault_file - t->base.refault_file, t->base.file_lru);
	anon = share_pct(c->refault_anon - t->base.refault_anon, t->base.anon_lru);
	growth = file > anon ? file : anon;
	elapsed = now_ms - t->window_start_ms;
	if (elapsed <= THRASH_WINDOW_MS) {
		t->pct = growth + t->prev_pct;
		return;
	}
	/*
	 * The window ended: its growth carries over, halved for every window
	 * gone by -- unless exactly one passed and it ended over the limit,
	 * which means nothing could be killed then: kept whole, so that a
	 * process that becomes killable is killed.
	 */
	windows = elapsed / THRASH_WINDOW_MS;
	if (windows > 1 || growth < t->cur_limit_pct)
		growth = windows >= 64 ? 0 : growth >> windows;
	t->prev_pct = growth;
	t->pct = growth;
	start_count(t, c, now_ms, true);
}

bool thrash_over(const struct thrash *t)
{
	return t->valid && t->limit_pct && t->pct > t->cur_limit_pct;
}

void thrash_killed(struct thrash *t, bool for_thrashing)
{
	if (!t->window_start_ms)
		return;
	if (for_thrashing)
		t->cur_limit_pct = (unsigned)((uint64_t)t->cur_limit_pct * (100 - t->decay_pct) / 100);
	t->rebase = true;
}
