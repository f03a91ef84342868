/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Watermarks: available memory against --mem-min.  Where the kernel can wake
 * us near the mark (cgroup v1 usage thresholds, see cgevent.h; cgroup v2
 * memory.events, see memevents.h), it does; otherwise, and as a safety net,
 * the state is polled with an interval that adapts to the headroom and to how
 * fast memory has been disappearing.
 */

#include <stdint.h>

/* The allocation rate assumed at least (earlyoom assumes 6 GB/s too). */
#define WATERMARK_MIN_RATE_KIB_S (6ULL * 1024 * 1024)
#define WATERMARK_MIN_INTERVAL_USEC 10000ULL

/* Tracks the fastest recent fall of available memory. */
struct watermark_rate {
	uint64_t last_avail_kib;
	uint64_t last_usec;
	uint64_t peak_kib_s; /* decays by half every few seconds */
};

/* Feeds one reading. Returns the rate to plan with (at least WATERMARK_MIN_RATE_KIB_S). */
uint64_t watermark_rate_update(struct watermark_rate *w, uint64_t avail_kib, uint64_t now_usec);

/*
 * Returns how long to sleep before the next reading: the time the headroom
 * (@avail_kib above @mark_kib) lasts at @rate_kib_s, between 10 ms and
 * @max_usec.
 */
uint64_t watermark_interval_usec(uint64_t avail_kib, uint64_t mark_kib, uint64_t rate_kib_s,
				 uint64_t max_usec);

/*
 * The same for a kill that needs two marks crossed, as low_mem does with swap
 * (available memory below @mark_kib and free swap below @swap_min_kib): the
 * later of the two times.  With no swap (@swap_total_kib 0) memory alone counts.
 * While swap is free, available memory may sit below its mark for a long
 * time (the kernel swaps); polling at the floor all along would find nothing.
 */
uint64_t watermark_interval_swap_usec(uint64_t avail_kib, uint64_t mark_kib,
				      uint64_t swap_total_kib, uint64_t swap_free_kib,
				      uint64_t swap_min_kib, uint64_t rate_kib_s, uint64_t max_usec);
