/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Round: from the memory state to the victims chosen and handed to the
 * killer.  It holds what lasts from one round to the next — the follow-up
 * window after an event, the memory of victims still on its way back (in
 * flight and lag credit), the dry run's quiet period, the allocation rate,
 * the last memory state, the back-off when nothing is left to kill, the
 * episode short of its target — and the scan tables.
 *
 * A death does not re-enter the round from inside the killer: it arms a
 * zero-delay loop timer, and the deaths of one loop pass are merged into one
 * evaluation.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "decide.h"
#include "domain.h"
#include "killer.h"
#include "loop.h"
#include "metrics.h"
#include "thrash.h"
#include "policy.h"
#include "proctab.h"
#include "respawn.h"
#include "sources.h"

struct round;

/* The kill stage as a round sees it (killer.h's functions, or a test's fake). */
struct round_killer {
	/* killer_kill(). Returns the number of processes signalled. */
	int (*kill)(void *ctx, const struct kill_round *round, const struct candidate *cands,
		    const uint32_t *victims, size_t n);
	/* killer_pending(), killer_pending_kib(), killer_is_victim(). */
	size_t (*pending)(void *ctx);
	uint64_t (*pending_kib)(void *ctx);
	bool (*is_victim)(void *ctx, pid_t pid, uint64_t start_time);
};

struct round_config {
	const struct config *cfg;           /* read at each round: stays valid across reloads */
	const struct decide_params *params; /* idem */
	struct loop *loop;
	struct domain *domain;
	struct metrics *metrics;  /* NULL: rounds not counted */
	struct respawn *respawn;  /* holds and churn, noted by the report */
	int proc_fd;
	pid_t self;
	size_t initial_capacity;  /* of the process table (grown to fit the scope twice) */
	struct holdline *hold;    /* NULL: memory.high left alone (holdline.h) */
	const char *unified;      /* the cgroup v2 mount (NULL: none), for systemd's preferences */
};

/*
 * Creates the round and its scan tables, sized by a first scan.  Returns 0
 * or -errno.  The killer and the sources are attached afterwards.
 */
int round_new(const struct round_config *cfg, struct round **ret);

void round_free(struct round *r);

/* The kill stage (@ops must outlive the round). */
void round_set_killer(struct round *r, const struct round_killer *ops, void *ctx);

/* The sources whose v1 thresholds follow the limit (NULL: none). */
void round_set_sources(struct round *r, struct sources *s);

/* The memory.high holder the round drives (NULL: none). */
struct holdline *round_holdline(const struct round *r);

/* Returns the process table (the killer verifies victims against it). */
struct proctab *round_proctab(struct round *r);

/*
 * Makes the loop's matching scratch large enough for @rules, before the
 * config's rules become @rules (allocates: call it from the loop, off the
 * kill path).  Returns 0 or -ENOMEM (the scratch is then unchanged).
 */
int round_reserve_rules(struct round *r, const struct policy_rules *rules);

/* Replaces the victim list with @victims (cfg->max_victims entries, owned from here on). */
void round_set_victims(struct round *r, uint32_t *victims);

/*
 * Reads the domain and runs a round if needed (@fired: enum pressure_signal
 * bits), then arms the next poll.  The scope being gone ends the loop.
 */
void round_evaluate(struct round *r, unsigned fired);

/* A pressure source fired (@real) or failed: follows closely for a while after a real one. */
void round_pressure(struct round *r, unsigned signal, bool real);

/*
 * A victim died or timed out (killer_ops.done), @freed_kib measured: the
 * round re-evaluates from the loop, not from inside the killer.
 */
void round_victim_done(struct round *r, uint64_t freed_kib);

/* What `reapctl victims` shows: the round that would run now, in rank order. */
struct round_preview {
	struct decision dec;          /* reason REASON_NONE when no round would run now */
	const struct candidate *cands;
	const uint32_t *order;        /* @n indexes into @cands, in rank order */
	size_t n;
	const uint32_t *victims;      /* @chosen indexes into @cands */
	size_t chosen;
	size_t scanned;
};

/*
 * Scans and walks as a round would, killing nothing; with no pressure, as if
 * available memory had just reached --mem-min, so the listing is never empty
 * for lack of pressure.  Loads sizes for whole buckets until @limit rows are
 * known.  Returns 0 or -errno; @ret points into the round's tables until the
 * next scan.
 */
int round_preview(struct round *r, size_t limit, struct round_preview *ret);

/* Returns the memory state as last read. */
const struct mem_state *round_mem(const struct round *r);

/* Returns the thrashing state as of the last evaluation. */
const struct thrash *round_thrash(const struct round *r);

/* Returns the shared memory blocking the current short episode (0: none). */
uint64_t round_unfreeable_kib(const struct round *r);

/* Returns true while below the mark with nothing left to kill (rounds back off). */
bool round_nothing_to_kill(const struct round *r);
