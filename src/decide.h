/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Turns the domain's memory state and the pressure signals seen since the
 * last round into a decision: whether to kill, why, the lowest adj that reason
 * allows, and how much memory the round must free.  A pure function.
 */

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

enum kill_reason {
	REASON_NONE = 0,
	REASON_LOW_MEM,             /* available below --mem-min (and swap below --swap-min) */
	REASON_PSI_FULL,            /* full stall trigger fired, below the low mark, swap low or none */
	REASON_PSI_SOME_LOW_MEM,    /* some stall trigger fired, available below the low mark */
	REASON_VMPRESSURE_CRITICAL, /* cgroup v1 vmpressure "critical", below the low mark */
	REASON_PRESSURE_AFTER_KILL, /* still below --mem-min once the last round's victims died */
	REASON_MINFREE,             /* free memory and file cache below an lmkd minfree level */
	REASON_PSI_CRITICAL,        /* critical full stall, below the low mark, swap still free */
	REASON_PSI_SUSTAINED,       /* full stalls for --psi-sustain, below the low mark, swap free */
	REASON_THRASHING,           /* refaults above --thrashing-limit while stalling or reclaiming */
	REASON_LOW_SWAP,            /* swap utilisation above --swap-util-max, below the low mark */
	REASON_COUNT
};

/* Returns the reason's name as used in events ("low_mem", "psi_full", ...). */
const char *kill_reason_name(enum kill_reason r);

/* Signals that woke the loop since the last decision (a bit mask). */
enum pressure_signal {
	PRESSURE_PSI_SOME = 1 << 0,
	PRESSURE_PSI_FULL = 1 << 1,
	PRESSURE_VMPRESSURE_CRITICAL = 1 << 2,
	PRESSURE_AFTER_KILL = 1 << 3,
	PRESSURE_PSI_CRITICAL = 1 << 4, /* the "full" trigger at --psi-critical */
	PRESSURE_PSI_SUSTAINED = 1 << 5, /* "full" triggers in every window for --psi-sustain */
};

struct mem_state {
	uint64_t total_kib; /* the domain's size: MemTotal or the cgroup's limit */
	uint64_t avail_kib; /* MemAvailable, or limit - (usage - inactive file) */
	uint64_t swap_total_kib;
	uint64_t swap_free_kib;
	uint64_t free_kib; /* free, not merely reclaimable */
	uint64_t file_kib; /* page cache that could be dropped */
	uint64_t shmem_kib;   /* tmpfs, shm and memfd pages: no kill frees them */
	uint64_t charged_kib; /* what kills can lower (domain_charged_kib()), for measuring */
	uint64_t anon_kib;    /* anonymous memory: AnonPages, or a cgroup's anon (rss) */
	/* With swap on zram (have_zram), read by domain_read() from swap.h: */
	bool have_zram;
	uint64_t swap_usable_kib; /* free swap that RAM can still hold: below swap_free_kib */
	uint64_t zram_ram_kib;    /* RAM the zram devices take (mem_used_total) */
	uint64_t zram_stored_kib; /* what they store, uncompressed (orig_data_size) */
	struct vm_counters vm; /* reclaim counters (domain_read()), when have_vm */
	bool have_vm;
	/* Set by the round from its thrash state (thrash.h), not by domain_read(): */
	bool thrashing;      /* refaults above the thrashing limit in the current window */
	bool direct_reclaim; /* allocating tasks reclaimed pages since the last look (system only) */
};

#define DECIDE_MAX_LEVELS 6

/* An lmkd minfree level: below @minfree_kib of free memory and of file cache, kill adj >= @adj. */
struct minfree_level {
	uint64_t minfree_kib;
	int adj;
};

struct decide_params {
	struct threshold mem_min;
	struct threshold swap_min;
	uint64_t target_kib; /* 0: bring available back above --mem-min with a margin */
	int min_adj;
	int psi_some_min_adj; /* "some" stalls, thrashing and low_swap only kill at or above this adj */
	unsigned swap_util_max_pct; /* low_swap above this swap utilisation (0: off) */
	struct minfree_level levels[DECIDE_MAX_LEVELS]; /* increasing minfree (LMK_TARGET) */
	size_t n_levels;
};

struct decision {
	enum kill_reason reason;
	int min_adj;
	uint64_t target_kib;
	uint64_t mem_min_kib;  /* --mem-min resolved against the domain */
	uint64_t mem_low_kib;  /* the mark below which PSI and vmpressure may kill */
	uint64_t swap_min_kib; /* --swap-min resolved against the swap size */
};

/*
 * Swap utilisation, in percent: the share of what could be swapped (anonymous
 * memory, shared memory and swap in use) that is swapped out (lmkd's
 * swap_util).  0 without swap.
 */
unsigned swap_util_pct(const struct mem_state *mem);

/* The free swap the decision counts: what RAM can still hold, on zram. */
uint64_t swap_free_counted_kib(const struct mem_state *mem);

/* Resolves the thresholds of @p against @mem into @ret (reason NONE, no target). */
void decide_marks(const struct decide_params *p, const struct mem_state *mem, struct decision *ret);

/*
 * Sets the minfree levels of @p from lmkd's (pages, adj) pairs, sorted by
 * increasing minfree; @n == 0 clears them.
 */
void decide_set_levels(struct decide_params *p, const int (*pairs)[2], size_t n);

/*
 * Decides for @mem, the signals @fired and @in_flight_kib of memory already on
 * its way back (victims signalled but not yet dead).  Returns 1 and fills @ret
 * when a round of kills must run, 0 when not (@ret then still holds the
 * resolved marks).  The decision's min_adj is never below @p->min_adj, whatever
 * the minfree levels say.
 */
int decide(const struct decide_params *p, const struct mem_state *mem, unsigned fired,
	   uint64_t in_flight_kib, struct decision *ret);
