/* SPDX-License-Identifier: MIT */
/*
 * PID reuse between the scan and the kill, forced for real: in a new PID
 * namespace (with its own /proc), a process is scanned and loaded as reapd's
 * scanner does, then killed and reaped behind reapd's back; ns_last_pid is set
 * so that the next process created gets the very same pid; then reapd's kill
 * path (killer_kill, with a reaper thread) is given the stale candidate.  It
 * must notice (the start time differs), kill nobody, and count a reuse skip; the process
 * now owning the pid must be alive.  A control run with a fresh candidate
 * shows the same path does kill the right process.
 *
 * Needs root (a PID namespace, mounting proc, writing ns_last_pid): exits 77
 * without.  Everything it creates lives inside the namespace and dies with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "killer.h"
#include "log.h"
#include "loop.h"
#include "proctab.h"
#include "reaper.h"
#include "sys.h"

static int failures;
static pid_t events_pid[8];
static size_t n_events;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL: " __VA_ARGS__);                                     \
			fprintf(stderr, "\n");                                                     \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void on_event(void *ctx, const struct kill_event *ev)
{
	(void)ctx;
	if (n_events < 8)
		events_pid[n_events++] = ev->pid;
}

static void on_done(void *ctx, uint64_t freed_kib)
{
	(void)ctx, (void)freed_kib;
}

static const struct killer_ops ops = {.event = on_event, .done = on_done};

/* A child that only waits to be killed. */
static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static bool alive(pid_t pid)
{
	siginfo_t si = {0};

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
}

/* Scans the namespace's /proc and loads @pid's candidate. Returns its index or -1. */
static int scan_for(struct proctab *pt, pid_t pid, struct candidate **ret_cands)
{
	int n = proctab_scan(pt, -999, false, ret_cands);

	for (int i = 0; i < n; i++)
		if ((*ret_cands)[i].pid == pid)
			return proctab_load(pt, &(*ret_cands)[i]) == 0 ? i : -1;
	return -1;
}

/* Runs the loop until the killer has no victim pending (or 2 s). */
static void settle(struct loop *l, struct killer *k)
{
	uint64_t end = now_usec() + 2 * USEC_PER_SEC;

	do
		loop_iterate(l, 20);
	while ((killer_pending(k) > 0 || n_events == 0) && now_usec() < end);
}

static int in_namespace(void)
{
	char proc[] = "/tmp/reapd-pid-reuse-XXXXXX", path[128];
	struct loop *l = NULL;
	struct reaper *r = NULL;
	struct killer *k = NULL;
	struct proctab *pt = NULL;
	struct candidate *cands, stale;
	pid_t victim, newcomer, fresh;
	int idx, fd, proc_fd;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || !mkdtemp(proc) ||
	    mount("proc", proc, "proc", 0, NULL) < 0) {
		perror("pid-reuse: mounting a proc for the namespace");
		return 77;
	}
	proc_fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct proctab_config pc = {.proc_root = proc, .scope_dirfd = -1, .self = getpid(),
				    .capacity = 64};
	struct reaper_config rc = {.threads = 1, .queue_capacity = 8, .reap = true,
				   .proc_fd = proc_fd};
	struct killer_config kc = {.kill_timeout_ms = 500, .reap = true, .capacity = 8,
				   .scope_name = "pid-reuse test"};
	if (proctab_new(&pc, &pt) < 0 || loop_new(&l) < 0 || reaper_new(&rc, &r) < 0 ||
	    killer_new(&kc, l, r, pt, &ops, NULL, &k) < 0) {
		fprintf(stderr, "pid-reuse: cannot set up the kill path\n");
		return 1;
	}

	/* 1. The scan sees the victim... */
	victim = spawn_sleeper();
	idx = scan_for(pt, victim, &cands);
	CHECK(idx >= 0, "the scan did not find pid %d", (int)victim);
	if (idx < 0)
		return 1;
	stale = cands[idx];
	/*
	 * 2. ...which dies behind reapd's back, and its pid goes to a newcomer.
	 * Start times have the resolution of a clock tick (10 ms): a real reuse
	 * needs the whole pid space to wrap first, so the newcomer starts in a
	 * later tick, as it does here.
	 */
	usleep(30000);
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	snprintf(path, sizeof(path), "%s/sys/kernel/ns_last_pid", proc);
	fd = open(path, O_WRONLY);
	if (fd < 0 || dprintf(fd, "%d", (int)victim - 1) < 0) {
		perror("pid-reuse: ns_last_pid");
		return 77;
	}
	close(fd);
	newcomer = spawn_sleeper();
	CHECK(newcomer == victim, "the newcomer got pid %d, not %d", (int)newcomer, (int)victim);
	/* 3. reapd's kill path gets the stale candidate. */
	uint32_t which = 0;
	struct kill_round round = {.reason = REASON_LOW_MEM, .target_kib = 1};
	int signalled = killer_kill(k, &round, &stale, &which, 1);
	settle(l, k);
	usleep(100000);
	CHECK(signalled == 0, "killer_kill signalled %d process(es) for a reused pid", signalled);
	CHECK(alive(newcomer), "the newcomer (pid %d) was killed", (int)newcomer);
	CHECK(killer_stats(k)->skipped_reused == 1, "reuse skips: %llu",
	      (unsigned long long)killer_stats(k)->skipped_reused);
	CHECK(killer_stats(k)->kills == 0, "kills: %llu",
	      (unsigned long long)killer_stats(k)->kills);

	/* 4. Control: a fresh candidate for the newcomer is killed, and only it. */
	fresh = spawn_sleeper();
	idx = scan_for(pt, newcomer, &cands);
	CHECK(idx >= 0, "the scan did not find the newcomer");
	n_events = 0;
	if (idx >= 0) {
		which = (uint32_t)idx;
		signalled = killer_kill(k, &round, cands, &which, 1);
		settle(l, k);
		CHECK(signalled == 1, "the control kill signalled %d", signalled);
		CHECK(!alive(newcomer), "the control kill missed pid %d", (int)newcomer);
		CHECK(n_events == 1 && events_pid[0] == newcomer, "control: %zu events", n_events);
	}
	CHECK(alive(fresh), "a bystander (pid %d) was killed", (int)fresh);
	kill(fresh, SIGKILL);
	kill(newcomer, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	killer_free(k);
	reaper_free(r);
	loop_free(l);
	proctab_free(pt);
	close(proc_fd);
	umount2(proc, MNT_DETACH);
	rmdir(proc);
	if (failures == 0)
		printf("# pid %d reused between scan and kill: nobody killed, one reuse skip; "
		       "the control kill took only its target\n", (int)victim);
	return failures ? 1 : 0;
}

int main(void)
{
	pid_t init;
	int status;

	if (geteuid() != 0) {
		printf("SKIP: needs root\n");
		return 77;
	}
	if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0) {
		printf("SKIP: cannot create a PID namespace: %s\n", strerror(errno));
		return 77;
	}
	init = fork();
	if (init < 0)
		return 1;
	if (init == 0) {
		int r = in_namespace();
		fflush(stdout);
		_exit(r);
	}
	if (waitpid(init, &status, 0) < 0)
		_exit(1);
	/* _exit: once the namespace's init is gone this process can no longer
	 * create threads or children, and LeakSanitizer's exit check needs one. */
	fflush(stdout);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
