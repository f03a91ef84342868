/* SPDX-License-Identifier: MIT */
/*
 * The watchdog thread against real processes: a proc root of the test's own,
 * whose meminfo is the tight fixture's and whose only process is a child of
 * this test (a directory of symlinks into its /proc entry), so the watchdog
 * can see, choose and kill nothing else.  The test plays the stuck loop
 * (watchdog_busy) and the loop's killer (watchdog_set_in_flight).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "parse.h"
#include "reaper.h"
#include "sys.h"
#include "watchdog.h"

#define FREEZER_ROOT "/sys/fs/cgroup/freezer"

static const char *const pid_files[] = {
	"stat", "statm", "status", "oom_score_adj", "cmdline", "comm", "cgroup", "smaps_rollup",
	"task", "environ",
};

static char root[64]; /* the proc root */
static pid_t root_pids[2]; /* the processes in it */
static size_t n_root_pids;
static char freezer_cg[128];
static pid_t child = -1, child2 = -1;

/* Forks a child with @mib MiB of touched anonymous memory and oom_score_adj @adj. */
static pid_t spawn_adj(unsigned mib, const char *adj)
{
	return test_child_spawn(mib, NULL, adj);
}

static pid_t spawn(unsigned mib)
{
	return spawn_adj(mib, "1000");
}

/* The proc root, with the tight fixture's meminfo (16 GiB, 256 MiB available, no swap left). */
static void make_root(void)
{
	char path[256];

	snprintf(root, sizeof(root), "/tmp/reapd-test-watchdog.XXXXXX");
	assert_non_null(mkdtemp(root));
	n_root_pids = 0;
	snprintf(path, sizeof(path), "%s/meminfo", root);
	assert_int_equal(symlink(FIXTURES "/proc-tight/meminfo", path), 0);
}

/* Shows @pid in the proc root: a directory of symlinks into its real entry. */
static void root_add(pid_t pid)
{
	char path[256], target[256];

	snprintf(path, sizeof(path), "%s/%d", root, (int)pid);
	assert_int_equal(mkdir(path, 0755), 0);
	root_pids[n_root_pids++] = pid;
	for (size_t i = 0; i < sizeof(pid_files) / sizeof(pid_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%d/%s", root, (int)pid, pid_files[i]);
		snprintf(target, sizeof(target), "/proc/%d/%s", (int)pid, pid_files[i]);
		assert_int_equal(symlink(target, path), 0);
	}
}

/* Replaces the meminfo with a 1 GiB machine with @avail_mib MiB available, no swap. */
static void root_meminfo(unsigned avail_mib)
{
	char path[256], text[256];
	int fd;

	snprintf(path, sizeof(path), "%s/meminfo", root);
	unlink(path);
	snprintf(text, sizeof(text),
		 "MemTotal: 1048576 kB\nMemFree: %u kB\nMemAvailable: %u kB\n"
		 "Cached: 0 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\nShmem: 0 kB\n",
		 avail_mib * 1024, avail_mib * 1024);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int teardown(void **state)
{
	char path[256];

	(void)state;
	if (freezer_cg[0]) {
		snprintf(path, sizeof(path), "%s/freezer.state", freezer_cg);
		test_write_file(path, "THAWED");
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	if (child2 > 0) {
		kill(child2, SIGKILL);
		waitpid(child2, NULL, 0);
		child2 = -1;
	}
	if (freezer_cg[0]) {
		rmdir(freezer_cg);
		freezer_cg[0] = 0;
	}
	if (root[0]) {
		for (size_t j = 0; j < n_root_pids; j++) {
			for (size_t i = 0; i < sizeof(pid_files) / sizeof(pid_files[0]); i++) {
				snprintf(path, sizeof(path), "%s/%d/%s", root, (int)root_pids[j],
					 pid_files[i]);
				unlink(path);
			}
			snprintf(path, sizeof(path), "%s/%d", root, (int)root_pids[j]);
			rmdir(path);
		}
		n_root_pids = 0;
		snprintf(path, sizeof(path), "%s/meminfo", root);
		unlink(path);
		if (rmdir(root) < 0)
			fprintf(stderr, "could not remove %s\n", root);
		root[0] = 0;
	}
	return 0;
}

static struct watchdog *new_watchdog(const struct cgroup_roots *roots, int min_adj)
{
	struct watchdog_config cfg = {
		.timeout_ms = 50,
		.proc_root = root,
		.self = getpid(),
		.capacity = 64,
		.cg_depth = 4,
		.max_victims = 1,
		.kill_timeout_ms = 3000,
		.reap = true,
		.roots = roots,
	};
	/* The fixture has 256 MiB available of 16 GiB: below 10%. */
	struct decide_params params = {
		.mem_min = {.is_percent = true, .percent_x100 = 1000},
		.swap_min = {.is_percent = true, .percent_x100 = 1000},
		.min_adj = min_adj,
		.psi_some_min_adj = 200,
	};
	struct watchdog *w;

	assert_int_equal(watchdog_new(&cfg, &params, &w), 0);
	return w;
}

/* Waits up to @ms for the watchdog to hand kills to the loop; returns true when it did. */
static bool wait_kills(struct watchdog *w, int ms)
{
	struct pollfd pfd = {.fd = watchdog_fd(w), .events = POLLIN};

	return poll(&pfd, 1, ms) == 1;
}

/* The child's anonymous memory now, as the kill path measures it: 64 MiB and the runtime's own. */
static uint64_t child_anon_kib(void)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int64_t kib;

	assert_true(proc_fd >= 0);
	kib = reaper_anon_kib(proc_fd, child);
	close(proc_fd);
	assert_true(kib >= 64 * 1024 - TEST_RSS_LAG_KIB);
	return (uint64_t)kib;
}

/* The loop stuck until the watchdog kills; returns its one kill in @ret. */
static void stuck_until_kill(struct watchdog *w, struct watchdog_kill *ret)
{
	unsigned long dropped;

	watchdog_busy(w, true);
	assert_true(wait_kills(w, 10000));
	watchdog_busy(w, false);
	assert_int_equal(watchdog_take(w, ret, 1, &dropped), 1);
	assert_int_equal(dropped, 0);
}

static void check_child_killed(void)
{
	int status;

	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	child = -1;
}

/* The stuck loop's next victim is killed, reaped, its reap measured, its event the killer's. */
static void test_kill_measured(void **state)
{
	struct watchdog_kill k;
	struct watchdog *w;
	uint64_t anon;

	(void)state;
	child = spawn(64);
	anon = child_anon_kib();
	make_root();
	root_add(child);
	w = new_watchdog(NULL, 0);
	stuck_until_kill(w, &k);
	assert_int_equal(k.ev.pid, child);
	assert_string_equal(k.ev.comm, k.comm);
	assert_true(k.ev.watchdog);
	assert_true(k.ev.exited);
	assert_true(k.ev.kill_to_exit_usec >= 0);
	assert_int_equal(k.ev.oom_score_adj, 1000);
	assert_string_equal(k.ev.reason, "low_mem");
	assert_int_equal(k.ev.ppid, getpid());
	assert_true(k.ev.time_usec > 0);
	assert_false(k.ev.thawed);
	/*
	 * process_mrelease needs a dying process with its mm: it may also find
	 * it gone.  The reap is measured on the victim: at most what the scan
	 * saw it hold (a sanitizer's shadow may have grown it since @anon).
	 */
	if (k.ev.reaped)
		assert_true(k.ev.reaped_kib > 32 * 1024 &&
			    k.ev.reaped_kib <= (anon > k.ev.anon_kib ? anon : k.ev.anon_kib) + 1024);
	else
		assert_int_equal(k.ev.reap_error, -ESRCH);
	assert_int_equal(watchdog_kills(w), 1);
	watchdog_free(w);
	check_child_killed();
}

/*
 * Memory the loop's victims still hold is on its way back: no kill while it
 * covers the need.  The loop, stuck, cannot see a victim die: the watchdog
 * must, and then kill.  On a 1 GiB machine with 80 MiB available (below 10%),
 * the loop's victim (adj 0, out of the watchdog's reach at --min-adj 500)
 * holds 64 MiB.
 */
static void test_in_flight(void **state)
{
	struct killer_victim_info v;
	struct watchdog_kill k;
	struct watchdog *w;
	unsigned long dropped;
	char buf[512], path[64];
	struct proc_stat st;

	(void)state;
	child = spawn(8);
	child2 = spawn_adj(64, "0");
	make_root();
	root_add(child);
	root_add(child2);
	root_meminfo(80);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)child2);
	assert_true(read_at(AT_FDCWD, path, buf, sizeof(buf)) > 0);
	assert_int_equal(parse_proc_stat(buf, &st), 0);
	w = new_watchdog(NULL, 500);
	v = (struct killer_victim_info){.pid = child2, .start_time = st.start_time,
					 .size_kib = 64 * 1024};
	watchdog_set_in_flight(w, &v, 1);
	watchdog_busy(w, true);
	assert_false(wait_kills(w, 600)); /* it looked (at 50 ms) and again (every 250 ms) */
	assert_int_equal(watchdog_kills(w), 0);
	assert_int_equal(kill(child, 0), 0);
	/* The loop's victim dies, unseen by the stuck loop: what it held is back; not enough. */
	kill(child2, SIGKILL);
	assert_int_equal(waitpid(child2, NULL, 0), child2);
	child2 = -1;
	assert_true(wait_kills(w, 5000));
	watchdog_busy(w, false);
	assert_int_equal(watchdog_take(w, &k, 1, &dropped), 1);
	assert_int_equal(k.ev.pid, child);
	watchdog_free(w);
	check_child_killed();
}

/*
 * A victim in a frozen cgroup (v1 freezer): the watchdog reaps it while it
 * is frozen, measures what that released, and thaws it so it dies.  Needs
 * root and the v1 freezer.
 */
static void test_frozen_victim(void **state)
{
	struct cgroup_roots roots = {.freezer_v1 = (char *)FREEZER_ROOT};
	char path[256], buf[32];
	struct watchdog_kill k;
	struct watchdog *w;
	uint64_t anon;

	(void)state;
	if (geteuid() != 0 || access(FREEZER_ROOT "/cgroup.procs", W_OK) < 0)
		skip();
	child = spawn(64);
	make_root();
	root_add(child);
	snprintf(freezer_cg, sizeof(freezer_cg), FREEZER_ROOT "/reapd-unit-watchdog-%d",
		 (int)getpid());
	assert_int_equal(mkdir(freezer_cg, 0755), 0);
	snprintf(path, sizeof(path), "%s/cgroup.procs", freezer_cg);
	snprintf(buf, sizeof(buf), "%d", (int)child);
	assert_int_equal(test_write_file(path, buf), 0);
	snprintf(path, sizeof(path), "%s/freezer.state", freezer_cg);
	assert_int_equal(test_write_file(path, "FROZEN"), 0);
	for (int i = 0; i < 100; i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n;

		assert_true(fd >= 0);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && strncmp(buf, "FROZEN", 6) == 0)
			break;
		usleep(10000);
	}
	anon = child_anon_kib();
	w = new_watchdog(&roots, 0);
	stuck_until_kill(w, &k);
	assert_int_equal(k.ev.pid, child);
	assert_true(k.ev.watchdog);
	assert_true(k.ev.thawed);
	assert_true(k.ev.exited);
	assert_true(k.ev.reaped);
	/* Frozen, it could not drop its mm itself: the reap released it, measured on it. */
	assert_true(k.ev.reaped_kib >= 60 * 1024 && k.ev.reaped_kib <= anon);
	watchdog_free(w);
	check_child_killed();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_measured, teardown),
		cmocka_unit_test_teardown(test_in_flight, teardown),
		cmocka_unit_test_teardown(test_frozen_victim, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
