/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What reapd has done since it started: kills by reason and by adj, latency
 * histograms, pressure events, and the last kill events.  Fed after each
 * kill is confirmed (off the kill path); read by the control sockets and
 * formatted as Prometheus text.
 */

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "killer.h"
#include "notifier.h"
#include "thrash.h"

#define METRICS_HISTORY 64

struct metrics;

/* Returns 0 or -ENOMEM. */
int metrics_new(struct metrics **ret);

void metrics_free(struct metrics *m);

/* Records a kill event (or a dry-run report): counters, histograms, history, counts by adj. */
void metrics_kill(struct metrics *m, const struct kill_event *ev);

/* Counts a wake-up by a kernel source ("psi", "vmpressure", "threshold", "memory.events"). */
void metrics_pressure_event(struct metrics *m, const char *source);

/* Records a round of selection that chose victims, and how long its scan took. */
void metrics_round(struct metrics *m, uint64_t scan_usec);

/* Returns the number of kills of processes whose adj was in [@min_adj, @max_adj]. */
uint64_t metrics_killcount(const struct metrics *m, int min_adj, int max_adj);

/*
 * Returns the number of history entries (at most METRICS_HISTORY) and points
 * @ret at the @i-th oldest through metrics_history_at().
 */
size_t metrics_history_len(const struct metrics *m);

/* Returns the @i-th oldest kept event (0 <= @i < metrics_history_len()). */
const struct kill_event *metrics_history_at(const struct metrics *m, size_t i);

/* The state the metrics text reports besides the counters. */
struct metrics_gauges {
	uint64_t total_kib, avail_kib, swap_free_kib;
	uint64_t swap_counted_kib; /* free swap as decide() counts it (zram: what RAM can hold) */
	unsigned swap_util_pct;
	bool have_zram;
	uint64_t zram_ram_kib;
	uint64_t shmem_kib;      /* shared memory in the domain */
	uint64_t unfreeable_kib; /* of it, what blocks the current episode (0: none) */
	uint64_t respawn_holds;  /* command lines held back as respawning, since start */
	const struct thrash *thrash; /* NULL: not reported */
	size_t pending_victims;
	size_t lmkd_registered;
	const struct killer_stats *killer;
	const struct notifier_stats *notifier; /* NULL: not reported */
};

/* Formats the Prometheus text exposition. Returns its length, or -ENOBUFS. */
int metrics_format(const struct metrics *m, const struct metrics_gauges *g, char *buf,
		   size_t len);
