/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The watchdog: a thread that kills without the event loop when the loop is
 * stuck (a handler blocked on a write, a bug, a page it waits for) while
 * memory runs out, as lmkd does.  The loop arms a timerfd each time it wakes
 * and disarms it before it waits again, so the watchdog thread sleeps in
 * read(2) and wakes only when one iteration of the loop has taken longer than
 * the timeout: it costs no wake-ups while all is well.
 *
 * It has its own view of the domain, its own process table and scratch space,
 * and its own compiled copy of the name rules, allocated at start-up; when it
 * acts, it decides with the loop's parameters (counting the memory the loop's
 * victims still hold as on its way back), chooses with the same policy, kills
 * on the reaper's path (reaper_kill_sync: signal, reap, thaw) in its own
 * thread, and builds its events as the killer does.  What is its own: the
 * timer, the decision that the loop is stuck, waiting for its victims' deaths
 * and handing its kills to the loop for reporting.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "decide.h"
#include "events.h"
#include "killer.h"
#include "policy.h"

struct watchdog_config {
	unsigned timeout_ms;
	const char *proc_root;
	const char *scope; /* NULL: the system */
	pid_t self;
	/*
	 * Copied: the watchdog compiles its own matchers, as it may still be
	 * scanning when the loop runs again and reloads (watchdog_set_rules()).
	 * May be NULL.  Like proc_root and scope, not kept.
	 */
	const struct policy_rules *rules;
	size_t capacity;
	size_t cg_depth; /* cgroup levels walked at first (proctab_config.cg_depth) */
	unsigned max_victims;
	unsigned kill_timeout_ms;
	bool reap;
	bool boost;
	/* Freezers to thaw victims from (may be NULL); kept, not owned: must outlive the watchdog. */
	const struct cgroup_roots *roots;
	/* What boosting a victim needs (may be NULL: no boost); kept like roots. */
	const struct boost_env *boost_env;
};

struct watchdog;

/*
 * A kill the watchdog made, kept until the loop takes it (watchdog_take) and
 * reports it like its own: events, history, hooks, metrics.
 */
struct watchdog_kill {
	struct kill_event ev; /* .comm points into @comm; .scope is left to the taker */
	char comm[COMM_LEN];
};

/* Kills kept for the loop at most; older ones are dropped (and counted) first. */
#define WATCHDOG_KEPT 64

/* Starts the thread. Returns 0 or -errno. */
int watchdog_new(const struct watchdog_config *cfg, const struct decide_params *params,
		 struct watchdog **ret);

/* Stops the thread (after a kill it is making); kills kept stay to be taken. */
void watchdog_stop(struct watchdog *w);

void watchdog_free(struct watchdog *w);

/* Replaces the decision parameters and the per-round limits (reload). */
void watchdog_set_params(struct watchdog *w, const struct decide_params *params,
			 unsigned max_victims, unsigned kill_timeout_ms, bool reap, bool boost);

/*
 * Makes room in the watchdog's scratch for matching @rules (allocates; for the
 * loop, off the kill path, before it commits to a reload).  Waits for a scan
 * the watchdog is making.  Returns 0 or -ENOMEM.
 */
int watchdog_reserve_rules(struct watchdog *w, const struct policy_rules *rules);

/*
 * Hands the watchdog new name rules: @rules, a copy of the loop's made with
 * policy_rules_copy(), belongs to the watchdog from here on (and is emptied).
 * Waits for a scan the watchdog is making, then frees its old rules.  Does
 * not allocate after watchdog_reserve_rules(@rules).  Returns 0, or -ENOMEM
 * (the watchdog then keeps its old rules and @rules stays the caller's).
 */
int watchdog_set_rules(struct watchdog *w, struct policy_rules *rules);

/* The loop's busy hook (loop_busy_fn): @busy when it wakes, !@busy before it waits. */
void watchdog_busy(void *ctx, bool busy);

/* The loop's victims in flight the watchdog keeps track of at most (the rest are not counted). */
#define WATCHDOG_IN_FLIGHT 64

/*
 * Tells the watchdog the loop's victims signalled and not yet confirmed dead
 * (@v, copied): when it decides, it counts what those still alive hold as on
 * its way back.  Any thread; never waits for the watchdog's scan.  A
 * killer_pending_fn, @ctx the watchdog.
 */
void watchdog_set_in_flight(void *ctx, const struct killer_victim_info *v, size_t n);

/* Processes the watchdog has killed. */
unsigned long watchdog_kills(struct watchdog *w);

/* An eventfd that becomes readable when kills wait for the loop. */
int watchdog_fd(const struct watchdog *w);

/*
 * Moves up to @max waiting kills, oldest first, into @out (each .ev.comm
 * pointing at its own .comm) and returns how many; *@dropped gets the number lost because the loop did not take them in
 * time (more than WATCHDOG_KEPT while it was stuck).
 */
size_t watchdog_take(struct watchdog *w, struct watchdog_kill *out, size_t max,
		     unsigned long *dropped);
