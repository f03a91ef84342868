/* SPDX-License-Identifier: MIT */
#include "watchdog.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "domain.h"
#include "log.h"
#include "proctab.h"
#include "sys.h"

#define RECHECK_MS 250 /* while the loop stays stuck, look again this often */

struct watchdog {
	struct watchdog_config cfg;
	pthread_t thread;
	bool started;
	int tfd;
	atomic_bool stop;
	_Atomic uint64_t busy_since; /* when the loop woke; 0 while it waits */
	atomic_ulong kills;

	pthread_mutex_t lock; /* guards the four below */
	struct decide_params params;
	unsigned max_victims;
	unsigned kill_timeout_ms;
	bool reap;

	/* The thread only. */
	struct domain *domain;
	struct proctab *pt;
	struct policy_work *work;
	uint32_t *victims;
	int *pidfds;
};

static void arm(int tfd, uint64_t usec)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = (time_t)(usec / USEC_PER_SEC),
			     .tv_nsec = (long)(usec % USEC_PER_SEC) * 1000},
	};

	timerfd_settime(tfd, 0, &its, NULL);
}

void watchdog_busy(void *ctx, bool busy)
{
	struct watchdog *w = ctx;

	if (busy) {
		atomic_store(&w->busy_since, now_usec());
		arm(w->tfd, (uint64_t)w->cfg.timeout_ms * USEC_PER_MSEC);
	} else {
		atomic_store(&w->busy_since, 0);
		arm(w->tfd, 0);
	}
}

/* Waits for the victims' pidfds to report death, up to the kill timeout. */
static void wait_for_deaths(struct watchdog *w, size_t n, unsigned timeout_ms)
{
	uint64_t deadline = now_usec() + (uint64_t)timeout_ms * USEC_PER_MSEC;
	struct pollfd pfd[64];
	size_t m = 0;

	for (size_t i = 0; i < n && m < 64; i++)
		if (w->pidfds[i] >= 0)
			pfd[m++] = (struct pollfd){.fd = w->pidfds[i], .events = POLLIN};
	while (m > 0) {
		uint64_t now = now_usec();
		size_t alive = 0;

		if (now >= deadline || poll(pfd, m, (int)((deadline - now) / 1000 + 1)) < 0)
			break;
		for (size_t i = 0; i < m; i++)
			if (!(pfd[i].revents & POLLIN))
				alive++;
		if (alive == 0)
			break;
	}
}

/* The loop is stuck: decide, choose and kill as a round would. */
static void act(struct watchdog *w, uint64_t stuck_usec)
{
	struct decide_params params;
	struct mem_state m;
	struct decision dec;
	struct candidate *cands;
	unsigned max_victims, kill_timeout_ms;
	bool reap;
	int n, chosen, r;

	pthread_mutex_lock(&w->lock);
	params = w->params;
	max_victims = w->max_victims;
	kill_timeout_ms = w->kill_timeout_ms;
	reap = w->reap;
	pthread_mutex_unlock(&w->lock);

	if (max_victims == 0)
		return; /* a dry run: the loop only reports, so the watchdog does nothing */
	if ((r = domain_read(w->domain, &m)) < 0) {
		log_warn_errno(r, "watchdog: cannot read the memory state");
		return;
	}
	if (!decide(&params, &m, 0, 0, &dec))
		return;
	n = proctab_scan(w->pt, dec.min_adj, &cands);
	if (n < 0) {
		log_warn_errno(n, "watchdog: cannot scan processes");
		return;
	}
	struct policy_params pp = {
		.min_adj = dec.min_adj,
		.target_kib = dec.target_kib,
		.max_victims = max_victims,
		.self = w->cfg.self,
	};
	chosen = policy_select(&pp, cands, (size_t)n, proctab_load, w->pt, w->work, w->victims);
	if (chosen <= 0) {
		log_warn("watchdog: the main loop has been stuck for %llu ms with %llu MiB "
			 "available, and nothing is left to kill",
			 (unsigned long long)(stuck_usec / 1000),
			 (unsigned long long)(m.avail_kib / 1024));
		return;
	}
	for (int i = 0; i < chosen; i++) {
		const struct candidate *c = &cands[w->victims[i]];
		int fd = sys_pidfd_open(c->pid);

		w->pidfds[i] = -1;
		if (fd < 0)
			continue; /* gone already */
		if (proctab_verify(w->pt, c) < 0 || sys_pidfd_send_signal(fd, SIGKILL) < 0) {
			close(fd);
			continue;
		}
		r = reap ? sys_process_mrelease(fd) : -EOPNOTSUPP;
		w->pidfds[i] = fd;
		atomic_fetch_add(&w->kills, 1);
		log_warn("watchdog: the main loop has been stuck for %llu ms; killed pid %d (%s), "
			 "uid %u, adj %d, %s: %.1f MiB%s",
			 (unsigned long long)(stuck_usec / 1000), (int)c->pid, c->comm,
			 (unsigned)c->uid, c->adj, kill_reason_name(dec.reason),
			 (double)c->size_kib / 1024.0, r == 0 ? "; reaped" : "");
	}
	wait_for_deaths(w, (size_t)chosen, kill_timeout_ms);
	for (int i = 0; i < chosen; i++)
		w->pidfds[i] = safe_close(w->pidfds[i]);
}

static void *watchdog_thread(void *arg)
{
	struct watchdog *w = arg;
	char stack[64 * 1024];

	/* Fault the stack in now: the thread runs when memory is shortest. */
	prefault(stack, sizeof(stack));
	while (!atomic_load(&w->stop)) {
		uint64_t expirations, since, now;

		if (read(w->tfd, &expirations, sizeof(expirations)) < 0 && errno != EINTR &&
		    errno != EAGAIN)
			break;
		/* Stuck: keep looking while this same iteration of the loop lasts. */
		while (!atomic_load(&w->stop) && (since = atomic_load(&w->busy_since)) != 0 &&
		       (now = now_usec()) - since >= (uint64_t)w->cfg.timeout_ms * USEC_PER_MSEC) {
			act(w, now - since);
			if (atomic_load(&w->busy_since) != since)
				break;
			usleep(RECHECK_MS * 1000);
		}
	}
	return NULL;
}

int watchdog_new(const struct watchdog_config *cfg, const struct decide_params *params,
		 struct watchdog **ret)
{
	struct watchdog *w = calloc(1, sizeof(*w));
	struct proctab_config pc;
	sigset_t all, old;
	int r;

	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->tfd = -1;
	pthread_mutex_init(&w->lock, NULL);
	w->params = *params;
	w->max_victims = cfg->max_victims;
	w->kill_timeout_ms = cfg->kill_timeout_ms;
	w->reap = cfg->reap;
	if ((r = domain_open(cfg->proc_root, cfg->scope, &w->domain)) < 0)
		goto fail;
	pc = (struct proctab_config){
		.proc_root = cfg->proc_root,
		.scope_dirfd = domain_dirfd(w->domain),
		.self = cfg->self,
		.rules = cfg->rules,
		.capacity = cfg->capacity,
	};
	if ((r = proctab_new(&pc, &w->pt)) < 0 ||
	    (r = policy_work_new(cfg->capacity, &w->work)) < 0)
		goto fail;
	/* Room for any later --max-victims (reload): the limit is 1024. */
	w->victims = calloc(1024, sizeof(*w->victims));
	w->pidfds = calloc(1024, sizeof(*w->pidfds));
	if (!w->victims || !w->pidfds) {
		r = -ENOMEM;
		goto fail;
	}
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (w->tfd < 0) {
		r = -errno;
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&w->thread, NULL, watchdog_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		goto fail;
	w->started = true;
	*ret = w;
	return 0;
fail:
	watchdog_free(w);
	return r;
}

void watchdog_free(struct watchdog *w)
{
	if (!w)
		return;
	if (w->started) {
		atomic_store(&w->stop, true);
		arm(w->tfd, 1); /* wakes the thread at once */
		pthread_join(w->thread, NULL);
	}
	safe_close(w->tfd);
	domain_free(w->domain);
	proctab_free(w->pt);
	policy_work_free(w->work);
	free(w->victims);
	free(w->pidfds);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void watchdog_set_params(struct watchdog *w, const struct decide_params *params,
			 unsigned max_victims, unsigned kill_timeout_ms, bool reap)
{
	pthread_mutex_lock(&w->lock);
	w->params = *params;
	w->max_victims = max_victims;
	w->kill_timeout_ms = kill_timeout_ms;
	w->reap = reap;
	pthread_mutex_unlock(&w->lock);
}

unsigned long watchdog_kills(struct watchdog *w)
{
	return atomic_load(&w->kills);
}
