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
 * allocated at start-up; when it acts, it decides with the loop's parameters,
 * chooses with the same policy, and kills and reaps itself, synchronously.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "decide.h"
#include "events.h"
#include "policy.h"

struct watchdog_config {
	unsigned timeout_ms;
	const char *proc_root;
	const char *scope; /* NULL: the system */
	pid_t self;
	/* Read only while the loop is stuck, so never while a reload changes it. */
	const struct policy_rules *rules;
	size_t capacity;
	size_t cg_depth; /* cgroup levels walked at first (proctab_config.cg_depth) */
	unsigned max_victims;
	unsigned kill_timeout_ms;
	bool reap;
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
			 unsigned max_victims, unsigned kill_timeout_ms, bool reap);

/* The loop's busy hook (loop_busy_fn): @busy when it wakes, !@busy before it waits. */
void watchdog_busy(void *ctx, bool busy);

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
