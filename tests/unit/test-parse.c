/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

/*
 * Inputs that stand for real kernel files come from the fixture trees (see
 * tests/fixtures/README.md); edge cases are inline strings.
 */

#define FIXTURE_MAX 16384

/* Reads FIXTURES/@rel into @buf, NUL-terminated; fails the test if it cannot, or if too big. */
static char *read_fixture(const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, rel);
	f = fopen(path, "re");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	n = fread(buf, 1, size - 1, f);
	if (ferror(f) || fgetc(f) != EOF)
		fail_msg("cannot read %s whole into %zu bytes", path, size);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void expect_u64(const char *what, const char *field, uint64_t got, uint64_t want)
{
	if (got != want)
		fail_msg("%s: %s = %" PRIu64 ", expected %" PRIu64, what, field, got, want);
}

static void expect_err(const char *what, int got, int want)
{
	if (got != want)
		fail_msg("%s: returned %d, expected %d", what, got, want);
}

/* ---- /proc/<pid>/stat ---- */

/* Fields 10..52 of a stat line, for inline cases: starttime 8, vsize 41263104, rss 2776. */
#define STAT_TAIL                                                                   \
	" 36747 13071564 0 830 156 479 6781 15993 20 0 1 0 8 41263104 2776 "         \
	"18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 " \
	"0 0 0 0\n"

static const struct stat_case {
	const char *file;
	const char *comm;
	char state;
	pid_t ppid;
	unsigned int flags;
	uint64_t start_time;
	uint64_t rss_pages;
} stat_cases[] = {
	{ "proc/1/stat", "systemd", 'S', 0, 0x400100, 8, 3211 },
	{ "proc/2/stat", "kthreadd", 'S', 0, 0x208040, 9, 0 },
	/* Workqueue workers show names past TASK_COMM_LEN; it still fits PROC_COMM_MAX. */
	{ "proc/57/stat", "kworker/u16:3-events_unbound", 'I', 2, 0x4208060, 152, 0 },
	{ "proc/1204/stat", "bash", 'S', 1180, 0x400000, 41873, 1344 },
	/* The name is taken up to the last ')', so the fake fields inside it are not read. */
	{ "proc/1337/stat", "a) R 1 (b", 'S', 1204, 0x400000, 42210, 448 },
	{ "proc/2700/stat", "Web Content", 'S', 2001, 0x400100, 61502, 149504 },
	{ "proc/2800/stat", "two\nlines", 'S', 1204, 0x400000, 63120, 256 },
	{ "proc/3000/stat", "defunct", 'Z', 1204, 0x408000, 70001, 0 },
	{ "proc/3200/stat", "exiting", 'R', 1204, 0x400044, 71010, 1280 },
};

static void test_stat_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(stat_cases) / sizeof(stat_cases[0]); i++) {
		const struct stat_case *c = &stat_cases[i];
		char buf[FIXTURE_MAX];
		struct proc_stat st;
		int r = parse_proc_stat(read_fixture(c->file, buf, sizeof(buf)), &st);

		expect_err(c->file, r, 0);
		if (strcmp(st.comm, c->comm) != 0)
			fail_msg("%s: comm \"%s\", expected \"%s\"", c->file, st.comm, c->comm);
		if (st.state != c->state)
			fail_msg("%s: state '%c', expected '%c'", c->file, st.state, c->state);
		expect_u64(c->file, "ppid", (uint64_t)st.ppid, (uint64_t)c->ppid);
		expect_u64(c->file, "flags", st.flags, c->flags);
		expect_u64(c->file, "start_time", st.start_time, c->start_time);
		expect_u64(c->file, "rss_pages", st.rss_pages, c->rss_pages);
	}
}

/* A name built to look like the fields that follow it must not shift them. */
static void test_stat_hostile_inline(void **state)
{
	struct proc_stat st;
	static const char line[] = "42 (x) Z 7 7 7 0 -1 4 1 1) S 1 1 1 0 -1 4194560" STAT_TAIL;

	(void)state;
	assert_int_equal(parse_proc_stat(line, &st), 0);
	assert_string_equal(st.comm, "x) Z 7 7 7 0 -1 4 1 1");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.flags, 4194560);
	assert_int_equal(st.start_time, 8);
	assert_int_equal(st.rss_pages, 2776);

	/* An empty name and one made of parentheses. */
	assert_int_equal(parse_proc_stat("9 () R 1 1 1 0 -1 0" STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "");
	assert_int_equal(st.state, 'R');
	assert_int_equal(parse_proc_stat("9 ((())) R 1 1 1 0 -1 0" STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "(())");
}

/* A name longer than the buffer is cut, NUL-terminated, and the fields after it still parse. */
static void test_stat_long_comm(void **state)
{
	char line[512], comm[101], want[PROC_COMM_MAX];
	struct proc_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(comm) - 1; i++)
		comm[i] = (char)('a' + i % 26);
	comm[sizeof(comm) - 1] = '\0';
	memcpy(want, comm, PROC_COMM_MAX - 1);
	want[PROC_COMM_MAX - 1] = '\0';
	snprintf(line, sizeof(line), "77 (%s) S 1 77 77 0 -1 4194304" STAT_TAIL, comm);

	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(parse_proc_stat(line, &st), 0);
	assert_int_equal(strlen(st.comm), PROC_COMM_MAX - 1);
	assert_string_equal(st.comm, want);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.start_time, 8);

	/* Exactly PROC_COMM_MAX - 1 bytes fits whole. */
	snprintf(line, sizeof(line), "77 (%s) S 1 77 77 0 -1 4194304" STAT_TAIL, want);
	assert_int_equal(parse_proc_stat(line, &st), 0);
	assert_string_equal(st.comm, want);
}

static const char *const bad_stat_lines[] = {
	"",
	"1",
	"1 (init S 0 1 1 0 -1 4194560" STAT_TAIL,
	"1 init) S 0 1 1 0 -1 4194560" STAT_TAIL,
	"1 )init( S 0 1 1 0 -1 4194560" STAT_TAIL,
	"1 (init)",
	"1 (init) ",
	"1 (init) S",
	"1 (init)S 0 1 1 0 -1 4194560" STAT_TAIL,
	"1 (init) SS 0 1 1 0 -1 4194560" STAT_TAIL,
	"1 (init) S -1 1 1 0 -1 4194560" STAT_TAIL,
	"1 (init) S x 1 1 0 -1 4194560" STAT_TAIL,
	"1 (init) S 0 1 1 0 -1 flags" STAT_TAIL,
	"1 (init) S 0 1 1 0 -1 4294967296" STAT_TAIL,
	"1 (init) S 0 1 1 0 -1",
	"1 (init) S 0 1 1 0 -1 4194560 36747 13071564 0 830",
	"1 (init) S 0 1 1 0 -1 4194560 36747 13071564 0 830 156 479 6781 15993 20 0 1 0",
	"1 (init) S 0 1 1 0 -1 4194560 36747 13071564 0 830 156 479 6781 15993 20 0 1 0 x 1 2",
	"1 (init) S 0 1 1 0 -1 4194560 36747 13071564 0 830 156 479 6781 15993 20 0 1 0 8 4126",
	"1 (init) S 0 1 1 0 -1 4194560 36747 13071564 0 830 156 479 6781 15993 20 0 1 0 8 4126 r",
};

static void test_stat_malformed(void **state)
{
	struct proc_stat st, sentinel;
	char buf[FIXTURE_MAX];

	(void)state;
	/* Output parameters are written only on success. */
	memset(&sentinel, 0xa5, sizeof(sentinel));
	for (size_t i = 0; i < sizeof(bad_stat_lines) / sizeof(bad_stat_lines[0]); i++) {
		st = sentinel;
		expect_err(bad_stat_lines[i], parse_proc_stat(bad_stat_lines[i], &st), -EINVAL);
		if (memcmp(&st, &sentinel, sizeof(st)) != 0)
			fail_msg("\"%s\": output written on failure", bad_stat_lines[i]);
	}

	st = sentinel;
	read_fixture("malformed/stat-no-paren", buf, sizeof(buf));
	assert_int_equal(parse_proc_stat(buf, &st), -EINVAL);
	assert_memory_equal(&st, &sentinel, sizeof(st));
	/* A short read: the line stops after field 12. */
	read_fixture("proc/4100/stat", buf, sizeof(buf));
	assert_int_equal(parse_proc_stat(buf, &st), -EINVAL);
	assert_memory_equal(&st, &sentinel, sizeof(st));
}

/* ---- /proc/<pid>/status ---- */

static const struct status_case {
	const char *file;
	char state;
	uid_t uid;
	bool has_mm;
	uint64_t anon, file_kib, shmem, swap;
	uint64_t shdpnd;
	bool sigkill;
} status_cases[] = {
	{ "proc/1204/status", 'S', 1000, true, 1792, 3584, 0, 0, 0, false },
	/* Kernel threads and zombies have no Vm* lines: no mm. */
	{ "proc/2/status", 'S', 0, false, 0, 0, 0, 0, 0, false },
	{ "proc/57/status", 'I', 0, false, 0, 0, 0, 0, 0, false },
	{ "proc/3000/status", 'Z', 1000, false, 0, 0, 0, 0, 0, false },
	{ "proc/3400/status", 'S', 0, false, 0, 0, 0, 0, 0, false },
	{ "proc/3100/status", 'D', 1000, true, 65536, 2048, 0, 0, 0x100, true },
	/* SIGTERM (bit 14) pending is not SIGKILL. */
	{ "proc/2001/status", 'S', 1000, true, 204800, 81920, 65536, 0, 0x4000, false },
	{ "proc/2700/status", 'S', 1000, true, 524288, 40960, 32768, 8192, 0, false },
	{ "proc/3300/status", 'S', 113, true, 262144, 20480, 131072, 51200, 0, false },
};

static void test_status_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
		const struct status_case *c = &status_cases[i];
		char buf[FIXTURE_MAX];
		struct proc_status st;
		int r = parse_proc_status(read_fixture(c->file, buf, sizeof(buf)), &st);

		expect_err(c->file, r, 0);
		if (st.state != c->state)
			fail_msg("%s: state '%c', expected '%c'", c->file, st.state, c->state);
		expect_u64(c->file, "uid", st.uid, c->uid);
		expect_u64(c->file, "has_mm", st.has_mm, c->has_mm);
		expect_u64(c->file, "rss_anon_kib", st.rss_anon_kib, c->anon);
		expect_u64(c->file, "rss_file_kib", st.rss_file_kib, c->file_kib);
		expect_u64(c->file, "rss_shmem_kib", st.rss_shmem_kib, c->shmem);
		expect_u64(c->file, "swap_kib", st.swap_kib, c->swap);
		expect_u64(c->file, "shdpnd", st.shdpnd, c->shdpnd);
		expect_u64(c->file, "sigkill", sigmask_has_sigkill(st.shdpnd), c->sigkill);
	}
}

static void test_status_inline(void **state)
{
	struct proc_status st;

	(void)state;
	/* The smallest acceptable file; the real uid is the first of the four. */
	assert_int_equal(parse_proc_status("State:\tR (running)\nUid:\t1000\t0\t0\t0\n", &st), 0);
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.uid, 1000);
	assert_false(st.has_mm);
	assert_int_equal(st.rss_anon_kib, 0);
	assert_int_equal(st.shdpnd, 0);

	/* No trailing newline, and a full 16-digit mask. */
	assert_int_equal(parse_proc_status("Uid:\t0\t0\t0\t0\nState:\tS (sleeping)\n"
					   "ShdPnd:\tffffffffffffffff",
					   &st),
			 0);
	assert_int_equal(st.shdpnd, UINT64_MAX);
	assert_true(sigmask_has_sigkill(st.shdpnd));

	/* Keys are whole words: "VmSizeX" is not VmSize. */
	assert_int_equal(parse_proc_status("State:\tS\nUid:\t1\nVmSizeX:\t1 kB\nRssAnonX:\tjunk\n",
					   &st),
			 0);
	assert_false(st.has_mm);
	assert_int_equal(st.rss_anon_kib, 0);
}

static const char *const bad_status[] = {
	"",
	"Name:\tx\nUid:\t0\t0\t0\t0\n",
	"Name:\tx\nState:\tS (sleeping)\n",
	"State:\t5\nUid:\t0\t0\t0\t0\n",
	"State:\tS (sleeping)\nUid:\tx\n",
	"State:\tS (sleeping)\nUid:\t4294967296\t0\t0\t0\n",
	"State:\tS (sleeping)\nUid:\t0\nRssAnon:\tlots kB\n",
	"State:\tS (sleeping)\nUid:\t0\nRssAnon:\t kB\n",
	"State:\tS (sleeping)\nUid:\t0\nRssFile:\t12\n",
	"State:\tS (sleeping)\nUid:\t0\nRssShmem:\t-4 kB\n",
	"State:\tS (sleeping)\nUid:\t0\nVmSwap:\t12 MB\n",
	"State:\tS (sleeping)\nUid:\t0\nShdPnd:\tzz\n",
	"State:\tS (sleeping)\nUid:\t0\nShdPnd:\t00000000000000001\n",
};

static void test_status_malformed(void **state)
{
	struct proc_status st, sentinel;
	char buf[FIXTURE_MAX];

	(void)state;
	memset(&sentinel, 0xa5, sizeof(sentinel));
	for (size_t i = 0; i < sizeof(bad_status) / sizeof(bad_status[0]); i++) {
		st = sentinel;
		expect_err(bad_status[i], parse_proc_status(bad_status[i], &st), -EINVAL);
		if (memcmp(&st, &sentinel, sizeof(st)) != 0)
			fail_msg("\"%s\": output written on failure", bad_status[i]);
	}
	st = sentinel;
	read_fixture("malformed/status-no-state", buf, sizeof(buf));
	assert_int_equal(parse_proc_status(buf, &st), -EINVAL);
	read_fixture("malformed/status-bad-kb", buf, sizeof(buf));
	assert_int_equal(parse_proc_status(buf, &st), -EINVAL);
	assert_memory_equal(&st, &sentinel, sizeof(st));
}

static void test_sigkill_mask(void **state)
{
	static const struct {
		uint64_t mask;
		bool sigkill;
	} cases[] = {
		{ 0, false },
		{ 0x100, true },                /* SIGKILL is signal 9: bit 8 */
		{ 0x80, false },                /* SIGFPE (8) */
		{ 0x200, false },               /* SIGUSR1 (10) */
		{ 0x4000, false },              /* SIGTERM (15) */
		{ 0x4100, true },
		{ UINT64_MAX, true },
		{ UINT64_MAX & ~0x100ULL, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sigmask_has_sigkill(cases[i].mask) != cases[i].sigkill)
			fail_msg("sigmask_has_sigkill(%#" PRIx64 ") is wrong", cases[i].mask);
}

/* ---- /proc/<pid>/statm ---- */

static void test_statm(void **state)
{
	static const char *const bad[] = {
		"", "\n", "1 2", "1 2\n", "a b c\n", "1 x 3\n", "-1 2 3\n",
	};
	struct proc_statm st, sentinel;
	char buf[FIXTURE_MAX];

	(void)state;
	/* VmSize 8972 kB, VmRSS 5376 kB, RssFile + RssShmem 3584 kB, in 4 KiB pages. */
	read_fixture("proc/1204/statm", buf, sizeof(buf));
	assert_int_equal(parse_proc_statm(buf, &st), 0);
	assert_int_equal(st.size, 2243);
	assert_int_equal(st.resident, 1344);
	assert_int_equal(st.shared, 896);

	/* A kernel thread reads as all zeroes. */
	read_fixture("proc/2/statm", buf, sizeof(buf));
	assert_int_equal(parse_proc_statm(buf, &st), 0);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.resident, 0);

	memset(&sentinel, 0xa5, sizeof(sentinel));
	st = sentinel;
	read_fixture("malformed/statm-empty", buf, sizeof(buf));
	assert_int_equal(parse_proc_statm(buf, &st), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(bad[i], parse_proc_statm(bad[i], &st), -EINVAL);
	assert_memory_equal(&st, &sentinel, sizeof(st));
}

/* ---- /proc/<pid>/smaps_rollup ---- */

static void test_smaps_rollup(void **state)
{
	/* A child sharing 300 MiB copy-on-write: Anonymous counts it, Private does not. */
	static const char cow[] =
		"55582ea97000-7ffe64556000 ---p 00000000 00:00 0                          [rollup]\n"
		"Rss:              308460 kB\nPss:               78520 kB\n"
		"Shared_Clean:       1444 kB\nShared_Dirty:     307200 kB\n"
		"Private_Clean:        12 kB\nPrivate_Dirty:      1804 kB\n"
		"Anonymous:        308004 kB\nSwap:                 64 kB\nSwapPss:              16 kB\n";
	/* A mapper of 300 MiB of tmpfs alone: Private counts it, Anonymous does not. */
	static const char shm[] = "Private_Clean: 0 kB\nPrivate_Dirty: 308000 kB\n"
				  "Anonymous: 800 kB\nSwap: 0 kB\n";
	static const char *const bad[] = {
		"", "Anonymous: 1 kB\n", "Private_Clean: 1 kB\nPrivate_Dirty: 1 kB\n",
		"Anonymous: x kB\nPrivate_Clean: 1 kB\nPrivate_Dirty: 1 kB\n",
		"Anonymous: 1 kB\nPrivate_Clean: 18446744073709551615 kB\nPrivate_Dirty: 9 kB\n",
	};
	struct smaps_rollup sr, sentinel;

	(void)state;
	assert_int_equal(parse_smaps_rollup(cow, &sr), 0);
	assert_int_equal(sr.anon_kib, 308004);
	assert_int_equal(sr.private_kib, 1816);
	assert_int_equal(smaps_freeable_kib(&sr), 1816 + 16);
	assert_int_equal(parse_smaps_rollup(shm, &sr), 0);
	/* Without SwapPss (before Linux 4.14), Swap stands in. */
	assert_int_equal(sr.swap_pss_kib, 0);
	assert_int_equal(smaps_freeable_kib(&sr), 800);
	memset(&sentinel, 0xa5, sizeof(sentinel));
	sr = sentinel;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(bad[i], parse_smaps_rollup(bad[i], &sr), -EINVAL);
	assert_memory_equal(&sr, &sentinel, sizeof(sr));
}

/* ---- /proc/meminfo ---- */

static const struct meminfo_case {
	const char *file;
	struct meminfo want;
} meminfo_cases[] = {
	/* file_kib = Buffers + Cached - Shmem = 402112 + 7012344 - 402516. */
	{ "proc/meminfo", { 16318480, 2143904, 9876540, 0, 0, 7011940 } },
	{ "proc-swap/meminfo", { 16318480, 2143904, 9876540, 4194300, 4096000, 7011940 } },
	/* Shmem above Buffers + Cached (8192 + 393216 < 402516): no droppable cache. */
	{ "proc-tight/meminfo", { 16318480, 131072, 262144, 4194300, 65536, 0 } },
	/*
	 * Before 3.14 there is no MemAvailable: MemFree + Cached = 812508 + 3377660.  The
	 * SwapCached line (50432) that follows Cached must not be taken for it.
	 */
	{ "proc-old/meminfo", { 8174116, 812508, 4190168, 2097148, 1838268, 3276368 } },
};

static void test_meminfo_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(meminfo_cases) / sizeof(meminfo_cases[0]); i++) {
		const struct meminfo_case *c = &meminfo_cases[i];
		char buf[FIXTURE_MAX];
		struct meminfo mi;

		expect_err(c->file, parse_meminfo(read_fixture(c->file, buf, sizeof(buf)), &mi), 0);
		expect_u64(c->file, "total_kib", mi.total_kib, c->want.total_kib);
		expect_u64(c->file, "free_kib", mi.free_kib, c->want.free_kib);
		expect_u64(c->file, "available_kib", mi.available_kib, c->want.available_kib);
		expect_u64(c->file, "swap_total_kib", mi.swap_total_kib, c->want.swap_total_kib);
		expect_u64(c->file, "swap_free_kib", mi.swap_free_kib, c->want.swap_free_kib);
		expect_u64(c->file, "file_kib", mi.file_kib, c->want.file_kib);
	}
}

static void test_meminfo_inline(void **state)
{
	struct meminfo mi;

	(void)state;
	/* Available memory can never exceed the total. */
	assert_int_equal(parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 2000 kB\n"
				       "SwapTotal: 0 kB\nSwapFree: 0 kB\n",
				       &mi),
			 0);
	assert_int_equal(mi.available_kib, 1000);
	/* The estimate without MemAvailable is capped the same way. */
	assert_int_equal(parse_meminfo("MemTotal: 1000 kB\nMemFree: 600 kB\nCached: 600 kB\n"
				       "SwapTotal: 10 kB\nSwapFree: 10 kB",
				       &mi),
			 0);
	assert_int_equal(mi.available_kib, 1000);
	assert_int_equal(mi.swap_free_kib, 10);
}

static const char *const bad_meminfo[] = {
	"",
	/* SwapFree > SwapTotal */
	"MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\nSwapTotal: 100 kB\n"
	"SwapFree: 200 kB\n",
	/* no swap lines */
	"MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\n",
	"MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\n",
	/* no MemFree */
	"MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
	/* neither MemAvailable nor Cached to estimate it from */
	"MemTotal: 1000 kB\nMemFree: 100 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
	/* no unit, bad numbers */
	"MemTotal: 1000\nMemFree: 100 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
	"MemTotal: -1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\n"
	"SwapFree: 0 kB\n",
	"MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\n"
	"SwapFree: 0 kB\nCached: many kB\n",
	"MemTotal: 99999999999999999999 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\n"
	"SwapTotal: 0 kB\nSwapFree: 0 kB\n",
};

static void test_meminfo_malformed(void **state)
{
	struct meminfo mi, sentinel;
	char buf[FIXTURE_MAX];

	(void)state;
	memset(&sentinel, 0xa5, sizeof(sentinel));
	mi = sentinel;
	for (size_t i = 0; i < sizeof(bad_meminfo) / sizeof(bad_meminfo[0]); i++)
		expect_err(bad_meminfo[i], parse_meminfo(bad_meminfo[i], &mi), -EINVAL);
	read_fixture("malformed/proc-no-memtotal/meminfo", buf, sizeof(buf));
	assert_int_equal(parse_meminfo(buf, &mi), -EINVAL);
	/* MemAvailable: 98x6540 kB */
	read_fixture("malformed/meminfo-junk", buf, sizeof(buf));
	assert_int_equal(parse_meminfo(buf, &mi), -EINVAL);
	assert_memory_equal(&mi, &sentinel, sizeof(mi));
}

/* ---- reclaim counters: /proc/vmstat, v2 memory.stat ---- */

static const struct {
	const char *file;
	uint64_t unit;
	int ret;
	struct vm_counters want;
} vm_cases[] = {
	/* 6.x vmstat: LRU sizes in pages, both refault counters. */
	{ "proc/vmstat", 1, 0, { 450000, 12000, 400000, 600000, 7000 } },
	/* Before 5.9: "workingset_refault" is the file one; no anon counter. */
	{ "proc-old/vmstat", 1, 0, { 91000, 0, 400000, 600000, 7000 } },
	/*
	 * v2 memory.stat: LRU sizes in bytes (4 KiB pages): active_file
	 * 100663296 + inactive_file 402653184 = 122880 pages, anon 805306368 +
	 * 268435456 = 262144 pages.
	 */
	{ "cgroup-v2/memory.stat", 4096, 0, { 88105, 1203, 122880, 262144, 33306 } },
	/* v1 has no refault counters. */
	{ "cgroup-v1/memory.stat", 4096, -ENOENT, { 0 } },
	{ "malformed/vmstat-bad", 1, -EINVAL, { 0 } },
	{ "proc/vmstat", 0, -EINVAL, { 0 } },
};

static void test_vm_counters(void **state)
{
	static char buf[FIXTURE_MAX];
	(void)state;

	for (size_t i = 0; i < sizeof(vm_cases) / sizeof(vm_cases[0]); i++) {
		const char *f = vm_cases[i].file;
		struct vm_counters c = { 1, 1, 1, 1, 1 };
		int r = parse_vm_counters(read_fixture(f, buf, sizeof(buf)), vm_cases[i].unit, &c);

		if (r != vm_cases[i].ret)
			fail_msg("%s: returned %d, expected %d", f, r, vm_cases[i].ret);
		if (r < 0) {
			/* A failed parse leaves the result alone. */
			expect_u64(f, "refault_file", c.refault_file, 1);
			continue;
		}
		expect_u64(f, "refault_file", c.refault_file, vm_cases[i].want.refault_file);
		expect_u64(f, "refault_anon", c.refault_anon, vm_cases[i].want.refault_anon);
		expect_u64(f, "file_lru", c.file_lru, vm_cases[i].want.file_lru);
		expect_u64(f, "anon_lru", c.anon_lru, vm_cases[i].want.anon_lru);
		expect_u64(f, "pgscan_direct", c.pgscan_direct, vm_cases[i].want.pgscan_direct);
	}
}

/* Edge cases: a line cut off, a key that is a prefix of another, no LRU lines. */
static void test_vm_counters_edges(void **state)
{
	struct vm_counters c;
	(void)state;

	/* The buffer ends in the middle of the last line: still a number. */
	assert_int_equal(parse_vm_counters("workingset_refault_file 5\nnr_active_file 1\n"
					   "nr_inactive_file 2\nnr_active_anon 3\nnr_inactive_anon 4",
					   1, &c), 0);
	assert_int_equal(c.file_lru, 3);
	assert_int_equal(c.anon_lru, 7);
	assert_int_equal(c.pgscan_direct, 0); /* not shown: 0 */
	/* "workingset_refault_filex" is not "workingset_refault_file". */
	assert_int_equal(parse_vm_counters("workingset_refault_filex 5\nnr_active_file 1\n", 1, &c),
			 -ENOENT);
	assert_int_equal(parse_vm_counters("workingset_refault_file 5\n", 1, &c), -ENOENT);
	assert_int_equal(parse_vm_counters("", 1, &c), -ENOENT);
	assert_int_equal(parse_vm_counters("workingset_refault_file -5\n", 1, &c), -EINVAL);
	assert_int_equal(parse_vm_counters("workingset_refault_file 99999999999999999999999\n", 1, &c),
			 -EINVAL);
}

/* ---- memory.stat, memory.events ---- */

static const struct keyed_case {
	const char *file;
	const char *key;
	int ret;
	uint64_t value;
} keyed_cases[] = {
	/* v1 lists a cgroup's own counters and then the hierarchical total_* ones. */
	{ "cgroup-v1/memory.stat", "inactive_file", 0, 67108864 },
	{ "cgroup-v1/memory.stat", "total_inactive_file", 0, 268435456 },
	{ "cgroup-v1/memory.stat", "cache", 0, 100663296 },
	{ "cgroup-v1/memory.stat", "swap", 0, 16777216 },
	{ "cgroup-v1/memory.stat", "total_unevictable", 0, 0 },
	{ "cgroup-v1/memory.stat", "hierarchical_memsw_limit", 0, 1610612736 },
	{ "cgroup-v1/memory.stat", "file", -ENOENT, 0 },
	{ "cgroup-v2/memory.stat", "inactive_file", 0, 402653184 },
	{ "cgroup-v2/memory.stat", "anon", 0, 1073741824 },
	{ "cgroup-v2/memory.stat", "file", 0, 503316480 },
	{ "cgroup-v2/memory.stat", "thp_swpout_fallback", 0, 0 },
	{ "cgroup-v2/memory.stat", "total_inactive_file", -ENOENT, 0 },
	/* "oom" must not match "oom_kill" or "oom_group_kill". */
	{ "cgroup-v2/memory.events", "oom", 0, 2 },
	{ "cgroup-v2/memory.events", "oom_kill", 0, 1 },
	{ "cgroup-v2/memory.events", "oom_group_kill", 0, 0 },
	{ "cgroup-v2/memory.events", "max", 0, 17 },
	{ "cgroup-v2/memory.events", "oom_", -ENOENT, 0 },
	/* A junk value is an error, but only for the key that has it. */
	{ "malformed/cgroup-v2-badstat/memory.stat", "inactive_file", -EINVAL, 0 },
	{ "malformed/cgroup-v2-badstat/memory.stat", "active_file", 0, 100663296 },
};

static void test_keyed_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(keyed_cases) / sizeof(keyed_cases[0]); i++) {
		const struct keyed_case *c = &keyed_cases[i];
		char buf[FIXTURE_MAX], what[128];
		uint64_t v = 0xa5a5a5a5a5a5a5a5ULL;
		int r = parse_keyed_u64(read_fixture(c->file, buf, sizeof(buf)), c->key, &v);

		snprintf(what, sizeof(what), "%s \"%s\"", c->file, c->key);
		expect_err(what, r, c->ret);
		expect_u64(what, "value", v, c->ret == 0 ? c->value : 0xa5a5a5a5a5a5a5a5ULL);
	}
}

static const struct keyed_inline {
	const char *buf;
	const char *key;
	int ret;
	uint64_t value;
} keyed_inline[] = {
	/* A key that only ends a longer key, or only starts one, is not that key. */
	{ "total_inactive_file 5\n", "inactive_file", -ENOENT, 0 },
	{ "total_inactive_file 5\ninactive_file 7\n", "inactive_file", 0, 7 },
	{ "anon_thp 5\nanon 7\n", "anon", 0, 7 },
	{ "xanon 5\n", "anon", -ENOENT, 0 },
	{ "a 1 anon 5\n", "anon", -ENOENT, 0 },
	{ "", "anon", -ENOENT, 0 },
	{ "anon\n", "anon", -ENOENT, 0 },
	/* The last line may lack its newline. */
	{ "a 1\nanon 42", "anon", 0, 42 },
	{ "anon 18446744073709551615\n", "anon", 0, UINT64_MAX },
	{ "anon 12abc\n", "anon", -EINVAL, 0 },
	{ "anon \n", "anon", -EINVAL, 0 },
	{ "anon -1\n", "anon", -EINVAL, 0 },
	{ "anon 1.5\n", "anon", -EINVAL, 0 },
	{ "anon 18446744073709551616\n", "anon", -EINVAL, 0 },
};

static void test_keyed_inline(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(keyed_inline) / sizeof(keyed_inline[0]); i++) {
		const struct keyed_inline *c = &keyed_inline[i];
		uint64_t v = 0xa5a5a5a5a5a5a5a5ULL;
		int r = parse_keyed_u64(c->buf, c->key, &v);

		expect_err(c->buf, r, c->ret);
		expect_u64(c->buf, "value", v, c->ret == 0 ? c->value : 0xa5a5a5a5a5a5a5a5ULL);
	}
}

/* ---- cgroup value files ---- */

static void test_cgroup_value(void **state)
{
	static const struct {
		const char *buf;
		int ret;
		uint64_t value;
	} cases[] = {
		{ "max\n", 0, UINT64_MAX },
		{ "max", 0, UINT64_MAX },
		{ "0\n", 0, 0 },
		{ "0", 0, 0 },
		{ "1073741824\n", 0, 1073741824 },
		{ "9223372036854771712\n", 0, 9223372036854771712ULL },
		{ "18446744073709551615\n", 0, UINT64_MAX },
		{ "", -EINVAL, 0 },
		{ "\n", -EINVAL, 0 },
		{ "junk\n", -EINVAL, 0 },
		{ "-1\n", -EINVAL, 0 },
		{ "max \n", -EINVAL, 0 },
		{ "maximum\n", -EINVAL, 0 },
		{ "Max\n", -EINVAL, 0 },
		{ "12 \n", -EINVAL, 0 },
		{ "12k\n", -EINVAL, 0 },
		{ "1.5\n", -EINVAL, 0 },
		{ "12\n\n", -EINVAL, 0 },
		{ "12\n13\n", -EINVAL, 0 },
		{ "18446744073709551616\n", -EINVAL, 0 },
	};
	static const struct {
		const char *file;
		int ret;
		uint64_t value;
	} files[] = {
		{ "cgroup-v1/memory.limit_in_bytes", 0, 1073741824 },
		{ "cgroup-v1-unlimited/memory.limit_in_bytes", 0, 9223372036854771712ULL },
		{ "cgroup-v2/memory.current", 0, 1610612736 },
		{ "cgroup-v2-max/memory.max", 0, UINT64_MAX },
		{ "malformed/cgroup-v2-badmax/memory.max", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0xa5a5a5a5a5a5a5a5ULL;

		expect_err(cases[i].buf, parse_cgroup_value(cases[i].buf, &v), cases[i].ret);
		expect_u64(cases[i].buf, "value", v,
			   cases[i].ret == 0 ? cases[i].value : 0xa5a5a5a5a5a5a5a5ULL);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char buf[FIXTURE_MAX];
		uint64_t v = 0xa5a5a5a5a5a5a5a5ULL;

		read_fixture(files[i].file, buf, sizeof(buf));
		expect_err(files[i].file, parse_cgroup_value(buf, &v), files[i].ret);
		expect_u64(files[i].file, "value", v,
			   files[i].ret == 0 ? files[i].value : 0xa5a5a5a5a5a5a5a5ULL);
	}
}

/* ---- PSI ---- */

static void expect_psi_line(const char *what, const struct psi_line *l, uint32_t avg10,
			    uint32_t avg60, uint32_t avg300, uint64_t total)
{
	expect_u64(what, "avg10", l->avg10, avg10);
	expect_u64(what, "avg60", l->avg60, avg60);
	expect_u64(what, "avg300", l->avg300, avg300);
	expect_u64(what, "total", l->total_usec, total);
}

static void test_psi_fixtures(void **state)
{
	char buf[FIXTURE_MAX];
	struct psi_stats ps;

	(void)state;
	read_fixture("proc/pressure/memory", buf, sizeof(buf));
	assert_int_equal(parse_psi(buf, &ps), 0);
	assert_true(ps.has_full);
	expect_psi_line("system some", &ps.some, 12, 5, 1, 1532471);
	expect_psi_line("system full", &ps.full, 0, 0, 0, 612034);

	read_fixture("cgroup-v2/memory.pressure", buf, sizeof(buf));
	assert_int_equal(parse_psi(buf, &ps), 0);
	assert_true(ps.has_full);
	expect_psi_line("cgroup some", &ps.some, 123, 45, 10, 4823301);
	expect_psi_line("cgroup full", &ps.full, 50, 20, 5, 1920342);
}

/* CPU pressure before 5.13 and some other files have no "full" line. */
static void test_psi_some_only(void **state)
{
	struct psi_stats ps;

	(void)state;
	assert_int_equal(parse_psi("some avg10=2.00 avg60=1.50 avg300=0.75 total=99\n", &ps), 0);
	assert_false(ps.has_full);
	expect_psi_line("some", &ps.some, 200, 150, 75, 99);
	expect_psi_line("full", &ps.full, 0, 0, 0, 0);
	/* Without the trailing newline too. */
	assert_int_equal(parse_psi("some avg10=2.00 avg60=1.50 avg300=0.75 total=99", &ps), 0);
	assert_int_equal(ps.some.total_usec, 99);
}

static void test_psi_avg(void **state)
{
	static const struct {
		const char *avg;
		uint32_t hundredths;
	} cases[] = {
		{ "12.34", 1234 }, { "5.5", 550 },    { "0.00", 0 },     { "0.01", 1 },
		{ "0.10", 10 },    { "7", 700 },      { "99.99", 9999 }, { "100.00", 10000 },
		{ "100", 10000 },  { "1.234", 123 }, /* further digits are dropped */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[128];
		struct psi_stats ps;

		snprintf(line, sizeof(line), "some avg10=%s avg60=1.00 avg300=2.00 total=3\n",
			 cases[i].avg);
		expect_err(line, parse_psi(line, &ps), 0);
		expect_u64(line, "avg10", ps.some.avg10, cases[i].hundredths);
		expect_u64(line, "avg60", ps.some.avg60, 100);
		expect_u64(line, "avg300", ps.some.avg300, 200);
	}
}

static const char *const bad_psi[] = {
	"",
	"\n",
	"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	"some avg10=0.00 avg60=0.00 avg300=0.00\n",
	"some avg10=0.00 avg60=0.00 total=0\n",
	"some avg60=0.00 avg10=0.00 avg300=0.00 total=0\n",
	"some avg10=x avg60=0.00 avg300=0.00 total=0\n",
	"some avg10=5. avg60=0.00 avg300=0.00 total=0\n",
	"some avg10=.5 avg60=0.00 avg300=0.00 total=0\n",
	"some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n",
	"some avg10=101.00 avg60=0.00 avg300=0.00 total=0\n",
	"some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
	"some avg10=0.00 avg60=0.00 avg300=0.00 total=12x\n",
	"some avg10=0.00 avg60=0.00 avg300=0.00 total=0 extra\n",
	"some total=0\n",
	"some\n",
	"bogus\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00\n",
};

static void test_psi_malformed(void **state)
{
	struct psi_stats ps, sentinel;
	char buf[FIXTURE_MAX];

	(void)state;
	memset(&sentinel, 0xa5, sizeof(sentinel));
	ps = sentinel;
	for (size_t i = 0; i < sizeof(bad_psi) / sizeof(bad_psi[0]); i++)
		expect_err(bad_psi[i], parse_psi(bad_psi[i], &ps), -EINVAL);
	read_fixture("malformed/psi-no-total", buf, sizeof(buf));
	assert_int_equal(parse_psi(buf, &ps), -EINVAL);
	assert_memory_equal(&ps, &sentinel, sizeof(ps));
}

/* ---- option values ---- */

#define KIB (1ULL << 10)
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define TIB (1ULL << 40)

static const struct size_case {
	const char *s;
	int ret;
	uint64_t bytes;
} size_cases[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "4096", 0, 4096 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "1K", 0, KIB },
	{ "1k", 0, KIB },
	{ "1KiB", 0, KIB },
	{ "1KB", 0, KIB },
	{ "1kB", 0, KIB },
	{ "2M", 0, 2 * MIB },
	{ "2m", 0, 2 * MIB },
	{ "2MiB", 0, 2 * MIB },
	{ "3G", 0, 3 * GIB },
	{ "3g", 0, 3 * GIB },
	{ "3GB", 0, 3 * GIB },
	{ "1T", 0, TIB },
	{ "1t", 0, TIB },
	{ "1TiB", 0, TIB },
	{ "0G", 0, 0 },
	/* The largest values that do not overflow once shifted. */
	{ "16777215T", 0, 16777215ULL * TIB },
	{ "17179869183G", 0, 17179869183ULL * GIB },
	{ "16777216T", -EINVAL, 0 },
	{ "17179869184G", -EINVAL, 0 },
	{ "18014398509481984K", -EINVAL, 0 },
	{ "18446744073709551616", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "\t1", -EINVAL, 0 },
	{ "1 ", -EINVAL, 0 },
	{ "1 K", -EINVAL, 0 },
	{ "1X", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ "1.5G", -EINVAL, 0 },
	{ "K", -EINVAL, 0 },
	{ "1Ki", -EINVAL, 0 },
	{ "1KiBx", -EINVAL, 0 },
	{ "1KK", -EINVAL, 0 },
	{ "1P", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
};

static void test_size(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		const struct size_case *c = &size_cases[i];
		uint64_t v = 0xa5a5a5a5a5a5a5a5ULL;

		expect_err(c->s, parse_size(c->s, &v), c->ret);
		expect_u64(c->s, "bytes", v, c->ret == 0 ? c->bytes : 0xa5a5a5a5a5a5a5a5ULL);
	}
}

static const struct threshold_case {
	const char *s;
	int ret;
	bool is_percent;
	uint32_t percent_x100;
	uint64_t bytes;
} threshold_cases[] = {
	{ "10%", 0, true, 1000, 0 },
	{ "12.5%", 0, true, 1250, 0 },
	{ "12.50%", 0, true, 1250, 0 },
	{ "0.01%", 0, true, 1, 0 },
	{ "99.99%", 0, true, 9999, 0 },
	{ "0%", 0, true, 0, 0 },
	{ "100%", 0, true, 10000, 0 },
	{ "100.00%", 0, true, 10000, 0 },
	{ "512M", 0, false, 0, 512 * MIB },
	{ "1G", 0, false, 0, GIB },
	{ "4096", 0, false, 0, 4096 },
	{ "0", 0, false, 0, 0 },
	{ "100.01%", -EINVAL, false, 0, 0 },
	{ "101%", -EINVAL, false, 0, 0 },
	{ "1000%", -EINVAL, false, 0, 0 },
	{ "%", -EINVAL, false, 0, 0 },
	{ "", -EINVAL, false, 0, 0 },
	{ "12.345%", -EINVAL, false, 0, 0 },
	{ "10.%", -EINVAL, false, 0, 0 },
	{ ".5%", -EINVAL, false, 0, 0 },
	{ "-5%", -EINVAL, false, 0, 0 },
	{ " 10%", -EINVAL, false, 0, 0 },
	{ "10 %", -EINVAL, false, 0, 0 },
	{ "10%%", -EINVAL, false, 0, 0 },
	{ "10%x", -EINVAL, false, 0, 0 },
	{ "1e1%", -EINVAL, false, 0, 0 },
	{ "abc", -EINVAL, false, 0, 0 },
	{ "\t1G", -EINVAL, false, 0, 0 },
	{ "5X", -EINVAL, false, 0, 0 },
};

static void test_threshold(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(threshold_cases) / sizeof(threshold_cases[0]); i++) {
		const struct threshold_case *c = &threshold_cases[i];
		struct threshold t, sentinel;
		int r;

		memset(&sentinel, 0xa5, sizeof(sentinel));
		t = sentinel;
		r = parse_threshold(c->s, &t);
		expect_err(c->s, r, c->ret);
		if (r != 0) {
			if (memcmp(&t, &sentinel, sizeof(t)) != 0)
				fail_msg("\"%s\": output written on failure", c->s);
			continue;
		}
		expect_u64(c->s, "is_percent", t.is_percent, c->is_percent);
		if (c->is_percent)
			expect_u64(c->s, "percent_x100", t.percent_x100, c->percent_x100);
		else
			expect_u64(c->s, "bytes", t.bytes, c->bytes);
	}
}

/*
 * Leading blanks are refused for sizes (" 1G", "\t1G") and for " 10%", so "\t10%" must be refused
 * too.  Kept apart from the table so that a failure here does not hide the other cases.
 */
static void test_threshold_leading_tab(void **state)
{
	struct threshold t, sentinel;

	(void)state;
	memset(&sentinel, 0xa5, sizeof(sentinel));
	t = sentinel;
	assert_int_equal(parse_threshold("\t10%", &t), -EINVAL);
	assert_memory_equal(&t, &sentinel, sizeof(t));
}

static void test_threshold_kib(void **state)
{
	static const struct {
		struct threshold t;
		uint64_t total_kib;
		uint64_t kib;
	} cases[] = {
		/* 1048576 * 1000 / 10000 = 104857.6, rounded down */
		{ { .is_percent = true, .percent_x100 = 1000 }, 1048576, 104857 },
		/* 16318480 * 1250 / 10000 */
		{ { .is_percent = true, .percent_x100 = 1250 }, 16318480, 2039810 },
		{ { .is_percent = true, .percent_x100 = 10000 }, 16318480, 16318480 },
		{ { .is_percent = true, .percent_x100 = 0 }, 16318480, 0 },
		{ { .is_percent = true, .percent_x100 = 1 }, 9999, 0 },
		/* The product cannot overflow: (2^64 - 1) * 10000 / 10000; half, rounded down. */
		{ { .is_percent = true, .percent_x100 = 10000 }, UINT64_MAX, UINT64_MAX },
		{ { .is_percent = true, .percent_x100 = 5000 }, UINT64_MAX, UINT64_MAX / 2 },
		/* Sizes ignore the total. */
		{ { .is_percent = false, .bytes = 512 * MIB }, 1, 524288 },
		{ { .is_percent = false, .bytes = 1023 }, 16318480, 0 },
		{ { .is_percent = false, .bytes = 1536 }, 16318480, 1 },
		{ { .is_percent = false, .bytes = UINT64_MAX }, 0, UINT64_MAX / 1024 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "case %zu", i);
		expect_u64(what, "kib", threshold_kib(&cases[i].t, cases[i].total_kib),
			   cases[i].kib);
	}
}

static void test_int_range(void **state)
{
	static const struct {
		const char *s;
		long min, max;
		int ret;
		long value;
	} cases[] = {
		{ "0", -1000, 1000, 0, 0 },
		{ "-1000", -1000, 1000, 0, -1000 },
		{ "1000", -1000, 1000, 0, 1000 },
		{ "-0", -1000, 1000, 0, 0 },
		{ "42", 42, 42, 0, 42 },
		{ "9223372036854775807", LONG_MIN, LONG_MAX, 0, LONG_MAX },
		{ "1001", -1000, 1000, -ERANGE, 0 },
		{ "-1001", -1000, 1000, -ERANGE, 0 },
		{ "5", 6, 10, -ERANGE, 0 },
		{ "11", 6, 10, -ERANGE, 0 },
		{ "", -1000, 1000, -EINVAL, 0 },
		{ "-", -1000, 1000, -EINVAL, 0 },
		{ "--1", -1000, 1000, -EINVAL, 0 },
		{ " 1", -1000, 1000, -EINVAL, 0 },
		{ "\t1", -1000, 1000, -EINVAL, 0 },
		{ "1 ", -1000, 1000, -EINVAL, 0 },
		{ "1\n", -1000, 1000, -EINVAL, 0 },
		{ "+1", -1000, 1000, -EINVAL, 0 },
		{ "1a", -1000, 1000, -EINVAL, 0 },
		{ "0x10", -1000, 1000, -EINVAL, 0 },
		{ "1.0", -1000, 1000, -EINVAL, 0 },
		{ "99999999999999999999", LONG_MIN, LONG_MAX, -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long v = 0x5a5a5a5aL;

		expect_err(cases[i].s, parse_int_range(cases[i].s, cases[i].min, cases[i].max, &v),
			   cases[i].ret);
		expect_u64(cases[i].s, "value", (uint64_t)v,
			   (uint64_t)(cases[i].ret == 0 ? cases[i].value : 0x5a5a5a5aL));
	}
}

/* ---- /proc/<pid>/cgroup ---- */

static const struct cgroup_case {
	const char *file; /* a fixture, or NULL to use buf */
	const char *buf;
	const char *controller;
	size_t len;
	int ret;
	const char *path;
} cgroup_cases[] = {
	/* A hybrid v1/v2 system. */
	{ "proc/1204/cgroup", NULL, "memory", 256, 0,
	  "/user.slice/user-1000.slice/session-2.scope" },
	{ "proc/1204/cgroup", NULL, "cpu", 256, 0, "/user.slice" },
	{ "proc/1204/cgroup", NULL, "cpuacct", 256, 0, "/user.slice" },
	{ "proc/1204/cgroup", NULL, "net_prio", 256, 0, "/" },
	{ "proc/1204/cgroup", NULL, "name=systemd", 256, 0,
	  "/user.slice/user-1000.slice/session-2.scope" },
	{ "proc/1204/cgroup", NULL, "", 256, 0, "/user.slice/user-1000.slice/session-2.scope" },
	{ "proc/1204/cgroup", NULL, "cpua", 256, -ENOENT, NULL },
	{ "proc/1204/cgroup", NULL, "net", 256, -ENOENT, NULL },
	{ "proc/1204/cgroup", NULL, "systemd", 256, -ENOENT, NULL },
	/* Pure v2. */
	{ "proc/2001/cgroup", NULL, "", 256, 0,
	  "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	  "app-org.chromium.Chromium-2001.scope" },
	{ "proc/2001/cgroup", NULL, "memory", 256, -ENOENT, NULL },
	{ "proc/2/cgroup", NULL, "", 256, 0, "/" },
	{ NULL, "4:memory:/a/b\n", "memory", 256, 0, "/a/b" },
	{ NULL, "3:cpu,cpuacct:/x\n", "cpu", 256, 0, "/x" },
	{ NULL, "3:cpu,cpuacct:/x\n", "cpuacct", 256, 0, "/x" },
	{ NULL, "3:cpu,cpuacct:/x\n", "cpuacct,cpu", 256, -ENOENT, NULL },
	{ NULL, "0::/user.slice/x", "", 256, 0, "/user.slice/x" },
	{ NULL, "0::/user.slice/x", "memory", 256, -ENOENT, NULL },
	/* A ':' in the path belongs to the path. */
	{ NULL, "0::/a:b\n", "", 256, 0, "/a:b" },
	{ NULL, "4:memory:/a:b:c\n", "memory", 256, 0, "/a:b:c" },
	/* Only hierarchy 0 with no controllers is the v2 line. */
	{ NULL, "10::/x\n", "", 256, -ENOENT, NULL },
	{ NULL, "", "", 256, -ENOENT, NULL },
	{ NULL, "", "memory", 256, -ENOENT, NULL },
	/* The path and its NUL must fit. */
	{ NULL, "0::/abc\n", "", 5, 0, "/abc" },
	{ NULL, "0::/abc\n", "", 4, -EINVAL, NULL },
	{ "proc/1204/cgroup", NULL, "memory", 16, -EINVAL, NULL },
	{ "malformed/proc-cgroup-junk", NULL, "", 256, -EINVAL, NULL },
	{ NULL, "garbage\n", "memory", 256, -EINVAL, NULL },
	{ NULL, "4:memory\n", "memory", 256, -EINVAL, NULL },
	{ NULL, "4:memory:\n", "memory", 256, -EINVAL, NULL },
	{ NULL, "4:memory:relative/path\n", "memory", 256, -EINVAL, NULL },
	{ NULL, "0::\n", "", 256, -EINVAL, NULL },
	{ NULL, "\n0::/x\n", "", 256, -EINVAL, NULL },
	/* "." and ".." components (a forged line) would lead out of a freezer root. */
	{ NULL, "0::/..\n", "", 256, -EINVAL, NULL },
	{ NULL, "4:freezer:/../x\n", "freezer", 256, -EINVAL, NULL },
	{ NULL, "0::/a/../../x\n", "", 256, -EINVAL, NULL },
	{ NULL, "0::/a/.\n", "", 256, -EINVAL, NULL },
	{ NULL, "0::/a//./b\n", "", 256, -EINVAL, NULL },
	/* Dots inside a name are just a name. */
	{ NULL, "0::/a/..b/.c/...\n", "", 256, 0, "/a/..b/.c/..." },
	{ NULL, "0::/user.slice/app.scope\n", "", 256, 0, "/user.slice/app.scope" },
};

static void test_proc_cgroup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cgroup_cases) / sizeof(cgroup_cases[0]); i++) {
		const struct cgroup_case *c = &cgroup_cases[i];
		char buf[FIXTURE_MAX], out[256], sentinel[256], what[128];
		const char *in = c->file ? read_fixture(c->file, buf, sizeof(buf)) : c->buf;
		int r;

		snprintf(what, sizeof(what), "%s, controller \"%s\"", c->file ? c->file : c->buf,
			 c->controller);
		memset(sentinel, 'Z', sizeof(sentinel));
		memcpy(out, sentinel, sizeof(out));
		r = parse_proc_cgroup(in, c->controller, out, c->len);
		expect_err(what, r, c->ret);
		if (r == 0 && strcmp(out, c->path) != 0)
			fail_msg("%s: path \"%s\", expected \"%s\"", what, out, c->path);
		if (r != 0 && memcmp(out, sentinel, sizeof(out)) != 0)
			fail_msg("%s: output written on failure", what);
	}
}

/* systemd's booleans in xattr values: its spellings, any case, one trailing NUL; nothing else. */
static void test_xattr_bool(void **state)
{
	static const struct {
		const char *v;
		size_t len;
		int want;
	} cases[] = {
		{"1", 1, 1},       {"yes", 3, 1},     {"Y", 1, 1},      {"TRUE", 4, 1},
		{"t", 1, 1},       {"On", 2, 1},      {"1\0", 2, 1},    {"0", 1, 0},
		{"no", 2, 0},      {"N", 1, 0},       {"false", 5, 0},  {"f", 1, 0},
		{"OFF", 3, 0},     {"", 0, -EINVAL},  {"2", 1, -EINVAL}, {"yes\n", 4, -EINVAL},
		{" 1", 2, -EINVAL}, {"1\0\0", 3, -EINVAL}, {"yesno", 5, -EINVAL},
		{"1x", 1, 1}, /* only @len bytes count: the value is not NUL-terminated */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (parse_xattr_bool(cases[i].v, cases[i].len) != cases[i].want)
			fail_msg("\"%.*s\" (%zu bytes): %d, want %d", (int)cases[i].len, cases[i].v,
				 cases[i].len, parse_xattr_bool(cases[i].v, cases[i].len),
				 cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_fixtures),
		cmocka_unit_test(test_stat_hostile_inline),
		cmocka_unit_test(test_stat_long_comm),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_status_fixtures),
		cmocka_unit_test(test_status_inline),
		cmocka_unit_test(test_status_malformed),
		cmocka_unit_test(test_sigkill_mask),
		cmocka_unit_test(test_statm),
		cmocka_unit_test(test_smaps_rollup),
		cmocka_unit_test(test_meminfo_fixtures),
		cmocka_unit_test(test_meminfo_inline),
		cmocka_unit_test(test_meminfo_malformed),
		cmocka_unit_test(test_keyed_fixtures),
		cmocka_unit_test(test_keyed_inline),
		cmocka_unit_test(test_cgroup_value),
		cmocka_unit_test(test_psi_fixtures),
		cmocka_unit_test(test_psi_some_only),
		cmocka_unit_test(test_psi_avg),
		cmocka_unit_test(test_psi_malformed),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_threshold_leading_tab),
		cmocka_unit_test(test_threshold_kib),
		cmocka_unit_test(test_int_range),
		cmocka_unit_test(test_proc_cgroup),
		cmocka_unit_test(test_vm_counters),
		cmocka_unit_test(test_vm_counters_edges),
		cmocka_unit_test(test_xattr_bool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
