/* SPDX-License-Identifier: MIT */
#include "watermark.h"

#include "sys.h"

#define RATE_HALF_LIFE_USEC (5 * USEC_PER_SEC)

uint64_t watermark_rate_update(struct watermark_rate *w, uint64_t avail_kib, uint64_t now)
{
	if (w->last_usec && now > w->last_usec) {
		uint64_t dt = now - w->last_usec;

		/* Halve the remembered peak for every half-life that passed. */
		for (uint64_t t = dt; t >= RATE_HALF_LIFE_USEC && w->peak_kib_s; t -= RATE_HALF_LIFE_USEC)
			w->peak_kib_s /= 2;
		if (avail_kib < w->last_avail_kib && dt >= 1000) {
			uint64_t rate = (w->last_avail_kib - avail_kib) * USEC_PER_SEC / dt;
			if (rate > w->peak_kib_s)
				w->peak_kib_s = rate;
		}
	}
	w->last_avail_kib = avail_kib;
	w->last_usec = now;
	return w->peak_kib_s > WATERMARK_MIN_RATE_KIB_S ? w->peak_kib_s : WATERMARK_MIN_RATE_KIB_S;
}

uint64_t watermark_interval_usec(uint64_t avail_kib, uint64_t mark_kib, uint64_t rate_kib_s,
				 uint64_t max_usec)
{
	uint64_t headroom = avail_kib > mark_kib ? avail_kib - mark_kib : 0, usec;

	if (rate_kib_s == 0)
		return max_usec;
	usec = (uint64_t)((unsigned __int128)headroom * USEC_PER_SEC / rate_kib_s);
	if (usec < WATERMARK_MIN_INTERVAL_USEC)
		usec = WATERMARK_MIN_INTERVAL_USEC;
	return usec > max_usec ? max_usec : usec;
}

uint64_t watermark_interval_swap_usec(uint64_t avail_kib, uint64_t mark_kib,
				      uint64_t swap_total_kib, uint64_t swap_free_kib,
				      uint64_t swap_min_kib, uint64_t rate_kib_s, uint64_t max_usec)
{
	uint64_t mem = watermark_interval_usec(avail_kib, mark_kib, rate_kib_s, max_usec), swap;

	if (swap_total_kib == 0)
		return mem;
	swap = watermark_interval_usec(swap_free_kib, swap_min_kib, rate_kib_s, max_usec);
	return swap > mem ? swap : mem;
}
