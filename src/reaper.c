/* SPDX-License-Identifier: MIT */
#include "reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "sys.h"

#define WORKER_STACK (128 * 1024)
#define MRELEASE_TRIES 3

struct job {
	struct reaper_request req;
	bool signal_sent;
	uint64_t signal_usec;
};

struct reaper {
	struct reaper_config cfg;
	atomic_bool reap; /* read by the workers, changed by a reload */
	atomic_bool boost;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t *threads;
	unsigned started;
	struct job *queue;
	size_t queued;
	size_t unsent; /* queued jobs whose signal a worker must still send */
	unsigned idle; /* workers waiting for a job */
	bool stopping;
	int pipe_rd, pipe_wr;
};

/* Takes the next job: unsent signals first (a kill must never wait behind a reap), then most anon. */
static struct job take_job(struct reaper *r)
{
	size_t best = 0;
	struct job j;

	for (size_t i = 1; i < r->queued; i++) {
		const struct job *a = &r->queue[i], *b = &r->queue[best];
		if (a->signal_sent != b->signal_sent ? !a->signal_sent
						     : a->req.anon_kib > b->req.anon_kib)
			best = i;
	}
	j = r->queue[best];
	r->queue[best] = r->queue[--r->queued];
	if (!j.signal_sent)
		r->unsent--;
	return j;
}

/* The kernel said ENOSYS: stop asking.  Its answer holds for every caller in the process. */
static atomic_bool no_mrelease;

int64_t reaper_anon_kib(int proc_fd, pid_t pid)
{
	char path[32], buf[128];
	struct proc_statm sm;
	ssize_t n;

	snprintf(path, sizeof(path), "%d/statm", (int)pid);
	n = read_at(proc_fd, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (parse_proc_statm(buf, &sm) < 0)
		return -EINVAL;
	/* statm's shared is file and shmem pages: the rest of resident is anonymous. */
	return (int64_t)((sm.resident > sm.shared ? sm.resident - sm.shared : 0) *
			 (uint64_t)(sysconf(_SC_PAGESIZE) / 1024));
}

/* Reaps @j's victim; @before: its anonymous memory read before the signal (< 0: read now). */
static void do_reap(const struct reaper_config *cfg, const struct job *j, int64_t before,
		    struct reaper_result *res)
{
	uint64_t start;
	int err = 0;
	int64_t left;

	if (atomic_load(&no_mrelease)) {
		res->reap_error = -ENOSYS;
		return;
	}
	if (before < 0)
		before = reaper_anon_kib(cfg->proc_fd, j->req.pid);
	start = now_usec();
	for (int i = 0; i < MRELEASE_TRIES; i++) {
		err = sys_process_mrelease(j->req.pidfd);
		/* EAGAIN: the mm was busy (mmap lock, notifiers); it usually clears at once. */
		if (err != -EAGAIN && err != -EINTR)
			break;
		sched_yield();
	}
	res->reap_usec = now_usec() - start;
	res->reap_error = err;
	if (err == -ENOSYS && !atomic_exchange(&no_mrelease, true))
		log_warn("process_mrelease is not available (ENOSYS): killing without reaping");
	res->reaped = err == 0;
	if (!res->reaped)
		return;
	if (before <= 0)
		return; /* not measured: reaped_kib stays 0 */
	left = reaper_anon_kib(cfg->proc_fd, j->req.pid);
	if (left < 0)
		left = 0; /* gone already: the reap released all of it */
	res->reaped_kib = left < before ? (uint64_t)(before - left) : 0;
}

/*
 * After the signal and the reap: boosting before the reap would let the
 * victim race it (its exit_mm makes process_mrelease fail with ESRCH).  The
 * CPU limits go first, while the victim is still held back by them: the
 * kernel moves no thread that has begun to exit (boost.c), and a v1 cpu
 * cgroup without rt_runtime_us refuses SCHED_FIFO (EPERM) where its root
 * takes it.
 */
static void do_boost(const struct reaper_config *cfg, const struct job *j,
		     struct reaper_result *res)
{
	struct boost_result b = {0};

	boost_lift_cpu_limits(cfg->boost_env, cfg->proc_fd, j->req.pid, &b);
	boost_threads(cfg->boost_env, cfg->proc_fd, j->req.pid, &b);
	res->boosted = b.threads > 0;
	res->boost_threads = b.threads;
	res->boost_errors = b.errors;
	res->cpu_moved = b.lifted != 0;
	res->cpu_limits = b.lifted;
	if (b.errors)
		log_debug("boost: pid %d: %u threads boosted, %u failures", (int)j->req.pid,
			  b.threads, b.errors);
}

/* Signals (unless done already), reaps, thaws and boosts @j's victim; leaves its pidfd open. */
static void kill_job(const struct reaper_config *cfg, bool reap, bool boost, const struct job *j,
		     struct reaper_result *res)
{
	int64_t before = -1;

	*res = (struct reaper_result){
		.id = j->req.id,
		.pid = j->req.pid,
		.signal_usec = j->signal_usec,
		.signalled_by_caller = j->signal_sent,
	};
	/*
	 * What the reap releases is measured on the victim, not taken from the
	 * scan: read before the signal, since a victim that can run (a v2 freezer
	 * lets SIGKILL through) may drop its mm before the reap starts.
	 */
	if (!j->signal_sent && reap)
		before = reaper_anon_kib(cfg->proc_fd, j->req.pid);
	if (!j->signal_sent) {
		res->signal_error = sys_pidfd_send_signal(j->req.pidfd, SIGKILL);
		res->signal_usec = now_usec();
	}
	if (res->signal_error < 0)
		return;
	if (reap)
		do_reap(cfg, j, before, res);
	/* Thaw after the reap: a frozen victim's memory is back before it even runs. */
	if (cfg->roots && cgroup_thaw_victim(cfg->roots, cfg->proc_fd, j->req.pid) > 0)
		res->thawed = true;
	/*
	 * Boost after the thaw: a boosted victim in a v2 freezer, which lets
	 * SIGKILL through, would exit (and be waited for by its parent) before
	 * the thaw could find its cgroup, and a thawed one is boosted within
	 * microseconds anyway.
	 */
	if (boost && cfg->boost_env)
		do_boost(cfg, j, res);
}

static void run_job(struct reaper *r, const struct job *j)
{
	struct reaper_result res;

	kill_job(&r->cfg, atomic_load(&r->reap), atomic_load(&r->boost), j, &res);
	safe_close(j->req.pidfd);
	/* Records are smaller than PIPE_BUF, so each write is atomic; the loop drains the pipe. */
	if (write(r->pipe_wr, &res, sizeof(res)) != sizeof(res))
		log_warn("reaper: result for pid %d dropped", (int)res.pid);
}

int reaper_kill_sync(const struct reaper_config *cfg, const struct reaper_request *req,
		     struct reaper_result *ret)
{
	struct job j = {.req = *req};

	kill_job(cfg, cfg->reap, cfg->boost, &j, ret);
	return ret->signal_error;
}

static void *worker(void *arg)
{
	struct reaper *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct job j;

		while (r->queued == 0 && !r->stopping) {
			r->idle++;
			pthread_cond_wait(&r->wake, &r->lock);
			r->idle--;
		}
		if (r->stopping)
			break;
		j = take_job(r);
		pthread_mutex_unlock(&r->lock);
		run_job(r, &j);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int reaper_new(const struct reaper_config *cfg, struct reaper **ret)
{
	struct reaper *r = calloc(1, sizeof(*r));
	int fds[2], err = 0;

	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	atomic_init(&r->reap, cfg->reap);
	atomic_init(&r->boost, cfg->boost);
	r->pipe_rd = r->pipe_wr = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	r->queue = calloc(cfg->queue_capacity ? cfg->queue_capacity : 1, sizeof(*r->queue));
	r->threads = calloc(cfg->threads ? cfg->threads : 1, sizeof(*r->threads));
	if (!r->queue || !r->threads) {
		reaper_free(r);
		return -ENOMEM;
	}
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		err = -errno;
		reaper_free(r);
		return err;
	}
	r->pipe_rd = fds[0];
	r->pipe_wr = fds[1];

	for (unsigned i = 0; i < cfg->threads; i++) {
		if ((err = sys_thread_start(&r->threads[i], WORKER_STACK, worker, r)) < 0)
			break;
		r->started++;
	}
	if (err < 0) {
		reaper_free(r);
		return err;
	}
	*ret = r;
	return 0;
}

void reaper_free(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	for (unsigned i = 0; i < r->started; i++)
		pthread_join(r->threads[i], NULL);
	for (size_t i = 0; i < r->queued; i++)
		safe_close(r->queue[i].req.pidfd);
	safe_close(r->pipe_rd);
	safe_close(r->pipe_wr);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r->queue);
	free(r->threads);
	free(r);
}

int reaper_fd(const struct reaper *r)
{
	return r->pipe_rd;
}

int reaper_submit(struct reaper *r, const struct reaper_request *req)
{
	struct job j = {.req = *req};
	int err;

	if (r->cfg.threads == 0) {
		/* --sync-reap, kept only to measure what the pool saves: the caller blocks. */
		run_job(r, &j);
		return 0;
	}

	pthread_mutex_lock(&r->lock);
	if (r->idle > r->unsent && r->queued < r->cfg.queue_capacity) {
		r->queue[r->queued++] = j;
		r->unsent++;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	pthread_mutex_unlock(&r->lock);

	/* Every worker is busy: no kill may wait, so signal from here. */
	err = sys_pidfd_send_signal(req->pidfd, SIGKILL);
	if (err < 0) {
		safe_close(req->pidfd);
		return err;
	}
	j.signal_sent = true;
	j.signal_usec = now_usec();

	pthread_mutex_lock(&r->lock);
	if (r->queued < r->cfg.queue_capacity) {
		r->queue[r->queued++] = j;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		return 1;
	}
	pthread_mutex_unlock(&r->lock);
	/* No room even to queue the reap: report the kill as done, unreaped. */
	struct reaper_result res = {.id = req->id, .pid = req->pid, .signal_usec = j.signal_usec,
				    .signalled_by_caller = true, .reap_error = -ENOSPC};
	safe_close(req->pidfd);
	if (write(r->pipe_wr, &res, sizeof(res)) != sizeof(res))
		return -EIO;
	return 1;
}

int reaper_read_result(struct reaper *r, struct reaper_result *ret)
{
	ssize_t n = read(r->pipe_rd, ret, sizeof(*ret));

	if (n < 0)
		return -errno;
	return n == sizeof(*ret) ? 0 : -EIO;
}

void reaper_set_reap(struct reaper *r, bool reap)
{
	atomic_store(&r->reap, reap);
}

void reaper_set_boost(struct reaper *r, bool boost)
{
	atomic_store(&r->boost, boost);
}

unsigned reaper_idle(struct reaper *r)
{
	unsigned idle;

	pthread_mutex_lock(&r->lock);
	idle = r->idle;
	pthread_mutex_unlock(&r->lock);
	return idle;
}
