/* SPDX-License-Identifier: MIT */
/* The event loop: timers fire in deadline order (ties in arming order),
 * re-arm and disarm, fd watches call their handler with the events, loop_exit
 * stops the round, and the busy hook brackets every wake-up. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "sys.h"

#define MAX_LOG 32

/* What fired, in order: timers log their tag, fd handlers 100 + their tag. */
static int fired[MAX_LOG];
static size_t n_fired;
static struct loop *L;

static void log_fire(int tag)
{
	assert_true(n_fired < MAX_LOG);
	fired[n_fired++] = tag;
}

struct tag {
	int id;
	int exit_code;     /* != 0: call loop_exit with it */
	struct loop_timer *rearm; /* re-arm this timer once, 1 ms later */
	struct loop_timer *disarm;
	uint32_t events;   /* fd handlers: what they were called with */
	int fd;            /* fd handlers: drained */
};

static void on_timer(void *ctx)
{
	struct tag *t = ctx;

	log_fire(t->id);
	if (t->disarm)
		loop_timer_disarm(L, t->disarm);
	if (t->rearm) {
		struct loop_timer *r = t->rearm;
		t->rearm = NULL;
		loop_timer_arm(L, r, now_usec() + 1000);
	}
	if (t->exit_code)
		loop_exit(L, t->exit_code);
}

static void on_fd(void *ctx, uint32_t events)
{
	struct tag *t = ctx;
	char buf[16];

	log_fire(100 + t->id);
	t->events = events;
	if (t->fd >= 0 && read(t->fd, buf, sizeof(buf)) < 0)
		fail_msg("read: %s", strerror(errno));
	if (t->exit_code)
		loop_exit(L, t->exit_code);
}

static int setup(void **state)
{
	(void)state;
	n_fired = 0;
	assert_int_equal(loop_new(&L), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	loop_free(L);
	L = NULL;
	return 0;
}

/* Iterates until @n things fired or 2 s passed. */
static void run_until(size_t n)
{
	uint64_t end = now_usec() + 2000000;

	while (n_fired < n && now_usec() < end)
		assert_true(loop_iterate(L, 100) >= 0);
	assert_int_equal(n_fired, n);
}

static void test_timer_order(void **state)
{
	/* Offsets in ms from now, armed in this order; what fires, in order. */
	static const struct {
		int offsets[5];
		size_t n;
		int want[5];
	} cases[] = {
		{{30, 10, 20}, 3, {1, 2, 0}},
		{{5, 5, 5}, 3, {0, 1, 2}},      /* equal deadlines: arming order */
		{{20, 0, 10, 0}, 4, {1, 3, 2, 0}},
		{{-50, 10, -100}, 3, {2, 0, 1}}, /* overdue: at once, still by deadline */
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct loop_timer t[5];
		struct tag tags[5];
		uint64_t now = now_usec();

		n_fired = 0;
		for (size_t i = 0; i < cases[c].n; i++) {
			tags[i] = (struct tag){.id = (int)i, .fd = -1};
			loop_timer_init(&t[i], on_timer, &tags[i]);
			loop_timer_arm(L, &t[i], (uint64_t)((int64_t)now + cases[c].offsets[i] * 1000));
			assert_true(t[i].armed);
		}
		run_until(cases[c].n);
		for (size_t i = 0; i < cases[c].n; i++) {
			assert_int_equal(fired[i], cases[c].want[i]);
			assert_false(t[i].armed);
		}
	}
}

static void test_timer_rearm_and_disarm(void **state)
{
	struct loop_timer a, b, c;
	struct tag ta = {.id = 1, .fd = -1}, tb = {.id = 2, .fd = -1}, tc = {.id = 3, .fd = -1};
	uint64_t now = now_usec();

	(void)state;
	loop_timer_init(&a, on_timer, &ta);
	loop_timer_init(&b, on_timer, &tb);
	loop_timer_init(&c, on_timer, &tc);
	/* Re-arming moves a timer: a, first at +5 ms, goes after b. */
	loop_timer_arm(L, &a, now + 5000);
	loop_timer_arm(L, &b, now + 10000);
	loop_timer_arm(L, &a, now + 20000);
	/* Disarming takes it out, twice is harmless. */
	loop_timer_arm(L, &c, now + 15000);
	loop_timer_disarm(L, &c);
	loop_timer_disarm(L, &c);
	assert_false(c.armed);
	run_until(2);
	assert_int_equal(fired[0], 2);
	assert_int_equal(fired[1], 1);
	assert_int_equal(loop_iterate(L, 30), 0);
	assert_int_equal(n_fired, 2);

	/* A handler re-arms its own timer, and one disarms a timer due in the same round. */
	n_fired = 0;
	ta.rearm = &a;
	tb.disarm = &c;
	now = now_usec();
	loop_timer_arm(L, &a, now);
	loop_timer_arm(L, &b, now);
	loop_timer_arm(L, &c, now);
	run_until(3);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[1], 2);
	assert_int_equal(fired[2], 1); /* a again; c never */
	assert_int_equal(loop_iterate(L, 20), 0);
	assert_int_equal(n_fired, 3);
}

static void test_far_timer_does_not_fire(void **state)
{
	struct loop_timer t;
	struct tag tag = {.id = 1, .fd = -1};
	uint64_t start = now_usec();

	(void)state;
	loop_timer_init(&t, on_timer, &tag);
	/* Ten hours away: the wait is capped at the timeout asked for, nothing fires. */
	loop_timer_arm(L, &t, start + 36000ULL * 1000000);
	assert_int_equal(loop_iterate(L, 20), 0);
	assert_int_equal(n_fired, 0);
	assert_true(now_usec() - start >= 19000);
	assert_true(t.armed);
	loop_timer_disarm(L, &t);
}

static void test_fd_watch(void **state)
{
	int p[2], q[2];
	struct tag ta = {.id = 1}, tb = {.id = 2};
	struct loop_watch wa = {.fn = on_fd, .ctx = &ta}, wb = {.fn = on_fd, .ctx = &tb};
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_NONBLOCK | O_CLOEXEC), 0);
	ta.fd = p[0];
	tb.fd = q[0];
	assert_int_equal(loop_add(L, p[0], EPOLLIN, &wa), 0);
	assert_int_equal(loop_add(L, q[0], EPOLLIN, &wb), 0);
	/* Errors are -errno: twice the same fd, a file epoll cannot watch, a closed fd. */
	assert_int_equal(loop_add(L, p[0], EPOLLIN, &wa), -EEXIST);
	assert_int_equal(loop_add(L, devnull, EPOLLIN, &wa), -EPERM);
	assert_int_equal(loop_add(L, 9999, EPOLLIN, &wa), -EBADF);
	assert_int_equal(loop_del(L, q[1]), -ENOENT); /* never watched */

	/* Nothing ready: the round times out. */
	assert_int_equal(loop_iterate(L, 0), 0);
	assert_int_equal(n_fired, 0);
	/* Only the ready fd's handler runs, with its events. */
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(loop_iterate(L, 1000), 1);
	assert_int_equal(n_fired, 1);
	assert_int_equal(fired[0], 102);
	assert_int_equal(tb.events, EPOLLIN);
	/* Both ready: both run in one round. */
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(loop_iterate(L, 1000), 2);
	assert_int_equal(n_fired, 3);
	/* The writer gone: EPOLLHUP comes with it. */
	close(p[1]);
	assert_int_equal(loop_iterate(L, 1000), 1);
	assert_true(ta.events & EPOLLHUP);
	/* Unwatched: ready, but never called. */
	assert_int_equal(loop_del(L, p[0]), 0);
	assert_int_equal(loop_del(L, p[0]), -ENOENT);
	n_fired = 0;
	assert_int_equal(loop_iterate(L, 0), 0);
	assert_int_equal(n_fired, 0);
	close(p[0]);
	close(q[0]);
	close(q[1]);
	close(devnull);
}

static void test_exit(void **state)
{
	struct loop_timer t1, t2;
	struct tag a = {.id = 1, .fd = -1, .exit_code = 42}, b = {.id = 2, .fd = -1};
	int p[2];
	struct tag fa = {.id = 3, .exit_code = 7}, fb = {.id = 4};
	struct loop_watch wa = {.fn = on_fd, .ctx = &fa}, wb = {.fn = on_fd, .ctx = &fb};
	int q[2];
	uint64_t now = now_usec();

	(void)state;
	/* loop_run returns the code; a timer due in the same round after it does not run. */
	loop_timer_init(&t1, on_timer, &a);
	loop_timer_init(&t2, on_timer, &b);
	loop_timer_arm(L, &t1, now + 1000);
	loop_timer_arm(L, &t2, now + 1000);
	assert_int_equal(loop_run(L), 42);
	assert_int_equal(n_fired, 1);
	assert_true(t2.armed);
	/* The loop runs again: the left-over timer first. */
	b.exit_code = 5;
	assert_int_equal(loop_run(L), 5);
	assert_int_equal(n_fired, 2);
	assert_int_equal(fired[1], 2);

	/* From an fd handler: the other ready fd and the due timers wait. */
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_NONBLOCK | O_CLOEXEC), 0);
	fa.fd = p[0];
	fb.fd = q[0];
	fb.exit_code = 9;
	assert_int_equal(loop_add(L, p[0], EPOLLIN, &wa), 0);
	assert_int_equal(loop_add(L, q[0], EPOLLIN, &wb), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "x", 1), 1);
	a.exit_code = 0;
	loop_timer_arm(L, &t1, now_usec());
	n_fired = 0;
	int code = loop_run(L);
	assert_true(code == 7 || code == 9);
	assert_int_equal(n_fired, 1);
	assert_true(t1.armed);
	loop_timer_disarm(L, &t1);
	loop_del(L, p[0]);
	loop_del(L, q[0]);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

struct busy_log {
	int calls;
	bool busy;
	bool bad; /* a handler ran while not busy, or the hook nested */
	int handler_runs;
};

static void on_busy(void *ctx, bool busy)
{
	struct busy_log *b = ctx;

	if (b->busy == busy)
		b->bad = true;
	b->busy = busy;
	b->calls++;
}

static struct busy_log *busy_seen;

static void on_busy_timer(void *ctx)
{
	(void)ctx;
	if (!busy_seen->busy)
		busy_seen->bad = true;
	busy_seen->handler_runs++;
}

static void test_busy_hook(void **state)
{
	struct busy_log b = {0};
	struct loop_timer t;
	uint64_t wakeups = loop_wakeups(L);

	(void)state;
	busy_seen = &b;
	loop_set_busy_hook(L, on_busy, &b);
	loop_timer_init(&t, on_busy_timer, NULL);
	/* A round with nothing ready still wakes: true, then false. */
	assert_int_equal(loop_iterate(L, 0), 0);
	assert_int_equal(b.calls, 2);
	assert_false(b.busy);
	/* Handlers run inside the bracket. */
	loop_timer_arm(L, &t, now_usec());
	assert_int_equal(loop_iterate(L, 100), 0);
	assert_int_equal(b.handler_runs, 1);
	assert_int_equal(b.calls, 4);
	assert_false(b.busy);
	assert_false(b.bad);
	assert_int_equal(loop_wakeups(L) - wakeups, 2);
	/* Cleared: rounds go on, the hook is not called. */
	loop_set_busy_hook(L, NULL, NULL);
	assert_int_equal(loop_iterate(L, 0), 0);
	assert_int_equal(b.calls, 4);
	assert_int_equal(loop_wakeups(L) - wakeups, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timer_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_rearm_and_disarm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_far_timer_does_not_fire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_hook, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
