/* SPDX-License-Identifier: MIT */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sys.h"

#define MAX_EVENTS 32

struct loop {
	int epfd;
	bool exiting;
	int exit_code;
	uint64_t wakeups;
	struct loop_timer *timers; /* sorted by deadline */
	loop_busy_fn busy_fn;
	void *busy_ctx;
};

void loop_set_busy_hook(struct loop *l, loop_busy_fn fn, void *ctx)
{
	l->busy_fn = fn;
	l->busy_ctx = ctx;
}

int loop_new(struct loop **ret)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int r = -errno;
		free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	safe_close(l->epfd);
	free(l);
}

int loop_add(struct loop *l, int fd, uint32_t events, struct loop_watch *w)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int loop_del(struct loop *l, int fd)
{
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
		return -errno;
	return 0;
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *ctx)
{
	*t = (struct loop_timer){.fn = fn, .ctx = ctx};
}

void loop_timer_disarm(struct loop *l, struct loop_timer *t)
{
	if (!t->armed)
		return;
	for (struct loop_timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline_usec)
{
	struct loop_timer **pp;

	loop_timer_disarm(l, t);
	t->deadline_usec = deadline_usec;
	for (pp = &l->timers; *pp && (*pp)->deadline_usec <= deadline_usec; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	t->armed = true;
}

/* Returns the epoll timeout in ms until the first timer, rounded up; -1 when none. */
static int next_timeout_ms(const struct loop *l, uint64_t now)
{
	uint64_t d;

	if (!l->timers)
		return -1;
	if (l->timers->deadline_usec <= now)
		return 0;
	d = (l->timers->deadline_usec - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
	return d > 3600000 ? 3600000 : (int)d;
}

static void run_timers(struct loop *l)
{
	uint64_t now = now_usec();

	/* A handler may re-arm its own timer; the list head is re-read each time. */
	while (!l->exiting && l->timers && l->timers->deadline_usec <= now) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->armed = false;
		t->next = NULL;
		t->fn(t->ctx);
	}
}

/* Waits up to @timeout_ms (-1: until the next timer or event) and runs what is due. */
static int iterate(struct loop *l, int timeout_ms)
{
	struct epoll_event events[MAX_EVENTS];
	int next = next_timeout_ms(l, now_usec()), n;

	if (timeout_ms < 0 || (next >= 0 && next < timeout_ms))
		timeout_ms = next;
	n = epoll_wait(l->epfd, events, MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->wakeups++;
	if (l->busy_fn)
		l->busy_fn(l->busy_ctx, true);
	for (int i = 0; i < n && !l->exiting; i++) {
		struct loop_watch *w = events[i].data.ptr;
		w->fn(w->ctx, events[i].events);
	}
	run_timers(l);
	if (l->busy_fn)
		l->busy_fn(l->busy_ctx, false);
	return n;
}

int loop_run(struct loop *l)
{
	l->exiting = false;
	while (!l->exiting) {
		int r = iterate(l, -1);

		if (r < 0)
			return r;
	}
	return l->exit_code;
}

int loop_iterate(struct loop *l, int timeout_ms)
{
	return iterate(l, timeout_ms);
}

void loop_exit(struct loop *l, int code)
{
	l->exiting = true;
	l->exit_code = code;
}

uint64_t loop_wakeups(const struct loop *l)
{
	return l->wakeups;
}
