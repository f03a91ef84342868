/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domain.h"

/*
 * The domain reads only <proc_root>/meminfo and the cgroup's memory files, so
 * each fixture proc root here is just a meminfo (see tests/fixtures/README.md):
 *
 *   proc        MemTotal 16318480  MemAvailable 9876540  no swap
 *   proc-swap   MemTotal 16318480  MemAvailable 9876540  SwapTotal 4194300  SwapFree 4096000
 *   proc-tight  MemTotal 16318480  MemAvailable  262144  SwapTotal 4194300  SwapFree   65536
 *   proc-old    MemTotal  8174116  no MemAvailable: MemFree 812508 + Cached 3377660
 *               SwapTotal 2097148  SwapFree 1838268
 */

#define PROC       FIXTURES "/proc"
#define PROC_SWAP  FIXTURES "/proc-swap"
#define PROC_TIGHT FIXTURES "/proc-tight"
#define PROC_OLD   FIXTURES "/proc-old"

static struct domain *open_ok(const char *proc_root, const char *scope)
{
	struct domain *d = NULL;
	int r = domain_open(proc_root, scope, &d);

	if (r != 0)
		fail_msg("domain_open(%s, %s) = %d", proc_root, scope ? scope : "NULL", r);
	assert_non_null(d);
	return d;
}

static void test_open_kinds(void **state)
{
	static const struct {
		const char *scope;
		enum domain_kind kind;
	} cases[] = {
		{ NULL, DOMAIN_SYSTEM },
		{ FIXTURES "/cgroup-v1", DOMAIN_CGROUP_V1 },
		{ FIXTURES "/cgroup-v1-unlimited", DOMAIN_CGROUP_V1 },
		{ FIXTURES "/cgroup-v1-noswap", DOMAIN_CGROUP_V1 },
		{ FIXTURES "/cgroup-v2", DOMAIN_CGROUP_V2 },
		{ FIXTURES "/cgroup-v2-max", DOMAIN_CGROUP_V2 },
		/* Swap files are optional: this one has none. */
		{ FIXTURES "/malformed/cgroup-v2-badmax", DOMAIN_CGROUP_V2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *scope = cases[i].scope;
		struct domain *d = open_ok(PROC, scope);

		if (domain_kind(d) != cases[i].kind)
			fail_msg("%s: kind %d, expected %d", scope ? scope : "system",
				 (int)domain_kind(d), (int)cases[i].kind);
		assert_string_equal(domain_name(d), scope ? scope : "system");
		if (scope)
			assert_true(domain_dirfd(d) >= 0);
		else
			assert_int_equal(domain_dirfd(d), -1);
		/* Nothing read yet. */
		assert_int_equal(domain_limit_bytes(d), 0);
		domain_free(d);
	}
	/* NULL is allowed, like free(). */
	domain_free(NULL);
}

static void test_open_errors(void **state)
{
	static const struct {
		const char *proc_root;
		const char *scope;
		int ret;
	} cases[] = {
		/* Holds only cgroup.procs: a cgroup, but not a memory cgroup. */
		{ PROC, FIXTURES "/malformed/not-memcg", -EMEDIUMTYPE },
		/* A v1 child cgroup in the fixture has no memory files of its own. */
		{ PROC, FIXTURES "/cgroup-v1/child", -EMEDIUMTYPE },
		{ PROC, FIXTURES "/does-not-exist", -ENOENT },
		{ PROC, FIXTURES "/cgroup-v1/memory.stat", -ENOTDIR },
		/* A proc root without meminfo. */
		{ FIXTURES "/cgroup-v1", NULL, -ENOENT },
		{ FIXTURES "/does-not-exist", FIXTURES "/cgroup-v1", -ENOENT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct domain *d = NULL;
		int r = domain_open(cases[i].proc_root, cases[i].scope, &d);

		if (r != cases[i].ret)
			fail_msg("domain_open(%s, %s) = %d, expected %d", cases[i].proc_root,
				 cases[i].scope ? cases[i].scope : "NULL", r, cases[i].ret);
		assert_null(d);
	}
}

struct read_case {
	const char *proc_root;
	const char *scope;
	struct mem_state want;
	unsigned long long limit_bytes;
};

static const struct read_case read_cases[] = {
	/* The system: meminfo as it is. */
	{ PROC, NULL, { 16318480, 9876540, 0, 0 }, 0 },
	{ PROC_SWAP, NULL, { 16318480, 9876540, 4194300, 4096000 }, 0 },
	{ PROC_OLD, NULL, { 8174116, 4190168, 2097148, 1838268 }, 0 },

	/*
	 * cgroup-v1: limit 1073741824 B = 1048576 KiB, usage 805306368 B = 786432 KiB,
	 * total_inactive_file 268435456 B = 262144 KiB (the local inactive_file, 65536 KiB,
	 * would give 327680):
	 *   avail = 1048576 - (786432 - 262144) = 524288
	 */
	{ PROC, FIXTURES "/cgroup-v1", { 1048576, 524288, 0, 0 }, 1073741824 },
	/*
	 * memsw limit 1610612736 B, memsw usage 872415232 B:
	 *   swap_total = min((1610612736 - 1073741824) / 1024, 4194300) = min(524288, 4194300)
	 *              = 524288
	 *   swap used  = (872415232 - 805306368) / 1024 = 65536
	 *   swap_free  = 524288 - 65536 = 458752 (below the system's 4096000)
	 */
	{ PROC_SWAP, FIXTURES "/cgroup-v1", { 1048576, 524288, 524288, 458752 }, 1073741824 },
	/* cgroup-v1 under proc-tight: see test_read_v1_tight(). */

	/*
	 * cgroup-v1-unlimited: limit 9223372036854771712 (v1's "unlimited") is past MemTotal, so
	 * the cgroup is sized like the system.  It has no memsw files (swapaccount=0): the
	 * system's swap figures apply.
	 */
	{ PROC, FIXTURES "/cgroup-v1-unlimited", { 16318480, 9876540, 0, 0 }, 0 },
	{ PROC_SWAP, FIXTURES "/cgroup-v1-unlimited", { 16318480, 9876540, 4194300, 4096000 }, 0 },

	/*
	 * cgroup-v1-noswap: limit 536870912 B = 524288 KiB, usage 268435456 B = 262144 KiB,
	 * total_inactive_file 33554432 B = 32768 KiB:
	 *   avail = 524288 - (262144 - 32768) = 294912
	 */
	{ PROC, FIXTURES "/cgroup-v1-noswap", { 524288, 294912, 0, 0 }, 536870912 },

	/*
	 * cgroup-v2: memory.max 2147483648 B = 2097152 KiB, memory.current 1610612736 B =
	 * 1572864 KiB, inactive_file 402653184 B = 393216 KiB:
	 *   avail = 2097152 - (1572864 - 393216) = 917504
	 */
	{ PROC, FIXTURES "/cgroup-v2", { 2097152, 917504, 0, 0 }, 2147483648 },
	/*
	 * swap.max 1073741824 B = 1048576 KiB, swap.current 209715200 B = 204800 KiB:
	 *   swap_total = min(1048576, 4194300) = 1048576
	 *   swap_free  = min(1048576 - 204800, 4096000) = 843776
	 */
	{ PROC_SWAP, FIXTURES "/cgroup-v2", { 2097152, 917504, 1048576, 843776 }, 2147483648 },
	/* avail = min(917504, 262144); swap_free = min(843776, SwapFree 65536) */
	{ PROC_TIGHT, FIXTURES "/cgroup-v2", { 2097152, 262144, 1048576, 65536 }, 2147483648 },

	/* cgroup-v2-max: memory.max "max" is sized like the system. */
	{ PROC, FIXTURES "/cgroup-v2-max", { 16318480, 9876540, 0, 0 }, 0 },
	/*
	 * swap.max "max", swap.current 52428800 B = 51200 KiB:
	 *   swap_total = 4194300
	 *   swap_free  = min(4194300 - 51200, 4096000) = min(4143100, 4096000) = 4096000
	 */
	{ PROC_SWAP, FIXTURES "/cgroup-v2-max", { 16318480, 9876540, 4194300, 4096000 }, 0 },
};

static void check_read(const struct read_case *c)
{
	const char *what = c->scope ? c->scope : c->proc_root;
	struct domain *d = open_ok(c->proc_root, c->scope);
	unsigned long long limit[2];
	struct mem_state m[2];
	int r[2];

	/* Twice: every file is read again from its start. */
	for (int pass = 0; pass < 2; pass++) {
		memset(&m[pass], 0xa5, sizeof(m[pass]));
		r[pass] = domain_read(d, &m[pass]);
		limit[pass] = domain_limit_bytes(d);
	}
	/* Freed before the checks, so that a failure does not leak. */
	domain_free(d);

	for (int pass = 0; pass < 2; pass++) {
		const struct mem_state *g = &m[pass], *w = &c->want;

		if (r[pass] != 0)
			fail_msg("%s with %s: domain_read() = %d", what, c->proc_root, r[pass]);
		if (g->total_kib != w->total_kib || g->avail_kib != w->avail_kib ||
		    g->swap_total_kib != w->swap_total_kib || g->swap_free_kib != w->swap_free_kib)
			fail_msg("%s with %s: total %" PRIu64 " avail %" PRIu64
				 " swap total %" PRIu64 " free %" PRIu64 ", expected %" PRIu64
				 " %" PRIu64 " %" PRIu64 " %" PRIu64,
				 what, c->proc_root, g->total_kib, g->avail_kib, g->swap_total_kib,
				 g->swap_free_kib, w->total_kib, w->avail_kib, w->swap_total_kib,
				 w->swap_free_kib);
		if (limit[pass] != c->limit_bytes)
			fail_msg("%s: limit %llu bytes, expected %llu", what, limit[pass],
				 c->limit_bytes);
	}
}

static void test_read(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(read_cases) / sizeof(read_cases[0]); i++)
		check_read(&read_cases[i]);
}

/*
 * memory.memsw.limit_in_bytes equal to memory.limit_in_bytes (docker's --memory-swap equal to
 * --memory) lets the cgroup use no swap at all: swap_total = min(memsw_limit - limit,
 * SwapTotal) = min(0, 4194300) = 0, and so swap_free = 0.
 */
static void test_read_v1_memsw_equal_to_limit(void **state)
{
	static const struct read_case c = {
		PROC_SWAP, FIXTURES "/cgroup-v1-noswap", { 524288, 294912, 0, 0 }, 536870912,
	};

	(void)state;
	check_read(&c);
}

/*
 * cgroup-v1 under proc-tight.  The cgroup's 524288 KiB available are more than the system's
 * MemAvailable of 262144, so avail is 262144.  A cgroup cannot have more free swap than the
 * system either: v2 caps swap_free at SwapFree, and v1 must too.  swap_total = 524288 as with
 * proc-swap, the memsw counters leave 524288 - 65536 = 458752 KiB, but the system has only
 * SwapFree = 65536 KiB.
 */
static void test_read_v1_tight(void **state)
{
	struct domain *d = open_ok(PROC_TIGHT, FIXTURES "/cgroup-v1");
	struct mem_state m;
	int r;

	(void)state;
	r = domain_read(d, &m);
	domain_free(d);
	assert_int_equal(r, 0);
	assert_int_equal(m.total_kib, 1048576);
	assert_int_equal(m.avail_kib, 262144);
	assert_int_equal(m.swap_total_kib, 524288);
	assert_int_equal(m.swap_free_kib, 65536);
}

static void test_read_errors(void **state)
{
	static const struct {
		const char *proc_root;
		const char *scope;
	} cases[] = {
		/* inactive_file 4026x1184 */
		{ PROC, FIXTURES "/malformed/cgroup-v2-badstat" },
		/* memory.max "lots" */
		{ PROC, FIXTURES "/malformed/cgroup-v2-badmax" },
		/* A meminfo without MemTotal, for the system and for a cgroup. */
		{ FIXTURES "/malformed/proc-no-memtotal", NULL },
		{ FIXTURES "/malformed/proc-no-memtotal", FIXTURES "/cgroup-v2" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct domain *d = open_ok(cases[i].proc_root, cases[i].scope);
		struct mem_state m;
		int r = domain_read(d, &m);

		domain_free(d);
		if (r != -EINVAL)
			fail_msg("%s with %s: domain_read() = %d, expected -EINVAL",
				 cases[i].scope ? cases[i].scope : "system", cases[i].proc_root, r);
	}
}

/* The reclaim counters behind the thrashing figure: the system's vmstat, a v2 memory.stat. */
static void test_read_vm_counters(void **state)
{
	static const struct {
		const char *proc_root, *scope;
		bool have;
		uint64_t refault_file, file_lru;
	} cases[] = {
		{ PROC, NULL, true, 450000, 400000 },
		{ PROC_OLD, NULL, true, 91000, 400000 },
		{ PROC_SWAP, NULL, false, 0, 0 }, /* no vmstat there: no figure, nothing else lost */
		/* v2: 4 KiB pages, (100663296 + 402653184) / 4096 */
		{ PROC, FIXTURES "/cgroup-v2", true, 88105, 122880 },
		{ PROC, FIXTURES "/cgroup-v1", false, 0, 0 },
	};
	(void)state;

	if (sysconf(_SC_PAGESIZE) != 4096)
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct domain *d = open_ok(cases[i].proc_root, cases[i].scope);
		struct mem_state m;

		assert_int_equal(domain_read(d, &m), 0);
		if (m.have_vm != cases[i].have)
			fail_msg("%s %s: have_vm %d", cases[i].proc_root,
				 cases[i].scope ? cases[i].scope : "system", m.have_vm);
		if (m.have_vm) {
			assert_int_equal(m.vm.refault_file, cases[i].refault_file);
			assert_int_equal(m.vm.file_lru, cases[i].file_lru);
		}
		assert_false(m.thrashing); /* the round's to set */
		domain_free(d);
	}
}

static void test_pressure_path(void **state)
{
	struct domain *d;
	char buf[512];

	(void)state;
	d = open_ok(PROC, NULL);
	assert_int_equal(domain_pressure_path(d, PROC, buf, sizeof(buf)), 0);
	assert_string_equal(buf, FIXTURES "/proc/pressure/memory");
	assert_int_equal(access(buf, R_OK), 0);
	/* One byte short of the path and its NUL. */
	assert_true(domain_pressure_path(d, PROC, buf, strlen(PROC "/pressure/memory")) < 0);
	domain_free(d);

	d = open_ok(PROC, FIXTURES "/cgroup-v2");
	assert_int_equal(domain_pressure_path(d, PROC, buf, sizeof(buf)), 0);
	assert_string_equal(buf, FIXTURES "/cgroup-v2/memory.pressure");
	assert_int_equal(access(buf, R_OK), 0);
	assert_true(domain_pressure_path(d, PROC, buf, 8) < 0);
	domain_free(d);

	/* v1 has no PSI file of its own. */
	d = open_ok(PROC, FIXTURES "/cgroup-v1");
	assert_int_equal(domain_pressure_path(d, PROC, buf, sizeof(buf)), -ENOENT);
	domain_free(d);
}

/*
 * Swap on zram (proc-zram: MemAvailable 102400, SwapFree 1363144 of 1572856 KiB;
 * /dev/zram0 of 1048572 KiB storing 209712 KiB of pages that do not compress in
 * 215000 KiB of RAM, and a disk swap of 524284 KiB, all free).  At 1:1 zram's
 * free 838860 KiB are worth the 102400 KiB of RAM left (compressing resident
 * anon gives nothing back); with the disk's 524284, 626684 usable.
 */
#define ZRAM_PROC FIXTURES "/proc-zram/proc"
#define ZRAM_SYS  FIXTURES "/proc-zram/sys"

static void test_read_zram(void **state)
{
	struct domain *d = open_ok(ZRAM_PROC, NULL);
	struct mem_state m;
	bool changed = true;

	(void)state;
	/* Not followed: free swap as the kernel says. */
	assert_int_equal(domain_read(d, &m), 0);
	assert_false(m.have_zram);
	assert_int_equal(m.swap_usable_kib, 1363144);
	assert_int_equal(swap_free_counted_kib(&m), 1363144);

	assert_int_equal(domain_follow_swaps(d, ZRAM_PROC, ZRAM_SYS), 0);
	assert_int_equal(domain_read(d, &m), 0);
	assert_true(m.have_zram);
	assert_int_equal(m.swap_free_kib, 1363144);
	assert_int_equal(m.swap_usable_kib, 524284 + 102400);
	assert_int_equal(swap_free_counted_kib(&m), 626684);
	assert_int_equal(m.zram_ram_kib, 215000);
	assert_int_equal(m.zram_stored_kib, 209712);
	/* SwapTotal matches the devices listed: nothing to refresh, nothing changed. */
	assert_false(domain_swaps_stale(d));
	assert_int_equal(domain_refresh_swaps(d, &changed), 0);
	assert_false(changed);
	/* 209712 swapped of 4476395 anon + 402516 shmem + 209712: 4 %. */
	assert_int_equal(m.anon_kib, 4476395);
	assert_int_equal(swap_util_pct(&m), 4);
	domain_free(d);

	/*
	 * A v2 cgroup with swap.max 1 GiB, 200 MiB of it used: 843776 KiB free,
	 * but what the system's swap can still take, 626684, is the bound.
	 */
	d = open_ok(ZRAM_PROC, FIXTURES "/cgroup-v2");
	assert_int_equal(domain_follow_swaps(d, ZRAM_PROC, ZRAM_SYS), 0);
	assert_int_equal(domain_read(d, &m), 0);
	assert_int_equal(m.swap_free_kib, 843776);
	assert_int_equal(m.swap_usable_kib, 626684);
	assert_int_equal(m.anon_kib, 1048576);
	domain_free(d);

	/* Swap switched on since the devices were listed (SwapTotal differs): stale. */
	d = open_ok(PROC_SWAP, NULL);
	assert_int_equal(domain_follow_swaps(d, ZRAM_PROC, ZRAM_SYS), 0);
	assert_int_equal(domain_read(d, &m), 0);
	assert_true(domain_swaps_stale(d));
	assert_int_equal(domain_refresh_swaps(d, &changed), 0);
	assert_false(domain_swaps_stale(d));
	/* The sizes still disagree (a swapoff draining): stale again only when SwapTotal moves. */
	assert_int_equal(domain_read(d, &m), 0);
	assert_false(domain_swaps_stale(d));
	/* No /proc/swaps at all (a kernel without swap). */
	assert_int_equal(domain_follow_swaps(d, PROC, ZRAM_SYS), -ENOENT);
	domain_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_kinds),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_v1_memsw_equal_to_limit),
		cmocka_unit_test(test_read_v1_tight),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_pressure_path),
		cmocka_unit_test(test_read_vm_counters),
		cmocka_unit_test(test_read_zram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
