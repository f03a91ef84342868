/* SPDX-License-Identifier: MIT */
/* cgroup_thaw_victim against trees built per case in a temp dir: a stand-in
 * /proc/<pid>/cgroup and freezer roots whose freezer.state, cgroup.events and
 * cgroup.freeze say frozen or not.  It moves a frozen victim to the root when
 * it can, else writes THAWED / 0; returns 1 only when the victim was frozen;
 * malformed and hostile cgroup paths never make it write anywhere else. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "tree.h"

#define PID 4242
#define MAX_FILES 8
#define ANY_ERROR 1000 /* want: any -errno (the tree is not touched) */
#define NOT_THAWED 1001 /* want: 0 or any -errno */

struct file {
	const char *path;    /* under the case's temp dir; ends in '/': a directory */
	const char *content;
};

struct thaw_case {
	const char *name;
	const char *proc_cgroup; /* NULL: no /proc/<pid>/cgroup (the process is gone) */
	bool v1, v2;             /* roots present: freezer/ and unified/ */
	struct file files[MAX_FILES];
	int want;
	struct file after[MAX_FILES]; /* contents once it returned */
};

/* Files every case has, checked unchanged unless a case's after says otherwise. */
static const struct file outside[] = {
	{"outside/freezer.state", "FROZEN\n"},
	{"outside/cgroup.events", "populated 1\nfrozen 1\n"},
	{"outside/cgroup.freeze", "1\n"},
	{"outside/cgroup.procs", ""},
	{"freezer.state", "FROZEN\n"},
	{"cgroup.freeze", "1\n"},
	{"cgroup.procs", ""},
};

static char long_path[4200], huge_file[9000];

static const struct thaw_case cases[] = {
	{"v1 frozen, moved to the root", "4:freezer:/app\n0::/\n", true, false,
	 {{"freezer/cgroup.procs", ""}, {"freezer/app/freezer.state", "FROZEN\n"}}, 1,
	 {{"freezer/cgroup.procs", "4242"}, {"freezer/app/freezer.state", "FROZEN\n"}}},
	{"v1 frozen, move refused: the cgroup thawed", "4:freezer:/app/sub\n", true, false,
	 {{"freezer/app/sub/freezer.state", "FROZEN\n"}}, 1,
	 {{"freezer/app/sub/freezer.state", "THAWED\n"}}},
	{"v1 freezing counts as frozen", "11:freezer,cpu:/app\n", true, false,
	 {{"freezer/app/freezer.state", "FREEZING\n"}}, 1,
	 /* THAWED over FREEZING: a regular file keeps the tail cgroupfs would not. */
	 {{"freezer/app/freezer.state", "THAWEDNG\n"}}},
	{"v1 thawed: nothing to do", "4:freezer:/app\n", true, false,
	 {{"freezer/cgroup.procs", ""}, {"freezer/app/freezer.state", "THAWED\n"}}, 0,
	 {{"freezer/cgroup.procs", ""}, {"freezer/app/freezer.state", "THAWED\n"}}},
	{"v1 in the root", "4:freezer:/\n", true, false, {{"freezer/cgroup.procs", ""}}, 0,
	 {{"freezer/cgroup.procs", ""}}},
	{"v1 line absent", "3:cpu:/app\n0::/app\n", true, false,
	 {{"freezer/app/freezer.state", "FROZEN\n"}}, 0,
	 {{"freezer/app/freezer.state", "FROZEN\n"}}},
	{"v1 cgroup gone", "4:freezer:/gone\n", true, false, {{"freezer/cgroup.procs", ""}},
	 -ENOENT, {{"freezer/cgroup.procs", ""}}},
	{"v2 frozen, moved to the root", "0::/app\n", false, true,
	 {{"unified/cgroup.procs", ""},
	  {"unified/app/cgroup.events", "populated 1\nfrozen 1\n"},
	  {"unified/app/cgroup.freeze", "1\n"}},
	 1, {{"unified/cgroup.procs", "4242"}, {"unified/app/cgroup.freeze", "1\n"}}},
	{"v2 frozen, move refused: the cgroup thawed", "0::/a/b\n", false, true,
	 {{"unified/a/b/cgroup.events", "populated 1\nfrozen 1\n"},
	  {"unified/a/b/cgroup.freeze", "1\n"}},
	 1, {{"unified/a/b/cgroup.freeze", "0\n"}}},
	{"v2 freeze still settling", "0::/app\n", false, true,
	 {{"unified/app/cgroup.events", "populated 1\nfrozen 0\n"},
	  {"unified/app/cgroup.freeze", "1\n"}},
	 1, {{"unified/app/cgroup.freeze", "0\n"}}},
	{"v2 not frozen", "0::/app\n", false, true,
	 {{"unified/cgroup.procs", ""},
	  {"unified/app/cgroup.events", "populated 1\nfrozen 0\n"},
	  {"unified/app/cgroup.freeze", "0\n"}},
	 0, {{"unified/cgroup.procs", ""}, {"unified/app/cgroup.freeze", "0\n"}}},
	{"hybrid: v1 frozen, v2 not", "4:freezer:/app\n0::/app\n", true, true,
	 {{"freezer/app/freezer.state", "FROZEN\n"},
	  {"unified/app/cgroup.events", "frozen 0\n"}, {"unified/app/cgroup.freeze", "0\n"}},
	 1, {{"freezer/app/freezer.state", "THAWED\n"}, {"unified/app/cgroup.freeze", "0\n"}}},
	{"no freezer roots at all", "4:freezer:/app\n0::/app\n", false, false, {{NULL, NULL}}, 0,
	 {{NULL, NULL}}},
	{"process gone", NULL, true, true, {{"freezer/app/freezer.state", "FROZEN\n"}}, -ESRCH,
	 {{"freezer/app/freezer.state", "FROZEN\n"}}},

	/* Malformed. */
	{"empty file", "", true, true, {{"freezer/cgroup.procs", ""}}, 0,
	 {{"freezer/cgroup.procs", ""}}},
	{"no colons", "garbage\n", true, true, {{"freezer/app/freezer.state", "FROZEN\n"}}, 0,
	 {{"freezer/app/freezer.state", "FROZEN\n"}}},
	{"relative path", "4:freezer:app\n0::app\n", true, true,
	 {{"freezer/app/freezer.state", "FROZEN\n"}, {"unified/app/cgroup.freeze", "1\n"}}, 0,
	 {{"freezer/app/freezer.state", "FROZEN\n"}, {"unified/app/cgroup.freeze", "1\n"}}},
	{"empty path", "4:freezer:\n0::\n", true, true, {{"freezer/cgroup.procs", ""}}, 0,
	 {{"freezer/cgroup.procs", ""}}},

	/* Hostile: paths the kernel never writes, each aimed at the frozen outside/. */
	{"dot-dot out of the v1 root", "4:freezer:/../outside\n", true, false, {{NULL, NULL}},
	 NOT_THAWED, {{NULL, NULL}}},
	{"dot-dot out of the v2 root", "0::/../outside\n", false, true, {{NULL, NULL}},
	 NOT_THAWED, {{NULL, NULL}}},
	{"dot-dot deep inside", "4:freezer:/app/../../outside\n", true, false,
	 {{"freezer/app/", NULL}}, NOT_THAWED, {{NULL, NULL}}},
	{"dot-dot at the end", "0::/app/..\n", false, true,
	 {{"unified/app/", NULL}, {"unified/cgroup.events", "frozen 1\n"},
	  {"unified/cgroup.freeze", "1\n"}},
	 NOT_THAWED, {{"unified/cgroup.freeze", "1\n"}}},
	{"the root itself as /.", "4:freezer:/.\n", true, false,
	 {{"freezer/freezer.state", "FROZEN\n"}}, NOT_THAWED,
	 {{"freezer/freezer.state", "FROZEN\n"}}},
	/* A cgroup named "x\n0::" (older kernels allow newlines) prints as two lines. */
	{"newline in a cgroup name", "4:freezer:/x\n0::\n0::/app\n", true, true,
	 {{"freezer/x\n0::/freezer.state", "FROZEN\n"},
	  {"unified/app/cgroup.events", "frozen 1\n"}, {"unified/app/cgroup.freeze", "1\n"}},
	 NOT_THAWED, {{"freezer/x\n0::/freezer.state", "FROZEN\n"}}},
	{"path longer than PATH_MAX", long_path, true, true, {{"freezer/cgroup.procs", ""}},
	 NOT_THAWED, {{"freezer/cgroup.procs", ""}}},
	{"cgroup file larger than the buffer", huge_file, true, true,
	 {{"freezer/app/freezer.state", "FROZEN\n"}}, NOT_THAWED,
	 {{"freezer/app/freezer.state", "FROZEN\n"}}},
};

static char tmp[64];

static void put(const char *rel, const char *content)
{
	tree_put(tmp, rel, content);
}

static void assert_content(const char *name, const char *rel, const char *want)
{
	tree_assert(name, tmp, rel, want);
}

static void run_case(const struct thaw_case *c)
{
	char proc[96], v1[96], v2[96], rel[64];
	struct cgroup_roots roots = {0};
	int proc_fd, r;

	tree_make(tmp, sizeof(tmp));
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		put(outside[i].path, outside[i].content);
	put("proc/", NULL);
	put("freezer/", NULL);
	put("unified/", NULL);
	if (c->proc_cgroup) {
		snprintf(rel, sizeof(rel), "proc/%d/cgroup", PID);
		put(rel, c->proc_cgroup);
	}
	for (size_t i = 0; i < MAX_FILES && c->files[i].path; i++)
		put(c->files[i].path, c->files[i].content);

	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	snprintf(v1, sizeof(v1), "%s/freezer", tmp);
	snprintf(v2, sizeof(v2), "%s/unified", tmp);
	roots.freezer_v1 = c->v1 ? v1 : NULL;
	roots.unified = c->v2 ? v2 : NULL;
	proc_fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(proc_fd >= 0);

	r = cgroup_thaw_victim(&roots, proc_fd, PID);
	if (c->want == ANY_ERROR) {
		if (r >= 0)
			fail_msg("%s: returned %d, not an error", c->name, r);
	} else if (c->want == NOT_THAWED) {
		if (r > 0)
			fail_msg("%s: returned %d (thawed)", c->name, r);
	} else if (r != c->want) {
		fail_msg("%s: returned %d, not %d", c->name, r, c->want);
	}
	for (size_t i = 0; i < MAX_FILES && c->after[i].path; i++)
		assert_content(c->name, c->after[i].path, c->after[i].content);
	/* What lies outside the roots (and the files of the temp dir itself) is never written. */
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		assert_content(c->name, outside[i].path, outside[i].content);

	close(proc_fd);
	tree_remove(tmp);
}

static void test_thaw_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thaw_cases),
	};
	size_t n;

	tree_long_cgroup_line(long_path, sizeof(long_path), "4:freezer:");
	/* More than the 4 KiB read: cut short, never half-parsed. */
	n = 0;
	while (n < sizeof(huge_file) - 32)
		n += (size_t)snprintf(huge_file + n, sizeof(huge_file) - n, "9:cpu:/padding\n");
	snprintf(huge_file + n, sizeof(huge_file) - n, "4:freezer:/app\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
