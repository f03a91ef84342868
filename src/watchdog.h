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
#include "policy.h"

struct watchdog_config {
	unsigned timeout_ms;
	const char *proc_root;
	const char *scope; /* NULL: the system */
	pid_t self;
	/* Read only while the loop is stuck, so never while a reload changes it. */
	const struct policy_rules *rules;
	size_t capacity;
	unsigned max_victims;
	unsigned kill_timeout_ms;
	bool reap;
};

struct watchdog;

/* Starts the thread. Returns 0 or -errno. */
int watchdog_new(const struct watchdog_config *cfg, const struct decide_params *params,
		 struct watchdog **ret);

void watchdog_free(struct watchdog *w);

/* Replaces the decision parameters and the per-round limits (reload). */
void watchdog_set_params(struct watchdog *w, const struct decide_params *params,
			 unsigned max_victims, unsigned kill_timeout_ms, bool reap);

/* The loop's busy hook (loop_busy_fn): @busy when it wakes, !@busy before it waits. */
void watchdog_busy(void *ctx, bool busy);

/* Processes the watchdog has killed. */
unsigned long watchdog_kills(struct watchdog *w);
