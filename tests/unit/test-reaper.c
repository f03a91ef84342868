/* SPDX-License-Identifier: MIT */
/* The reaper pool against real processes: children this test forks itself,
 * killed through pidfds, their memory released, every outcome reported. */
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
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reaper.h"
#include "sys.h"

#define MAX_CHILDREN 8

static pid_t children[MAX_CHILDREN];
static int n_children;

/* Forks a child holding @mib MiB of touched anonymous memory; returns once it is ready. */
static pid_t spawn(unsigned mib)
{
	pid_t pid = test_child_spawn(mib, NULL, NULL);

	children[n_children++] = pid;
	return pid;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < n_children; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	n_children = 0;
	return 0;
}

static struct reaper *new_reaper(unsigned threads, bool reap, int proc_fd)
{
	struct reaper_config cfg = {.threads = threads, .queue_capacity = 16, .reap = reap,
				    .proc_fd = proc_fd};
	struct reaper *r;

	assert_int_equal(reaper_new(&cfg, &r), 0);
	return r;
}

/* Waits up to 5 s for a result. */
static void next_result(struct reaper *r, struct reaper_result *res)
{
	struct pollfd pfd = {.fd = reaper_fd(r), .events = POLLIN};

	for (int i = 0; i < 50; i++) {
		if (reaper_read_result(r, res) == 0)
			return;
		poll(&pfd, 1, 100);
	}
	fail_msg("no reaper result within 5 s");
}

static struct reaper_request request(pid_t pid, uint32_t id, uint64_t anon_kib)
{
	int fd = sys_pidfd_open(pid);

	assert_true(fd >= 0);
	return (struct reaper_request){.pidfd = fd, .pid = pid, .id = id, .anon_kib = anon_kib};
}

static void test_kill_and_reap(void **state)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY);
	struct reaper *r = new_reaper(2, true, proc_fd);
	struct reaper_result res;
	pid_t pid = spawn(64);
	int status;

	(void)state;
	/* Wait until a worker is idle so the kill goes through the pool. */
	for (int i = 0; i < 60000 && reaper_idle(r) == 0; i++)
		usleep(1000);
	struct reaper_request req = request(pid, 7, 64 * 1024);
	assert_int_equal(reaper_submit(r, &req), 0);
	next_result(r, &res);
	assert_int_equal(res.id, 7);
	assert_int_equal(res.pid, pid);
	assert_int_equal(res.signal_error, 0);
	assert_false(res.signalled_by_caller);
	assert_true(res.signal_usec > 0);
	/* process_mrelease needs a dying process with its mm: it may also find it gone. */
	if (res.reaped)
		assert_true(res.reaped_kib > 32 * 1024);
	else
		assert_int_equal(res.reap_error, -ESRCH);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	n_children = 0;
	reaper_free(r);
	close(proc_fd);
}

/*
 * A stand-in for /proc whose <pid>/statm is a FIFO: a worker measuring that
 * victim before its signal blocks in open() until the test opens the other
 * end, so "every worker is busy" holds for as long as the test wants.
 */
struct gate {
	char dir[64], sub[96], fifo[128], file[128];
	int proc_fd;
};

static void gate_make(struct gate *g, pid_t pid)
{
	snprintf(g->dir, sizeof(g->dir), "/tmp/reapd-test-reaper-XXXXXX");
	assert_non_null(mkdtemp(g->dir));
	snprintf(g->sub, sizeof(g->sub), "%s/%d", g->dir, (int)pid);
	assert_int_equal(mkdir(g->sub, 0700), 0);
	snprintf(g->fifo, sizeof(g->fifo), "%s/statm", g->sub);
	snprintf(g->file, sizeof(g->file), "%s/statm.file", g->sub);
	assert_int_equal(mkfifo(g->fifo, 0600), 0);
	g->proc_fd = open(g->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(g->proc_fd >= 0);
}

/*
 * Lets the blocked worker go.  A regular file holding @statm is renamed over
 * the FIFO first, so its later reads find that (pread on the FIFO itself
 * fails with ESPIPE: the measurement before the signal is then skipped).
 */
static void gate_open(struct gate *g, const char *statm)
{
	int fd = open(g->fifo, O_WRONLY | O_CLOEXEC); /* returns once the worker is in open() */
	int ffd = open(g->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_true(ffd >= 0);
	assert_int_equal(write(ffd, statm, strlen(statm)), (ssize_t)strlen(statm));
	close(ffd);
	assert_int_equal(rename(g->file, g->fifo), 0);
	close(fd);
}

static void gate_remove(struct gate *g)
{
	unlink(g->fifo);
	unlink(g->file);
	rmdir(g->sub);
	rmdir(g->dir);
	close(g->proc_fd);
}

static bool still_running(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static void wait_idle(struct reaper *r, unsigned want)
{
	for (int i = 0; i < 5000 && reaper_idle(r) != want; i++)
		usleep(1000);
	assert_int_equal(reaper_idle(r), want);
}

static struct reaper *new_gated_reaper(size_t queue_capacity, int proc_fd)
{
	struct reaper_config cfg = {.threads = 1, .queue_capacity = queue_capacity, .reap = true,
				    .proc_fd = proc_fd};
	struct reaper *r;

	assert_int_equal(reaper_new(&cfg, &r), 0);
	return r;
}

static void test_all_busy_still_kills_at_once(void **state)
{
	pid_t busy = spawn(8), next = spawn(8);
	struct gate g;
	struct reaper *r;
	struct reaper_result res;
	int status;

	(void)state;
	gate_make(&g, busy);
	r = new_gated_reaper(16, g.proc_fd);
	wait_idle(r, 1);
	struct reaper_request req = request(busy, 1, 8 * 1024);
	assert_int_equal(reaper_submit(r, &req), 0);
	/* The one worker took it (idle drops as it takes the job) and is held in the gate. */
	wait_idle(r, 0);

	req = request(next, 2, 8 * 1024);
	assert_int_equal(reaper_submit(r, &req), 1);
	/* The caller's thread sent it: dead already, while the worker's victim still runs. */
	assert_int_equal(waitpid(next, &status, 0), next);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(still_running(busy));
	assert_int_equal(reaper_read_result(r, &res), -EAGAIN);

	gate_open(&g, "2000 1000 10 1 0 900 0\n");
	for (int i = 0; i < 2; i++) {
		next_result(r, &res);
		assert_int_equal(res.signal_error, 0);
		if (res.id == 1) {
			assert_int_equal(res.pid, busy);
			assert_false(res.signalled_by_caller);
		} else {
			assert_int_equal(res.id, 2);
			assert_int_equal(res.pid, next);
			assert_true(res.signalled_by_caller);
			assert_true(res.signal_usec > 0);
		}
	}
	assert_int_equal(waitpid(busy, &status, 0), busy);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	n_children = 0;
	reaper_free(r);
	gate_remove(&g);
}

/* All busy and no room to queue even the reap: the kill is still sent, reported unreaped. */
static void test_all_busy_queue_full(void **state)
{
	pid_t busy = spawn(1), queued = spawn(1), unqueued = spawn(1);
	struct gate g;
	struct reaper *r;
	struct reaper_result res;

	(void)state;
	gate_make(&g, busy);
	r = new_gated_reaper(1, g.proc_fd);
	wait_idle(r, 1);
	struct reaper_request req = request(busy, 1, 1024);
	assert_int_equal(reaper_submit(r, &req), 0);
	wait_idle(r, 0);
	req = request(queued, 2, 1024);
	assert_int_equal(reaper_submit(r, &req), 1); /* takes the one queue slot */
	req = request(unqueued, 3, 1024);
	assert_int_equal(reaper_submit(r, &req), 1);
	assert_int_equal(waitpid(unqueued, NULL, 0), unqueued);
	assert_int_equal(waitpid(queued, NULL, 0), queued);
	assert_true(still_running(busy));
	/* Its result came back at once, from the caller's thread. */
	assert_int_equal(reaper_read_result(r, &res), 0);
	assert_int_equal(res.id, 3);
	assert_int_equal(res.pid, unqueued);
	assert_true(res.signalled_by_caller);
	assert_int_equal(res.signal_error, 0);
	assert_false(res.reaped);
	assert_int_equal(res.reap_error, -ENOSPC);

	gate_open(&g, "2 1 0 0 0 0 0\n");
	bool seen[3] = {false};
	for (int i = 0; i < 2; i++) {
		next_result(r, &res);
		assert_true(res.id == 1 || res.id == 2);
		assert_false(seen[res.id]);
		seen[res.id] = true;
		assert_int_equal(res.signalled_by_caller, res.id == 2);
	}
	assert_int_equal(waitpid(busy, NULL, 0), busy);
	n_children = 0;
	reaper_free(r);
	gate_remove(&g);
}

static void test_no_reap(void **state)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY);
	struct reaper *r = new_reaper(1, false, proc_fd);
	struct reaper_result res;
	pid_t pid = spawn(8);

	(void)state;
	struct reaper_request req = request(pid, 1, 8 * 1024);
	assert_true(reaper_submit(r, &req) >= 0);
	next_result(r, &res);
	assert_int_equal(res.signal_error, 0);
	assert_false(res.reaped);
	assert_int_equal(res.reap_error, 0);
	assert_int_equal(res.reap_usec, 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	n_children = 0;
	reaper_free(r);
	close(proc_fd);
}

static void test_dead_process(void **state)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY);
	struct reaper *r = new_reaper(1, true, proc_fd);
	struct reaper_result res;
	pid_t pid = spawn(1);
	struct reaper_request req = request(pid, 3, 1024);

	(void)state;
	/* Reaped by us before the kill: the pidfd stays valid, the signal fails with ESRCH. */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	n_children = 0;
	int s = reaper_submit(r, &req);
	if (s == 0) {
		next_result(r, &res);
		assert_int_equal(res.signal_error, -ESRCH);
		assert_false(res.reaped);
	} else {
		assert_int_equal(s, -ESRCH);
	}
	reaper_free(r);
	close(proc_fd);
}

/* Waits up to 5 s for @pidfd to say its process is dead; returns true when it did. */
static bool pidfd_dead(int pidfd)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	return poll(&pfd, 1, 5000) == 1;
}

static void test_kill_sync(void **state)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY);
	struct reaper_config cfg = {.reap = true, .proc_fd = proc_fd};
	struct reaper_result res;
	pid_t pid = spawn(64);
	struct reaper_request req = request(pid, 9, 64 * 1024);
	int64_t anon = reaper_anon_kib(proc_fd, pid); /* 64 MiB and a sanitizer's own */
	int status;

	(void)state;
	assert_true(anon >= 64 * 1024 - TEST_RSS_LAG_KIB);
	assert_int_equal(reaper_kill_sync(&cfg, &req, &res), 0);
	assert_int_equal(res.id, 9);
	assert_int_equal(res.pid, pid);
	assert_int_equal(res.signal_error, 0);
	assert_false(res.signalled_by_caller);
	assert_false(res.thawed);
	if (res.reaped)
		assert_true(res.reaped_kib > 32 * 1024 && res.reaped_kib <= (uint64_t)anon);
	else
		assert_int_equal(res.reap_error, -ESRCH);
	/* The pidfd is still the caller's, to wait on. */
	assert_true(pidfd_dead(req.pidfd));
	assert_int_equal(close(req.pidfd), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	n_children = 0;
	close(proc_fd);
}

static void test_kill_sync_dead(void **state)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY);
	struct reaper_config cfg = {.reap = true, .proc_fd = proc_fd};
	struct reaper_result res;
	pid_t pid = spawn(1);
	struct reaper_request req = request(pid, 4, 1024);

	(void)state;
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	n_children = 0;
	/* The signal fails: nothing else is tried. */
	assert_int_equal(reaper_kill_sync(&cfg, &req, &res), -ESRCH);
	assert_int_equal(res.signal_error, -ESRCH);
	assert_false(res.reaped);
	assert_int_equal(res.reap_error, 0);
	assert_false(res.thawed);
	close(req.pidfd);
	close(proc_fd);
}

#define FREEZER_ROOT "/sys/fs/cgroup/freezer"

static char freezer_cg[128];

static int write_file(const char *dir, const char *file, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return test_write_file(path, value);
}

/* Thaws before the kill, as a frozen child could not die: then the usual teardown. */
static int teardown_frozen(void **state)
{
	if (freezer_cg[0])
		write_file(freezer_cg, "freezer.state", "THAWED");
	teardown(state);
	if (freezer_cg[0])
		rmdir(freezer_cg);
	freezer_cg[0] = 0;
	return 0;
}

/*
 * The kill path of the watchdog: a victim in a frozen (v1 freezer) cgroup is
 * reaped while frozen, with what the reap released measured on it, and
 * thawed so it dies.  Needs root and the v1 freezer.
 */
static void test_kill_sync_frozen(void **state)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY);
	struct cgroup_roots roots = {.freezer_v1 = (char *)FREEZER_ROOT};
	struct reaper_config cfg = {.reap = true, .proc_fd = proc_fd, .roots = &roots};
	struct reaper_result res;
	char buf[64], path[256];
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0 || access(FREEZER_ROOT "/cgroup.procs", W_OK) < 0)
		skip();
	snprintf(freezer_cg, sizeof(freezer_cg), FREEZER_ROOT "/reapd-unit-reaper-%d",
		 (int)getpid());
	assert_int_equal(mkdir(freezer_cg, 0755), 0);
	pid = spawn(64);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	assert_int_equal(write_file(freezer_cg, "cgroup.procs", buf), 0);
	assert_int_equal(write_file(freezer_cg, "freezer.state", "FROZEN"), 0);
	for (int i = 0; i < 100; i++) {
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/freezer.state", freezer_cg);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && strncmp(buf, "FROZEN", 6) == 0)
			break;
		usleep(10000);
	}
	struct reaper_request req = request(pid, 5, 64 * 1024);
	int64_t anon = reaper_anon_kib(proc_fd, pid); /* 64 MiB and a sanitizer's own */
	assert_true(anon >= 64 * 1024 - TEST_RSS_LAG_KIB);
	assert_int_equal(reaper_kill_sync(&cfg, &req, &res), 0);
	assert_int_equal(res.signal_error, 0);
	/* Frozen, it could not run to drop its mm: the reap released it, measured. */
	assert_true(res.reaped);
	assert_true(res.reaped_kib >= 60 * 1024 && res.reaped_kib <= (uint64_t)anon);
	assert_true(res.thawed);
	assert_true(pidfd_dead(req.pidfd));
	close(req.pidfd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	n_children = 0;
	close(proc_fd);
}

/*
 * The boost on the worker's path, after the signal and the reap: a victim set
 * to SCHED_IDLE is boosted (its leader, still unreaped by this test, is there
 * to boost even if it has exited), and not once reaper_set_boost() (a reload
 * of --no-boost) turned boosting off.
 */
static void test_boost_and_reload(void **state)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct reaper_config cfg = {.threads = 1, .queue_capacity = 4, .reap = true,
				    .boost = true, .proc_fd = proc_fd};
	struct boost_env env;
	struct reaper *r;
	cpu_set_t cpus;

	(void)state;
	if (geteuid() != 0)
		skip(); /* out of SCHED_IDLE again needs CAP_SYS_NICE */
	assert_int_equal(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
	boost_env_init(&env, &cpus);
	cfg.boost_env = &env;
	assert_int_equal(reaper_new(&cfg, &r), 0);
	for (uint32_t round = 0; round < 2; round++) {
		struct sys_sched_attr idle = {.sched_policy = SCHED_IDLE};
		struct reaper_result res;
		pid_t pid = spawn(8);

		assert_int_equal(sys_sched_setattr(pid, &idle), 0);
		if (round == 1)
			reaper_set_boost(r, false);
		wait_idle(r, 1);
		struct reaper_request req = request(pid, round, 8 * 1024);
		assert_int_equal(reaper_submit(r, &req), 0);
		next_result(r, &res);
		assert_int_equal(res.signal_error, 0);
		assert_int_equal(res.boosted, round == 0);
		assert_int_equal(res.boost_threads, round == 0 ? 1 : 0);
		assert_false(res.cpu_moved);
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		n_children = 0;
	}
	reaper_free(r);
	close(proc_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_and_reap, teardown),
		cmocka_unit_test_teardown(test_all_busy_still_kills_at_once, teardown),
		cmocka_unit_test_teardown(test_all_busy_queue_full, teardown),
		cmocka_unit_test_teardown(test_no_reap, teardown),
		cmocka_unit_test_teardown(test_dead_process, teardown),
		cmocka_unit_test_teardown(test_kill_sync, teardown),
		cmocka_unit_test_teardown(test_kill_sync_dead, teardown),
		cmocka_unit_test_teardown(test_kill_sync_frozen, teardown_frozen),
		cmocka_unit_test_teardown(test_boost_and_reload, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
