/* SPDX-License-Identifier: MIT */
/* procfs: who may change an adj, which processes are inside a cgroup scope
 * (mountinfo and /proc/<pid>/cgroup, hostile ones included), and the whole
 * check against the fake /proc in tests/fixtures/proc-scope. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "sys.h"

static char *mountinfo(void)
{
	static char buf[8192];

	assert_true(read_at(AT_FDCWD, FIXTURES "/proc-scope/self/mountinfo", buf, sizeof(buf)) > 0);
	return buf;
}

static void test_scope_from_mountinfo(void **state)
{
	static const struct {
		const char *dir;
		bool v2;
		int want;
		const char *rel;
	} t[] = {
		{"/sys/fs/cgroup/memory/box/child", false, 0, "/box/child"},
		{"/sys/fs/cgroup/memory/box/", false, 0, "/box"},
		{"/sys/fs/cgroup/memory", false, 0, "/"},
		/* A mount whose name only starts like the memory one, with no memory controller. */
		{"/sys/fs/cgroup/memory-like/x", false, -ENOENT, NULL},
		{"/sys/fs/cgroup/cpu,cpuacct/x", false, -ENOENT, NULL},
		{"/sys/fs/cgroup/unified/a/b", true, 0, "/a/b"},
		{"/sys/fs/cgroup/memory/box", true, -ENOENT, NULL},
		/* A bind mount of a sub-cgroup, at a path with an (escaped) space. */
		{"/srv/my box/sub", false, 0, "/box/sub"},
		{"/srv/my box", false, 0, "/box"},
		{"/srv/my boxer", false, -ENOENT, NULL},
		{"box", false, -EINVAL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct procfs_scope s = {.kind = PROCFS_SCOPE_SYSTEM, .rel = "untouched"};
		int r = procfs_scope_from_mountinfo(mountinfo(), t[i].dir, t[i].v2, &s);

		if (r != t[i].want)
			fail_msg("%s: %d, expected %d", t[i].dir, r, t[i].want);
		if (r == 0) {
			assert_string_equal(s.rel, t[i].rel);
			assert_int_equal(s.kind, t[i].v2 ? PROCFS_SCOPE_V2 : PROCFS_SCOPE_V1);
		} else {
			assert_string_equal(s.rel, "untouched");
		}
	}
}

static void test_cgroup_in_scope(void **state)
{
	static const struct {
		enum procfs_scope_kind kind;
		const char *rel, *text;
		int want;
	} t[] = {
		{PROCFS_SCOPE_V1, "/box", "4:memory:/box\n0::/x\n", 1},
		{PROCFS_SCOPE_V1, "/box", "4:memory:/box/c/d\n", 1},
		{PROCFS_SCOPE_V1, "/box", "4:memory:/boxer\n", 0},
		{PROCFS_SCOPE_V1, "/box", "4:memory:/bo\n", 0},
		{PROCFS_SCOPE_V1, "/box", "4:memory:/\n", 0},
		{PROCFS_SCOPE_V1, "/box", "4:memory:/box", 1}, /* no final newline */
		{PROCFS_SCOPE_V1, "/box", "5:cpu,memory,pids:/box/x:y\n", 1},
		{PROCFS_SCOPE_V1, "/box", "5:memoryless:/box\n", 0},
		{PROCFS_SCOPE_V1, "/box", "1:name=systemd:/box\n0::/box\n", 0}, /* no memory line */
		{PROCFS_SCOPE_V1, "/", "4:memory:/anything\n", 1},
		{PROCFS_SCOPE_V1, "/box", "4:memory:/box/../x\n", 0},
		{PROCFS_SCOPE_V1, "/box", "4:memory:/box/..x\n", 1},
		{PROCFS_SCOPE_V1, "/box", "4:memory:box\n", 0},
		/* A cgroup named "x\n4:memory:/box" elsewhere: two memory lines, not trusted. */
		{PROCFS_SCOPE_V1, "/box", "12:pids:/x\n4:memory:/box\n4:memory:/other\n", -EINVAL},
		{PROCFS_SCOPE_V1, "/box", "junk\n4:memory:/box\n", -EINVAL},
		{PROCFS_SCOPE_V1, "/box", "4:memory:/box\n\n0::/\n", -EINVAL},
		{PROCFS_SCOPE_V1, "/box", "x4:memory:/box\n", -EINVAL},
		{PROCFS_SCOPE_V1, "/box", ":memory:/box\n", -EINVAL},
		{PROCFS_SCOPE_V1, "/box", "", 0},
		{PROCFS_SCOPE_V2, "/box", "4:memory:/x\n0::/box/y\n", 1},
		{PROCFS_SCOPE_V2, "/box", "0::/box2\n", 0},
		{PROCFS_SCOPE_V2, "/box", "0:memory:/box\n", 0},
		{PROCFS_SCOPE_V2, "/box", "0::/box\n0::/other\n", -EINVAL},
		{PROCFS_SCOPE_SYSTEM, "/", "junk", 1},
		{PROCFS_SCOPE_UNKNOWN, "/", "4:memory:/\n0::/\n", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct procfs_scope s = {.kind = t[i].kind};
		int r;

		snprintf(s.rel, sizeof(s.rel), "%s", t[i].rel);
		r = procfs_cgroup_in_scope(&s, t[i].text);
		if (r != t[i].want)
			fail_msg("case %zu (%s in %s): %d, expected %d", i, t[i].text, t[i].rel, r,
				 t[i].want);
	}
}

static void test_adj_change_allowed(void **state)
{
	(void)state;
	assert_int_equal(procfs_adj_change_allowed(0, 1000, 500, -1000), 0);
	assert_int_equal(procfs_adj_change_allowed(0, 0, 0, 1000), 0);
	assert_int_equal(procfs_adj_change_allowed(1000, 1000, 100, 100), 0);
	assert_int_equal(procfs_adj_change_allowed(1000, 1000, 100, 900), 0);
	assert_int_equal(procfs_adj_change_allowed(1000, 1000, 100, 99), -EACCES);
	assert_int_equal(procfs_adj_change_allowed(1000, 1001, 100, 900), -EPERM);
	assert_int_equal(procfs_adj_change_allowed(1000, 0, -1000, 1000), -EPERM);
}

static void test_prio_check(void **state)
{
	static const struct procfs_scope v1 = {.kind = PROCFS_SCOPE_V1, .rel = "/box"};
	static const struct procfs_scope v2 = {.kind = PROCFS_SCOPE_V2, .rel = "/box"};
	static const struct procfs_scope sys = {.kind = PROCFS_SCOPE_SYSTEM, .rel = "/"};
	static const struct procfs_scope unknown = {.kind = PROCFS_SCOPE_UNKNOWN};
	static const struct {
		const struct procfs_scope *s;
		uid_t who;
		pid_t pid;
		int adj, want;
	} t[] = {
		{&v1, 0, 1, 0, -EBUSY},      /* init */
		{&sys, 0, 4242, 0, -EBUSY},  /* reapd itself (self is 4242 here) */
		{&v1, 1000, 100, 500, 0},    /* own process, raised */
		{&v1, 1000, 100, -100, -EACCES},
		{&v1, 2000, 100, 900, -EPERM},
		{&v1, 0, 101, -900, 0},      /* below the scope's cgroup */
		{&v1, 0, 102, 0, -EXDEV},    /* /boxer is not below /box */
		{&v1, 0, 103, 0, -EXDEV},    /* two memory lines */
		{&v1, 0, 104, 0, 0},         /* cpu,memory; colon and space in the name */
		{&v1, 1000, 104, 0, -EPERM}, /* root's */
		{&v1, 0, 105, 0, -EXDEV},    /* junk line */
		{&v1, 0, 106, 0, -EXDEV},    /* ".." */
		{&v1, 0, 107, 0, -EXDEV},    /* the root cgroup */
		{&v1, 0, 9999, 0, -ESRCH},
		{&v1, 0, -5, 0, -ESRCH},
		{&v2, 0, 100, 0, 0},
		{&v2, 0, 102, 0, -EXDEV},
		{&v2, 0, 103, 0, -EXDEV},    /* its 0:: line is elsewhere */
		{&sys, 0, 107, 0, 0},
		{&sys, 0, 103, 0, 0},
		{&unknown, 0, 100, 0, -EXDEV},
	};
	int proc_fd = open(FIXTURES "/proc-scope", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(proc_fd >= 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct procfs_target info;
		int r = procfs_prio_check(proc_fd, t[i].s, 4242, t[i].who, t[i].pid, t[i].adj, &info);

		if (r != t[i].want)
			fail_msg("case %zu (pid %d by uid %u): %d, expected %d", i, (int)t[i].pid,
				 (unsigned)t[i].who, r, t[i].want);
		if (r == 0) {
			assert_true(info.dirfd >= 0);
			close(info.dirfd);
		} else {
			assert_int_equal(info.dirfd, -1);
		}
		if (r == -EPERM || r == -EACCES || r == 0)
			assert_int_equal(info.owner, t[i].pid == 104 ? 0 : 1000);
	}
	/* The current adj is read too. */
	{
		struct procfs_target info;

		assert_int_equal(procfs_prio_check(proc_fd, &v1, 4242, 0, 101, 0, &info), 0);
		assert_int_equal(info.adj, 300);
		close(info.dirfd);
	}
	assert_string_equal(procfs_prio_error(-EXDEV), "not inside reapd's scope");
	close(proc_fd);
}

static void test_scope_open(void **state)
{
	struct procfs_scope s;
	int proc_fd = open(FIXTURES "/proc-scope", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_int_equal(procfs_scope_open(proc_fd, NULL, false, &s), 0);
	assert_int_equal(s.kind, PROCFS_SCOPE_SYSTEM);
	/* A real directory no cgroup mount of the fixture holds: fails closed. */
	assert_int_equal(procfs_scope_open(proc_fd, FIXTURES, false, &s), -ENOENT);
	assert_int_equal(s.kind, PROCFS_SCOPE_UNKNOWN);
	assert_int_equal(procfs_scope_open(proc_fd, FIXTURES "/no-such-dir", false, &s), -ENOENT);
	assert_int_equal(s.kind, PROCFS_SCOPE_UNKNOWN);
	close(proc_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scope_from_mountinfo),
		cmocka_unit_test(test_cgroup_in_scope),
		cmocka_unit_test(test_adj_change_allowed),
		cmocka_unit_test(test_prio_check),
		cmocka_unit_test(test_scope_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
