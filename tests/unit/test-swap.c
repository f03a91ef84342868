/* SPDX-License-Identifier: MIT */
/*
 * Swap devices and zram (src/swap.c): /proc/swaps and mm_stat as the kernel
 * prints them and malformed, what zram's free space is worth in RAM, and the
 * tracker following devices switched on and off.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "swap.h"
#include "tree.h"

static void read_fixture(const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void test_proc_swaps(void **state)
{
	struct swap_device devs[4];
	char buf[1024];
	size_t n;
	(void)state;

	read_fixture("proc-zram/proc/swaps", buf, sizeof(buf));
	assert_int_equal(parse_proc_swaps(buf, devs, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(devs[0].path, "/dev/zram0");
	assert_true(devs[0].is_zram);
	assert_int_equal(devs[0].zram_id, 0);
	assert_int_equal(devs[0].size_kib, 1048572);
	assert_int_equal(devs[0].used_kib, 209712);
	/* A space in the path is escaped as \040: one word. Priority -2. */
	assert_string_equal(devs[1].path, "/var/swap\\040file");
	assert_false(devs[1].is_zram);
	assert_int_equal(devs[1].size_kib, 524284);

	/* No swap: the header alone. */
	assert_int_equal(parse_proc_swaps("Filename\tType\tSize\tUsed\tPriority\n", devs, 4, &n), 0);
	assert_int_equal(n, 0);
	/* Other zram paths; names that only look like it. */
	assert_int_equal(parse_proc_swaps("Filename\n/dev/block/zram12 partition 10 0 5\n"
					  "/dev/zram partition 10 0 5\n/dev/zram1x partition 10 0 5\n"
					  "/zram3/disk file 10 0 -1\n",
					  devs, 4, &n),
			 0);
	assert_int_equal(n, 4);
	assert_true(devs[0].is_zram);
	assert_int_equal(devs[0].zram_id, 12);
	assert_false(devs[1].is_zram);
	assert_false(devs[2].is_zram);
	assert_false(devs[3].is_zram);
}

static void test_proc_swaps_bad(void **state)
{
	struct swap_device devs[2] = {{.size_kib = 77}};
	char buf[1024];
	char longpath[400];
	size_t n = 99;
	(void)state;

	read_fixture("malformed/swaps-bad", buf, sizeof(buf));
	assert_int_equal(parse_proc_swaps(buf, devs, 2, &n), -EINVAL);
	assert_int_equal(parse_proc_swaps("", devs, 2, &n), -EINVAL);
	assert_int_equal(parse_proc_swaps("/dev/zram0 partition 1 0 1\n", devs, 2, &n), -EINVAL);
	assert_int_equal(parse_proc_swaps("Filename", devs, 2, &n), -EINVAL); /* no newline */
	assert_int_equal(parse_proc_swaps("Filename\n/dev/zram0 partition 1 0\n", devs, 2, &n),
			 -EINVAL);
	assert_int_equal(parse_proc_swaps("Filename\n/dev/zram0 partition 1 0 1 junk\n", devs, 2, &n),
			 -EINVAL);
	assert_int_equal(parse_proc_swaps("Filename\n/dev/zram0 partition 99999999999999999999 0 1\n",
					  devs, 2, &n),
			 -EINVAL);
	assert_int_equal(parse_proc_swaps("Filename\na p 1 0 1\nb p 1 0 1\nc p 1 0 1\n", devs, 2, &n),
			 -E2BIG);
	/* Nothing written on failure. */
	assert_int_equal(n, 99);

	/* A path longer than the field: kept truncated, never taken for zram. */
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath + sizeof(longpath) - 60, "/zram0 partition 1 0 1\n", 24);
	snprintf(buf, sizeof(buf), "Filename\n/%s", longpath);
	assert_int_equal(parse_proc_swaps(buf, devs, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(devs[0].path), SWAP_PATH_MAX - 1);
	assert_false(devs[0].is_zram);
}

static void test_mm_stat(void **state)
{
	struct zram_stat z = {0};
	char buf[256];
	(void)state;

	read_fixture("proc-zram/sys/block/zram0/mm_stat", buf, sizeof(buf));
	assert_int_equal(parse_zram_mm_stat(buf, &z), 0);
	assert_int_equal(z.orig_bytes, 209712ULL * 1024);
	assert_int_equal(z.compr_bytes, 212000ULL * 1024);
	assert_int_equal(z.mem_used_bytes, 215000ULL * 1024);
	assert_int_equal(z.mem_limit_bytes, 0);
	/* Linux 4.x: seven fields. */
	assert_int_equal(parse_zram_mm_stat("4096 1000 8192 65536 8192 0 0\n", &z), 0);
	assert_int_equal(z.mem_limit_bytes, 65536);

	z.orig_bytes = 5;
	read_fixture("malformed/mm_stat-short", buf, sizeof(buf));
	assert_int_equal(parse_zram_mm_stat(buf, &z), -EINVAL);
	assert_int_equal(parse_zram_mm_stat("", &z), -EINVAL);
	assert_int_equal(parse_zram_mm_stat("1 2 3 4 5 6 x\n", &z), -EINVAL);
	assert_int_equal(parse_zram_mm_stat("1 2 3 4 5 6 7 8 junk\n", &z), -EINVAL);
	assert_int_equal(parse_zram_mm_stat("1 2 3 4 5 6 7\n8\n", &z), -EINVAL);
	assert_int_equal(parse_zram_mm_stat("-1 2 3 4 5 6 7\n", &z), -EINVAL);
	assert_int_equal(z.orig_bytes, 5);
}

static void test_usable(void **state)
{
	/* 1 GiB of zram storing 200 MiB in 100 MiB of RAM: 2:1. */
	struct zram_state z = {.n = 1, .disk_kib = 1048576, .stored_kib = 204800, .ram_kib = 102400,
			       .room_kib = UINT64_MAX};
	(void)state;

	assert_int_equal(zram_ratio_x100(&z), 200);
	/* Plenty of RAM: the device's free space is the bound. */
	assert_int_equal(zram_usable_kib(&z, 8 * 1048576, 0), 1048576 - 204800);
	/* 50 MiB of RAM left holds 100 MiB; 100 MiB of anon compressed gives back 50 more. */
	assert_int_equal(zram_usable_kib(&z, 51200, 0), 102400);
	assert_int_equal(zram_usable_kib(&z, 51200, 102400), 204800);
	assert_int_equal(zram_usable_kib(&z, 0, 0), 0);
	/* A memory limit with 10 MiB of room left binds before available memory. */
	z.room_kib = 10240;
	assert_int_equal(zram_usable_kib(&z, 51200, 102400), 20480);
	z.room_kib = UINT64_MAX;

	/* Too little stored to tell: 2:1 assumed. */
	z.stored_kib = 100, z.ram_kib = 1000;
	assert_int_equal(zram_ratio_x100(&z), ZRAM_ASSUMED_RATIO * 100);
	/* Zero-filled pages cost next to nothing: the ratio counts for 4:1 at most. */
	z.stored_kib = 512000, z.ram_kib = 100;
	assert_int_equal(zram_ratio_x100(&z), ZRAM_MAX_RATIO * 100);
	/* Incompressible pages take more RAM than they hold: never below 1:1. */
	z.stored_kib = 512000, z.ram_kib = 600000;
	assert_int_equal(zram_ratio_x100(&z), 100);
	/* ...and swapping them out frees nothing: what is available, however much anon. */
	assert_int_equal(zram_usable_kib(&z, 1000, 4 * 1048576), 1000);
	/* Full device; RAM past what any ratio can overflow. */
	z.stored_kib = z.disk_kib + 5;
	assert_int_equal(zram_usable_kib(&z, UINT64_MAX, UINT64_MAX), 0);
	z.stored_kib = 0;
	assert_int_equal(zram_usable_kib(&z, UINT64_MAX, UINT64_MAX), z.disk_kib);
	z.stored_kib = 512000, z.ram_kib = 100;
	assert_int_equal(zram_usable_kib(&z, UINT64_MAX / 2, UINT64_MAX / 2), z.disk_kib - 512000);
}

#define HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

/* The tracker on a tree of its own: devices switched on and off, mm_stat that goes bad. */
static void test_tracker(void **state)
{
	char dir[PATH_MAX], proc[PATH_MAX + 8], sys[PATH_MAX + 8];
	struct swaps *s = NULL;
	struct zram_state z;
	bool changed;
	(void)state;

	tree_make(dir, sizeof(dir));
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	snprintf(sys, sizeof(sys), "%s/sys", dir);
	/* No /proc/swaps: a kernel without swap. */
	tree_put(dir, "proc/", NULL);
	assert_int_equal(swaps_open(proc, sys, &s), -ENOENT);

	tree_put(dir, "proc/swaps", HEADER);
	assert_int_equal(swaps_open(proc, sys, &s), 0);
	assert_int_equal(swaps_total_kib(s), 0);
	assert_int_equal(swaps_read_zram(s, &z), 0);
	assert_true(z.room_kib == UINT64_MAX);

	/* zram1 switched on, with a memory limit; a disk swap beside it. */
	tree_put(dir, "sys/block/zram1/mm_stat",
		 "20971520 8388608 10485760 31457280 10485760 0 0 0 0\n");
	tree_put(dir, "proc/swaps", HEADER "/dev/zram1 partition 102400 20480 100\n"
					  "/dev/sda2 partition 204800 0 -2\n");
	assert_int_equal(swaps_refresh(s, &changed), 0);
	assert_true(changed);
	assert_int_equal(swaps_total_kib(s), 307200);
	assert_int_equal(swaps_read_zram(s, &z), 1);
	assert_int_equal(z.disk_kib, 102400);
	assert_int_equal(z.stored_kib, 20480);
	assert_int_equal(z.ram_kib, 10240);
	assert_int_equal(z.room_kib, 20480); /* 30 MiB limit, 10 MiB used */

	/* The same devices again (Used moved): no change; the file held open is read anew. */
	tree_put(dir, "proc/swaps", HEADER "/dev/zram1 partition 102400 30720 100\n"
					  "/dev/sda2 partition 204800 10 -2\n");
	tree_put(dir, "sys/block/zram1/mm_stat", "31457280 8388608 12582912 0 12582912 0 0 0 0\n");
	assert_int_equal(swaps_refresh(s, &changed), 0);
	assert_false(changed);
	assert_int_equal(swaps_read_zram(s, &z), 1);
	assert_int_equal(z.stored_kib, 30720);
	assert_true(z.room_kib == UINT64_MAX); /* the limit lifted */

	/* Its mm_stat turns to junk: the device counts as holding nothing, no limit. */
	tree_put(dir, "sys/block/zram1/mm_stat", "junk\n");
	assert_int_equal(swaps_read_zram(s, &z), 1);
	assert_int_equal(z.stored_kib, 0);
	assert_int_equal(z.disk_kib, 102400);

	/* zram1 off, zram0 on but its sysfs missing: listed, nothing read. */
	tree_put(dir, "proc/swaps", HEADER "/dev/sda2 partition 204800 0 -2\n"
					  "/dev/zram0 partition 51200 0 100\n");
	assert_int_equal(swaps_refresh(s, &changed), 0);
	assert_true(changed);
	assert_int_equal(swaps_total_kib(s), 256000);
	assert_int_equal(swaps_read_zram(s, &z), 1);
	assert_int_equal(z.disk_kib, 51200);
	assert_int_equal(z.stored_kib, 0);

	/* /proc/swaps turns to junk: an error, the last list kept. */
	tree_put(dir, "proc/swaps", "junk\n");
	assert_int_equal(swaps_refresh(s, &changed), -EINVAL);
	assert_int_equal(swaps_total_kib(s), 256000);

	/* zram0 reset and resized under the same name: a new device. */
	tree_put(dir, "proc/swaps", HEADER "/dev/sda2 partition 204800 0 -2\n"
					  "/dev/zram0 partition 409600 0 100\n");
	assert_int_equal(swaps_refresh(s, &changed), 0);
	assert_true(changed);
	assert_int_equal(swaps_total_kib(s), 614400);

	/* All off. */
	tree_put(dir, "proc/swaps", HEADER);
	assert_int_equal(swaps_refresh(s, &changed), 0);
	assert_true(changed);
	assert_int_equal(swaps_read_zram(s, &z), 0);
	swaps_free(s);
	swaps_free(NULL);
	tree_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_swaps),
		cmocka_unit_test(test_proc_swaps_bad),
		cmocka_unit_test(test_mm_stat),
		cmocka_unit_test(test_usable),
		cmocka_unit_test(test_tracker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
