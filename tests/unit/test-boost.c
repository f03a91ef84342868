/* SPDX-License-Identifier: MIT */
/* The boost (src/boost.c): CPU lists and cpu.max parsed, "limited" decided
 * from each limit file (malformed ones included), the walk from a victim's
 * cgroup up to the root on trees built per case in a temp dir (odd names,
 * overlong paths, missing files, hostile paths: nothing written but the
 * root's cgroup.procs), and real children's threads boosted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boost.h"
#include "child.h"
#include "parse.h"
#include "sys.h"
#include "tree.h"

#define PID 4242
#define MAX_FILES 6

/* CPUs 0 and 1: what "reapd may use" in the decisions below. */
static cpu_set_t two_cpus(void)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(0, &s);
	CPU_SET(1, &s);
	return s;
}

static void test_cpu_list(void **state)
{
	static const struct {
		const char *in;
		int want;
		unsigned count;
		int first, last; /* lowest and highest CPU set */
	} cases[] = {
		{"0-3,8\n", 0, 5, 0, 8},  {"0\n", 0, 1, 0, 0},     {"5-5", 0, 1, 5, 5},
		{"", 0, 0, -1, -1},       {"\n", 0, 0, -1, -1},    {"0-1023\n", 0, 1024, 0, 1023},
		{"1,3,5\n", 0, 3, 1, 5},  {"3-1\n", -EINVAL},      {"0-\n", -EINVAL},
		{"-1\n", -EINVAL},        {"a\n", -EINVAL},        {"0,,1\n", -EINVAL},
		{",0\n", -EINVAL},        {"0,\n", -EINVAL},       {"1024\n", -EINVAL},
		{"0\n\n", -EINVAL},       {"0 1\n", -EINVAL},      {"99999999999999999999\n", -EINVAL},
		{"0-18446744073709551615\n", -EINVAL},             {"0:2\n", -EINVAL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cpu_set_t s;
		int first = -1, last = -1;

		CPU_ZERO(&s);
		CPU_SET(7, &s); /* untouched on failure */
		if (parse_cpu_list(cases[i].in, &s) != cases[i].want)
			fail_msg("\"%s\": not %d", cases[i].in, cases[i].want);
		if (cases[i].want < 0) {
			assert_true(CPU_ISSET(7, &s) && CPU_COUNT(&s) == 1);
			continue;
		}
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET((size_t)c, &s)) {
				if (first < 0)
					first = c;
				last = c;
			}
		if ((unsigned)CPU_COUNT(&s) != cases[i].count || first != cases[i].first ||
		    last != cases[i].last)
			fail_msg("\"%s\": %d CPUs, %d to %d", cases[i].in, CPU_COUNT(&s), first, last);
	}
}

static void test_cpu_max(void **state)
{
	static const struct {
		const char *in;
		int want;
		bool limited;
	} cases[] = {
		{"max 100000\n", 0, false}, {"5000 100000\n", 0, true}, {"max 100000", 0, false},
		{"0 100000\n", 0, true},    {"max\n", -EINVAL},         {"5000\n", -EINVAL},
		{"max 0\n", -EINVAL},       {"maxx 100000\n", -EINVAL}, {"5000 100000 7\n", -EINVAL},
		{"", -EINVAL},              {"-1 100000\n", -EINVAL},   {"5000  100000\n", -EINVAL},
		{"max 100000\n\n", -EINVAL}, {"Max 100000\n", -EINVAL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool limited = !cases[i].limited;

		if (parse_cpu_max(cases[i].in, &limited) != cases[i].want)
			fail_msg("\"%s\": not %d", cases[i].in, cases[i].want);
		if (cases[i].want == 0 && limited != cases[i].limited)
			fail_msg("\"%s\": limited %d", cases[i].in, limited);
	}
}

static void test_file_limits(void **state)
{
	static const struct {
		unsigned kind;
		const char *in;
		int want;
	} cases[] = {
		{BOOST_LIMIT_CPU_MAX, "max 100000\n", 0},  {BOOST_LIMIT_CPU_MAX, "5000 100000\n", 1},
		{BOOST_LIMIT_CPU_MAX, "junk\n", -EINVAL},  {BOOST_LIMIT_CPU_IDLE, "0\n", 0},
		{BOOST_LIMIT_CPU_IDLE, "1\n", 1},          {BOOST_LIMIT_CPU_IDLE, "1", 1},
		{BOOST_LIMIT_CPU_IDLE, "2\n", -EINVAL},    {BOOST_LIMIT_CPU_IDLE, "\n", -EINVAL},
		{BOOST_LIMIT_CPU_IDLE, "", -EINVAL},       {BOOST_LIMIT_CPU_IDLE, "1\n1\n", -EINVAL},
		{BOOST_LIMIT_CFS_QUOTA, "-1\n", 0},        {BOOST_LIMIT_CFS_QUOTA, "5000\n", 1},
		{BOOST_LIMIT_CFS_QUOTA, "0\n", -EINVAL},   {BOOST_LIMIT_CFS_QUOTA, "-2\n", -EINVAL},
		{BOOST_LIMIT_CFS_QUOTA, "abc\n", -EINVAL}, {BOOST_LIMIT_CFS_QUOTA, " 5000\n", -EINVAL},
		{BOOST_LIMIT_CFS_QUOTA, "99999999999999999999999999999999999\n", -EINVAL},
		{BOOST_LIMIT_CPUSET, "0-1\n", 0},          {BOOST_LIMIT_CPUSET, "0-3\n", 0},
		{BOOST_LIMIT_CPUSET, "0\n", 1},            {BOOST_LIMIT_CPUSET, "1-7\n", 1},
		{BOOST_LIMIT_CPUSET, "\n", 1},             {BOOST_LIMIT_CPUSET, "x\n", -EINVAL},
		{0, "1\n", -EINVAL},                       {0x10, "1\n", -EINVAL},
	};
	cpu_set_t ours = two_cpus();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (boost_file_limits(cases[i].kind, cases[i].in, &ours) != cases[i].want)
			fail_msg("kind %#x \"%s\": not %d", cases[i].kind, cases[i].in, cases[i].want);
	assert_string_equal(boost_limit_name(BOOST_LIMIT_CPU_MAX), "cpu.max");
	assert_string_equal(boost_limit_name(BOOST_LIMIT_CFS_QUOTA | BOOST_LIMIT_CPUSET),
			    "cpu.cfs_quota_us");
	assert_string_equal(boost_limit_name(BOOST_LIMIT_CPUSET), "cpuset.cpus");
	assert_string_equal(boost_limit_name(0), "");
}

struct file {
	const char *path; /* under the case's temp dir */
	const char *content;
};

struct lift_case {
	const char *name;
	const char *proc_cgroup; /* NULL: no /proc/<pid>/cgroup (the process is gone) */
	struct file files[MAX_FILES];
	unsigned lifted;
	unsigned errors;
	const char *moved[BOOST_HIERARCHIES]; /* each root's cgroup.procs afterwards; NULL: "" */
};

static const char *const roots[BOOST_HIERARCHIES] = {"unified", "cpu", "cpuset"};
static char long_path[4200], huge_file[9000];

static const struct lift_case lift_cases[] = {
	{"v1 quota on the victim's cgroup", "2:cpu,cpuacct:/app/sub\n1:cpuset:/\n",
	 {{"cpu/app/sub/cpu.cfs_quota_us", "5000\n"}, {"cpu/app/cpu.cfs_quota_us", "-1\n"}},
	 BOOST_LIMIT_CFS_QUOTA, 0, {NULL, "4242"}},
	{"v1 quota on an ancestor", "2:cpu,cpuacct:/app/sub\n",
	 {{"cpu/app/sub/cpu.cfs_quota_us", "-1\n"}, {"cpu/app/cpu.cfs_quota_us", "20000\n"}},
	 BOOST_LIMIT_CFS_QUOTA, 0, {NULL, "4242"}},
	{"v1 cpu.idle", "2:cpu:/app\n",
	 {{"cpu/app/cpu.cfs_quota_us", "-1\n"}, {"cpu/app/cpu.idle", "1\n"}},
	 BOOST_LIMIT_CPU_IDLE, 0, {NULL, "4242"}},
	{"no limit anywhere", "2:cpu:/app/sub\n0::/app\n",
	 {{"cpu/app/sub/cpu.cfs_quota_us", "-1\n"}, {"cpu/app/cpu.cfs_quota_us", "-1\n"},
	  {"unified/app/cpu.max", "max 100000\n"}, {"unified/app/cpu.idle", "0\n"},
	  {"unified/app/cpuset.cpus.effective", "0-1\n"}},
	 0, 0, {NULL}},
	{"in the root: nothing to lift", "2:cpu:/\n0::/\n", {{"cpu/cpu.cfs_quota_us", "5000\n"}}, 0,
	 0, {NULL}},
	{"v2 cpu.max on an ancestor", "0::/a/b/c\n",
	 {{"unified/a/cpu.max", "50000 100000\n"}, {"unified/a/b/c/cpu.max", "max 100000\n"}},
	 BOOST_LIMIT_CPU_MAX, 0, {"4242"}},
	{"v2 idle and a narrow cpuset", "0::/app\n",
	 {{"unified/app/cpu.idle", "1\n"}, {"unified/app/cpuset.cpus.effective", "1\n"}},
	 BOOST_LIMIT_CPU_IDLE | BOOST_LIMIT_CPUSET, 0, {"4242"}},
	{"v2 without the cpu controller", "0::/app\n", {{"unified/app/cgroup.procs", ""}}, 0, 0,
	 {NULL}},
	{"v1 cpuset narrower", "3:cpuset:/pin\n", {{"cpuset/pin/cpuset.cpus", "0\n"}},
	 BOOST_LIMIT_CPUSET, 0, {NULL, NULL, "4242"}},
	{"every hierarchy at once", "3:cpuset:/p\n2:cpu:/q\n0::/r\n",
	 {{"cpuset/p/cpuset.cpus", "1\n"}, {"cpu/q/cpu.cfs_quota_us", "1000\n"},
	  {"unified/r/cpu.max", "1000 100000\n"}},
	 BOOST_LIMIT_CPUSET | BOOST_LIMIT_CFS_QUOTA | BOOST_LIMIT_CPU_MAX, 0,
	 {"4242", "4242", "4242"}},
	{"odd names: spaces, colons, brackets", "2:cpu:/my app (1)/x:y z\n",
	 {{"cpu/my app (1)/x:y z/cpu.cfs_quota_us", "5000\n"}}, BOOST_LIMIT_CFS_QUOTA, 0,
	 {NULL, "4242"}},
	{"the cgroup removed meanwhile", "2:cpu:/gone/sub\n", {{"cpu/cgroup.procs", ""}}, 0, 0,
	 {NULL}},
	{"the cgroup removed, its parent limited", "2:cpu:/app/gone\n",
	 {{"cpu/app/cpu.cfs_quota_us", "5000\n"}}, BOOST_LIMIT_CFS_QUOTA, 0, {NULL, "4242"}},
	{"malformed limit files", "2:cpu:/app\n0::/app\n",
	 {{"cpu/app/cpu.cfs_quota_us", "lots\n"}, {"unified/app/cpu.max", "max\n"}}, 0, 2,
	 {NULL}},
	{"the process gone", NULL, {{"cpu/app/cpu.cfs_quota_us", "5000\n"}}, 0, 1, {NULL}},
	{"no colons", "garbage\n", {{"cpu/app/cpu.cfs_quota_us", "5000\n"}}, 0, 3, {NULL}},
	{"relative path", "2:cpu:app\n", {{"cpu/app/cpu.cfs_quota_us", "5000\n"}}, 0, 1, {NULL}},
	/* Hostile: paths the kernel never writes; only the root's cgroup.procs may ever be written. */
	{"dot-dot out of the root", "2:cpu:/../outside\n",
	 {{"outside/cpu.cfs_quota_us", "5000\n"}}, 0, 1, {NULL}},
	{"newline in a cgroup name", "2:cpu:/x\n0::\n0::/app\n",
	 {{"cpu/x\n0::/cpu.cfs_quota_us", "5000\n"}, {"unified/app/cpu.max", "5 100000\n"}},
	 0, 1, {NULL}}, /* the forged "0::" line has no path: an error, nothing written */
	{"path longer than PATH_MAX", long_path, {{"cpu/cgroup.procs", ""}}, 0, 1, {NULL}},
	{"cgroup file larger than the buffer", huge_file, {{"cpu/app/cpu.cfs_quota_us", "5\n"}}, 0,
	 1, {NULL}},
};

static void run_lift_case(const struct lift_case *c)
{
	char tmp[64], p[PATH_MAX];
	cpu_set_t ours = two_cpus();
	struct boost_env e;
	struct boost_result res = {0};
	int proc_fd;

	tree_make(tmp, sizeof(tmp));
	tree_put(tmp, "outside/cgroup.procs", "");
	tree_put(tmp, "proc/", NULL);
	for (int h = 0; h < BOOST_HIERARCHIES; h++) {
		snprintf(p, sizeof(p), "%s/cgroup.procs", roots[h]);
		tree_put(tmp, p, "");
	}
	if (c->proc_cgroup) {
		snprintf(p, sizeof(p), "proc/%d/cgroup", PID);
		tree_put(tmp, p, c->proc_cgroup);
	}
	for (size_t i = 0; i < MAX_FILES && c->files[i].path; i++)
		tree_put(tmp, c->files[i].path, c->files[i].content);

	boost_env_init(&e, &ours);
	for (int h = 0; h < BOOST_HIERARCHIES; h++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, roots[h]);
		e.dir_fd[h] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(e.dir_fd[h] >= 0);
		e.procs_fd[h] = open_at(e.dir_fd[h], "cgroup.procs", O_WRONLY);
		assert_true(e.procs_fd[h] >= 0);
	}
	snprintf(p, sizeof(p), "%s/proc", tmp);
	proc_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(proc_fd >= 0);

	boost_lift_cpu_limits(&e, proc_fd, PID, &res);
	if (res.lifted != c->lifted || res.errors != c->errors || res.threads != 0)
		fail_msg("%s: lifted %#x with %u errors, not %#x with %u", c->name, res.lifted,
			 res.errors, c->lifted, c->errors);
	for (int h = 0; h < BOOST_HIERARCHIES; h++) {
		snprintf(p, sizeof(p), "%s/cgroup.procs", roots[h]);
		tree_assert(c->name, tmp, p, c->moved[h] ? c->moved[h] : "");
	}
	tree_assert(c->name, tmp, "outside/cgroup.procs", "");

	close(proc_fd);
	boost_env_close(&e);
	boost_env_close(&e); /* twice is fine */
	tree_remove(tmp);
}

static void test_lift_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lift_cases) / sizeof(lift_cases[0]); i++)
		run_lift_case(&lift_cases[i]);
}

/* A hierarchy that is absent (no fd) is never looked at. */
static void test_lift_no_hierarchies(void **state)
{
	cpu_set_t ours = two_cpus();
	struct boost_env e;
	struct boost_result res = {0};
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	boost_env_init(&e, &ours);
	boost_lift_cpu_limits(&e, proc_fd, getpid(), &res);
	assert_int_equal(res.lifted, 0);
	assert_int_equal(res.errors, 0);
	close(proc_fd);
}

/* Sets @pid's policy and nice, and pins it to CPU 0. */
static void penalize(pid_t pid, unsigned policy, int nice)
{
	struct sys_sched_attr a = {.sched_policy = policy, .sched_nice = nice};
	cpu_set_t one;

	assert_int_equal(sys_sched_setattr(pid, &a), 0);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	assert_int_equal(sched_setaffinity(pid, sizeof(one), &one), 0);
}

/* The threads of @pid: one, or two where a sanitizer's runtime started its own in the child. */
static unsigned threads_of(pid_t pid)
{
	char path[64];
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	assert_non_null(d = opendir(path));
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Not real-time itself, the caller only lifts penalties: SCHED_IDLE, SCHED_BATCH, nice > 0. */
static void test_threads_penalties(void **state)
{
	static const struct {
		unsigned policy;
		int nice;
	} cases[] = {{SCHED_IDLE, 5}, {SCHED_BATCH, 3}, {SCHED_OTHER, 10}};
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cpu_set_t ours;
	struct boost_env e;

	(void)state;
	if (geteuid() != 0)
		skip(); /* lowering nice needs CAP_SYS_NICE */
	assert_int_equal(sched_getaffinity(0, sizeof(ours), &ours), 0);
	assert_true(sched_getscheduler(0) != SCHED_FIFO && sched_getscheduler(0) != SCHED_RR);
	boost_env_init(&e, &ours);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = test_child_spawn(1, NULL, NULL);
		struct boost_result res = {0};
		struct sys_sched_attr a;
		cpu_set_t now;

		penalize(pid, cases[i].policy, cases[i].nice);
		boost_threads(&e, proc_fd, pid, &res);
		assert_int_equal(sys_sched_getattr(pid, &a), 0);
		assert_int_equal(sched_getaffinity(pid, sizeof(now), &now), 0);
		kill_child(pid);
		assert_int_equal(res.threads, 1);
		assert_int_equal(res.errors, 0);
		assert_int_equal(a.sched_policy, SCHED_OTHER);
		assert_int_equal(a.sched_nice, 0);
		assert_true(CPU_EQUAL(&now, &ours));
	}
	close(proc_fd);
}

/* Nothing to change: not counted as boosted; a gone process is an error, never a crash. */
static void test_threads_nothing_to_do(void **state)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pid_t pid = test_child_spawn(1, NULL, NULL);
	struct boost_result res = {0};
	cpu_set_t ours;
	struct boost_env e;

	(void)state;
	/* A child of a niced runner ("nice meson test") has something to change. */
	if (setpriority(PRIO_PROCESS, (id_t)pid, 0) < 0) {
		kill_child(pid);
		close(proc_fd);
		skip();
	}
	assert_int_equal(sched_getaffinity(pid, sizeof(ours), &ours), 0);
	boost_env_init(&e, &ours);
	boost_threads(&e, proc_fd, pid, &res);
	kill_child(pid); /* before the checks: a failed one must not leave it running */
	assert_int_equal(res.threads, 0);
	assert_int_equal(res.errors, 0);
	boost_threads(&e, proc_fd, pid, &res);
	assert_int_equal(res.threads, 0);
	assert_int_equal(res.errors, 1);
	close(proc_fd);
}

struct rt_boost {
	const struct boost_env *e;
	int proc_fd;
	pid_t pid;
	struct boost_result res;
};

static void *boost_from_thread(void *arg)
{
	struct rt_boost *b = arg;

	boost_threads(b->e, b->proc_fd, b->pid, &b->res);
	return NULL;
}

/* From a real-time thread (as reapd's are), a victim goes to SCHED_FIFO 1. */
static void test_threads_realtime(void **state)
{
	struct sched_param sp = {.sched_priority = 2};
	struct rt_boost b = {.proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
	struct sys_sched_attr a;
	pthread_attr_t attr;
	pthread_t t;
	cpu_set_t ours;
	struct boost_env e;
	unsigned threads;
	int r;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(ours), &ours), 0);
	boost_env_init(&e, &ours);
	b.e = &e;
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	b.pid = test_child_spawn(1, NULL, NULL);
	penalize(b.pid, SCHED_IDLE, 0);
	r = pthread_create(&t, &attr, boost_from_thread, &b);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		kill_child(b.pid);
		close(b.proc_fd);
		skip(); /* no CAP_SYS_NICE, or a cpu cgroup without real-time runtime */
	}
	pthread_join(t, NULL);
	assert_int_equal(sys_sched_getattr(b.pid, &a), 0);
	threads = threads_of(b.pid);
	kill_child(b.pid);
	close(b.proc_fd);
	/* Every thread was SCHED_OTHER or SCHED_IDLE: each one went real-time. */
	assert_int_equal(b.res.threads, threads);
	assert_int_equal(a.sched_policy, SCHED_FIFO);
	assert_int_equal(a.sched_priority, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_list),
		cmocka_unit_test(test_cpu_max),
		cmocka_unit_test(test_file_limits),
		cmocka_unit_test(test_lift_cases),
		cmocka_unit_test(test_lift_no_hierarchies),
		cmocka_unit_test(test_threads_penalties),
		cmocka_unit_test(test_threads_nothing_to_do),
		cmocka_unit_test(test_threads_realtime),
	};
	size_t n;

	tree_long_cgroup_line(long_path, sizeof(long_path), "2:cpu:");
	/* More than the 8 KiB read: never half-parsed. */
	n = (size_t)snprintf(huge_file, sizeof(huge_file), "2:cpu:/app\n");
	while (n < sizeof(huge_file) - 16)
		n += (size_t)snprintf(huge_file + n, sizeof(huge_file) - n, "9:name=x:/pad\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
