/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config-version.h"
#include "daemon-private.h"
#include "log.h"
#include "notify.h"
#include "selfprotect.h"
#include "report.h"
#include "sources.h"
#include "sys.h"

#define KILLER_CAPACITY      64
#define INITIAL_CAPACITY     1024
#define LMKD_MAX_RECORDS     1024
#define MAX_POLL_USEC        (2500 * USEC_PER_MSEC)
#define FOLLOW_POLL_USEC     (100 * USEC_PER_MSEC)
#define FOLLOW_USEC          (3 * USEC_PER_SEC)
/* MemAvailable lags a kill by up to ~10 s while per-CPU free lists drain. */
#define CREDIT_USEC          (10 * USEC_PER_SEC)
#define NOTHING_WARN_USEC    (60 * USEC_PER_SEC)
/* Nothing to kill: a rescan on a pressure event or a new process at most this often... */
#define BACKOFF_MIN_USEC     (2 * USEC_PER_SEC)
/* ...and in any case this often. */
#define BACKOFF_MAX_USEC     (10 * USEC_PER_SEC)
/* ...or at once when available memory falls by this (or 1/32 of the domain). */
#define BACKOFF_STEP_KIB     (4 * 1024)
#define BACKOFF_POLL_USEC    (50 * USEC_PER_MSEC)

uint64_t daemon_lag_credit(struct daemon *d, const struct mem_state *m, uint64_t now)
{
	uint64_t risen;

	if (d->credit_kib == 0)
		return 0;
	if (now > d->credit_until_usec) {
		d->credit_kib = 0;
		return 0;
	}
	risen = m->avail_kib > d->credit_base_kib ? m->avail_kib - d->credit_base_kib : 0;
	return d->credit_kib > risen ? d->credit_kib - risen : 0;
}

int daemon_load_candidate(void *ctx, struct candidate *c)
{
	struct daemon *d = ctx;
	int r = proctab_load(d->pt, c);

	if (r == 0 && c->skip == SKIP_NONE && killer_is_victim(d->killer, c->pid, c->start_time))
		c->skip = SKIP_PENDING;
	if (r == 0 && c->skip == SKIP_NONE) {
		/* A parent refilling what its children's deaths free: its death stops that. */
		uint64_t churn = respawn_churn_kib(&d->respawn, c->pid, now_usec());

		if (churn > c->size_kib) {
			c->size_kib = churn;
			c->refined = true; /* its own pages are not the point */
		}
	}
	return r;
}

int daemon_refine_candidate(void *ctx, struct candidate *c)
{
	struct daemon *d = ctx;
	int r = proctab_refine(d->pt, c);

	if (r == 0 && c->skip == SKIP_NONE && respawn_held(&d->respawn, c->cmd_hash, now_usec()))
		c->skip = SKIP_RESPAWN;
	return r;
}

/* Grows the scan tables after a round that did not fit (allocates: never before the kill). */
static void grow_tables(struct daemon *d)
{
	struct policy_work *w;
	uint32_t *rank;

	if (proctab_grow(d->pt) < 0 || policy_work_new(proctab_capacity(d->pt), &w) < 0) {
		log_warn("cannot grow the process table past %zu entries", proctab_capacity(d->pt));
		return;
	}
	rank = calloc(proctab_capacity(d->pt), sizeof(*rank));
	if (!rank) {
		policy_work_free(w);
		return;
	}
	policy_work_free(d->work);
	d->work = w;
	free(d->rank);
	d->rank = rank;
	log_info("process table grown to %zu entries", proctab_capacity(d->pt));
}

/*
 * A scan could not walk every cgroup of the scope: their processes were not
 * candidates.  Says so once (until a scan walks them all again), and takes
 * the walk deeper when depth was the reason (allocates: never before the kill).
 */
static void note_unwalked(struct daemon *d)
{
	size_t unwalked = proctab_unwalked(d->pt), depth = proctab_depth(d->pt);
	bool too_deep = proctab_too_deep(d->pt);

	if (unwalked == 0) {
		d->unwalked_warned = false;
		return;
	}
	if (!d->unwalked_warned)
		log_warn("%zu cgroups below %s could not be walked (%s); their processes were "
			 "not candidates",
			 unwalked, domain_name(d->domain),
			 too_deep ? "deeper than the walk went" : "fd limit or unreadable");
	d->unwalked_warned = true;
	if (too_deep && proctab_grow_depth(d->pt) == 0)
		log_info("cgroup walk now goes %zu levels deep (was %zu)", proctab_depth(d->pt),
			 depth);
}

static void warn_nothing_left(struct daemon *d, const struct decision *dec,
			      const struct mem_state *m, uint64_t now)
{
	if (d->nothing_warned_usec && now - d->nothing_warned_usec < NOTHING_WARN_USEC)
		return;
	log_warn("%s: %llu MiB available, need %llu MiB more, but no process at adj >= %d is "
		 "left whose death frees memory; waiting for a change",
		 kill_reason_name(dec->reason), (unsigned long long)(m->avail_kib / 1024),
		 (unsigned long long)(dec->target_kib / 1024), dec->min_adj);
	d->nothing_warned_usec = now;
}

/*
 * A round that cannot cover its target: say once per episode what is in
 * the way, so an admin sees memory no kill frees instead of a kill chain.
 */
static void note_short(struct daemon *d, const struct decision *dec, const struct mem_state *m,
		       uint64_t found_kib)
{
	if (found_kib >= dec->target_kib) {
		d->unfreeable_kib = 0;
		d->short_noted = false;
		return;
	}
	d->unfreeable_kib = m->shmem_kib;
	if (d->short_noted)
		return;
	d->short_noted = true;
	log_warn("%s in %s: need %llu MiB, the processes at adj >= %d free %llu MiB; the rest is "
		 "memory no allowed kill frees (%llu MiB of it shared memory: tmpfs, shm, memfd)",
		 kill_reason_name(dec->reason), domain_name(d->domain),
		 (unsigned long long)(dec->target_kib / 1024), dec->min_adj,
		 (unsigned long long)(found_kib / 1024), (unsigned long long)(m->shmem_kib / 1024));
}

/* Reads the newest pid on the machine (the last field of /proc/loadavg), 0 if unknown. */
static uint64_t newest_pid(struct daemon *d)
{
	char buf[128], *last;
	uint64_t pid = 0;

	if (d->loadavg_fd < 0 || pread_str(d->loadavg_fd, buf, sizeof(buf)) < 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	last = strrchr(buf, ' ');
	if (last)
		pid = strtoull(last + 1, NULL, 10);
	return pid;
}

/*
 * Below the mark with nothing to kill, another scan finds the same nothing:
 * rounds wait for a change.  A victim's death, available memory falling by
 * a step, a reason that reaches lower adj, or the slow timer rescan at once;
 * a pressure event or a new process on the machine rescans at most every
 * BACKOFF_MIN_USEC.
 */
static bool backoff_holds(struct daemon *d, const struct decision *dec, const struct mem_state *m,
			  unsigned fired, uint64_t now)
{
	uint64_t step = m->total_kib / 32 > BACKOFF_STEP_KIB ? m->total_kib / 32 : BACKOFF_STEP_KIB;
	uint64_t since = now - d->backoff.scan_usec;

	if (!d->backoff.active)
		return false;
	if ((fired & PRESSURE_AFTER_KILL) || since >= BACKOFF_MAX_USEC ||
	    m->avail_kib + step <= d->backoff.avail_kib || dec->min_adj < d->backoff.min_adj)
		return false;
	if (since >= BACKOFF_MIN_USEC &&
	    ((fired & ~(unsigned)PRESSURE_AFTER_KILL) || newest_pid(d) != d->backoff.last_pid))
		return false;
	return true;
}

static void enter_backoff(struct daemon *d, const struct decision *dec, const struct mem_state *m,
			  uint64_t now)
{
	d->backoff.active = true;
	d->backoff.scan_usec = now;
	d->backoff.avail_kib = m->avail_kib;
	d->backoff.min_adj = dec->min_adj;
	d->backoff.last_pid = newest_pid(d);
}

/*
 * Set while the loop is on the path from a pressure event to the signal, and
 * the rounds of kills that path has run: exported for the zero-allocation
 * test, whose preloaded allocator counts what happens inside (see
 * tests/helpers/allocwatch.c).  Nothing in reapd reads them.
 */
volatile int reapd_kill_path;
volatile unsigned long reapd_kill_path_rounds;

static void run_round(struct daemon *d, const struct decision *dec, const struct mem_state *m,
		      uint64_t now)
{
	const struct config *cfg = &d->cfg;
	struct candidate *cands;
	struct policy_params pp = {
		.min_adj = dec->min_adj,
		.target_kib = dec->target_kib,
		.max_victims = cfg->max_victims,
		.self = d->self,
		.refine = daemon_refine_candidate,
	};
	struct kill_round round = {.reason = dec->reason, .target_kib = dec->target_kib,
				   .charged_kib = m->charged_kib};
	uint64_t found_kib = 0;
	int n, chosen;

	n = proctab_scan(d->pt, dec->min_adj, &cands);
	if (n < 0) {
		log_warn_errno(n, "cannot scan processes");
		return;
	}
	chosen = policy_select(&pp, cands, (size_t)n, daemon_load_candidate, d, d->work,
			       d->victims);
	round.scan_usec = now_usec() - now;
	round.scanned = proctab_seen(d->pt);
	for (int i = 0; i < chosen; i++)
		found_kib += cands[d->victims[i]].size_kib;
	/* A round cut short by --max-victims is not short of candidates: the next one goes on. */
	if (chosen > 0 && (size_t)chosen >= cfg->max_victims)
		found_kib = dec->target_kib;
	if (chosen <= 0) {
		reapd_kill_path = 0;
		warn_nothing_left(d, dec, m, now);
		note_short(d, dec, m, found_kib);
		enter_backoff(d, dec, m, now);
	} else {
		d->backoff.active = false;
		if (d->credit_kib == 0)
			d->credit_base_kib = m->avail_kib;
		killer_kill(d->killer, &round, cands, d->victims, (size_t)chosen);
		reapd_kill_path_rounds++;
		reapd_kill_path = 0; /* the signals are out; what follows may take its time */
		metrics_round(report_metrics(d->report), round.scan_usec);
		note_short(d, dec, m, found_kib);
		if (cfg->dry_run)
			d->quiet_until_usec = now + USEC_PER_SEC +
					      (uint64_t)cfg->kill_timeout_ms * USEC_PER_MSEC;
	}
	log_debug("round %s: avail %llu KiB, target %llu KiB, min adj %d: %zu processes, %d "
		  "candidates, %d chosen in %.3f ms",
		  kill_reason_name(dec->reason), (unsigned long long)m->avail_kib,
		  (unsigned long long)dec->target_kib, dec->min_adj, round.scanned, n, chosen,
		  (double)round.scan_usec / 1000.0);
	if (proctab_overflowed(d->pt))
		grow_tables(d);
	note_unwalked(d);
}

/* The mark the poll interval aims at: --mem-min, or a higher minfree level. */
static uint64_t poll_mark(const struct daemon *d, const struct decision *dec)
{
	uint64_t mark = dec->mem_min_kib;

	for (size_t i = 0; i < d->params.n_levels; i++)
		if (d->params.levels[i].minfree_kib > mark)
			mark = d->params.levels[i].minfree_kib;
	return mark;
}

static void schedule_poll(struct daemon *d, uint64_t mark_kib, uint64_t rate, uint64_t now)
{
	uint64_t interval = watermark_interval_usec(d->mem.avail_kib, mark_kib, rate, MAX_POLL_USEC);

	if (now < d->follow_until_usec && interval > FOLLOW_POLL_USEC)
		interval = FOLLOW_POLL_USEC;
	/* Nothing to kill: a look every BACKOFF_POLL_USEC still sees memory fall by a step. */
	if (d->backoff.active && interval < BACKOFF_POLL_USEC)
		interval = BACKOFF_POLL_USEC;
	loop_timer_arm(d->loop, &d->poll_timer, now + interval);
}

void daemon_evaluate(struct daemon *d, unsigned fired)
{
	struct decision dec;
	uint64_t now = now_usec(), rate, in_flight;
	int r;

	reapd_kill_path = 1;
	r = domain_read(d->domain, &d->mem);
	if (r == -ENODEV || r == -ENOENT) {
		reapd_kill_path = 0;
		log_error("the scope %s is gone (cgroup removed); exiting", domain_name(d->domain));
		loop_exit(d->loop, 1);
		return;
	}
	if (r < 0) {
		log_warn_errno(r, "cannot read the memory state of %s", domain_name(d->domain));
		loop_timer_arm(d->loop, &d->poll_timer, now + MAX_POLL_USEC);
		reapd_kill_path = 0;
		return;
	}
	rate = watermark_rate_update(&d->rate, d->mem.avail_kib, now);
	if (sources_thresholds_stale(d->sources)) {
		/* Re-registering thresholds (the limit changed) is set-up, not the kill path. */
		reapd_kill_path = 0;
		sources_rearm_thresholds(d->sources, &d->params, &d->mem);
		reapd_kill_path = 1;
	}

	in_flight = killer_pending_kib(d->killer) + daemon_lag_credit(d, &d->mem, now);
	if (!decide(&d->params, &d->mem, fired, in_flight, &dec)) {
		d->backoff.active = false;
		if (in_flight == 0)
			note_short(d, &dec, &d->mem, dec.target_kib);
		if (fired & ~(unsigned)PRESSURE_AFTER_KILL)
			log_debug("pressure signal 0x%x, %llu KiB available: no kill", fired,
				  (unsigned long long)d->mem.avail_kib);
	} else if (now >= d->quiet_until_usec && !backoff_holds(d, &dec, &d->mem, fired, now)) {
		run_round(d, &dec, &d->mem, now);
	}
	schedule_poll(d, poll_mark(d, &dec), rate, now_usec());
	reapd_kill_path = 0;
}

static void on_poll(void *ctx)
{
	daemon_evaluate(ctx, 0);
}

static void on_victim_done(void *ctx, uint64_t freed_kib)
{
	struct daemon *d = ctx;

	if (domain_kind(d->domain) == DOMAIN_SYSTEM && freed_kib) {
		d->credit_kib += freed_kib;
		d->credit_until_usec = now_usec() + CREDIT_USEC;
	}
	daemon_evaluate(d, killer_pending(d->killer) == 0 ? PRESSURE_AFTER_KILL : 0);
}

static int on_charged(void *ctx, uint64_t *ret_kib)
{
	struct daemon *d = ctx;

	return domain_charged_kib(d->domain, ret_kib);
}

static void on_kill_event(void *ctx, const struct kill_event *ev)
{
	struct daemon *d = ctx;

	report_kill(d->report, ev);
}

/* The figures of a metrics text that the round and the killer hold. */
static void fill_gauges(void *ctx, struct metrics_gauges *g)
{
	struct daemon *d = ctx;

	g->total_kib = d->mem.total_kib;
	g->avail_kib = d->mem.avail_kib;
	g->swap_free_kib = d->mem.swap_free_kib;
	g->shmem_kib = d->mem.shmem_kib;
	g->unfreeable_kib = d->unfreeable_kib;
	g->pending_victims = killer_pending(d->killer);
	g->killer = killer_stats(d->killer);
}

static const struct killer_ops killer_ops = {
	.event = on_kill_event,
	.done = on_victim_done,
	.charged = on_charged,
};

/* A source fired, or failed and was dropped: follow closely after a real event. */
static void on_source_event(void *ctx, unsigned signal, bool real)
{
	struct daemon *d = ctx;

	if (real)
		d->follow_until_usec = now_usec() + FOLLOW_USEC;
	daemon_evaluate(d, signal);
}

static void on_signal(void *ctx, uint32_t events)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char err[256];

			daemon_reload(d, err, sizeof(err));
			continue;
		}
		log_info("exiting on %s", sigabbrev_np((int)si.ssi_signo));
		loop_exit(d->loop, 0);
	}
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		return -errno;
	d->sig_watch = (struct loop_watch){.fn = on_signal, .ctx = d};
	return loop_add(d->loop, d->sig_fd, EPOLLIN, &d->sig_watch);
}

/* Builds the scan tables, sized so a scan of the scope fits with room to spare. */
static int setup_tables(struct daemon *d)
{
	const struct config *cfg = &d->cfg;
	struct proctab_config pc = {
		.proc_root = cfg->proc_root,
		.scope_dirfd = domain_dirfd(d->domain),
		.self = d->self,
		/* The config is replaced in place on reload, so this pointer stays valid. */
		.rules = &d->cfg.rules,
		.capacity = INITIAL_CAPACITY,
	};
	struct candidate *cands;
	int r;

	r = proctab_new(&pc, &d->pt);
	if (r < 0)
		return r;
	/* A first scan warms the table; grow until the scope fits twice over, at any depth. */
	for (;;) {
		if ((r = proctab_scan(d->pt, ADJ_MIN + 1, &cands)) < 0)
			return r;
		if (proctab_too_deep(d->pt) && proctab_grow_depth(d->pt) == 0)
			continue;
		if (!proctab_overflowed(d->pt) && (size_t)r * 2 <= proctab_capacity(d->pt))
			break;
		if ((r = proctab_grow(d->pt)) < 0)
			return r;
	}
	note_unwalked(d);
	r = policy_work_new(proctab_capacity(d->pt), &d->work);
	if (r < 0)
		return r;
	d->victims = calloc(cfg->max_victims, sizeof(*d->victims));
	d->rank = calloc(proctab_capacity(d->pt), sizeof(*d->rank));
	return d->victims && d->rank ? 0 : -ENOMEM;
}

static int usage_error(bool *ret_usage, const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "reapd: --%s: invalid value '%s' (%s)\n", opt, value, why);
	*ret_usage = true;
	return -EINVAL;
}

static int open_domain(struct daemon *d, bool *ret_usage)
{
	const struct config *cfg = &d->cfg;
	int r = domain_open(cfg->proc_root, cfg->scope, &d->domain);

	if (r == -EMEDIUMTYPE)
		return usage_error(ret_usage, "scope", cfg->scope, "not a memory cgroup directory");
	if (r == -ENOENT || r == -ENOTDIR)
		return usage_error(ret_usage, "scope", cfg->scope ? cfg->scope : cfg->proc_root,
				   strerror(-r));
	if (r < 0)
		return log_error_errno(r, "cannot open the memory domain %s",
				       cfg->scope ? cfg->scope : "system");
	return 0;
}

static const char *listen_error(int r)
{
	if (r == -EADDRINUSE)
		return "another process is listening there";
	if (r == -EEXIST)
		return "exists and is not a socket";
	if (r == -EPERM)
		return "its directory is not root's alone (owned by another user, or writable "
		       "by others without the sticky bit)";
	return strerror(-r);
}

/* Opens the control and lmkd sockets. Returns 0, or -errno after printing why. */
static int setup_endpoints(struct daemon *d, bool *ret_usage)
{
	const struct config *cfg = &d->cfg;
	int r;

	r = procfs_scope_open(d->proc_fd, cfg->scope, domain_kind(d->domain) == DOMAIN_CGROUP_V2,
			      &d->scope);
	if (r < 0)
		log_warn_errno(r, "cannot find %s in the cgroup mounts; every prio request will "
			       "be refused", cfg->scope);
	if (cfg->control_path) {
		r = ctl_new(cfg->control_path, cfg->control_mode, d->loop, daemon_answer, d,
			    &d->ctl);
		if (r < 0 && !cfg->control_is_default)
			return usage_error(ret_usage, "control", cfg->control_path, listen_error(r));
		if (r < 0)
			log_warn("no control socket at %s: %s", cfg->control_path, listen_error(r));
	}
	if (cfg->lmkd_path) {
		struct lmkd_config lc = {.path = cfg->lmkd_path, .mode = cfg->lmkd_mode,
					 .max_records = LMKD_MAX_RECORDS, .proc_fd = d->proc_fd,
					 .scope = &d->scope, .self = d->self};

		r = lmkd_new(&lc, d->loop, &daemon_lmkd_ops, d, &d->lmkd);
		if (r < 0)
			return usage_error(ret_usage, "lmkd-socket", cfg->lmkd_path, listen_error(r));
	}
	report_set_endpoints(d->report, d->ctl, d->lmkd);
	return 0;
}

void daemon_apply_params(struct daemon *d)
{
	const struct config *cfg = &d->cfg;

	d->params.mem_min = cfg->mem_min;
	d->params.swap_min = cfg->swap_min;
	d->params.target_kib = cfg->target_kib;
	d->params.min_adj = cfg->min_adj;
	d->params.psi_some_min_adj = cfg->min_adj > 200 ? cfg->min_adj : 200;
	if (d->watchdog)
		watchdog_set_params(d->watchdog, &d->params, cfg->dry_run ? 0 : cfg->max_victims,
				    cfg->kill_timeout_ms, !cfg->no_reap);
}

/* The watchdog thread, with tables of its own as large as the loop's. */
static int start_watchdog(struct daemon *d)
{
	const struct config *cfg = &d->cfg;
	struct watchdog_config wc = {
		.timeout_ms = cfg->watchdog_ms,
		.proc_root = cfg->proc_root,
		.scope = cfg->scope,
		.self = d->self,
		.rules = &d->cfg.rules,
		.capacity = proctab_capacity(d->pt),
		.cg_depth = proctab_depth(d->pt),
		.max_victims = cfg->dry_run ? 0 : cfg->max_victims, /* 0: never kills */
		.kill_timeout_ms = cfg->kill_timeout_ms,
		.reap = !cfg->no_reap,
	};
	int r;

	if (!cfg->watchdog_ms)
		return 0;
	if ((r = watchdog_new(&wc, &d->params, &d->watchdog)) < 0)
		return log_error_errno(r, "cannot start the watchdog");
	if ((r = report_watch_watchdog(d->report, d->watchdog)) < 0)
		return log_error_errno(r, "cannot watch the watchdog");
	loop_set_busy_hook(d->loop, watchdog_busy, d->watchdog);
	return 0;
}

static void log_start(struct daemon *d, const struct mem_state *m)
{
	const struct config *cfg = &d->cfg;
	struct decision dec;

	decide_marks(&d->params, m, &dec);
	log_info("reapd %s watching %s: %llu MiB, %llu MiB available; kills below %llu MiB "
		 "(psi/vmpressure below %llu MiB), swap %s; min adj %d; %u reaper threads%s%s",
		 REAPD_VERSION, domain_name(d->domain), (unsigned long long)(m->total_kib / 1024),
		 (unsigned long long)(m->avail_kib / 1024),
		 (unsigned long long)(dec.mem_min_kib / 1024),
		 (unsigned long long)(dec.mem_low_kib / 1024),
		 m->swap_total_kib ? "counted" : "none", cfg->min_adj, cfg->reaper_threads,
		 cfg->no_reap ? ", no reaping" : cfg->sync_reap ? ", reaping on the main thread" : "",
		 cfg->dry_run ? ", DRY RUN" : "");
}

static int start_killing(struct daemon *d)
{
	const struct config *cfg = &d->cfg;
	struct reaper_config rc = {
		.threads = cfg->sync_reap ? 0 : cfg->reaper_threads,
		.queue_capacity = KILLER_CAPACITY,
		.reap = !cfg->no_reap,
		.proc_fd = d->proc_fd,
		.roots = &d->roots,
	};
	struct killer_config kc = {
		.kill_timeout_ms = cfg->kill_timeout_ms,
		.dry_run = cfg->dry_run,
		.reap = !cfg->no_reap,
		.capacity = KILLER_CAPACITY,
		.scope_name = domain_name(d->domain),
	};
	int r;

	struct report_config pc = {
		.cfg = &d->cfg,
		.loop = d->loop,
		.domain = d->domain,
		.pt = d->pt,
		.respawn = &d->respawn,
		.events = d->events_opened,
		.gauges = fill_gauges,
		.gauges_ctx = d,
	};

	cgroup_roots_find(cfg->cgroup_root, &d->roots);
	d->events_opened = NULL; /* the report's from here on */
	if ((r = report_new(&pc, &d->report)) < 0)
		return r;
	if ((r = reaper_new(&rc, &d->reaper)) < 0 ||
	    (r = killer_new(&kc, d->loop, d->reaper, d->pt, &killer_ops, d, &d->killer)) < 0)
		return log_error_errno(r, "cannot start the reaper");
	return 0;
}

int daemon_new(struct config *cfg, struct daemon **ret, bool *ret_usage)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int r;

	*ret_usage = false;
	if (!d)
		return -ENOMEM;
	/* The daemon owns the config from here on. */
	d->cfg = *cfg;
	config_init(cfg);
	d->self = getpid();
	d->start_usec = now_usec();
	/* The loop logs each kill: a full stderr pipe must not stop it. */
	if ((r = log_never_block()) < 0)
		log_warn_errno(r, "cannot make logging non-blocking");
	selfprotect_drop_caps(d->cfg.kill_hook_user != NULL);
	if (d->cfg.syslog && (r = log_open_syslog(d->cfg.syslog_socket)) < 0)
		log_warn_errno(r, "cannot log to syslog at %s; logging to stderr",
			       d->cfg.syslog_socket);
	d->sig_fd = -1;
	d->loadavg_fd = -1;
	respawn_init(&d->respawn);
	d->proc_fd = open(d->cfg.proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->proc_fd < 0) {
		r = usage_error(ret_usage, "proc-root", d->cfg.proc_root, strerror(errno));
		goto fail;
	}
	if ((r = open_domain(d, ret_usage)) < 0)
		goto fail;
	d->loadavg_fd = open_at(d->proc_fd, "loadavg", O_RDONLY);
	if (d->cfg.events_path && (r = events_open(d->cfg.events_path, &d->events_opened)) < 0) {
		r = usage_error(ret_usage, "events", d->cfg.events_path, strerror(-r));
		goto fail;
	}
	daemon_apply_params(d);
	if ((r = domain_read(d->domain, &d->mem)) < 0) {
		log_error_errno(r, "cannot read the memory state of %s", domain_name(d->domain));
		goto fail;
	}
	if ((r = loop_new(&d->loop)) < 0 || (r = setup_signals(d)) < 0 ||
	    (r = setup_tables(d)) < 0) {
		log_error_errno(r, "cannot set up");
		goto fail;
	}
	selfprotect_realtime(!d->cfg.no_realtime);
	if ((r = start_killing(d)) < 0 || (r = start_watchdog(d)) < 0 ||
	    (r = setup_endpoints(d, ret_usage)) < 0)
		goto fail;
	selfprotect_raise_loop(!d->cfg.no_realtime);
	r = sources_new(d->loop, d->domain, report_metrics(d->report), on_source_event, d,
			&d->sources);
	if (r < 0) {
		log_error_errno(r, "cannot set up");
		goto fail;
	}
	loop_timer_init(&d->poll_timer, on_poll, d);
	log_start(d, &d->mem);
	sources_open_all(d->sources, &d->cfg, &d->params, &d->mem);
	selfprotect_lock(d->proc_fd, !d->cfg.no_mlock);
	*ret = d;
	return 0;
fail:
	daemon_free(d);
	return r;
}

int daemon_run(struct daemon *d)
{
	int r;

	daemon_evaluate(d, 0);
	report_start_metrics(d->report);
	notify_send("READY=1\nSTATUS=Watching %s; no kills yet\nMAINPID=%d", domain_name(d->domain),
		    (int)d->self);
	r = loop_run(d->loop);
	notify_send("STOPPING=1\nSTATUS=Stopping after %llu kills",
		    (unsigned long long)report_kills(d->report));
	if (r < 0) {
		log_error_errno(r, "event loop failed");
		return 1;
	}
	return r;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	/* Kills the watchdog made and the loop has not reported yet are reported now. */
	if (d->watchdog) {
		watchdog_stop(d->watchdog);
		report_drain_watchdog(d->report);
	}
	if (d->report)
		report_set_endpoints(d->report, NULL, NULL);
	ctl_free(d->ctl);
	lmkd_free(d->lmkd);
	d->ctl = NULL;
	d->lmkd = NULL;
	/* The final figures go to the metrics file before its writer stops. */
	if (d->report && d->killer)
		report_stop(d->report);
	if (d->loop)
		loop_set_busy_hook(d->loop, NULL, NULL);
	watchdog_free(d->watchdog);
	killer_free(d->killer);
	reaper_free(d->reaper);
	report_free(d->report);
	events_free(d->events_opened);
	sources_free(d->sources);
	proctab_free(d->pt);
	policy_work_free(d->work);
	free(d->victims);
	free(d->rank);
	domain_free(d->domain);
	cgroup_roots_free(&d->roots);
	safe_close(d->sig_fd);
	safe_close(d->loadavg_fd);
	safe_close(d->proc_fd);
	loop_free(d->loop);
	config_free(&d->cfg);
	free(d);
}
