/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "match.h"
#include "policy.h"
#include "proctab.h"
#include "tree.h"

/*
 * The scans run over the fixture procfs FIXTURES/proc; tests/fixtures/README.md
 * says what each pid is for.  In short (adj from oom_score_adj):
 *
 *   1 systemd 0 (init)          2 kthreadd 0 (kthread)      57 kworker 0 (kthread, long name)
 *   412 systemd-journal -250    731 sshd -1000              1204 bash 0
 *   1337 "a) R 1 (b" 200        2001 chrome 300             2600 memhog 900
 *   2700 "Web Content" 1000     2800 "two\nlines" 100       3000 defunct 0 (zombie)
 *   3100 stuck 500 (SIGKILL)    3200 exiting 0 (PF_EXITING) 3300 postgres 0 (swap, shmem)
 *   3400 no-mm 0 (no mm)        4000 junkadj ("abc")        4100 truncated 0 (short stat)
 *   sys/, 12abc/: not pids, with an oom_score_adj of 1000 each as bait
 */

#define PROC FIXTURES "/proc"

/* Numeric entries of the fixture procfs: what a system scan looks at. */
#define PROC_PIDS 18

static const struct {
	pid_t pid;
	int16_t adj;
} fixture_adj[] = {
	{ 2, 0 },      { 57, 0 },    { 412, -250 }, { 1204, 0 }, { 1337, 200 },
	{ 2001, 300 }, { 2600, 900 }, { 2700, 1000 }, { 2800, 100 }, { 3000, 0 },
	{ 3100, 500 }, { 3200, 0 },  { 3300, 0 },   { 3400, 0 }, { 4100, 0 },
};

#define N_FIXTURE_ADJ (sizeof(fixture_adj) / sizeof(fixture_adj[0]))

/* Every pid a system scan at the lowest min_adj must return (no self). */
static const pid_t all_candidates[] = {
	2, 57, 412, 1204, 1337, 2001, 2600, 2700, 2800, 3000, 3100, 3200, 3300, 3400, 4100,
};

#define N_ALL (sizeof(all_candidates) / sizeof(all_candidates[0]))

static struct proctab *new_table(int scope_fd, pid_t self, size_t capacity)
{
	struct proctab_config cfg = {
		.proc_root = PROC,
		.scope_dirfd = scope_fd,
		.self = self,
		.capacity = capacity,
	};
	struct proctab *pt = NULL;

	assert_int_equal(proctab_new(&cfg, &pt), 0);
	assert_non_null(pt);
	return pt;
}

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	return fd;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static void format_pids(char *buf, size_t len, const pid_t *pids, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%d", i ? " " : "", (int)pids[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/*
 * Checks that @cands[0..@n) holds exactly the pids @want[0..@n_want), each once.  The
 * scanner returns them in directory order, which the test cannot rely on.
 */
static void expect_pids(const char *what, const struct candidate *cands, int n, const pid_t *want,
			size_t n_want)
{
	pid_t got[64], exp[64];
	char got_s[512], exp_s[512];
	bool same;

	assert_true(n >= 0 && (size_t)n <= 64 && n_want <= 64);
	for (int i = 0; i < n; i++)
		got[i] = cands[i].pid;
	if (n_want)
		memcpy(exp, want, n_want * sizeof(*want));
	qsort(got, (size_t)n, sizeof(*got), cmp_pid);
	qsort(exp, n_want, sizeof(*exp), cmp_pid);
	same = (size_t)n == n_want && memcmp(got, exp, n_want * sizeof(*exp)) == 0;
	if (!same) {
		format_pids(got_s, sizeof(got_s), got, (size_t)n);
		format_pids(exp_s, sizeof(exp_s), exp, n_want);
		fail_msg("%s: candidates [%s], expected [%s]", what, got_s, exp_s);
	}
}

static const struct candidate *find(const struct candidate *cands, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (cands[i].pid == pid)
			return &cands[i];
	fail_msg("pid %d is not a candidate", (int)pid);
	return NULL;
}

static int16_t fixture_adj_of(pid_t pid)
{
	for (size_t i = 0; i < N_FIXTURE_ADJ; i++)
		if (fixture_adj[i].pid == pid)
			return fixture_adj[i].adj;
	fail_msg("pid %d has no adj in the table", (int)pid);
	return 0;
}

static struct matcher *compile_ok(const char *pattern)
{
	struct matcher *m = NULL;
	char err[128] = "";

	if (matcher_compile(pattern, &m, err, sizeof(err)) != 0)
		fail_msg("matcher_compile(\"%s\"): %s", pattern, err);
	return m;
}

static void free_rules(struct policy_rules *rules)
{
	for (size_t i = 0; i < rules->n_prefer; i++)
		matcher_free(rules->prefer[i]);
	for (size_t i = 0; i < rules->n_avoid; i++)
		matcher_free(rules->avoid[i]);
	for (size_t i = 0; i < rules->n_ignore; i++)
		matcher_free(rules->ignore[i]);
}

static void test_new(void **state)
{
	struct proctab_config cfg = { .proc_root = FIXTURES "/does-not-exist", .scope_dirfd = -1 };
	struct proctab *pt = NULL;

	(void)state;
	assert_int_equal(proctab_new(&cfg, &pt), -ENOENT);
	assert_null(pt);
	cfg.proc_root = PROC "/meminfo";
	assert_int_equal(proctab_new(&cfg, &pt), -ENOTDIR);
	assert_null(pt);

	/* A capacity of 0 still holds one candidate. */
	pt = new_table(-1, 0, 0);
	assert_int_equal(proctab_capacity(pt), 1);
	assert_false(proctab_overflowed(pt));
	assert_int_equal(proctab_seen(pt), 0);
	proctab_free(pt);
	proctab_free(NULL);
}

/* Every pid but init, adj -1000 and the junk; adj as read, no names without rules. */
static void test_scan_system(void **state)
{
	struct policy_rules no_rules = { 0 };
	struct candidate *cands = NULL;
	struct proctab *pt;
	int n;

	(void)state;
	pt = new_table(-1, 0, 64);
	for (int pass = 0; pass < 2; pass++) {
		/* The second pass checks that a scan starts over from the top of /proc. */
		n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
		expect_pids("system scan", cands, n, all_candidates, N_ALL);
		assert_false(proctab_overflowed(pt));
		assert_int_equal(proctab_seen(pt), PROC_PIDS);
		for (int i = 0; i < n; i++) {
			const struct candidate *c = &cands[i];

			assert_int_equal(c->adj, fixture_adj_of(c->pid));
			assert_int_equal(c->eff_adj, c->adj);
			assert_int_equal(c->skip, SKIP_NONE);
			assert_false(c->loaded);
			assert_string_equal(c->comm, "");
		}
	}
	proctab_free(pt);

	/* Rules without patterns are no rules: names are not read. */
	pt = new_table(-1, 0, 64);
	n = proctab_scan(pt, ADJ_MIN + 1, !policy_rules_empty(&no_rules), &cands);
	expect_pids("system scan, empty rules", cands, n, all_candidates, N_ALL);
	for (int i = 0; i < n; i++)
		assert_string_equal(cands[i].comm, "");
	proctab_free(pt);
}

static void test_scan_self(void **state)
{
	static const pid_t want[] = {
		2, 57, 412, 1337, 2001, 2600, 2700, 2800, 3000, 3100, 3200, 3300, 3400, 4100,
	};
	struct proctab *pt = new_table(-1, 1204, 64);
	struct candidate *cands;
	int n;

	(void)state;
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pids("self 1204", cands, n, want, sizeof(want) / sizeof(want[0]));
	/* Self is still looked at, just not taken. */
	assert_int_equal(proctab_seen(pt), PROC_PIDS);
	proctab_free(pt);
}

static void test_scan_min_adj(void **state)
{
	static const pid_t at_0[] = { 2, 57, 1204, 1337, 2001, 2600, 2700, 2800, 3000, 3100, 3200,
				      3300, 3400, 4100 };
	static const pid_t at_minus_250[] = { 2, 57, 412, 1204, 1337, 2001, 2600, 2700, 2800, 3000,
					      3100, 3200, 3300, 3400, 4100 };
	static const pid_t at_300[] = { 2001, 2600, 2700, 3100 };
	static const pid_t at_301[] = { 2600, 2700, 3100 };
	static const pid_t at_1000[] = { 2700 };
	static const struct {
		int min_adj;
		const pid_t *want;
		size_t n_want;
	} cases[] = {
		{ 0, at_0, sizeof(at_0) / sizeof(at_0[0]) },
		{ -250, at_minus_250, sizeof(at_minus_250) / sizeof(at_minus_250[0]) },
		{ 300, at_300, sizeof(at_300) / sizeof(at_300[0]) },
		{ 301, at_301, sizeof(at_301) / sizeof(at_301[0]) },
		{ 1000, at_1000, sizeof(at_1000) / sizeof(at_1000[0]) },
		{ 1001, NULL, 0 },
	};
	struct proctab *pt = new_table(-1, 0, 64);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct candidate *cands;
		char what[32];
		int n = proctab_scan(pt, cases[i].min_adj, false, &cands);

		snprintf(what, sizeof(what), "min_adj %d", cases[i].min_adj);
		expect_pids(what, cands, n, cases[i].want, cases[i].n_want);
		assert_false(proctab_overflowed(pt));
		assert_int_equal(proctab_seen(pt), PROC_PIDS);
	}
	proctab_free(pt);
}

static void test_scan_capacity(void **state)
{
	struct candidate *cands;
	struct proctab *pt;
	int n;

	(void)state;
	pt = new_table(-1, 0, 2);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	assert_int_equal(n, 2);
	assert_true(proctab_overflowed(pt));
	assert_int_not_equal(cands[0].pid, cands[1].pid);
	for (int i = 0; i < n; i++)
		assert_int_equal(cands[i].adj, fixture_adj_of(cands[i].pid));
	/* Processes past the capacity are still counted as looked at. */
	assert_int_equal(proctab_seen(pt), PROC_PIDS);
	proctab_free(pt);

	/* Exactly full is not overflowed: init, -1000 and the junk take no room. */
	pt = new_table(-1, 0, N_ALL);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pids("capacity N_ALL", cands, n, all_candidates, N_ALL);
	assert_false(proctab_overflowed(pt));
	proctab_free(pt);
}

static void test_grow(void **state)
{
	struct proctab *pt = new_table(-1, 0, 2);
	struct candidate *cands;
	int n;

	(void)state;
	assert_int_equal(proctab_capacity(pt), 2);
	assert_int_equal(proctab_grow(pt), 0);
	assert_int_equal(proctab_capacity(pt), 4);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	assert_int_equal(n, 4);
	assert_true(proctab_overflowed(pt));

	/* Grow as the daemon does until the scope fits: 4 -> 8 -> 16. */
	while (proctab_overflowed(pt)) {
		assert_int_equal(proctab_grow(pt), 0);
		n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	}
	assert_int_equal(proctab_capacity(pt), 16);
	expect_pids("grown", cands, n, all_candidates, N_ALL);
	proctab_free(pt);
}

/*
 * cgroup-v1 lists 1204 2001 2600 731 9998, child/ 2700 3300, child/grandchild/ 3100 (no
 * trailing newline) and sibling/ 2800.  731 is unkillable and 9998 has no /proc entry.
 */
static void test_scan_cgroup_v1(void **state)
{
	static const pid_t want[] = { 2700, 3300, 3100, 1204, 2001, 2600, 2800 };
	static const pid_t want_self[] = { 1204, 2001, 2700, 3300, 3100, 2800 };
	static const pid_t want_500[] = { 2600, 2700, 3100 };
	int fd = open_dir(FIXTURES "/cgroup-v1");
	struct candidate *cands;
	struct proctab *pt;
	int n;

	(void)state;
	pt = new_table(fd, 0, 64);
	for (int pass = 0; pass < 2; pass++) {
		n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
		expect_pids("cgroup-v1", cands, n, want, sizeof(want) / sizeof(want[0]));
		assert_false(proctab_overflowed(pt));
		assert_int_equal(proctab_seen(pt), 9);
		for (int i = 0; i < n; i++)
			assert_int_equal(cands[i].adj, fixture_adj_of(cands[i].pid));
	}
	n = proctab_scan(pt, 500, false, &cands);
	expect_pids("cgroup-v1 at 500", cands, n, want_500, sizeof(want_500) / sizeof(want_500[0]));
	proctab_free(pt);

	pt = new_table(fd, 2600, 64);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pids("cgroup-v1, self 2600", cands, n, want_self,
		    sizeof(want_self) / sizeof(want_self[0]));
	proctab_free(pt);

	/* The child alone: its own pids and the grandchild's. */
	close(fd);
	fd = open_dir(FIXTURES "/cgroup-v1/child");
	pt = new_table(fd, 0, 64);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pids("cgroup-v1/child", cands, n, want, 3);
	proctab_free(pt);
	close(fd);
}

/*
 * A cgroup chain @depth levels deep, generated into a temporary directory:
 * the top lists 1204 (adj 0), the bottom 2600 (adj 900), the levels between
 * list nothing, and each level also holds a plain file as a cgroup directory
 * does.  Writes the top's path to @path (room for PATH_MAX).
 */
static void make_chain(char *path, size_t len, unsigned depth)
{
	char dir[4096];
	size_t n;
	FILE *f;

	snprintf(path, len, "/tmp/reapd-test-deep-XXXXXX");
	assert_non_null(mkdtemp(path));
	n = (size_t)snprintf(dir, sizeof(dir), "%s", path);
	for (unsigned level = 0; level <= depth; level++) {
		if (level > 0) {
			n += (size_t)snprintf(dir + n, sizeof(dir) - n, "/d%u", level);
			assert_true(n < sizeof(dir) - 32);
			assert_int_equal(mkdir(dir, 0755), 0);
		}
		snprintf(dir + n, sizeof(dir) - n, "/cgroup.procs");
		f = fopen(dir, "w");
		assert_non_null(f);
		if (level == 0)
			fputs("1204\n", f);
		else if (level == depth)
			fputs("2600\n", f);
		fclose(f);
		snprintf(dir + n, sizeof(dir) - n, "/memory.limit_in_bytes");
		f = fopen(dir, "w");
		assert_non_null(f);
		fputs("9223372036854771712\n", f);
		fclose(f);
		dir[n] = '\0';
	}
}

static void remove_tree(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* Returns the number of open file descriptors of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#define CHAIN_DEPTH 40

/* A chain of CHAIN_DEPTH levels for a test; the teardown removes it, even after a failure. */
static int setup_chain(void **state)
{
	char *path = malloc(4096);

	assert_non_null(path);
	make_chain(path, 4096, CHAIN_DEPTH);
	*state = path;
	return 0;
}

static int teardown_chain(void **state)
{
	remove_tree(*state);
	free(*state);
	return 0;
}

/* A process 40 levels below the scope is a candidate like any other. */
static void test_scan_deep_cgroups(void **state)
{
	static const pid_t want[] = { 1204, 2600 };
	struct candidate *cands;
	struct proctab *pt;
	int fd, n, fds;

	fd = open_dir(*state);
	pt = new_table(fd, 0, 64);
	fds = count_fds();
	for (int pass = 0; pass < 2; pass++) {
		n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
		expect_pids("40 levels deep", cands, n, want, 2);
		assert_int_equal(proctab_seen(pt), 2);
		assert_int_equal(proctab_unwalked(pt), 0);
		assert_false(proctab_too_deep(pt));
		/* Every level's directory is closed again. */
		assert_int_equal(count_fds(), fds);
	}
	proctab_free(pt);
	close(fd);
}

/*
 * A walk sized for 4 levels reads levels 0 to 4 and counts the one cgroup
 * below as unwalked; growing it as the daemon does (off the kill path) until
 * nothing is too deep reaches the bottom.
 */
static void test_scan_depth_grow(void **state)
{
	static const pid_t want[] = { 1204, 2600 };
	struct proctab_config cfg = {
		.proc_root = PROC, .scope_dirfd = open_dir(*state), .capacity = 64, .cg_depth = 4,
	};
	struct candidate *cands;
	struct proctab *pt;
	int n, fds = count_fds();

	assert_int_equal(proctab_new(&cfg, &pt), 0);
	assert_int_equal(proctab_depth(pt), 4);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pids("4 levels of 40", cands, n, want, 1);
	assert_true(proctab_too_deep(pt));
	assert_int_equal(proctab_unwalked(pt), 1);
	assert_false(proctab_overflowed(pt));
	assert_int_equal(count_fds(), fds + 1);
	while (proctab_too_deep(pt)) {
		assert_int_equal(proctab_grow_depth(pt), 0);
		n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	}
	assert_int_equal(proctab_depth(pt), 64);
	expect_pids("grown to 64 levels", cands, n, want, 2);
	assert_int_equal(proctab_unwalked(pt), 0);
	assert_int_equal(count_fds(), fds + 1);
	proctab_free(pt);

	/* Exactly deep enough: the bottom cgroup is read, and has no children to miss. */
	cfg.cg_depth = CHAIN_DEPTH;
	assert_int_equal(proctab_new(&cfg, &pt), 0);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pids("40 levels of 40", cands, n, want, 2);
	assert_false(proctab_too_deep(pt));
	assert_int_equal(proctab_unwalked(pt), 0);
	proctab_free(pt);
	close(cfg.scope_dirfd);
}

/* Returns the highest open fd of this process. */
static int highest_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int max = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (atoi(e->d_name) > max)
			max = atoi(e->d_name);
	closedir(d);
	return max;
}

/*
 * The walk holds one fd per level.  With room for only 3 more fds (level 1,
 * level 2 and a cgroup.procs or /proc file at a time), the walk stops where
 * it runs out, at level 3: that cgroup is counted as unwalked (it is
 * not a "too deep" the stack could fix), the processes above it are still
 * candidates, and the scan succeeds.  Run in a child, as the fd limit is
 * the process's.
 */
static int limited_fds_scan(const char *path)
{
	struct proctab_config cfg = { .proc_root = PROC, .capacity = 64 };
	struct candidate *cands;
	struct proctab *pt;
	struct rlimit rl;
	int n, fd, last = -1;

	cfg.scope_dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfg.scope_dirfd < 0 || proctab_new(&cfg, &pt) < 0)
		return 10;
	rl.rlim_cur = rl.rlim_max = (rlim_t)highest_fd() + 16;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 11;
	/* Take every free fd, then give back exactly 3. */
	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		last = fd;
	if (errno != EMFILE || last < 3)
		return 15;
	for (int i = 0; i < 3; i++)
		close(last - i);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	if (n != 1 || cands[0].pid != 1204)
		return 12;
	if (proctab_unwalked(pt) != 1)
		return 13;
	if (proctab_too_deep(pt))
		return 14;
	return 0;
}

static void test_scan_fd_limit(void **state)
{
	pid_t child = fork();
	int status;

	assert_true(child >= 0);
	if (child == 0)
		_exit(limited_fds_scan(*state));
	assert_int_equal(waitpid(child, &status, 0), child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the scan with few fds failed at step %d", WEXITSTATUS(status));
}

static void test_scan_cgroup_v2(void **state)
{
	static const pid_t want[] = { 2700, 1204, 2001 };
	int fd = open_dir(FIXTURES "/cgroup-v2");
	struct proctab *pt = new_table(fd, 0, 64);
	struct candidate *cands;
	int n;

	(void)state;
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pids("cgroup-v2", cands, n, want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(proctab_seen(pt), 3);
	proctab_free(pt);
	close(fd);

	/* A scope without cgroup.procs is an error, not an empty scope. */
	fd = open_dir(FIXTURES "/proc/sys");
	pt = new_table(fd, 0, 64);
	assert_int_equal(proctab_scan(pt, ADJ_MIN + 1, false, &cands), -ENOENT);
	proctab_free(pt);
	close(fd);
}

/*
 * cgroup-big/cgroup.procs is larger than the scanner's 16 KiB read buffer: 4983 lines, mostly
 * pids with no /proc entry.  2600 is split by the first read ("260" | "0\n"), 2700 ends the
 * second read without its newline, and 3100 is the last line, without a newline.
 */
static void test_scan_cgroup_big(void **state)
{
	static const pid_t want[] = { 1204, 2600, 2700, 3100 };
	int fd = open_dir(FIXTURES "/cgroup-big");
	struct proctab *pt = new_table(fd, 0, 64);
	struct candidate *cands;
	int n;

	(void)state;
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pids("cgroup-big", cands, n, want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(proctab_seen(pt), 4983);
	proctab_free(pt);
	close(fd);
}

/*
 * The overflow flag says that candidates were left out.  cgroup-v2 lists 2700 (adj 1000) and
 * then 1204 (adj 0), and its child 2001 (adj 300).  At min_adj 1000 only 2700 is a candidate;
 * it fills a table of one, and the processes below min_adj that come after it are not
 * candidates, so nothing was left out.
 */
static void test_scan_overflow_counts_only_candidates(void **state)
{
	int fd = open_dir(FIXTURES "/cgroup-v2");
	struct proctab *pt = new_table(fd, 0, 1);
	struct candidate *cands;
	bool overflowed;
	pid_t pid;
	int n;

	(void)state;
	n = proctab_scan(pt, 1000, false, &cands);
	pid = n > 0 ? cands[0].pid : 0;
	overflowed = proctab_overflowed(pt);
	/* Freed before the checks, so that a failure does not leak. */
	proctab_free(pt);
	close(fd);
	assert_int_equal(n, 1);
	assert_int_equal(pid, 2700);
	assert_false(overflowed);
}

static void test_scan_rules(void **state)
{
	static const pid_t want_300[] = { 2600, 2700, 3100 };
	static const pid_t want_1000[] = { 2600, 2700 };
	static const struct {
		pid_t pid;
		int16_t adj, eff_adj;
		uint8_t skip;
		const char *comm;
	} cases[] = {
		/* 900 + 300 clamped to 1000 */
		{ 2600, 900, 1000, SKIP_NONE, "memhog" },
		{ 2001, 300, 0, SKIP_NONE, "chrome" },
		/* Ignored processes stay in the table, marked. */
		{ 2700, 1000, 1000, SKIP_IGNORED, "Web Content" },
		{ 1204, 0, 0, SKIP_NONE, "bash" },
		{ 412, -250, -250, SKIP_NONE, "systemd-journal" },
		/*
		 * Names come from the comm files, at most 15 bytes, only the
		 * kernel's final newline stripped: the same bytes as in stat.
		 */
		{ 1337, 200, 200, SKIP_NONE, "a) R 1 (b" },
		{ 2800, 100, 100, SKIP_NONE, "two\nlines" },
		{ 57, 0, 0, SKIP_NONE, "kworker/u16:3-e" },
	};
	struct policy_rules rules = { 0 };
	struct match_scratch *sc;
	struct candidate *cands;
	struct proctab *pt;
	int n;

	(void)state;
	rules.prefer[rules.n_prefer++] = compile_ok("^memhog$");
	rules.avoid[rules.n_avoid++] = compile_ok("^chrome$");
	rules.ignore[rules.n_ignore++] = compile_ok("^Web Content$");
	pt = new_table(-1, 0, 64);
	assert_int_equal(match_scratch_new(policy_rules_states(&rules), &sc), 0);

	/* The scan is raw: names read, adj as read, nothing skipped. */
	n = proctab_scan(pt, ADJ_MIN + 1, true, &cands);
	expect_pids("names", cands, n, all_candidates, N_ALL);
	for (int i = 0; i < n; i++) {
		assert_int_equal(cands[i].eff_adj, cands[i].adj);
		assert_int_equal(cands[i].skip, SKIP_NONE);
	}
	n = (int)policy_prepare(&rules, sc, ADJ_MIN + 1, cands, (size_t)n);
	expect_pids("rules", cands, n, all_candidates, N_ALL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct candidate *c = find(cands, n, cases[i].pid);

		assert_int_equal(c->adj, cases[i].adj);
		assert_int_equal(c->eff_adj, cases[i].eff_adj);
		assert_int_equal(c->skip, cases[i].skip);
		assert_string_equal(c->comm, cases[i].comm);
	}

	/* min_adj applies to the effective adj: chrome drops out, memhog comes in. */
	n = proctab_scan(pt, policy_scan_floor(&rules, 300), true, &cands);
	n = (int)policy_prepare(&rules, sc, 300, cands, (size_t)n);
	expect_pids("rules at 300", cands, n, want_300, sizeof(want_300) / sizeof(want_300[0]));
	n = proctab_scan(pt, policy_scan_floor(&rules, 1000), true, &cands);
	n = (int)policy_prepare(&rules, sc, 1000, cands, (size_t)n);
	expect_pids("rules at 1000", cands, n, want_1000, sizeof(want_1000) / sizeof(want_1000[0]));

	match_scratch_free(sc);
	proctab_free(pt);
	free_rules(&rules);
}

static const struct load_case {
	pid_t pid;
	uint64_t start_time;
	uid_t uid;
	const char *comm;
	uint64_t anon_kib, size_kib; /* size = RssAnon + VmSwap: shared memory is not freed */
	uint8_t skip;
} load_cases[] = {
	{ 1204, 41873, 1000, "bash", 1792, 1792, SKIP_NONE },
	{ 1337, 42210, 1000, "a) R 1 (b", 640, 640, SKIP_NONE },
	/* 204800 + 0, its 65536 of shmem left out; its pending SIGTERM is not a SIGKILL. */
	{ 2001, 55012, 1000, "chrome", 204800, 204800, SKIP_NONE },
	{ 2600, 61377, 1000, "memhog", 1048576, 1048576, SKIP_NONE },
	/* 524288 + 8192 (+ 32768 of shmem, left out) */
	{ 2700, 61502, 1000, "Web Content", 524288, 532480, SKIP_NONE },
	{ 2800, 63120, 1000, "two\nlines", 128, 128, SKIP_NONE },
	/* 262144 + 51200 (+ 131072 of shmem, left out) */
	{ 3300, 72555, 113, "postgres", 262144, 313344, SKIP_NONE },
	/* The loader does not read oom_score_adj. */
	{ 4000, 80012, 1000, "junkadj", 512, 512, SKIP_NONE },
	{ 2, 9, 0, "kthreadd", 0, 0, SKIP_KTHREAD },
	/* The 28-byte workqueue name, cut to COMM_LEN - 1. */
	{ 57, 152, 0, "kworker/u16:3-e", 0, 0, SKIP_KTHREAD },
	/* Zombie: state Z (its flags lack PF_EXITING on purpose). */
	{ 3000, 70001, 1000, "defunct", 0, 0, SKIP_DYING },
	/* SIGKILL in ShdPnd */
	{ 3100, 70333, 1000, "stuck", 65536, 65536, SKIP_DYING },
	/* PF_EXITING in the flags */
	{ 3200, 71010, 1000, "exiting", 4096, 4096, SKIP_DYING },
	{ 3400, 73000, 0, "no-mm", 0, 0, SKIP_EMPTY },
};

static void test_load(void **state)
{
	struct proctab *pt = new_table(-1, 0, 64);

	(void)state;
	for (size_t i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
		const struct load_case *w = &load_cases[i];
		struct candidate c = { .pid = w->pid };
		int r = proctab_load(pt, &c);

		if (r != 0)
			fail_msg("pid %d: proctab_load() = %d", (int)w->pid, r);
		if (c.start_time != w->start_time || c.uid != w->uid ||
		    strcmp(c.comm, w->comm) != 0 || c.anon_kib != w->anon_kib ||
		    c.size_kib != w->size_kib || c.skip != w->skip)
			fail_msg("pid %d: start %llu uid %u comm \"%s\" anon %llu size %llu "
				 "skip %s",
				 (int)w->pid, (unsigned long long)c.start_time, (unsigned)c.uid,
				 c.comm, (unsigned long long)c.anon_kib,
				 (unsigned long long)c.size_kib, skip_reason_name(c.skip));
		/* Set by the scan, not by the loader. */
		assert_int_equal(c.pid, w->pid);
		assert_int_equal(c.adj, 0);
	}
	proctab_free(pt);
}

/* A name the scan read from the comm file (for the rules) is kept. */
static void test_load_keeps_comm(void **state)
{
	struct proctab *pt = new_table(-1, 0, 64);
	struct candidate c = { .pid = 2800, .comm = "two" };

	(void)state;
	assert_int_equal(proctab_load(pt, &c), 0);
	assert_string_equal(c.comm, "two");
	assert_int_equal(c.start_time, 63120);
	proctab_free(pt);
}

static void test_load_errors(void **state)
{
	struct proctab *pt = new_table(-1, 0, 64);
	struct candidate c = { .pid = 9999 };

	(void)state;
	/* No /proc entry: the process is gone. */
	assert_true(proctab_load(pt, &c) < 0);
	/* The stat line stops after field 12. */
	c = (struct candidate){ .pid = 4100 };
	assert_int_equal(proctab_load(pt, &c), -EINVAL);
	proctab_free(pt);
}

static void test_verify(void **state)
{
	struct proctab *pt = new_table(-1, 0, 64);
	struct candidate c = { .pid = 1204 };

	(void)state;
	assert_int_equal(proctab_load(pt, &c), 0);
	assert_int_equal(proctab_verify(pt, &c), 0);
	/* The pid now belongs to a process started at another time: reused. */
	c.start_time = 41874;
	assert_int_equal(proctab_verify(pt, &c), -ESTALE);
	c.start_time = 0;
	assert_int_equal(proctab_verify(pt, &c), -ESTALE);

	c = (struct candidate){ .pid = 9999, .start_time = 41873 };
	assert_int_equal(proctab_verify(pt, &c), -ESRCH);
	c = (struct candidate){ .pid = 4100, .start_time = 80500 };
	assert_int_equal(proctab_verify(pt, &c), -EINVAL);
	proctab_free(pt);
}

/* The daemon's path: scan, then load each candidate; every fixture oddity lands in its place. */
static void test_scan_then_load(void **state)
{
	static const struct {
		pid_t pid;
		int ret;
		uint8_t skip;
	} want[] = {
		{ 2, 0, SKIP_KTHREAD },   { 57, 0, SKIP_KTHREAD },  { 412, 0, SKIP_NONE },
		{ 1204, 0, SKIP_NONE },   { 1337, 0, SKIP_NONE },   { 2001, 0, SKIP_NONE },
		{ 2600, 0, SKIP_NONE },   { 2700, 0, SKIP_NONE },   { 2800, 0, SKIP_NONE },
		{ 3000, 0, SKIP_DYING },  { 3100, 0, SKIP_DYING },  { 3200, 0, SKIP_DYING },
		{ 3300, 0, SKIP_NONE },   { 3400, 0, SKIP_EMPTY },  { 4100, -EINVAL, SKIP_NONE },
	};
	struct proctab *pt = new_table(-1, 0, 64);
	struct candidate *cands;
	int n;

	(void)state;
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (int i = 0; i < n; i++) {
		struct candidate *c = &cands[i];
		size_t j = 0;
		int r;

		while (j < sizeof(want) / sizeof(want[0]) && want[j].pid != c->pid)
			j++;
		if (j == sizeof(want) / sizeof(want[0]))
			fail_msg("unexpected candidate %d", (int)c->pid);
		r = proctab_load(pt, c);
		if (r != want[j].ret || (r == 0 && c->skip != want[j].skip))
			fail_msg("pid %d: load %d skip %s, expected %d %s", (int)c->pid, r,
				 skip_reason_name(c->skip), want[j].ret,
				 skip_reason_name(want[j].skip));
		/* Loading keeps what the scan found. */
		assert_int_equal(c->adj, fixture_adj_of(c->pid));
	}
	proctab_free(pt);
}

/*
 * /proc files that cannot be read: in a copy of the fixture tree, 2700's
 * status is a directory (EISDIR) and 2600's stat is mode 000 (EACCES for a
 * user without CAP_DAC_OVERRIDE: the check runs as uid 65534 when root).
 * Both are the policy's first choices; loading them fails cleanly and the
 * round goes on with the processes it can read.
 */
static int unreadable_round(const char *proc)
{
	struct proctab_config cfg = {.proc_root = proc, .scope_dirfd = -1, .capacity = 64};
	struct policy_params pp = {.min_adj = 0, .target_kib = 100 * 1024, .max_victims = 4};
	struct proctab *pt;
	struct policy_work *w;
	struct candidate *cands;
	uint32_t victims[4];
	int n, chosen;

	if (proctab_new(&cfg, &pt) < 0 || policy_work_new(64, &w) < 0)
		return 10;
	n = proctab_scan(pt, 0, false, &cands);
	if (n <= 0)
		return 11;
	for (int i = 0; i < n; i++) {
		int r;
		if (cands[i].pid == 2700 && (r = proctab_load(pt, &cands[i])) != -EISDIR)
			return 12;
		if (cands[i].pid == 2600 && getuid() != 0 &&
		    (r = proctab_load(pt, &cands[i])) != -EACCES)
			return 13;
		cands[i].loaded = false;
		cands[i].skip = 0;
	}
	chosen = policy_select(&pp, cands, (size_t)n, proctab_load, pt, w, victims);
	if (chosen <= 0)
		return 14;
	for (int i = 0; i < chosen; i++)
		if (cands[victims[i]].pid == 2700 || (getuid() != 0 && cands[victims[i]].pid == 2600))
			return 15;
	proctab_free(pt);
	policy_work_free(w);
	return 0;
}

static void test_unreadable_files(void **state)
{
	char tmp[] = "/tmp/reapd-test-unreadable-XXXXXX", cmd[512], path[600];
	pid_t child;
	int status;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s/proc' && chmod 755 '%s'", PROC, tmp, tmp);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/proc/2700/status", tmp);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/2600/stat", tmp);
	assert_int_equal(chmod(path, 0), 0);
	snprintf(path, sizeof(path), "%s/proc", tmp);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(20);
		_exit(unreadable_round(path));
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the unreadable round failed at step %d", WEXITSTATUS(status));
}

/* Sets xattr @name of @dir/@rel to @value; false when the filesystem has no user xattrs. */
static bool put_xattr(const char *dir, const char *rel, const char *name, const char *value)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (setxattr(p, name, value, strlen(value), 0) == 0)
		return true;
	if (errno != ENOTSUP && errno != EOPNOTSUPP)
		fail_msg("setxattr %s %s: %s", p, name, strerror(errno));
	return false;
}

static void chown_rel(const char *dir, const char *rel, uid_t uid)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (chown(p, uid, (gid_t)-1) < 0)
		fail_msg("chown %s: %s", p, strerror(errno));
}

static const struct candidate *cand_of(const struct candidate *cands, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (cands[i].pid == pid)
			return &cands[i];
	fail_msg("pid %d is not a candidate", (int)pid);
	return NULL;
}

static void expect_pref(const struct candidate *cands, int n, pid_t pid, uint8_t pref)
{
	const struct candidate *c = cand_of(cands, n, pid);

	if (c->cg_pref != pref || (c->skip == SKIP_OMITTED) != (pref == CG_PREF_OMIT))
		fail_msg("pid %d: preference %s, skip %s; want %s", (int)pid,
			 cg_pref_name((enum cg_pref)c->cg_pref),
			 skip_reason_name((enum skip_reason)c->skip), cg_pref_name((enum cg_pref)pref));
}

/*
 * systemd's ManagedOOMPreference= below a cgroup scope: user.oomd_omit and
 * user.oomd_avoid on the cgroups the walk passes, inherited downwards, omit
 * winning; the scope's own ignored; junk values ignored; a cgroup owned by
 * someone else than root or the scope's owner not honoured (systemd-oomd's
 * rule), until the scope is theirs too.
 */
static void test_scan_cgroup_prefs(void **state)
{
	char dir[64];
	struct candidate *cands;
	struct proctab *pt;
	int fd, n;

	(void)state;
	if (geteuid() != 0)
		skip(); /* the owner rule needs chown */
	tree_make(dir, sizeof(dir));
	tree_put(dir, "cgroup.procs", "1204\n");
	tree_put(dir, "a/cgroup.procs", "2600\n");
	tree_put(dir, "a/b/cgroup.procs", "2001\n");
	tree_put(dir, "c/cgroup.procs", "2700\n");
	tree_put(dir, "c/d/cgroup.procs", "3300\n");
	tree_put(dir, "e/cgroup.procs", "1337\n");
	tree_put(dir, "f/cgroup.procs", "2800\n");
	if (!put_xattr(dir, ".", "user.oomd_omit", "1")) {
		tree_remove(dir);
		skip();
	}
	put_xattr(dir, "a", "user.oomd_omit", "1");
	put_xattr(dir, "c", "user.oomd_avoid", "yes");
	/* Names past the 512 bytes a first flistxattr reads: each mark is asked for directly. */
	for (int i = 0; i < 40; i++) {
		char name[64];

		snprintf(name, sizeof(name), "user.a-rather-long-unrelated-name-%02d", i);
		put_xattr(dir, "c", name, "1");
	}
	put_xattr(dir, "c/d", "user.oomd_omit", "true");
	put_xattr(dir, "e", "user.oomd_avoid", "maybe");
	put_xattr(dir, "e", "user.oomd_omit", "0");
	put_xattr(dir, "f", "user.oomd_omit", "1");
	chown_rel(dir, "f", 4242);

	fd = open_dir(dir);
	pt = new_table(fd, 0, 64);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	assert_int_equal(n, 7);
	expect_pref(cands, n, 1204, CG_PREF_NONE);  /* in the scope itself */
	expect_pref(cands, n, 2600, CG_PREF_OMIT);
	expect_pref(cands, n, 2001, CG_PREF_OMIT);  /* below an omitted cgroup */
	expect_pref(cands, n, 2700, CG_PREF_AVOID);
	expect_pref(cands, n, 3300, CG_PREF_OMIT);  /* omit below avoid */
	expect_pref(cands, n, 1337, CG_PREF_NONE);  /* junk and a false value */
	expect_pref(cands, n, 2800, CG_PREF_NONE);  /* owned by 4242, the scope by root */

	/* The scope is 4242's too: 4242's cgroup may be marked; root's still may. */
	chown_rel(dir, ".", 4242);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	expect_pref(cands, n, 2800, CG_PREF_OMIT);
	expect_pref(cands, n, 2600, CG_PREF_OMIT);

	/* Marks are read afresh at each scan, even for candidates loaded a moment ago (cached). */
	for (int i = 0; i < n; i++)
		(void)proctab_load(pt, &cands[i]);
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/a", dir);
		assert_int_equal(removexattr(p, "user.oomd_omit"), 0);
	}
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	for (int i = 0; i < n; i++)
		(void)proctab_load(pt, &cands[i]);
	expect_pref(cands, n, 2600, CG_PREF_NONE);
	expect_pref(cands, n, 2001, CG_PREF_NONE);
	proctab_free(pt);
	close(fd);
	tree_remove(dir);
}

/*
 * The system scope with a cgroup v2 mount: the refiner (for the candidates
 * the walk takes, not the loader for whole buckets) reads each candidate's
 * /proc/<pid>/cgroup and the marks on its cgroup and the ancestors (the
 * fixture's paths), cached per scan; only root's cgroups count (the system's
 * owner); a table without a mount looks nothing up.
 */
static void test_load_system_prefs(void **state)
{
	char dir[64];
	struct proctab_config cfg = {.proc_root = PROC, .scope_dirfd = -1, .capacity = 64};
	struct candidate *cands;
	struct proctab *pt;
	int n;

	(void)state;
	if (geteuid() != 0)
		skip(); /* the owner rule needs chown */
	tree_make(dir, sizeof(dir));
	tree_put(dir, "user.slice/user-1000.slice/session-2.scope/", "");
	tree_put(dir, "user.slice/user-1000.slice/user@1000.service/app.slice/"
		      "app-org.chromium.Chromium-2001.scope/", "");
	tree_put(dir, "system.slice/postgresql@15-main.service/", "");
	tree_put(dir, "system.slice/systemd-journald.service/", "");
	if (!put_xattr(dir, "user.slice/user-1000.slice/session-2.scope", "user.oomd_omit", "1")) {
		tree_remove(dir);
		skip();
	}
	put_xattr(dir, "user.slice/user-1000.slice/user@1000.service/app.slice", "user.oomd_avoid", "1");
	put_xattr(dir, "system.slice/postgresql@15-main.service", "user.oomd_omit", "1");
	chown_rel(dir, "system.slice/postgresql@15-main.service", 4242);
	cfg.unified = dir;

	assert_int_equal(proctab_new(&cfg, &pt), 0);
	for (int pass = 0; pass < 2; pass++) {
		n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
		assert_true(n > 0);
		for (int i = 0; i < n; i++)
			(void)proctab_load(pt, &cands[i]);
		expect_pref(cands, n, 2600, CG_PREF_NONE); /* loading alone looks nothing up */
		for (int i = 0; i < n; i++)
			(void)proctab_refine(pt, &cands[i]);
		expect_pref(cands, n, 2600, CG_PREF_OMIT);  /* session-2.scope */
		expect_pref(cands, n, 2800, CG_PREF_OMIT);
		expect_pref(cands, n, 2001, CG_PREF_AVOID); /* below app.slice */
		expect_pref(cands, n, 2700, CG_PREF_AVOID);
		expect_pref(cands, n, 3300, CG_PREF_NONE);  /* 4242's cgroup */
		expect_pref(cands, n, 412, CG_PREF_NONE);
		expect_pref(cands, n, 3400, CG_PREF_NONE);  /* the root cgroup */
	}
	proctab_free(pt);

	/* No mount: the same tree, nothing looked up. */
	cfg.unified = NULL;
	assert_int_equal(proctab_new(&cfg, &pt), 0);
	n = proctab_scan(pt, ADJ_MIN + 1, false, &cands);
	for (int i = 0; i < n; i++) {
		(void)proctab_load(pt, &cands[i]);
		(void)proctab_refine(pt, &cands[i]);
	}
	expect_pref(cands, n, 2600, CG_PREF_NONE);
	proctab_free(pt);
	tree_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_scan_system),
		cmocka_unit_test(test_scan_self),
		cmocka_unit_test(test_scan_min_adj),
		cmocka_unit_test(test_scan_capacity),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_scan_cgroup_v1),
		cmocka_unit_test(test_scan_cgroup_v2),
		cmocka_unit_test(test_scan_cgroup_big),
		cmocka_unit_test_setup_teardown(test_scan_deep_cgroups, setup_chain, teardown_chain),
		cmocka_unit_test_setup_teardown(test_scan_depth_grow, setup_chain, teardown_chain),
		cmocka_unit_test_setup_teardown(test_scan_fd_limit, setup_chain, teardown_chain),
		cmocka_unit_test(test_scan_overflow_counts_only_candidates),
		cmocka_unit_test(test_scan_rules),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_keeps_comm),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_scan_then_load),
		cmocka_unit_test(test_unreadable_files),
		cmocka_unit_test(test_scan_cgroup_prefs),
		cmocka_unit_test(test_load_system_prefs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
