/* SPDX-License-Identifier: MIT */
#include "decide.h"

#include <stddef.h>

static const char *const reason_names[REASON_COUNT] = {
	[REASON_NONE] = "none",
	[REASON_LOW_MEM] = "low_mem",
	[REASON_PSI_FULL] = "psi_full",
	[REASON_PSI_SOME_LOW_MEM] = "psi_some_low_mem",
	[REASON_VMPRESSURE_CRITICAL] = "vmpressure_critical",
	[REASON_PRESSURE_AFTER_KILL] = "pressure_after_kill",
	[REASON_MINFREE] = "minfree",
	[REASON_PSI_CRITICAL] = "psi_critical",
	[REASON_PSI_SUSTAINED] = "psi_sustained",
	[REASON_THRASHING] = "thrashing",
	[REASON_LOW_SWAP] = "low_swap",
};

const char *kill_reason_name(enum kill_reason r)
{
	return (unsigned)r < REASON_COUNT ? reason_names[r] : "?";
}

unsigned swap_util_pct(const struct mem_state *mem)
{
	uint64_t used = mem->swap_total_kib > mem->swap_free_kib
				? mem->swap_total_kib - mem->swap_free_kib
				: 0;
	uint64_t swappable = mem->anon_kib + mem->shmem_kib + used;

	return swappable ? (unsigned)(used * 100 / swappable) : 0;
}

uint64_t swap_free_counted_kib(const struct mem_state *mem)
{
	return mem->have_zram ? mem->swap_usable_kib : mem->swap_free_kib;
}

/* -1000 means "never"; a level cannot make such processes killable. */
#define ADJ_FLOOR (-999)

/* The margin a round frees beyond the mark, so one kill is not followed by another at once. */
static uint64_t margin_kib(uint64_t mark_kib)
{
	uint64_t m = mark_kib / 4;

	return m < 1024 ? 1024 : m;
}

void decide_marks(const struct decide_params *p, const struct mem_state *mem, struct decision *ret)
{
	struct decision d = {.reason = REASON_NONE, .min_adj = p->min_adj};

	d.mem_min_kib = threshold_kib(&p->mem_min, mem->total_kib);
	d.mem_low_kib = d.mem_min_kib * 2;
	if (d.mem_low_kib > mem->total_kib)
		d.mem_low_kib = mem->total_kib;
	d.swap_min_kib = threshold_kib(&p->swap_min, mem->swap_total_kib);
	*ret = d;
}

void decide_set_levels(struct decide_params *p, const int (*pairs)[2], size_t n)
{
	if (n > DECIDE_MAX_LEVELS)
		n = DECIDE_MAX_LEVELS;
	for (size_t i = 0; i < n; i++)
		p->levels[i] = (struct minfree_level){
			.minfree_kib = (uint64_t)(pairs[i][0] < 0 ? 0 : pairs[i][0]) * 4, /* pages */
			.adj = pairs[i][1],
		};
	/* Insertion sort: at most six. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && p->levels[j].minfree_kib < p->levels[j - 1].minfree_kib;
		     j--) {
			struct minfree_level t = p->levels[j];
			p->levels[j] = p->levels[j - 1];
			p->levels[j - 1] = t;
		}
	p->n_levels = n;
}

/* The first (smallest) minfree level that free memory and file cache are both under, or NULL. */
static const struct minfree_level *minfree_hit(const struct decide_params *p,
					       const struct mem_state *mem, uint64_t in_flight_kib)
{
	for (size_t i = 0; i < p->n_levels; i++)
		if (mem->free_kib + in_flight_kib < p->levels[i].minfree_kib &&
		    mem->file_kib < p->levels[i].minfree_kib)
			return &p->levels[i];
	return NULL;
}

int decide(const struct decide_params *p, const struct mem_state *mem, unsigned fired,
	   uint64_t in_flight_kib, struct decision *ret)
{
	const struct minfree_level *level = minfree_hit(p, mem, in_flight_kib);
	struct decision d;
	uint64_t avail, mark;
	bool swap_low, below_low;

	decide_marks(p, mem, &d);
	if (level) {
		/* The process manager's levels come first: it knows what each adj means. */
		d.reason = REASON_MINFREE;
		/*
		 * --min-adj is a floor no client moves: a level may only make the
		 * round stricter than the daemon's own minimum, never looser.
		 */
		d.min_adj = level->adj < p->min_adj ? p->min_adj : level->adj;
		if (d.min_adj < ADJ_FLOOR)
			d.min_adj = ADJ_FLOOR;
		d.target_kib = p->target_kib ? p->target_kib
					     : level->minfree_kib + margin_kib(level->minfree_kib) -
						       (mem->free_kib + in_flight_kib);
		*ret = d;
		return 1;
	}
	avail = mem->avail_kib + in_flight_kib;
	/*
	 * With no swap there is nothing to wait for: memory alone decides.  On
	 * zram, free swap counts only as far as the RAM left can hold it: a
	 * zram device half empty takes nothing once memory is gone.
	 */
	swap_low = mem->swap_total_kib == 0 || swap_free_counted_kib(mem) < d.swap_min_kib;
	below_low = avail < d.mem_low_kib;

	if (avail < d.mem_min_kib && swap_low) {
		d.reason = (fired & PRESSURE_AFTER_KILL) ? REASON_PRESSURE_AFTER_KILL
							 : REASON_LOW_MEM;
		mark = d.mem_min_kib;
	} else if ((fired & PRESSURE_PSI_FULL) && below_low && swap_low) {
		d.reason = REASON_PSI_FULL;
		mark = d.mem_low_kib;
	} else if ((fired & PRESSURE_PSI_CRITICAL) && below_low) {
		/*
		 * While swap is free, stalls are the kernel swapping, which is
		 * what swap is for: on zram a burst that fits in RAM and swap
		 * stalls "full" for 10 % of a second and settles without a kill
		 * (measured: bench/freeze, burst).  Only a stall that stops the
		 * machine (a critical share of the window) kills before swap runs low.
		 */
		d.reason = REASON_PSI_CRITICAL;
		mark = d.mem_low_kib;
	} else if (mem->thrashing &&
		   ((fired & (PRESSURE_PSI_SOME | PRESSURE_PSI_FULL | PRESSURE_PSI_CRITICAL)) ||
		    mem->direct_reclaim)) {
		/*
		 * Pages evicted and read back faster than the LRU turns over,
		 * while tasks stall or reclaim for themselves: the machine
		 * crawls however much swap or "available" memory is left
		 * (lmkd's thrashing rule).  What stops it is a death, not an
		 * amount freed: the thrasher's own memory may be small (its
		 * working set is file cache, which its death does not free), so
		 * the round takes the first victim that frees anything at all,
		 * whatever --target says.  And only an expendable one (adj >= 200,
		 * lmkd's floor below critical thrashing): the pages refaulting
		 * are as often an interactive program's, squeezed by the culprit,
		 * as the culprit's own (measured: bench/freeze, burst on zram,
		 * where at adj 0 it killed the probe).
		 */
		d.reason = REASON_THRASHING;
		d.target_kib = 1;
		if (d.min_adj < p->psi_some_min_adj)
			d.min_adj = p->psi_some_min_adj;
		*ret = d;
		return 1;
	} else if (p->swap_util_max_pct > 0 && below_low &&
		   swap_util_pct(mem) > p->swap_util_max_pct) {
		/*
		 * Most of what can be swapped is swapped out while memory runs
		 * short: what presses now is memory swap cannot take (kernel,
		 * locked, page tables), and swapping more only thrashes (lmkd's
		 * swap_util_max).  Expendable processes only, as for "some" stalls.
		 */
		d.reason = REASON_LOW_SWAP;
		if (d.min_adj < p->psi_some_min_adj)
			d.min_adj = p->psi_some_min_adj;
		mark = d.mem_low_kib;
	} else if ((fired & PRESSURE_PSI_SUSTAINED) && below_low) {
		/*
		 * Or a lesser stall that does not end: in the same benchmark a
		 * burst held the probe for 107 s with swap free and the full
		 * stall under the critical share (CPU-bound allocators run).
		 */
		d.reason = REASON_PSI_SUSTAINED;
		mark = d.mem_low_kib;
	} else if ((fired & PRESSURE_VMPRESSURE_CRITICAL) && below_low && swap_low) {
		d.reason = REASON_VMPRESSURE_CRITICAL;
		mark = d.mem_low_kib;
	} else if ((fired & PRESSURE_PSI_SOME) && below_low && swap_low) {
		d.reason = REASON_PSI_SOME_LOW_MEM;
		if (d.min_adj < p->psi_some_min_adj)
			d.min_adj = p->psi_some_min_adj;
		mark = d.mem_low_kib;
	} else {
		*ret = d;
		return 0;
	}

	if (p->target_kib)
		d.target_kib = p->target_kib;
	else
		d.target_kib = mark + margin_kib(mark) - (avail < mark ? avail : mark);
	*ret = d;
	return 1;
}
