/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The event loop: one epoll set and a list of timers.  Every watched fd
 * carries a struct loop_watch ({handler, ctx}) owned by the caller, so adding
 * a watch or arming a timer never allocates.
 */

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* Called with the epoll events of the fd. */
typedef void (*loop_handler_fn)(void *ctx, uint32_t events);

struct loop_watch {
	loop_handler_fn fn;
	void *ctx;
};

typedef void (*loop_timer_fn)(void *ctx);

struct loop_timer {
	loop_timer_fn fn;
	void *ctx;
	uint64_t deadline_usec; /* CLOCK_MONOTONIC */
	bool armed;
	struct loop_timer *next;
};

/* Creates a loop. Returns 0 or -errno. */
int loop_new(struct loop **ret);

void loop_free(struct loop *l);

/* Watches @fd for @events (EPOLLIN, EPOLLPRI, ...). @w must outlive the watch. Returns 0 or -errno. */
int loop_add(struct loop *l, int fd, uint32_t events, struct loop_watch *w);

/* Stops watching @fd. Returns 0 or -errno. */
int loop_del(struct loop *l, int fd);

/* Called with true when the loop wakes to run handlers, false before it waits again. */
typedef void (*loop_busy_fn)(void *ctx, bool busy);

/* Sets (or, with NULL, clears) the busy hook. */
void loop_set_busy_hook(struct loop *l, loop_busy_fn fn, void *ctx);

/* Initialises a timer that calls @fn(@ctx) when it expires. */
void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *ctx);

/* Arms (or re-arms) @t to expire at @deadline_usec on CLOCK_MONOTONIC. */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline_usec);

/* Disarms @t if armed. */
void loop_timer_disarm(struct loop *l, struct loop_timer *t);

/*
 * Runs the loop until loop_exit() is called: waits for fds and timers and
 * calls their handlers.  Returns the code given to loop_exit(), or -errno if
 * epoll_wait fails.
 */
int loop_run(struct loop *l);

/*
 * Runs one round: waits up to @timeout_ms (or less, for a timer) and calls
 * the handlers of what is ready.  For tests that drive the loop step by
 * step.  Returns the number of fds that were ready, or -errno.
 */
int loop_iterate(struct loop *l, int timeout_ms);

/* Makes loop_run() return @code once the current handler returns. */
void loop_exit(struct loop *l, int code);

/* Returns the number of times loop_run() has woken up (for idle-cost figures). */
uint64_t loop_wakeups(const struct loop *l);
