/* SPDX-License-Identifier: MIT */
/* The adaptive poll interval and the allocation-rate estimate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sys.h"
#include "watermark.h"

#define GIB (1024ULL * 1024)
#define MAXU (2500 * USEC_PER_MSEC)

static void test_interval(void **state)
{
	static const struct {
		uint64_t avail, mark, rate, expect;
	} t[] = {
		{20 * GIB, 2 * GIB, WATERMARK_MIN_RATE_KIB_S, MAXU},         /* plenty: capped */
		{8 * GIB, 2 * GIB, WATERMARK_MIN_RATE_KIB_S, USEC_PER_SEC},  /* 6 GiB at 6 GiB/s */
		{2 * GIB + 60 * 1024, 2 * GIB, WATERMARK_MIN_RATE_KIB_S, WATERMARK_MIN_INTERVAL_USEC},
		{1 * GIB, 2 * GIB, WATERMARK_MIN_RATE_KIB_S, WATERMARK_MIN_INTERVAL_USEC}, /* below */
		{3 * GIB, 2 * GIB, 2 * GIB, 500 * USEC_PER_MSEC},           /* faster observed rate */
		{3 * GIB, 2 * GIB, 0, MAXU},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(watermark_interval_usec(t[i].avail, t[i].mark, t[i].rate, MAXU),
				 t[i].expect);
}

static void test_interval_swap(void **state)
{
	(void)state;
	/* Below the memory mark with 6 GiB of swap free above a 1 GiB --swap-min: 1 s, not 10 ms. */
	assert_int_equal(watermark_interval_swap_usec(1 * GIB, 2 * GIB, 8 * GIB, 7 * GIB, 1 * GIB,
						      WATERMARK_MIN_RATE_KIB_S, MAXU),
			 USEC_PER_SEC);
	/* Swap short too: the floor. */
	assert_int_equal(watermark_interval_swap_usec(1 * GIB, 2 * GIB, 8 * GIB, GIB / 2, 1 * GIB,
						      WATERMARK_MIN_RATE_KIB_S, MAXU),
			 WATERMARK_MIN_INTERVAL_USEC);
	/* No swap: memory alone, as decide() has it. */
	assert_int_equal(watermark_interval_swap_usec(1 * GIB, 2 * GIB, 0, 0, 0,
						      WATERMARK_MIN_RATE_KIB_S, MAXU),
			 WATERMARK_MIN_INTERVAL_USEC);
	/* Memory the later of the two: its time. */
	assert_int_equal(watermark_interval_swap_usec(8 * GIB, 2 * GIB, 8 * GIB, 2 * GIB, GIB,
						      WATERMARK_MIN_RATE_KIB_S, MAXU),
			 USEC_PER_SEC);
}

static void test_rate(void **state)
{
	struct watermark_rate w = {0};
	uint64_t t = 1000 * USEC_PER_SEC;

	(void)state;
	/* First reading, and slow falls: the floor. */
	assert_int_equal(watermark_rate_update(&w, 20 * GIB, t), WATERMARK_MIN_RATE_KIB_S);
	assert_int_equal(watermark_rate_update(&w, 19 * GIB, t += USEC_PER_SEC),
			 WATERMARK_MIN_RATE_KIB_S);
	/* 8 GiB gone in 0.5 s: 16 GiB/s is what we plan with now. */
	assert_int_equal(watermark_rate_update(&w, 11 * GIB, t += USEC_PER_SEC / 2), 16 * GIB);
	/* Memory coming back does not lower the peak at once... */
	assert_int_equal(watermark_rate_update(&w, 15 * GIB, t += USEC_PER_SEC / 10), 16 * GIB);
	/* ...but it halves every 5 s. */
	assert_int_equal(watermark_rate_update(&w, 15 * GIB, t += 5 * USEC_PER_SEC), 8 * GIB);
	assert_int_equal(watermark_rate_update(&w, 15 * GIB, t += 60 * USEC_PER_SEC),
			 WATERMARK_MIN_RATE_KIB_S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_interval_swap),
		cmocka_unit_test(test_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
