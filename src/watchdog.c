/* SPDX-License-Identifier: MIT */
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "domain.h"
#include "parse.h"
#include "killer.h"
#include "log.h"
#include "proctab.h"
#include "reaper.h"
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

	/* The loop's victims not yet confirmed dead, as it last told (watchdog_set_in_flight). */
	pthread_mutex_t in_flight_lock;
	struct killer_victim_info in_flight[WATCHDOG_IN_FLIGHT];
	size_t n_in_flight;

	pthread_mutex_t lock; /* guards the fields up to kept_dropped */
	struct decide_params params;
	unsigned max_victims;
	unsigned kill_timeout_ms;
	bool reap;
	bool boost;
	struct watchdog_kill kept[WATCHDOG_KEPT]; /* ring of kills for the loop */
	size_t kept_first, kept_n;
	unsigned long kept_dropped;
	int efd; /* readable while kept_n > 0 */

	/*
	 * The watchdog's own copy of the name rules, and its scratch that matches
	 * them: the thread holds rules_lock while it scans and prepares, a reload
	 * while it hands over new rules, so the loop never frees rules under a
	 * scan.
	 */
	pthread_mutex_t rules_lock;
	struct policy_rules rules;
	struct match_scratch *scratch;

	/* The thread only (and watchdog_set_rules(), under rules_lock). */
	struct domain *domain;
	struct proctab *pt;
	int proc_fd;
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

/*
 * Waits for the victims' pidfds to report death, up to the kill timeout, and
 * notes in @dead[i] (CLOCK_MONOTONIC µs) when each was seen dead, 0 if not.
 */
static void wait_for_deaths(struct watchdog *w, size_t n, unsigned timeout_ms, uint64_t *dead,
			    uint64_t *charged)
{
	uint64_t deadline = now_usec() + (uint64_t)timeout_ms * USEC_PER_MSEC;
	struct pollfd pfd[64];
	size_t idx[64], m = 0;

	for (size_t i = 0; i < n; i++) {
		dead[i] = 0;
		if (w->pidfds[i] >= 0 && m < 64) {
			idx[m] = i;
			pfd[m++] = (struct pollfd){.fd = w->pidfds[i], .events = POLLIN};
		}
	}
	while (m > 0) {
		uint64_t now = now_usec();
		size_t alive = 0;

		if (now >= deadline || poll(pfd, m, (int)((deadline - now) / 1000 + 1)) < 0)
			break;
		now = now_usec();
		for (size_t i = 0; i < m; i++) {
			if (pfd[i].fd < 0)
				continue;
			if (!(pfd[i].revents & POLLIN)) {
				alive++;
				continue;
			}
			dead[idx[i]] = now;
			if (domain_charged_kib(w->domain, &charged[idx[i]]) < 0)
				charged[idx[i]] = UINT64_MAX;
			pfd[i].fd = -1; /* poll ignores it from now on */
		}
		if (alive == 0)
			break;
	}
}

/*
 * Measures what each death freed, as the loop's killer does: in the order
 * they were seen dead, the drop of the domain's charged memory since
 * @base_kib not yet credited to an earlier death.
 */
static void credit_deaths(struct watchdog_kill *kills, size_t n, const uint64_t *dead,
			  const uint64_t *charged, uint64_t base_kib)
{
	uint64_t credited = 0, done = 0; /* n <= 64: a bit per victim */

	for (;;) {
		size_t next = n;
		uint64_t drop, freed, cap;

		for (size_t i = 0; i < n; i++)
			if (dead[i] && !(done >> i & 1) && (next == n || dead[i] < dead[next]))
				next = i;
		if (next == n)
			return;
		done |= 1ULL << next;
		if (charged[next] == UINT64_MAX || charged[next] >= base_kib)
			continue;
		drop = base_kib - charged[next];
		freed = drop > credited ? drop - credited : 0;
		/* As the killer does: none is credited more than it held; the rest is the others'. */
		cap = kills[next].ev.size_kib;
		if (kills[next].ev.reaped_kib > cap)
			cap = kills[next].ev.reaped_kib;
		kills[next].ev.freed_kib = freed > cap ? cap : freed;
		credited += kills[next].ev.freed_kib;
	}
}

/* Keeps @k for the loop and wakes it (when it runs again). */
static void keep(struct watchdog *w, const struct watchdog_kill *k)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	if (w->kept_n == WATCHDOG_KEPT) {
		w->kept_first = (w->kept_first + 1) % WATCHDOG_KEPT;
		w->kept_n--;
		w->kept_dropped++;
	}
	w->kept[(w->kept_first + w->kept_n) % WATCHDOG_KEPT] = *k;
	w->kept_n++;
	pthread_mutex_unlock(&w->lock);
	if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn_errno(-errno, "watchdog: cannot wake the main loop");
}

/*
 * Returns what the loop's victims still hold: those it last told of that are
 * still alive (the same pid and start time, not a zombie), each counted for
 * what it still has resident, at most what it held when chosen.  While the
 * loop is stuck it cannot see its victims die, so each is looked at here.
 */
static uint64_t in_flight_kib(struct watchdog *w)
{
	struct killer_victim_info v[WATCHDOG_IN_FLIGHT];
	uint64_t kib = 0, page_kib = (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
	char path[32], buf[1024];
	size_t n;

	pthread_mutex_lock(&w->in_flight_lock);
	n = w->n_in_flight;
	memcpy(v, w->in_flight, n * sizeof(v[0]));
	pthread_mutex_unlock(&w->in_flight_lock);
	for (size_t i = 0; i < n; i++) {
		struct proc_stat st;
		uint64_t held;

		snprintf(path, sizeof(path), "%d/stat", (int)v[i].pid);
		if (read_at(w->proc_fd, path, buf, sizeof(buf)) < 0 ||
		    parse_proc_stat(buf, &st) < 0 || st.start_time != v[i].start_time ||
		    st.state == 'Z' || st.state == 'X')
			continue; /* dead (or its pid reused): what it held is back already */
		held = st.rss_pages * page_kib;
		kib += held < v[i].size_kib ? held : v[i].size_kib;
	}
	return kib;
}

/*
 * Pins, verifies and kills @c on the reaper's own path (signal, reap, thaw),
 * in this thread, and fills @k.  Returns the victim's pidfd, to wait on, or
 * -errno when it was not killed (gone, its pid reused, the signal failed).
 */
static int kill_one(struct watchdog *w, const struct reaper_config *rc,
		    const struct kill_round *round, const struct candidate *c,
		    struct watchdog_kill *k, uint64_t *ret_signal_usec)
{
	struct reaper_result res;
	struct reaper_request req;
	int fd = sys_pidfd_open(c->pid), r;

	if (fd < 0)
		return fd; /* gone already */
	/* The pidfd pins the process; if the start time still matches, it is the one chosen. */
	if ((r = proctab_verify(w->pt, c)) < 0) {
		safe_close(fd);
		return r;
	}
	req = (struct reaper_request){.pidfd = fd, .pid = c->pid, .anon_kib = c->anon_kib};
	if ((r = reaper_kill_sync(rc, &req, &res)) < 0) {
		safe_close(fd);
		return r;
	}
	kill_event_from_candidate(c, round, &k->ev);
	kill_event_set_result(&k->ev, &res);
	/* The realtime stamp of the signal, which went out at res.signal_usec (monotonic). */
	k->ev.time_usec = realtime_usec() - (now_usec() - res.signal_usec);
	k->ev.watchdog = true;
	k->ev.comm = NULL; /* points into k->comm once taken (watchdog_take) */
	memcpy(k->comm, c->comm, sizeof(k->comm));
	*ret_signal_usec = res.signal_usec;
	return fd;
}

/* The loop is stuck: decide, choose and kill as a round would. */
static void act(struct watchdog *w, uint64_t stuck_usec)
{
	struct decide_params params;
	struct mem_state m;
	struct decision dec;
	struct candidate *cands;
	struct reaper_config rc = {.proc_fd = w->proc_fd, .roots = w->cfg.roots,
				   .boost_env = w->cfg.boost_env};
	struct kill_round round;
	unsigned max_victims, kill_timeout_ms;
	int n, chosen, r;
	uint64_t scan_start, signal_mono[64], dead[64], charged[64], base_kib, in_flight;
	struct watchdog_kill kills[64];

	pthread_mutex_lock(&w->lock);
	params = w->params;
	max_victims = w->max_victims;
	kill_timeout_ms = w->kill_timeout_ms;
	rc.reap = w->reap;
	rc.boost = w->boost;
	pthread_mutex_unlock(&w->lock);

	if (max_victims == 0)
		return; /* a dry run: the loop only reports, so the watchdog does nothing */
	if ((r = domain_read(w->domain, &m)) < 0) {
		log_warn_errno(r, "watchdog: cannot read the memory state");
		return;
	}
	/* What the loop's victims still hold is on its way back: not a reason to kill more. */
	in_flight = in_flight_kib(w);
	if (!decide(&params, &m, 0, in_flight, &dec))
		return;
	scan_start = now_usec();
	pthread_mutex_lock(&w->rules_lock);
	n = proctab_scan(w->pt, policy_scan_floor(&w->rules, dec.min_adj),
			 !policy_rules_empty(&w->rules), &cands);
	if (n >= 0)
		n = (int)policy_prepare(&w->rules, w->scratch, dec.min_adj, cands, (size_t)n);
	pthread_mutex_unlock(&w->rules_lock);
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
	if (pp.max_victims > 64)
		pp.max_victims = 64; /* the rest waits for the next look, 250 ms on */
	pp.refine = proctab_refine;
	chosen = policy_select(&pp, cands, (size_t)n, proctab_load, w->pt, w->work, w->victims);
	round = (struct kill_round){
		.reason = dec.reason,
		.target_kib = dec.target_kib,
		.scan_usec = now_usec() - scan_start,
		.scanned = proctab_seen(w->pt),
		.charged_kib = m.charged_kib,
	};
	if (chosen <= 0) {
		log_warn("watchdog: the main loop has been stuck for %llu ms with %llu MiB "
			 "available, and nothing is left to kill",
			 (unsigned long long)(stuck_usec / 1000),
			 (unsigned long long)(m.avail_kib / 1024));
		return;
	}
	if (domain_charged_kib(w->domain, &base_kib) < 0)
		base_kib = 0;
	for (int i = 0; i < chosen; i++) {
		const struct candidate *c = &cands[w->victims[i]];
		struct watchdog_kill *k = &kills[i];

		w->pidfds[i] = kill_one(w, &rc, &round, c, k, &signal_mono[i]);
		if (w->pidfds[i] < 0)
			continue;
		atomic_fetch_add(&w->kills, 1);
		log_warn("watchdog: the main loop has been stuck for %llu ms; killed pid %d (%s), "
			 "uid %u, adj %d, %s: %.1f MiB%s%s",
			 (unsigned long long)(stuck_usec / 1000), (int)c->pid, c->comm,
			 (unsigned)c->uid, c->adj, kill_reason_name(dec.reason),
			 (double)c->size_kib / 1024.0, k->ev.reaped ? "; reaped" : "",
			 k->ev.thawed ? "; thawed" : "");
	}
	wait_for_deaths(w, (size_t)chosen, kill_timeout_ms, dead, charged);
	credit_deaths(kills, (size_t)chosen, dead, charged, base_kib);
	for (int i = 0; i < chosen; i++) {
		if (w->pidfds[i] < 0)
			continue;
		if (dead[i]) {
			kills[i].ev.exited = true;
			kills[i].ev.kill_to_exit_usec =
				dead[i] > signal_mono[i] ? (int64_t)(dead[i] - signal_mono[i]) : 0;
		}
		keep(w, &kills[i]);
		w->pidfds[i] = safe_close(w->pidfds[i]);
	}
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
			/* After the kills: the next look walks deeper cgroups too. */
			if (proctab_too_deep(w->pt))
				proctab_grow_depth(w->pt);
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
	int r;

	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	/* Used here only: the strings and rules belong to a config a reload frees. */
	w->cfg.proc_root = w->cfg.scope = NULL;
	w->cfg.rules = NULL;
	w->tfd = -1;
	w->efd = -1;
	w->proc_fd = open(cfg->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->proc_fd < 0) {
		r = -errno;
		goto fail;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->rules_lock, NULL);
	pthread_mutex_init(&w->in_flight_lock, NULL);
	if (cfg->rules && (r = policy_rules_copy(cfg->rules, &w->rules)) < 0)
		goto fail;
	w->params = *params;
	w->max_victims = cfg->max_victims;
	w->kill_timeout_ms = cfg->kill_timeout_ms;
	w->reap = cfg->reap;
	w->boost = cfg->boost;
	if ((r = domain_open(cfg->proc_root, cfg->scope, &w->domain)) < 0)
		goto fail;
	pc = (struct proctab_config){
		.proc_root = cfg->proc_root,
		.scope_dirfd = domain_dirfd(w->domain),
		.self = cfg->self,
		.capacity = cfg->capacity,
		.cg_depth = cfg->cg_depth,
		.unified = cfg->roots ? cfg->roots->unified : NULL,
	};
	if ((r = proctab_new(&pc, &w->pt)) < 0 ||
	    (r = match_scratch_new(policy_rules_states(&w->rules), &w->scratch)) < 0 ||
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
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->tfd < 0 || w->efd < 0) {
		r = -errno;
		goto fail;
	}
	r = sys_thread_start(&w->thread, 0, watchdog_thread, w);
	if (r < 0)
		goto fail;
	w->started = true;
	*ret = w;
	return 0;
fail:
	watchdog_free(w);
	return r;
}

void watchdog_stop(struct watchdog *w)
{
	if (!w || !w->started)
		return;
	atomic_store(&w->stop, true);
	arm(w->tfd, 1); /* wakes the thread at once */
	pthread_join(w->thread, NULL);
	w->started = false;
}

void watchdog_free(struct watchdog *w)
{
	if (!w)
		return;
	watchdog_stop(w);
	safe_close(w->tfd);
	safe_close(w->efd);
	safe_close(w->proc_fd);
	domain_free(w->domain);
	proctab_free(w->pt);
	match_scratch_free(w->scratch);
	policy_work_free(w->work);
	free(w->victims);
	free(w->pidfds);
	policy_rules_free(&w->rules);
	pthread_mutex_destroy(&w->rules_lock);
	pthread_mutex_destroy(&w->in_flight_lock);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int watchdog_reserve_rules(struct watchdog *w, const struct policy_rules *rules)
{
	int r;

	pthread_mutex_lock(&w->rules_lock);
	r = match_scratch_reserve(&w->scratch, policy_rules_states(rules));
	pthread_mutex_unlock(&w->rules_lock);
	return r;
}

int watchdog_set_rules(struct watchdog *w, struct policy_rules *rules)
{
	struct policy_rules old = {0};
	int r;

	pthread_mutex_lock(&w->rules_lock);
	/* Reserved already, normally: then this does not allocate. */
	r = match_scratch_reserve(&w->scratch, policy_rules_states(rules));
	if (r == 0) {
		/* In place: the thread reads w->rules. */
		old = w->rules;
		w->rules = *rules;
	}
	pthread_mutex_unlock(&w->rules_lock);
	if (r < 0)
		return r;
	policy_rules_free(&old);
	*rules = (struct policy_rules){0};
	return 0;
}

void watchdog_set_params(struct watchdog *w, const struct decide_params *params,
			 unsigned max_victims, unsigned kill_timeout_ms, bool reap, bool boost)
{
	pthread_mutex_lock(&w->lock);
	w->params = *params;
	w->max_victims = max_victims;
	w->kill_timeout_ms = kill_timeout_ms;
	w->reap = reap;
	w->boost = boost;
	pthread_mutex_unlock(&w->lock);
}

void watchdog_set_in_flight(void *ctx, const struct killer_victim_info *v, size_t n)
{
	struct watchdog *w = ctx;

	if (n > WATCHDOG_IN_FLIGHT)
		n = WATCHDOG_IN_FLIGHT;
	pthread_mutex_lock(&w->in_flight_lock);
	memcpy(w->in_flight, v, n * sizeof(v[0]));
	w->n_in_flight = n;
	pthread_mutex_unlock(&w->in_flight_lock);
}

unsigned long watchdog_kills(struct watchdog *w)
{
	return atomic_load(&w->kills);
}

int watchdog_fd(const struct watchdog *w)
{
	return w->efd;
}

size_t watchdog_take(struct watchdog *w, struct watchdog_kill *out, size_t max,
		     unsigned long *dropped)
{
	uint64_t count;
	size_t n = 0;

	pthread_mutex_lock(&w->lock);
	if (read(w->efd, &count, sizeof(count)) < 0) {
		/* nothing to clear: the fd is non-blocking and may be empty */
	}
	while (n < max && w->kept_n > 0) {
		out[n] = w->kept[w->kept_first];
		out[n].ev.comm = out[n].comm;
		n++;
		w->kept_first = (w->kept_first + 1) % WATCHDOG_KEPT;
		w->kept_n--;
	}
	if (w->kept_n > 0) {
		count = 1;
		if (write(w->efd, &count, sizeof(count)) < 0) {
			/* the counter is already non-zero: the loop wakes again anyway */
		}
	}
	*dropped = w->kept_dropped;
	w->kept_dropped = 0;
	pthread_mutex_unlock(&w->lock);
	return n;
}
