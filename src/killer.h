/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The kill path and its confirmation.  For each victim: a pidfd pins the
 * process, its start time proves it is still the process that was scanned,
 * and the reaper signals and reaps it.  The pidfd then sits in the loop until
 * it becomes readable (the victim is dead) or the kill timeout passes; until
 * then the victim counts as pending and is never chosen again.  Each victim
 * ends as one event and one log line.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "events.h"
#include "loop.h"
#include "policy.h"
#include "proctab.h"
#include "reaper.h"

struct killer;

struct killer_config {
	unsigned kill_timeout_ms;
	bool dry_run;
	bool reap;       /* false with --no-reap */
	size_t capacity; /* victims tracked at once */
	const char *scope_name;
};

struct killer_ops {
	/*
	 * A victim's story is complete (dead, or a dry-run choice, or unconfirmed
	 * at exit): @ev is valid during the call only.
	 */
	void (*event)(void *ctx, const struct kill_event *ev);
	/* A victim died or timed out: the caller may re-evaluate. */
	void (*done)(void *ctx, uint64_t freed_kib);
	/*
	 * Reads what the domain holds that kills give back (domain_charged_kib),
	 * to measure what each death freed.  Returns 0 or -errno; NULL: freed_kib
	 * is not measured (stays 0).
	 */
	int (*charged)(void *ctx, uint64_t *ret_kib);
};

/*
 * Creates the killer.  Returns 0 or -errno.  The killer watches the reaper's
 * result fd in @loop.
 */
int killer_new(const struct killer_config *cfg, struct loop *loop, struct reaper *reaper,
	       struct proctab *pt, const struct killer_ops *ops, void *ctx, struct killer **ret);

/* Applies a changed timeout and dry-run setting (reload); victims already dying keep theirs. */
void killer_set_config(struct killer *k, unsigned kill_timeout_ms, bool dry_run);

/*
 * Frees the killer.  Victims still dying are reported through ops->event
 * with "exited": false, so no kill goes unrecorded.
 */
void killer_free(struct killer *k);

/* What a round is for, carried into its events. */
struct kill_round {
	enum kill_reason reason;
	uint64_t target_kib;
	uint64_t scan_usec; /* time from the start of the scan to the victim choice */
	size_t scanned;     /* processes the scan looked at */
	/* The domain's charged memory when the round began (mem_state.charged_kib);
	 * the killer reads it again before signalling when it can. */
	uint64_t charged_kib;
};

/*
 * The one builder of kill events, for the loop's kills and the watchdog's:
 * fills @ret from the victim @c as scanned and its @round, with nothing
 * measured yet (no exit, no reap).  The time, the scope and the round's
 * sequence number are left to the caller.
 */
void kill_event_from_candidate(const struct candidate *c, const struct kill_round *round,
			       struct kill_event *ret);

/* Copies what the kill path measured (reap, reaped_kib, thaw) from @res into @ev. */
void kill_event_set_result(struct kill_event *ev, const struct reaper_result *res);

/*
 * Kills @cands[@victims[i]] for i < @n.  Victims that are gone or whose pid
 * was reused are skipped.  In a dry run only events are written.  Never
 * allocates and never waits.  Returns the number of processes signalled (or
 * reported, in a dry run).
 */
int killer_kill(struct killer *k, const struct kill_round *round, const struct candidate *cands,
		const uint32_t *victims, size_t n);

/* Returns the memory of victims signalled but neither dead nor timed out. */
uint64_t killer_pending_kib(const struct killer *k);

/* A victim signalled but neither dead nor timed out, as told to another thread. */
struct killer_victim_info {
	pid_t pid;
	uint64_t start_time; /* clock ticks after boot, to tell a reused pid */
	uint64_t size_kib;   /* what it held when chosen */
};

/* Told the victims signalled but neither dead nor timed out (killer_pending_kib's). */
typedef void (*killer_pending_fn)(void *ctx, const struct killer_victim_info *v, size_t n);

/*
 * Calls @fn(@ctx, ...) at once and whenever those victims change (a round
 * signalled some, one died, timed out or could not be killed), from the
 * loop's thread, so another thread can tell what is on its way back without
 * the killer's table (the watchdog; while the loop is stuck, the victims it
 * was told of may die unseen, so it must check them).  @v is valid during the
 * call only.  Never from killer_free().  @fn NULL: no hook.  Allocates (at
 * start-up): returns 0 or -ENOMEM.
 */
int killer_set_pending_hook(struct killer *k, killer_pending_fn fn, void *ctx);

/* Returns the number of such victims. */
size_t killer_pending(const struct killer *k);

/* Returns true when @pid (started at @start_time) is a victim not yet confirmed dead. */
bool killer_is_victim(const struct killer *k, pid_t pid, uint64_t start_time);

struct killer_stats {
	uint64_t kills;      /* processes signalled */
	uint64_t reaped;     /* of which reaped */
	uint64_t timeouts;   /* did not die within the timeout */
	uint64_t skipped_reused; /* pid reused between scan and kill */
	uint64_t freed_kib;
	uint64_t reaped_kib;
};

/* Returns the counters since start. */
const struct killer_stats *killer_stats(const struct killer *k);
