/* SPDX-License-Identifier: MIT */
/*
 * The thrashing figure (src/thrash.c): the share of the LRU refaulted per
 * window, what the window before leaves, the limit's decay after a kill and the
 * fresh count after one; counters that go back, none at all, huge ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "thrash.h"

/* A file LRU of 999 pages and an anon LRU of 1999: 10 refaults are 1 %. */
static struct vm_counters at(uint64_t file, uint64_t anon, uint64_t scan)
{
	return (struct vm_counters){.refault_file = file, .refault_anon = anon,
				    .file_lru = 999, .anon_lru = 1999, .pgscan_direct = scan};
}

static void feed(struct thrash *t, struct vm_counters c, uint64_t ms)
{
	thrash_update(t, &c, ms);
}

static void test_first_look_is_a_baseline(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, at(1000000, 0, 0), 5000);
	assert_true(t.valid);
	assert_int_equal(t.pct, 0);
	assert_false(thrash_over(&t));
	feed(&t, at(1000500, 0, 0), 5500); /* 500 of 1000 pages: 50 % */
	assert_int_equal(t.pct, 50);
	assert_false(thrash_over(&t));
	feed(&t, at(1001200, 0, 0), 5900); /* 1200: 120 % */
	assert_int_equal(t.pct, 120);
	assert_true(thrash_over(&t));
}

static void test_anon_share_counts(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, at(0, 0, 0), 1000);
	/* 100 file refaults (10 %), 3000 anon ones of 2000 pages (150 %): the larger. */
	feed(&t, at(100, 3000, 0), 1500);
	assert_int_equal(t.pct, 150);
	assert_true(thrash_over(&t));
}

static void test_window_carries_over(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, at(0, 0, 0), 1000);
	feed(&t, at(800, 0, 0), 1900); /* 80 % in the window */
	assert_int_equal(t.pct, 80);
	/* The window ends (1.1 s) under the limit: its 80 % carry over halved. */
	feed(&t, at(800, 0, 0), 2100);
	assert_int_equal(t.pct, 40);
	/* A new window on top of what is left: 40 + 70. */
	feed(&t, at(1500, 0, 0), 2600);
	assert_int_equal(t.pct, 110);
	assert_true(thrash_over(&t));
}

static void test_over_limit_window_is_kept(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, at(0, 0, 0), 1000);
	feed(&t, at(1500, 0, 0), 1900); /* 150 %, nothing killed (no candidate) */
	assert_true(thrash_over(&t));
	/* One window later it is still whole: a process that becomes killable is killed. */
	feed(&t, at(1500, 0, 0), 2050);
	assert_int_equal(t.pct, 150);
	assert_true(thrash_over(&t));
	feed(&t, at(1500, 0, 0), 2500); /* the quiet window after it, so far */
	assert_int_equal(t.pct, 150);
	/* That window ends quiet: what carries over is its own growth, none. */
	feed(&t, at(1500, 0, 0), 5100);
	assert_int_equal(t.pct, 0);
	assert_false(thrash_over(&t));
	/* A window over the limit, then three gone by: its 160 % >> 3. */
	feed(&t, at(3100, 0, 0), 5500);
	assert_int_equal(t.pct, 160);
	feed(&t, at(3100, 0, 0), 8200);
	assert_int_equal(t.pct, 20);
}

static void test_kill_counts_afresh_and_decays(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, at(0, 0, 0), 1000);
	feed(&t, at(1500, 0, 0), 1400);
	assert_true(thrash_over(&t));
	thrash_killed(&t, true);
	assert_int_equal(t.cur_limit_pct, 90);
	/* The refaults that caused the kill do not count again. */
	feed(&t, at(1600, 0, 0), 1500);
	assert_int_equal(t.pct, 0);
	assert_false(thrash_over(&t));
	/* Thrashing goes on in the same window: 95 % is over the decayed 90. */
	feed(&t, at(2550, 0, 0), 1900);
	assert_int_equal(t.pct, 95);
	assert_true(thrash_over(&t));
	thrash_killed(&t, true);
	assert_int_equal(t.cur_limit_pct, 81);
	/* A new window gives the limit back. */
	feed(&t, at(2550, 0, 0), 1950);
	feed(&t, at(2550, 0, 0), 3000);
	assert_int_equal(t.cur_limit_pct, 100);
	assert_false(thrash_over(&t));
}

static void test_other_kill_keeps_limit(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, at(0, 0, 0), 1000);
	feed(&t, at(600, 0, 0), 1400);
	thrash_killed(&t, false); /* a low_mem kill: the count starts over, the limit stays */
	assert_int_equal(t.cur_limit_pct, 100);
	feed(&t, at(700, 0, 0), 1500);
	assert_int_equal(t.pct, 0);
}

static void test_counters_going_back(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, at(5000, 5000, 0), 1000);
	feed(&t, at(10, 10, 0), 1200); /* the cgroup was made anew: a new baseline, no wrap */
	assert_int_equal(t.pct, 0);
	feed(&t, at(1210, 10, 0), 1400);
	assert_int_equal(t.pct, 120);
}

static void test_no_counters_and_off(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	thrash_update(&t, NULL, 1000);
	assert_false(t.valid);
	assert_false(thrash_over(&t));
	thrash_killed(&t, true); /* nothing to decay before a baseline */
	assert_int_equal(t.cur_limit_pct, 100);

	thrash_init(&t, 0, 10); /* --thrashing-limit 0 */
	feed(&t, at(0, 0, 0), 1000);
	feed(&t, at(100000, 0, 0), 1500);
	assert_true(t.pct > 0);
	assert_false(thrash_over(&t));
}

static void test_huge_counters(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, (struct vm_counters){.refault_file = 0, .file_lru = 0}, 1000);
	feed(&t, (struct vm_counters){.refault_file = UINT64_MAX, .file_lru = 0}, 1500);
	assert_true(t.pct >= UINT64_MAX / 100 - 1);
	assert_true(thrash_over(&t));
	/* Decay of 100 %, past the range clamped: the limit goes to 0, nothing wraps. */
	thrash_init(&t, 100, 250);
	assert_int_equal(t.decay_pct, 100);
}

static void test_direct_reclaim(void **state)
{
	struct thrash t;
	(void)state;

	thrash_init(&t, 100, 10);
	feed(&t, at(0, 0, 500), 1000);
	assert_false(t.direct_reclaim); /* the first look has nothing to compare with */
	feed(&t, at(0, 0, 900), 1100);
	assert_true(t.direct_reclaim);
	feed(&t, at(0, 0, 900), 1200);
	assert_false(t.direct_reclaim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_look_is_a_baseline),
		cmocka_unit_test(test_anon_share_counts),
		cmocka_unit_test(test_window_carries_over),
		cmocka_unit_test(test_over_limit_window_is_kept),
		cmocka_unit_test(test_kill_counts_afresh_and_decays),
		cmocka_unit_test(test_other_kill_keeps_limit),
		cmocka_unit_test(test_counters_going_back),
		cmocka_unit_test(test_no_counters_and_off),
		cmocka_unit_test(test_huge_counters),
		cmocka_unit_test(test_direct_reclaim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
