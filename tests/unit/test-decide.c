/* SPDX-License-Identifier: MIT */
/* decide(): which reason, which minimum adj, how much to free. Table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "decide.h"

#define GIB (1024ULL * 1024)
#define MIB 1024ULL

struct dcase {
	const char *name;
	struct mem_state mem;
	unsigned fired;
	uint64_t in_flight_kib;
	uint64_t target_kib; /* --target; 0 = auto */
	int expect_kill;
	enum kill_reason reason;
	int min_adj;
	uint64_t expect_target_kib; /* 0: do not check */
};

/* mem-min 10%, swap-min 10%, min adj 0, "some" stalls only kill adj >= 200. */
static const struct dcase cases[] = {
	{"plenty", {10 * GIB, 5 * GIB, 0, 0}, 0, 0, 0, 0, REASON_NONE, 0, 0},
	{"below mem-min, no swap", {10 * GIB, 512 * MIB, 0, 0}, 0, 0, 0, 1, REASON_LOW_MEM, 0,
	 /* mark 1 GiB (10% of 10 GiB) + 25% margin - 512 MiB */
	 1024 * MIB + 256 * MIB - 512 * MIB},
	{"below mem-min but swap free", {10 * GIB, 512 * MIB, 4 * GIB, 2 * GIB}, 0, 0, 0, 0,
	 REASON_NONE, 0, 0},
	{"below mem-min and swap low", {10 * GIB, 512 * MIB, 4 * GIB, 100 * MIB}, 0, 0, 0, 1,
	 REASON_LOW_MEM, 0, 0},
	{"memory on its way back covers it", {10 * GIB, 512 * MIB, 0, 0}, 0, 600 * MIB, 0, 0,
	 REASON_NONE, 0, 0},
	{"after a kill, still low", {10 * GIB, 512 * MIB, 0, 0}, PRESSURE_AFTER_KILL, 0, 0, 1,
	 REASON_PRESSURE_AFTER_KILL, 0, 0},
	{"full stall below the low mark", {10 * GIB, 1536 * MIB, 0, 0}, PRESSURE_PSI_FULL, 0, 0,
	 1, REASON_PSI_FULL, 0, 2048 * MIB + 512 * MIB - 1536 * MIB},
	{"full stall with plenty free: not memory's fault", {10 * GIB, 5 * GIB, 0, 0},
	 PRESSURE_PSI_FULL, 0, 0, 0, REASON_NONE, 0, 0},
	{"full stall while swap is free: the kernel swaps", {10 * GIB, 1536 * MIB, 4 * GIB, 3 * GIB},
	 PRESSURE_PSI_FULL, 0, 0, 0, REASON_NONE, 0, 0},
	{"full stall and swap low", {10 * GIB, 1536 * MIB, 4 * GIB, 300 * MIB}, PRESSURE_PSI_FULL,
	 0, 0, 1, REASON_PSI_FULL, 0, 2048 * MIB + 512 * MIB - 1536 * MIB},
	{"critical stall while swap is free", {10 * GIB, 1536 * MIB, 4 * GIB, 3 * GIB},
	 PRESSURE_PSI_FULL | PRESSURE_PSI_CRITICAL, 0, 0, 1, REASON_PSI_CRITICAL, 0,
	 2048 * MIB + 512 * MIB - 1536 * MIB},
	{"critical stall, swap low: psi_full", {10 * GIB, 1536 * MIB, 4 * GIB, 300 * MIB},
	 PRESSURE_PSI_FULL | PRESSURE_PSI_CRITICAL, 0, 0, 1, REASON_PSI_FULL, 0, 0},
	{"critical stall with plenty free: not memory's fault", {10 * GIB, 5 * GIB, 4 * GIB, 3 * GIB},
	 PRESSURE_PSI_CRITICAL, 0, 0, 0, REASON_NONE, 0, 0},
	{"a full stall that lasts, swap free", {10 * GIB, 1536 * MIB, 4 * GIB, 3 * GIB},
	 PRESSURE_PSI_FULL | PRESSURE_PSI_SUSTAINED, 0, 0, 1, REASON_PSI_SUSTAINED, 0, 0},
	{"a full stall that lasts, plenty free", {10 * GIB, 5 * GIB, 4 * GIB, 3 * GIB},
	 PRESSURE_PSI_FULL | PRESSURE_PSI_SUSTAINED, 0, 0, 0, REASON_NONE, 0, 0},
	{"some stall while swap is free", {10 * GIB, 1536 * MIB, 4 * GIB, 3 * GIB}, PRESSURE_PSI_SOME,
	 0, 0, 0, REASON_NONE, 0, 0},
	{"vmpressure critical while swap is free", {10 * GIB, 1536 * MIB, 4 * GIB, 3 * GIB},
	 PRESSURE_VMPRESSURE_CRITICAL, 0, 0, 0, REASON_NONE, 0, 0},
	{"some stall below the low mark kills only adj >= 200",
	 {10 * GIB, 1536 * MIB, 0, 0}, PRESSURE_PSI_SOME, 0, 0, 1, REASON_PSI_SOME_LOW_MEM, 200, 0},
	{"vmpressure critical", {10 * GIB, 1536 * MIB, 0, 0}, PRESSURE_VMPRESSURE_CRITICAL, 0, 0,
	 1, REASON_VMPRESSURE_CRITICAL, 0, 0},
	{"low memory wins over stalls", {10 * GIB, 100 * MIB, 0, 0},
	 PRESSURE_PSI_SOME | PRESSURE_PSI_FULL, 0, 0, 1, REASON_LOW_MEM, 0, 0},
	{"full wins over some", {10 * GIB, 1536 * MIB, 0, 0}, PRESSURE_PSI_SOME | PRESSURE_PSI_FULL,
	 0, 0, 1, REASON_PSI_FULL, 0, 0},
	{"explicit --target", {10 * GIB, 512 * MIB, 0, 0}, 0, 0, 300 * MIB, 1, REASON_LOW_MEM, 0,
	 300 * MIB},
	{"tiny domain: margin is at least 1 MiB", {4 * MIB, 0, 0, 0}, 0, 0, 0, 1, REASON_LOW_MEM,
	 0, 409 + 1024},
	/* Thrashing: over the limit while tasks stall or reclaim, whatever is free. */
	{"thrashing with a some stall, swap and memory free",
	 {.total_kib = 10 * GIB, .avail_kib = 5 * GIB, .swap_total_kib = 4 * GIB,
	  .swap_free_kib = 3 * GIB, .thrashing = true},
	 PRESSURE_PSI_SOME, 0, 0, 1, REASON_THRASHING, 200, 1 /* one expendable victim, however small */},
	{"thrashing in direct reclaim, no PSI event (a poll)",
	 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .thrashing = true, .direct_reclaim = true},
	 0, 0, 0, 1, REASON_THRASHING, 200, 1},
	{"thrashing ignores --target: one victim",
	 {.total_kib = 10 * GIB, .avail_kib = 5 * GIB, .thrashing = true},
	 PRESSURE_PSI_FULL, 0, 300 * MIB, 1, REASON_THRASHING, 200, 1},
	{"thrashing without a stall or reclaim: nobody waits",
	 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .swap_total_kib = 4 * GIB,
	  .swap_free_kib = 3 * GIB, .thrashing = true},
	 0, 0, 0, 0, REASON_NONE, 0, 0},
	{"direct reclaim without thrashing",
	 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .swap_total_kib = 4 * GIB,
	  .swap_free_kib = 3 * GIB, .direct_reclaim = true},
	 PRESSURE_PSI_SOME, 0, 0, 0, REASON_NONE, 0, 0},
	{"low memory wins over thrashing",
	 {.total_kib = 10 * GIB, .avail_kib = 100 * MIB, .thrashing = true},
	 PRESSURE_PSI_SOME, 0, 0, 1, REASON_LOW_MEM, 0, 0},
	{"a critical stall wins over thrashing",
	 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .swap_total_kib = 4 * GIB,
	  .swap_free_kib = 3 * GIB, .thrashing = true},
	 PRESSURE_PSI_FULL | PRESSURE_PSI_CRITICAL, 0, 0, 1, REASON_PSI_CRITICAL, 0, 0},
	/* zram: free swap counts as what the RAM left can hold compressed. */
	{"zram half empty, no RAM to hold more: swap low",
	 {.total_kib = 10 * GIB, .avail_kib = 512 * MIB, .swap_total_kib = 4 * GIB,
	  .swap_free_kib = 2 * GIB, .have_zram = true, .swap_usable_kib = 200 * MIB},
	 0, 0, 0, 1, REASON_LOW_MEM, 0, 0},
	{"zram half empty, RAM to hold it: swap free",
	 {.total_kib = 10 * GIB, .avail_kib = 512 * MIB, .swap_total_kib = 4 * GIB,
	  .swap_free_kib = 2 * GIB, .have_zram = true, .swap_usable_kib = 1 * GIB},
	 0, 0, 0, 0, REASON_NONE, 0, 0},
	{"full stall, zram's room gone with the RAM",
	 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .swap_total_kib = 4 * GIB,
	  .swap_free_kib = 3 * GIB, .have_zram = true, .swap_usable_kib = 300 * MIB},
	 PRESSURE_PSI_FULL, 0, 0, 1, REASON_PSI_FULL, 0, 0},
	{"usable swap is only read with zram",
	 {.total_kib = 10 * GIB, .avail_kib = 512 * MIB, .swap_total_kib = 4 * GIB,
	  .swap_free_kib = 2 * GIB, .swap_usable_kib = 0},
	 0, 0, 0, 0, REASON_NONE, 0, 0},
};

/* --swap-util-max 60: swapped out / (anon + shmem + swapped). */
static void test_low_swap(void **state)
{
	static const struct {
		const char *name;
		struct mem_state mem;
		unsigned util_max;
		int expect_kill;
		unsigned util;
	} lcases[] = {
		/* 4 GiB swapped of 1 GiB anon + 4: 80 %, memory below the low mark (2 GiB). */
		{"80 % swapped, memory short",
		 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .swap_total_kib = 8 * GIB,
		  .swap_free_kib = 4 * GIB, .anon_kib = 1 * GIB},
		 60, 1, 80},
		{"80 % swapped, memory plenty",
		 {.total_kib = 10 * GIB, .avail_kib = 5 * GIB, .swap_total_kib = 8 * GIB,
		  .swap_free_kib = 4 * GIB, .anon_kib = 1 * GIB},
		 60, 0, 80},
		/* Shared memory swaps too: 4 of 2 + 2 + 4: 50 %. */
		{"50 % swapped",
		 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .swap_total_kib = 8 * GIB,
		  .swap_free_kib = 4 * GIB, .anon_kib = 2 * GIB, .shmem_kib = 2 * GIB},
		 60, 0, 50},
		{"off",
		 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .swap_total_kib = 8 * GIB,
		  .swap_free_kib = 4 * GIB, .anon_kib = 1 * GIB},
		 0, 0, 80},
		{"no swap at all",
		 {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB, .anon_kib = 1 * GIB}, 60, 0, 0},
		{"nothing swappable", {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB}, 60, 0, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
		struct decide_params p = {
			.mem_min = {.is_percent = true, .percent_x100 = 1000},
			.swap_min = {.is_percent = true, .percent_x100 = 1000},
			.psi_some_min_adj = 200,
			.swap_util_max_pct = lcases[i].util_max,
		};
		struct decision d;
		int r = decide(&p, &lcases[i].mem, 0, 0, &d);

		if (swap_util_pct(&lcases[i].mem) != lcases[i].util)
			fail_msg("%s: util %u %%, expected %u", lcases[i].name,
				 swap_util_pct(&lcases[i].mem), lcases[i].util);
		if (r != lcases[i].expect_kill)
			fail_msg("%s: kill %d reason %s", lcases[i].name, r, kill_reason_name(d.reason));
		if (!r)
			continue;
		assert_int_equal(d.reason, REASON_LOW_SWAP);
		assert_int_equal(d.min_adj, 200); /* expendable only */
		assert_int_equal(d.target_kib, 2048 * MIB + 512 * MIB - 1536 * MIB);
	}
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dcase *c = &cases[i];
		struct decide_params p = {
			.mem_min = {.is_percent = true, .percent_x100 = 1000},
			.swap_min = {.is_percent = true, .percent_x100 = 1000},
			.target_kib = c->target_kib,
			.min_adj = 0,
			.psi_some_min_adj = 200,
		};
		struct decision d;
		int r = decide(&p, &c->mem, c->fired, c->in_flight_kib, &d);

		if (r != c->expect_kill || d.reason != c->reason)
			fail_msg("%s: kill %d reason %s, expected %d %s", c->name, r,
				 kill_reason_name(d.reason), c->expect_kill,
				 kill_reason_name(c->reason));
		if (r && d.min_adj != c->min_adj)
			fail_msg("%s: min adj %d, expected %d", c->name, d.min_adj, c->min_adj);
		if (c->expect_target_kib && d.target_kib != c->expect_target_kib)
			fail_msg("%s: target %llu KiB, expected %llu", c->name,
				 (unsigned long long)d.target_kib,
				 (unsigned long long)c->expect_target_kib);
		if (r && d.target_kib == 0)
			fail_msg("%s: a kill with no target", c->name);
	}
}

static void test_marks(void **state)
{
	struct decide_params p = {
		.mem_min = {.is_percent = false, .bytes = 100ULL << 20},
		.swap_min = {.is_percent = true, .percent_x100 = 2550},
	};
	struct mem_state m = {.total_kib = 150 * MIB, .swap_total_kib = 1000 * MIB};
	struct decision d;

	(void)state;
	decide_marks(&p, &m, &d);
	assert_int_equal(d.mem_min_kib, 100 * MIB);
	assert_int_equal(d.mem_low_kib, 150 * MIB); /* 2x mem-min, capped at the total */
	assert_int_equal(d.swap_min_kib, 255 * MIB);
	assert_int_equal(d.reason, REASON_NONE);
}

static void test_psi_some_respects_a_higher_min_adj(void **state)
{
	struct decide_params p = {
		.mem_min = {.is_percent = true, .percent_x100 = 1000},
		.min_adj = 500,
		.psi_some_min_adj = 200,
	};
	struct mem_state m = {.total_kib = 10 * GIB, .avail_kib = 1536 * MIB};
	struct decision d;

	(void)state;
	assert_int_equal(decide(&p, &m, PRESSURE_PSI_SOME, 0, &d), 1);
	assert_int_equal(d.min_adj, 500);
}

static void test_minfree_levels(void **state)
{
	/* lmkd's pairs in pages, given out of order: 64 MiB/adj 0, 16 MiB... sorted here. */
	static const int pairs[][2] = {{16384, 0}, {4096, 900}, {8192, 500}};
	struct decide_params p = {
		.mem_min = {.is_percent = true, .percent_x100 = 100},
		.psi_some_min_adj = 200,
	};
	struct mem_state m = {.total_kib = 10 * GIB, .avail_kib = 5 * GIB};
	struct decision d;

	(void)state;
	decide_set_levels(&p, pairs, 3);
	assert_int_equal(p.n_levels, 3);
	assert_int_equal(p.levels[0].minfree_kib, 16 * MIB);
	assert_int_equal(p.levels[0].adj, 900);
	assert_int_equal(p.levels[2].minfree_kib, 64 * MIB);

	/* Free memory low but file cache plentiful: no level is hit. */
	m.free_kib = 10 * MIB;
	m.file_kib = 100 * MIB;
	assert_int_equal(decide(&p, &m, 0, 0, &d), 0);
	/* Both below 64 MiB but not 32: the 64 MiB level, adj 0. */
	m.free_kib = 40 * MIB;
	m.file_kib = 50 * MIB;
	assert_int_equal(decide(&p, &m, 0, 0, &d), 1);
	assert_int_equal(d.reason, REASON_MINFREE);
	assert_int_equal(d.min_adj, 0);
	assert_int_equal(d.target_kib, 64 * MIB + 16 * MIB - 40 * MIB);
	/* Both below 16 MiB: the first level, adj 900. */
	m.free_kib = 10 * MIB;
	m.file_kib = 10 * MIB;
	assert_int_equal(decide(&p, &m, 0, 0, &d), 1);
	assert_int_equal(d.min_adj, 900);
	/* Memory on its way back counts as free. */
	assert_int_equal(decide(&p, &m, 0, 60 * MIB, &d), 0);
	/* Cleared. */
	decide_set_levels(&p, pairs, 0);
	assert_int_equal(decide(&p, &m, 0, 0, &d), 0);
}

/* --min-adj is a floor no lmkd level lowers: not even a level at adj -1000 that is always hit. */
static void test_levels_respect_min_adj(void **state)
{
	static const int pairs[][2] = {{0x7fffffff, -1000}, {4096, -500}, {8192, 100}};
	struct decide_params p = {
		.mem_min = {.is_percent = true, .percent_x100 = 100},
		.min_adj = 0,
		.psi_some_min_adj = 200,
	};
	struct mem_state m = {.total_kib = 10 * GIB, .avail_kib = 5 * GIB, .free_kib = 8 * MIB,
			      .file_kib = 8 * MIB};
	struct decision d;

	(void)state;
	decide_set_levels(&p, pairs, 3);
	/* Below the 16 MiB level (adj -500): the round may kill adj 0 and up, no lower. */
	assert_int_equal(decide(&p, &m, 0, 0, &d), 1);
	assert_int_equal(d.reason, REASON_MINFREE);
	assert_int_equal(d.min_adj, 0);
	/* Only the huge level hit: still adj 0. */
	m.free_kib = m.file_kib = 5 * GIB;
	assert_int_equal(decide(&p, &m, 0, 0, &d), 1);
	assert_int_equal(d.min_adj, 0);
	/* A level above the floor keeps its own adj. */
	p.min_adj = -100;
	m.free_kib = m.file_kib = 20 * MIB;
	assert_int_equal(decide(&p, &m, 0, 0, &d), 1);
	assert_int_equal(d.min_adj, 100);
	/* Every reason, with every signal: never below the floor. */
	p.min_adj = 300;
	for (unsigned fired = 0; fired < 16; fired++)
		for (uint64_t f = 0; f <= 6 * GIB; f += 512 * MIB) {
			m.free_kib = m.file_kib = m.avail_kib = f;
			if (decide(&p, &m, fired, 0, &d))
				assert_true(d.min_adj >= 300);
		}
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(kill_reason_name(REASON_LOW_MEM), "low_mem");
	assert_string_equal(kill_reason_name(REASON_PSI_FULL), "psi_full");
	assert_string_equal(kill_reason_name(REASON_PSI_SOME_LOW_MEM), "psi_some_low_mem");
	assert_string_equal(kill_reason_name(REASON_VMPRESSURE_CRITICAL), "vmpressure_critical");
	assert_string_equal(kill_reason_name(REASON_PRESSURE_AFTER_KILL), "pressure_after_kill");
	assert_string_equal(kill_reason_name(REASON_MINFREE), "minfree");
	assert_string_equal(kill_reason_name(REASON_PSI_CRITICAL), "psi_critical");
	assert_string_equal(kill_reason_name(REASON_PSI_SUSTAINED), "psi_sustained");
	assert_string_equal(kill_reason_name(REASON_THRASHING), "thrashing");
	assert_string_equal(kill_reason_name(REASON_LOW_SWAP), "low_swap");
	assert_string_equal(kill_reason_name(REASON_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_low_swap),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_psi_some_respects_a_higher_min_adj),
		cmocka_unit_test(test_minfree_levels),
		cmocka_unit_test(test_levels_respect_min_adj),
		cmocka_unit_test(test_reason_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
