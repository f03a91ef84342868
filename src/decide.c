/* SPDX-License-Identifier: MIT */
#include "decide.h"

static const char *const reason_names[REASON_COUNT] = {
	[REASON_NONE] = "none",
	[REASON_LOW_MEM] = "low_mem",
	[REASON_PSI_FULL] = "psi_full",
	[REASON_PSI_SOME_LOW_MEM] = "psi_some_low_mem",
	[REASON_VMPRESSURE_CRITICAL] = "vmpressure_critical",
	[REASON_PRESSURE_AFTER_KILL] = "pressure_after_kill",
};

const char *kill_reason_name(enum kill_reason r)
{
	return (unsigned)r < REASON_COUNT ? reason_names[r] : "?";
}

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

int decide(const struct decide_params *p, const struct mem_state *mem, unsigned fired,
	   uint64_t in_flight_kib, struct decision *ret)
{
	struct decision d;
	uint64_t avail, mark;
	bool swap_low, below_low;

	decide_marks(p, mem, &d);
	avail = mem->avail_kib + in_flight_kib;
	/* With no swap there is nothing to wait for: memory alone decides. */
	swap_low = mem->swap_total_kib == 0 || mem->swap_free_kib < d.swap_min_kib;
	below_low = avail < d.mem_low_kib;

	if (avail < d.mem_min_kib && swap_low) {
		d.reason = (fired & PRESSURE_AFTER_KILL) ? REASON_PRESSURE_AFTER_KILL
							 : REASON_LOW_MEM;
		mark = d.mem_min_kib;
	} else if ((fired & PRESSURE_PSI_FULL) && below_low) {
		/* Stalls mean thrashing even while swap is free, so swap does not gate them. */
		d.reason = REASON_PSI_FULL;
		mark = d.mem_low_kib;
	} else if ((fired & PRESSURE_VMPRESSURE_CRITICAL) && below_low) {
		d.reason = REASON_VMPRESSURE_CRITICAL;
		mark = d.mem_low_kib;
	} else if ((fired & PRESSURE_PSI_SOME) && below_low) {
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
