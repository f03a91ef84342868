/* SPDX-License-Identifier: MIT */
/* The killer with a real loop and a real reaper (0 or 1 worker) against
 * children this test forks itself: each victim ends as one event and one
 * done call, what its death freed is measured through the charged op, a
 * reused pid is never killed, a victim that will not die in time times out
 * (what its reap gave back told once), and one still dying at exit is
 * reported unconfirmed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "killer.h"
#include "loop.h"
#include "proctab.h"
#include "reaper.h"
#include "sys.h"

#define MAX_CHILDREN 16
#define MAX_EVENTS 8

static pid_t children[MAX_CHILDREN];
static int n_children;

/* Forks a child named @name holding @mib MiB of touched anonymous memory; returns once ready. */
static pid_t spawn(const char *name, unsigned mib)
{
	pid_t pid;

	assert_true(n_children < MAX_CHILDREN);
	pid = test_child_spawn(mib, name, NULL);
	children[n_children++] = pid;
	return pid;
}

static bool still_running(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

/* True once @pid, our child, has exited; it stays a zombie for assert_killed(). */
static bool exited_unreaped(pid_t pid)
{
	siginfo_t info = {0};

	return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       info.si_pid == pid;
}

static void assert_killed(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (int i = 0; i < n_children; i++)
		if (children[i] == pid)
			children[i] = 0;
}

/* What the killer told its caller. */
struct ev_copy {
	struct kill_event ev;
	char comm[COMM_LEN];
	char reason[32];
};

static struct {
	struct ev_copy ev[MAX_EVENTS];
	size_t n_events;
	uint64_t done_freed[MAX_EVENTS];
	size_t n_done;
	uint64_t charged_kib;
	int charged_calls;
} rec;

static void on_event(void *ctx, const struct kill_event *ev)
{
	(void)ctx;
	assert_true(rec.n_events < MAX_EVENTS);
	struct ev_copy *c = &rec.ev[rec.n_events++];
	c->ev = *ev;
	snprintf(c->comm, sizeof(c->comm), "%s", ev->comm);
	snprintf(c->reason, sizeof(c->reason), "%s", ev->reason);
}

static void on_done(void *ctx, uint64_t freed_kib)
{
	(void)ctx;
	assert_true(rec.n_done < MAX_EVENTS);
	rec.done_freed[rec.n_done++] = freed_kib;
}

static int on_charged(void *ctx, uint64_t *ret_kib)
{
	(void)ctx;
	rec.charged_calls++;
	*ret_kib = rec.charged_kib;
	return 0;
}

static const struct killer_ops ops = {.event = on_event, .done = on_done, .charged = on_charged};

/* One test's killer and everything it runs on. */
struct rig {
	struct loop *loop;
	struct reaper *reaper;
	struct proctab *pt;
	struct killer *k;
	int proc_fd;
};

static void rig_up(struct rig *g, unsigned threads, size_t capacity, unsigned timeout_ms,
		   int reaper_proc_fd)
{
	struct proctab_config pc = {.proc_root = "/proc", .scope_dirfd = -1, .self = getpid(),
				    .capacity = 16};
	struct killer_config kc = {.kill_timeout_ms = timeout_ms, .reap = true,
				   .capacity = capacity, .scope_name = "test-scope"};

	memset(&rec, 0, sizeof(rec));
	g->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(g->proc_fd >= 0);
	struct reaper_config rc = {.threads = threads, .queue_capacity = 8, .reap = true,
				   .proc_fd = reaper_proc_fd >= 0 ? reaper_proc_fd : g->proc_fd};
	assert_int_equal(loop_new(&g->loop), 0);
	assert_int_equal(reaper_new(&rc, &g->reaper), 0);
	assert_int_equal(proctab_new(&pc, &g->pt), 0);
	assert_int_equal(killer_new(&kc, g->loop, g->reaper, g->pt, &ops, NULL, &g->k), 0);
}

static void rig_down(struct rig *g)
{
	killer_free(g->k);
	reaper_free(g->reaper);
	proctab_free(g->pt);
	loop_free(g->loop);
	close(g->proc_fd);
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < n_children; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
	}
	n_children = 0;
	return 0;
}

/* A candidate as a scan and the policy's loader would leave it. */
static struct candidate cand_of(struct rig *g, pid_t pid, uint64_t size_kib)
{
	struct candidate c = {.pid = pid, .adj = 500, .eff_adj = 500};

	assert_int_equal(proctab_load(g->pt, &c), 0);
	if (size_kib)
		c.size_kib = size_kib;
	return c;
}

/* Waits up to 60 s until the reaper has an idle thread (@idle) or none; returns whether it has. */
static bool wait_idle(struct rig *g, bool idle)
{
	for (int i = 0; i < 60000 && (reaper_idle(g->reaper) > 0) != idle; i++)
		usleep(1000);
	return reaper_idle(g->reaper) > 0;
}

/* Runs the loop until @n done calls came, or 60 s passed (a starved guest is slow). */
static void run_until_done(struct rig *g, size_t n)
{
	uint64_t end = now_usec() + 60000000;

	while (rec.n_done < n && now_usec() < end)
		assert_true(loop_iterate(g->loop, 100) >= 0);
	assert_int_equal(rec.n_done, n);
}

static const struct kill_round round_low_mem = {
	.reason = REASON_LOW_MEM, .target_kib = 12345, .scan_usec = 250, .scanned = 7,
	.charged_kib = 1,
};

static void test_kill_confirmed(void **state)
{
	(void)state;
	/* 0 workers: killed and reaped in the caller's thread; 1: by the pool. */
	for (unsigned threads = 0; threads <= 1; threads++) {
		struct rig g;
		pid_t pid = spawn("victim-one", 8);
		uint32_t idx = 0;

		rig_up(&g, threads, 4, 5000, -1);
		struct candidate c = cand_of(&g, pid, 0);
		assert_string_equal(c.comm, "victim-one");
		assert_true(c.size_kib >= 8 * 1024 - TEST_RSS_LAG_KIB);
		rec.charged_kib = 500000;
		assert_int_equal(killer_kill(g.k, &round_low_mem, &c, &idx, 1), 1);
		/* The base is read again before the signal, not taken from the round. */
		assert_int_equal(rec.charged_calls, 1);
		assert_int_equal(killer_stats(g.k)->kills, 1);
		assert_true(killer_is_victim(g.k, pid, c.start_time));
		assert_false(killer_is_victim(g.k, pid, c.start_time + 1));
		if (rec.n_done == 0) {
			assert_int_equal(killer_pending(g.k), 1);
			assert_int_equal(killer_pending_kib(g.k), c.size_kib);
		}
		/* The domain holds 4 MiB less by the time its death is seen. */
		rec.charged_kib = 500000 - 4096;
		run_until_done(&g, 1);
		assert_int_equal(rec.n_events, 1);
		const struct kill_event *ev = &rec.ev[0].ev;
		assert_int_equal(ev->pid, pid);
		assert_string_equal(rec.ev[0].comm, "victim-one");
		assert_string_equal(rec.ev[0].reason, "low_mem");
		assert_true(ev->exited);
		assert_false(ev->dry_run);
		assert_true(ev->kill_to_exit_usec >= 0);
		assert_int_equal(ev->size_kib, c.size_kib);
		assert_int_equal(ev->target_kib, 12345);
		assert_int_equal(ev->scan_usec, 250);
		assert_int_equal(ev->scanned, 7);
		assert_int_equal(ev->oom_score_adj, 500);
		assert_int_equal(ev->uid, getuid());
		assert_int_equal(ev->freed_kib, 4096);
		assert_int_equal(rec.done_freed[0], 4096);
		assert_int_equal(killer_stats(g.k)->freed_kib, 4096);
		if (ev->reaped)
			assert_int_equal(killer_stats(g.k)->reaped, 1);
		assert_int_equal(killer_pending(g.k), 0);
		assert_int_equal(killer_pending_kib(g.k), 0);
		assert_false(killer_is_victim(g.k, pid, c.start_time));
		assert_killed(pid);
		rig_down(&g);
		/* Nothing was left unconfirmed at free. */
		assert_int_equal(rec.n_events, 1);
	}
}

/*
 * Victims of one round share its drop: none is credited more than it held
 * (its estimate, or what its reap unmapped when that is more), and together
 * they are credited the drop, or all they held when others freed more.
 */
static void test_round_shares_drop(void **state)
{
	static const uint64_t drops[] = {10000, 20000, 0};

	(void)state;
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		struct rig g;
		pid_t a = spawn("victim-a", 1), b = spawn("victim-b", 1);
		uint32_t idx[2] = {0, 1};
		uint64_t held = 0, sum = 0;

		rig_up(&g, 1, 4, 5000, -1);
		struct candidate c[2] = {cand_of(&g, a, 6000), cand_of(&g, b, 6000)};
		rec.charged_kib = 800000;
		assert_int_equal(killer_kill(g.k, &round_low_mem, c, idx, 2), 2);
		assert_int_equal(killer_pending_kib(g.k), 12000);
		rec.charged_kib = 800000 - drops[i];
		run_until_done(&g, 2);
		assert_int_equal(rec.n_events, 2);
		for (int j = 0; j < 2; j++) {
			const struct kill_event *ev = &rec.ev[j].ev;
			uint64_t cap = ev->reaped_kib > 6000 ? ev->reaped_kib : 6000;

			assert_true(ev->freed_kib <= cap);
			assert_int_equal(rec.done_freed[j], ev->freed_kib);
			assert_int_equal(ev->round_seq, rec.ev[0].ev.round_seq);
			held += cap;
			sum += ev->freed_kib;
		}
		assert_int_equal(sum, drops[i] < held ? drops[i] : held);
		assert_int_equal(killer_stats(g.k)->freed_kib, sum);
		assert_killed(a);
		assert_killed(b);
		rig_down(&g);
	}
}

/* Skipped without a signal: a pid whose start time changed (reused), and a process gone. */
static void test_not_the_one_scanned(void **state)
{
	struct rig g;
	pid_t reused = spawn("reused", 1), gone = spawn("gone", 1);
	uint32_t idx[2] = {0, 1};

	(void)state;
	rig_up(&g, 1, 4, 5000, -1);
	struct candidate c[2] = {cand_of(&g, reused, 0), cand_of(&g, gone, 0)};
	/* The scan saw another process under that pid. */
	c[0].start_time += 1;
	kill(gone, SIGKILL);
	assert_killed(gone);
	assert_int_equal(killer_kill(g.k, &round_low_mem, c, idx, 2), 0);
	assert_int_equal(killer_stats(g.k)->skipped_reused, 1);
	assert_int_equal(killer_stats(g.k)->kills, 0);
	assert_int_equal(killer_pending(g.k), 0);
	assert_false(killer_is_victim(g.k, reused, c[0].start_time));
	assert_int_equal(loop_iterate(g.loop, 50), 0);
	assert_int_equal(rec.n_events, 0);
	assert_int_equal(rec.n_done, 0);
	assert_true(still_running(reused));
	rig_down(&g);
	assert_int_equal(rec.n_events, 0);
}

static void test_dry_run(void **state)
{
	struct rig g;
	pid_t pid = spawn("spared", 1);
	uint32_t idx = 0;

	(void)state;
	rig_up(&g, 1, 4, 5000, -1);
	killer_set_config(g.k, 5000, true);
	struct candidate c = cand_of(&g, pid, 0);
	assert_int_equal(killer_kill(g.k, &round_low_mem, &c, &idx, 1), 1);
	assert_int_equal(rec.n_events, 1);
	assert_true(rec.ev[0].ev.dry_run);
	assert_false(rec.ev[0].ev.exited);
	assert_int_equal(rec.ev[0].ev.pid, pid);
	assert_int_equal(rec.charged_calls, 0);
	assert_int_equal(killer_pending(g.k), 0);
	assert_int_equal(killer_stats(g.k)->kills, 0);
	assert_int_equal(loop_iterate(g.loop, 50), 0);
	assert_int_equal(rec.n_done, 0);
	assert_true(still_running(pid));
	rig_down(&g);
}

/* Full: no more victims than it can track; the rest wait for a slot. */
static void test_capacity(void **state)
{
	struct rig g;
	pid_t a = spawn("first", 1), b = spawn("second", 1);
	uint32_t idx[2] = {0, 1};

	(void)state;
	rig_up(&g, 1, 1, 5000, -1);
	struct candidate c[2] = {cand_of(&g, a, 0), cand_of(&g, b, 0)};
	assert_int_equal(killer_kill(g.k, &round_low_mem, c, idx, 2), 1);
	run_until_done(&g, 1);
	assert_killed(a);
	assert_true(still_running(b));
	assert_int_equal(killer_kill(g.k, &round_low_mem, c, &idx[1], 1), 1);
	run_until_done(&g, 2);
	assert_int_equal(rec.ev[1].ev.pid, b);
	assert_killed(b);
	rig_down(&g);
}

/*
 * A stand-in /proc for the reaper whose <pid>/statm is a FIFO: its worker,
 * measuring the victim before the signal, blocks in open() until the test
 * opens the other end.  So the victim lives on past the kill timeout.
 */
struct gate {
	char dir[64], sub[96], fifo[128];
	int proc_fd;
};

static void gate_make(struct gate *gt, pid_t pid)
{
	snprintf(gt->dir, sizeof(gt->dir), "/tmp/reapd-test-killer-XXXXXX");
	assert_non_null(mkdtemp(gt->dir));
	snprintf(gt->sub, sizeof(gt->sub), "%s/%d", gt->dir, (int)pid);
	assert_int_equal(mkdir(gt->sub, 0700), 0);
	snprintf(gt->fifo, sizeof(gt->fifo), "%s/statm", gt->sub);
	assert_int_equal(mkfifo(gt->fifo, 0600), 0);
	gt->proc_fd = open(gt->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(gt->proc_fd >= 0);
}

/* Lets the worker go; its later reads of statm find nothing (not measured). */
static void gate_open(struct gate *gt)
{
	int fd = open(gt->fifo, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(unlink(gt->fifo), 0);
	close(fd);
}

static void gate_remove(struct gate *gt)
{
	unlink(gt->fifo);
	rmdir(gt->sub);
	rmdir(gt->dir);
	close(gt->proc_fd);
}

/*
 * A victim already dead whose reap result is not in yet is still on its way
 * back: its memory becomes the round's credit only once the result is in, and
 * a round in between must not see it as gone (the lab's swap part killed a
 * second process in that window).  The one worker is held on another victim
 * (its statm read blocks), so the loop signals the second itself and its
 * reap waits.
 */
static void test_pending_until_result(void **state)
{
	struct rig g;
	struct gate gt;
	pid_t held = spawn("held", 1), second = spawn("second", 8);
	uint32_t idx = 0;

	(void)state;
	gate_make(&gt, held);
	rig_up(&g, 1, 4, 5000, gt.proc_fd);
	struct candidate a = cand_of(&g, held, 2048), b = cand_of(&g, second, 4096);
	wait_idle(&g, true);
	assert_int_equal(killer_kill(g.k, &round_low_mem, &a, &idx, 1), 1);
	assert_false(wait_idle(&g, false));
	assert_int_equal(killer_kill(g.k, &round_low_mem, &b, &idx, 1), 1);
	/* The second dies and its pidfd is seen; its reap result cannot come yet. */
	for (int i = 0; i < 6000 && !exited_unreaped(second); i++)
		assert_true(loop_iterate(g.loop, 10) >= 0);
	assert_true(exited_unreaped(second));
	for (int i = 0; i < 10; i++)
		assert_true(loop_iterate(g.loop, 10) >= 0);
	assert_int_equal(rec.n_done, 0);
	assert_int_equal(killer_pending(g.k), 2);
	assert_int_equal(killer_pending_kib(g.k), 2048 + 4096);
	gate_open(&gt);
	run_until_done(&g, 2);
	assert_int_equal(killer_pending(g.k), 0);
	assert_int_equal(killer_pending_kib(g.k), 0);
	rig_down(&g);
	gate_remove(&gt);
	assert_killed(held);
	assert_killed(second);
}

static void test_timeout_then_death(void **state)
{
	struct rig g;
	struct gate gt;
	pid_t pid = spawn("slow-death", 1);
	uint32_t idx = 0;

	(void)state;
	gate_make(&gt, pid);
	rig_up(&g, 1, 4, 50, gt.proc_fd);
	struct candidate c = cand_of(&g, pid, 2048);
	wait_idle(&g, true);
	uint64_t submitted = now_usec();
	assert_int_equal(killer_kill(g.k, &round_low_mem, &c, &idx, 1), 1);
	/*
	 * Its worker held before the signal: the wait runs on, up to 5 s
	 * from the submission (more than five timeouts of 50 ms), for a
	 * signal that may still go out; then, still alive: timed out, done
	 * with nothing freed, no event yet.
	 */
	uint64_t end = submitted + 60000000;
	while (rec.n_done < 1 && now_usec() < end)
		assert_true(loop_iterate(g.loop, 100) >= 0);
	assert_int_equal(rec.n_done, 1);
	assert_true(now_usec() - submitted >= 5000000);
	assert_int_equal(rec.done_freed[0], 0);
	assert_int_equal(killer_stats(g.k)->timeouts, 1);
	assert_int_equal(rec.n_events, 0);
	assert_true(still_running(pid));
	/* No longer pending, yet never chosen again while its slot is held. */
	assert_int_equal(killer_pending(g.k), 0);
	assert_int_equal(killer_pending_kib(g.k), 0);
	assert_true(killer_is_victim(g.k, pid, c.start_time));
	/* It dies after all: its story is completed. */
	gate_open(&gt);
	run_until_done(&g, 2);
	assert_int_equal(rec.n_events, 1);
	assert_true(rec.ev[0].ev.exited);
	assert_int_equal(rec.ev[0].ev.pid, pid);
	assert_false(killer_is_victim(g.k, pid, c.start_time));
	assert_killed(pid);
	rig_down(&g);
	gate_remove(&gt);
}

/*
 * A v1 freezer cgroup of this test's own: a victim frozen there takes its
 * SIGKILL and its reap (process_mrelease works on a task whose group is
 * exiting) but cannot exit until the test thaws it, since this rig's reaper
 * has no freezer to thaw from: a victim whose memory came back while it
 * stays alive past the kill timeout.
 */
#define FREEZER_ROOT "/sys/fs/cgroup/freezer"
static char freezer_dir[128];

static int freezer_set(const char *state)
{
	char path[192], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "%s/freezer.state", freezer_dir);
	if (test_write_file(path, state) < 0)
		return -1;
	for (int i = 0; i < 5000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && strncmp(buf, state, strlen(state)) == 0)
			return 0;
		usleep(1000);
	}
	return -1;
}

static int freezer_teardown(void **state)
{
	if (freezer_dir[0]) {
		freezer_set("THAWED");
		teardown(state);
		rmdir(freezer_dir);
		freezer_dir[0] = '\0';
		return 0;
	}
	return teardown(state);
}

static uint64_t done_sum(void)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < rec.n_done; i++)
		sum += rec.done_freed[i];
	return sum;
}

/*
 * A victim reaped but still alive past --kill-timeout: what its reap gave
 * back is told with the timeout (or when the reap result comes after it),
 * so the next round counts it while MemAvailable has not caught up (the
 * lab's zram phase killed an adj 0 bystander after a reaped leak took 4 s to
 * exit); its death later tells only what the reap did not, nothing twice.
 */
static void test_timeout_reaped_told_once(void **state)
{
	struct kill_round round = round_low_mem;
	struct rig g;
	char procs[192], num[16];
	uint32_t idx = 0;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || access(FREEZER_ROOT "/cgroup.procs", W_OK) != 0)
		skip();
	snprintf(freezer_dir, sizeof(freezer_dir), FREEZER_ROOT "/reapd-test-killer-%d",
		 (int)getpid());
	assert_int_equal(mkdir(freezer_dir, 0755), 0);
	pid = spawn("stuck-dying", 16);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", freezer_dir);
	snprintf(num, sizeof(num), "%d", (int)pid);
	assert_int_equal(test_write_file(procs, num), 0);
	assert_int_equal(freezer_set("FROZEN"), 0);

	rig_up(&g, 1, 4, 100, -1);
	struct candidate c = cand_of(&g, pid, 0);
	round.charged_kib = 1 << 20;
	rec.charged_kib = round.charged_kib;
	wait_idle(&g, true);
	assert_int_equal(killer_kill(g.k, &round, &c, &idx, 1), 1);
	run_until_done(&g, 1);
	/* The timeout; the reap's result may come with it or after it. */
	for (int i = 0; i < 6000 && done_sum() == 0; i++)
		assert_true(loop_iterate(g.loop, 10) >= 0);
	assert_int_equal(killer_stats(g.k)->timeouts, 1);
	assert_true(done_sum() >= 15 * 1024);
	assert_int_equal(rec.n_events, 0);
	assert_true(still_running(pid));
	assert_int_equal(killer_pending(g.k), 0);
	/* More loop passes tell nothing more while it stays frozen. */
	size_t told_calls = rec.n_done;
	uint64_t told = done_sum();
	for (int i = 0; i < 10; i++)
		assert_true(loop_iterate(g.loop, 10) >= 0);
	assert_int_equal(rec.n_done, told_calls);

	/* Thawed, it dies: the drop then measured is 20 MiB, told less what the reap told. */
	rec.charged_kib = round.charged_kib - 20 * 1024;
	assert_int_equal(freezer_set("THAWED"), 0);
	run_until_done(&g, told_calls + 1);
	assert_int_equal(rec.n_events, 1);
	assert_true(rec.ev[0].ev.exited);
	assert_true(rec.ev[0].ev.reaped);
	assert_int_equal(told, rec.ev[0].ev.reaped_kib);
	uint64_t freed = rec.ev[0].ev.freed_kib;
	assert_int_equal(rec.done_freed[told_calls], freed > told ? freed - told : 0);
	assert_int_equal(done_sum(), freed > told ? freed : told);
	assert_killed(pid);
	rig_down(&g);
}

static void test_free_reports_unconfirmed(void **state)
{
	struct rig g;
	struct gate gt;
	pid_t pid = spawn("at-exit", 1);
	uint32_t idx = 0;

	(void)state;
	gate_make(&gt, pid);
	rig_up(&g, 1, 4, 5000, gt.proc_fd);
	struct candidate c = cand_of(&g, pid, 0);
	wait_idle(&g, true);
	assert_int_equal(killer_kill(g.k, &round_low_mem, &c, &idx, 1), 1);
	assert_int_equal(loop_iterate(g.loop, 20), 0);
	assert_int_equal(rec.n_events, 0);
	/* Exiting with the victim not seen dead: recorded anyway, as not exited. */
	killer_free(g.k);
	assert_int_equal(rec.n_events, 1);
	assert_int_equal(rec.ev[0].ev.pid, pid);
	assert_false(rec.ev[0].ev.exited);
	assert_false(rec.ev[0].ev.dry_run);
	assert_int_equal(rec.n_done, 0);
	gate_open(&gt);
	reaper_free(g.reaper);
	assert_killed(pid);
	proctab_free(g.pt);
	loop_free(g.loop);
	close(g.proc_fd);
	gate_remove(&gt);
}

static void test_bad_config(void **state)
{
	struct loop *l;
	struct killer *k;
	struct killer_config kc = {.kill_timeout_ms = 100, .capacity = 0};

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(killer_new(&kc, l, NULL, NULL, &ops, NULL, &k), -EINVAL);
	kc.capacity = 4097;
	assert_int_equal(killer_new(&kc, l, NULL, NULL, &ops, NULL, &k), -EINVAL);
	kc.capacity = 4096;
	assert_int_equal(killer_new(&kc, l, NULL, NULL, &ops, NULL, &k), 0);
	killer_free(k);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_confirmed, teardown),
		cmocka_unit_test_teardown(test_round_shares_drop, teardown),
		cmocka_unit_test_teardown(test_not_the_one_scanned, teardown),
		cmocka_unit_test_teardown(test_dry_run, teardown),
		cmocka_unit_test_teardown(test_capacity, teardown),
		cmocka_unit_test_teardown(test_pending_until_result, teardown),
		cmocka_unit_test_teardown(test_timeout_then_death, teardown),
		cmocka_unit_test_teardown(test_timeout_reaped_told_once, freezer_teardown),
		cmocka_unit_test_teardown(test_free_reports_unconfirmed, teardown),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
