/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cgroup.h"
#include "config-version.h"
#include "decide.h"
#include "domain.h"
#include "events.h"
#include "killer.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "proctab.h"
#include "psi.h"
#include "reaper.h"
#include "sys.h"
#include "vmpressure.h"
#include "watermark.h"

#define MAX_SOURCES          6
#define KILLER_CAPACITY      64
#define INITIAL_CAPACITY     4096
#define MAX_POLL_USEC        (2500 * USEC_PER_MSEC)
#define FOLLOW_POLL_USEC     (100 * USEC_PER_MSEC)
#define FOLLOW_USEC          (3 * USEC_PER_SEC)
/* MemAvailable lags a kill by up to ~10 s while per-CPU free lists drain. */
#define CREDIT_USEC          (10 * USEC_PER_SEC)
#define NOTHING_WARN_USEC    (10 * USEC_PER_SEC)
#define STACK_PREFAULT_BYTES (256 * 1024)

struct source_slot {
	struct daemon *d;
	struct source *src;
	struct loop_watch watch;
	bool watched;
};

struct daemon {
	const struct config *cfg;
	struct loop *loop;
	struct domain *domain;
	struct proctab *pt;
	struct policy_work *work;
	uint32_t *victims;
	struct reaper *reaper;
	struct killer *killer;
	struct events *events;
	struct cgroup_roots roots;
	int proc_fd;
	pid_t self;

	struct source_slot sources[MAX_SOURCES];
	size_t n_sources;
	uint64_t threshold_limit_bytes; /* limit the v1 usage thresholds were set for */
	int sig_fd;
	struct loop_watch sig_watch;
	struct loop_timer poll_timer;

	struct decide_params params;
	struct watermark_rate rate;
	uint64_t follow_until_usec;
	uint64_t quiet_until_usec; /* dry run: do not report the same victims every poll */
	uint64_t nothing_warned_usec;
	uint64_t credit_kib;
	uint64_t credit_base_kib;
	uint64_t credit_until_usec;
	uint64_t rounds;
};

static void evaluate(struct daemon *d, unsigned fired);

/* How much of the memory confirmed freed MemAvailable has not shown yet (system domain). */
static uint64_t lag_credit(struct daemon *d, const struct mem_state *m, uint64_t now)
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

static int load_candidate(void *ctx, struct candidate *c)
{
	struct daemon *d = ctx;
	int r = proctab_load(d->pt, c);

	if (r == 0 && c->skip == SKIP_NONE && killer_is_victim(d->killer, c->pid, c->start_time))
		c->skip = SKIP_PENDING;
	return r;
}

/* Grows the scan table after a round that did not fit (allocates: never before the kill). */
static void grow_tables(struct daemon *d)
{
	struct policy_work *w;

	if (proctab_grow(d->pt) < 0 || policy_work_new(proctab_capacity(d->pt), &w) < 0) {
		log_warn("cannot grow the process table past %zu entries", proctab_capacity(d->pt));
		return;
	}
	policy_work_free(d->work);
	d->work = w;
	log_info("process table grown to %zu entries", proctab_capacity(d->pt));
}

static void run_round(struct daemon *d, const struct decision *dec, const struct mem_state *m,
		      uint64_t now)
{
	const struct config *cfg = d->cfg;
	struct candidate *cands;
	struct policy_params pp = {
		.min_adj = dec->min_adj,
		.target_kib = dec->target_kib,
		.max_victims = cfg->max_victims,
		.self = d->self,
	};
	struct kill_round round = {.reason = dec->reason, .target_kib = dec->target_kib};
	int n, chosen;

	n = proctab_scan(d->pt, dec->min_adj, &cands);
	if (n < 0) {
		log_warn_errno(n, "cannot scan processes");
		return;
	}
	chosen = policy_select(&pp, cands, (size_t)n, load_candidate, d, d->work, d->victims);
	round.scan_usec = now_usec() - now;
	round.scanned = proctab_seen(d->pt);
	if (chosen <= 0) {
		if (now - d->nothing_warned_usec >= NOTHING_WARN_USEC || !d->nothing_warned_usec) {
			log_warn("%s: %llu MiB available, need %llu MiB more, but no process at adj "
				 ">= %d is left to kill",
				 kill_reason_name(dec->reason),
				 (unsigned long long)(m->avail_kib / 1024),
				 (unsigned long long)(dec->target_kib / 1024), dec->min_adj);
			d->nothing_warned_usec = now;
		}
	} else {
		if (d->credit_kib == 0)
			d->credit_base_kib = m->avail_kib;
		killer_kill(d->killer, &round, cands, d->victims, (size_t)chosen);
		d->rounds++;
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
}

static void schedule_poll(struct daemon *d, const struct mem_state *m, uint64_t mark_kib,
			  uint64_t rate, uint64_t now)
{
	uint64_t interval = watermark_interval_usec(m->avail_kib, mark_kib, rate, MAX_POLL_USEC);

	if (now < d->follow_until_usec && interval > FOLLOW_POLL_USEC)
		interval = FOLLOW_POLL_USEC;
	loop_timer_arm(d->loop, &d->poll_timer, now + interval);
}

static void setup_thresholds(struct daemon *d, const struct mem_state *m);

static void evaluate(struct daemon *d, unsigned fired)
{
	struct mem_state m;
	struct decision dec;
	uint64_t now = now_usec(), rate, in_flight;
	int r;

	r = domain_read(d->domain, &m);
	if (r == -ENODEV || r == -ENOENT) {
		log_error("the scope %s is gone (cgroup removed); exiting", domain_name(d->domain));
		loop_exit(d->loop, 1);
		return;
	}
	if (r < 0) {
		log_warn_errno(r, "cannot read the memory state of %s", domain_name(d->domain));
		loop_timer_arm(d->loop, &d->poll_timer, now + MAX_POLL_USEC);
		return;
	}
	rate = watermark_rate_update(&d->rate, m.avail_kib, now);
	if (domain_kind(d->domain) == DOMAIN_CGROUP_V1 &&
	    domain_limit_bytes(d->domain) != d->threshold_limit_bytes)
		setup_thresholds(d, &m);

	in_flight = killer_pending_kib(d->killer) + lag_credit(d, &m, now);
	if (decide(&d->params, &m, fired, in_flight, &dec) && now >= d->quiet_until_usec)
		run_round(d, &dec, &m, now);
	else if (fired & ~(unsigned)PRESSURE_AFTER_KILL)
		log_debug("pressure signal 0x%x, %llu KiB available: no kill", fired,
			  (unsigned long long)m.avail_kib);
	schedule_poll(d, &m, dec.mem_min_kib, rate, now_usec());
}

static void on_poll(void *ctx)
{
	evaluate(ctx, 0);
}

static void on_victim_done(void *ctx, uint64_t freed_kib)
{
	struct daemon *d = ctx;

	if (domain_kind(d->domain) == DOMAIN_SYSTEM && freed_kib) {
		d->credit_kib += freed_kib;
		d->credit_until_usec = now_usec() + CREDIT_USEC;
	}
	evaluate(d, killer_pending(d->killer) == 0 ? PRESSURE_AFTER_KILL : 0);
}

static void on_source(void *ctx, uint32_t events)
{
	struct source_slot *s = ctx;
	struct daemon *d = s->d;
	int r = source_read_event(s->src);

	if (r < 0 || (events & (EPOLLERR | EPOLLHUP) && s->src->ops->poll_events != EPOLLPRI)) {
		/* A source that errors keeps the fd ready: drop it rather than spin. */
		log_warn_errno(r < 0 ? r : -EIO, "%s source failed; relying on polling",
			       s->src->ops->name);
		loop_del(d->loop, source_fd(s->src));
		s->watched = false;
		evaluate(d, 0);
		return;
	}
	if (r == 0)
		return;
	d->follow_until_usec = now_usec() + FOLLOW_USEC;
	evaluate(d, s->src->signal);
}

/* Adds @src to the loop. Returns 0 or -errno (the source is freed on failure). */
static int add_source(struct daemon *d, struct source *src)
{
	struct source_slot *s;
	int r;

	if (d->n_sources >= MAX_SOURCES) {
		source_free(src);
		return -ENOSPC;
	}
	s = &d->sources[d->n_sources];
	*s = (struct source_slot){.d = d, .src = src};
	s->watch = (struct loop_watch){.fn = on_source, .ctx = s};
	r = loop_add(d->loop, source_fd(src), src->ops->poll_events, &s->watch);
	if (r < 0) {
		source_free(src);
		return r;
	}
	s->watched = true;
	d->n_sources++;
	return 0;
}

static void remove_sources_named(struct daemon *d, const char *name)
{
	size_t j = 0;

	for (size_t i = 0; i < d->n_sources; i++) {
		struct source_slot *s = &d->sources[i];

		if (strcmp(s->src->ops->name, name) != 0) {
			if (i != j) {
				loop_del(d->loop, source_fd(s->src));
				d->sources[j] = *s;
				d->sources[j].watch.ctx = &d->sources[j];
				loop_add(d->loop, source_fd(s->src), s->src->ops->poll_events,
					 &d->sources[j].watch);
			}
			j++;
			continue;
		}
		if (s->watched)
			loop_del(d->loop, source_fd(s->src));
		source_free(s->src);
	}
	d->n_sources = j;
}

/*
 * cgroup v1: usage thresholds where headroom falls to twice --mem-min (start
 * following closely) and to --mem-min (act), re-registered when the limit
 * changes.
 */
static void setup_thresholds(struct daemon *d, const struct mem_state *m)
{
	uint64_t limit = domain_limit_bytes(d->domain), marks[2];
	struct decision dec;
	struct source *src;

	remove_sources_named(d, "threshold");
	d->threshold_limit_bytes = limit;
	if (limit == 0)
		return;
	decide_marks(&d->params, m, &dec);
	marks[0] = dec.mem_low_kib * 1024;
	marks[1] = dec.mem_min_kib * 1024;
	for (int i = 0; i < 2; i++) {
		int r;

		if (marks[i] == 0 || marks[i] >= limit)
			continue;
		r = watermark_threshold_open(domain_dirfd(d->domain), limit - marks[i], &src);
		if (r == 0)
			r = add_source(d, src);
		if (r < 0) {
			log_warn_errno(r, "cannot set a usage threshold on %s; polling instead",
				       domain_name(d->domain));
			return;
		}
	}
}

static void setup_psi(struct daemon *d, char *desc, size_t len)
{
	const struct config *cfg = d->cfg;
	char path[4096];
	int pos = 0;

	if (domain_pressure_path(d->domain, cfg->proc_root, path, sizeof(path)) < 0)
		return;
	for (int full = 0; full <= 1; full++) {
		unsigned stall = full ? cfg->psi_full_ms : cfg->psi_some_ms;
		struct source *src;
		int r;

		if (stall == 0)
			continue;
		if (stall > cfg->psi_window_ms)
			stall = cfg->psi_window_ms;
		r = psi_source_open(path, full, stall, cfg->psi_window_ms, &src);
		if (r < 0) {
			log_warn_errno(r, "cannot set a PSI trigger on %s; polling instead", path);
			return;
		}
		pos += snprintf(desc + pos, len - (size_t)pos, "%s%s %u ms/%u ms", pos ? ", " : "",
				full ? "full" : "some", psi_source_stall_ms(src),
				psi_source_window_ms(src));
		if (add_source(d, src) < 0)
			return;
	}
}

static void setup_sources(struct daemon *d, const struct mem_state *m)
{
	char psi[128] = "";
	struct source *src;
	int r;

	setup_psi(d, psi, sizeof(psi));
	switch (domain_kind(d->domain)) {
	case DOMAIN_CGROUP_V1:
		r = vmpressure_source_open(domain_dirfd(d->domain), "critical", "local", &src);
		if (r == 0)
			r = add_source(d, src);
		if (r < 0)
			log_warn_errno(r, "cannot watch vmpressure of %s", domain_name(d->domain));
		setup_thresholds(d, m);
		break;
	case DOMAIN_CGROUP_V2:
		r = watermark_events_open(domain_dirfd(d->domain), &src);
		if (r == 0)
			r = add_source(d, src);
		if (r < 0)
			log_warn_errno(r, "cannot watch memory.events of %s",
				       domain_name(d->domain));
		break;
	case DOMAIN_SYSTEM:
		break;
	}
	log_info("psi: %s; %zu kernel notification sources", psi[0] ? psi : "off", d->n_sources);
}

static void on_signal(void *ctx, uint32_t events)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: config reload is not supported yet; keeping the settings");
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

/* Touches stack pages now so that, once locked, the kill path never faults one in. */
static __attribute__((noinline)) void prefault_stack(void)
{
	char buf[STACK_PREFAULT_BYTES];

	prefault(buf, sizeof(buf));
}

static void protect_self(struct daemon *d)
{
	int r = write_at(d->proc_fd, "self/oom_score_adj", "-1000");

	if (r < 0)
		log_warn_errno(r, "cannot set reapd's own oom_score_adj to -1000 (needs "
				  "CAP_SYS_RESOURCE); the kernel OOM killer may pick reapd");
	if (d->cfg->no_mlock)
		return;
	prefault_stack();
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
		log_warn_errno(-errno, "cannot lock reapd's memory (mlockall)");
}

/* Builds the scan table, sized so a scan of the scope fits with room to spare. */
static int setup_tables(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	struct proctab_config pc = {
		.proc_root = cfg->proc_root,
		.scope_dirfd = domain_dirfd(d->domain),
		.self = d->self,
		.rules = &cfg->rules,
		.capacity = INITIAL_CAPACITY,
	};
	struct candidate *cands;
	int r;

	r = proctab_new(&pc, &d->pt);
	if (r < 0)
		return r;
	/* A first scan warms the table; grow until the scope fits twice over. */
	while ((r = proctab_scan(d->pt, ADJ_MIN + 1, &cands)) >= 0 &&
	       (proctab_overflowed(d->pt) || (size_t)r * 2 > proctab_capacity(d->pt)))
		if ((r = proctab_grow(d->pt)) < 0)
			return r;
	if (r < 0)
		return r;
	r = policy_work_new(proctab_capacity(d->pt), &d->work);
	if (r < 0)
		return r;
	d->victims = calloc(cfg->max_victims, sizeof(*d->victims));
	return d->victims ? 0 : -ENOMEM;
}

static int usage_error(bool *ret_usage, const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "reapd: --%s: invalid value '%s' (%s)\n", opt, value, why);
	*ret_usage = true;
	return -EINVAL;
}

static int open_domain(struct daemon *d, bool *ret_usage)
{
	const struct config *cfg = d->cfg;
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

static void log_start(struct daemon *d, const struct mem_state *m)
{
	const struct config *cfg = d->cfg;
	struct decision dec;

	decide_marks(&d->params, m, &dec);
	log_info("reapd %s watching %s: %llu MiB, %llu MiB available; kills below %llu MiB "
		 "(psi/vmpressure below %llu MiB), swap %s; min adj %d; %u reaper threads%s%s",
		 REAPD_VERSION, domain_name(d->domain), (unsigned long long)(m->total_kib / 1024),
		 (unsigned long long)(m->avail_kib / 1024),
		 (unsigned long long)(dec.mem_min_kib / 1024),
		 (unsigned long long)(dec.mem_low_kib / 1024),
		 m->swap_total_kib ? "counted" : "none", cfg->min_adj, cfg->reaper_threads,
		 cfg->no_reap ? ", no reaping" : "", cfg->dry_run ? ", DRY RUN" : "");
}

int daemon_new(const struct config *cfg, struct daemon **ret, bool *ret_usage)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct mem_state m;
	int r;

	*ret_usage = false;
	if (!d)
		return -ENOMEM;
	d->cfg = cfg;
	d->self = getpid();
	d->sig_fd = -1;
	d->proc_fd = open(cfg->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->proc_fd < 0) {
		r = usage_error(ret_usage, "proc-root", cfg->proc_root, strerror(errno));
		goto fail;
	}
	if ((r = open_domain(d, ret_usage)) < 0)
		goto fail;
	if (cfg->events_path && (r = events_open(cfg->events_path, &d->events)) < 0) {
		r = usage_error(ret_usage, "events", cfg->events_path, strerror(-r));
		goto fail;
	}
	d->params = (struct decide_params){
		.mem_min = cfg->mem_min,
		.swap_min = cfg->swap_min,
		.target_kib = cfg->target_kib,
		.min_adj = cfg->min_adj,
		.psi_some_min_adj = cfg->min_adj > 200 ? cfg->min_adj : 200,
	};
	if ((r = domain_read(d->domain, &m)) < 0) {
		log_error_errno(r, "cannot read the memory state of %s", domain_name(d->domain));
		goto fail;
	}
	if ((r = loop_new(&d->loop)) < 0 || (r = setup_signals(d)) < 0 ||
	    (r = setup_tables(d)) < 0) {
		log_error_errno(r, "cannot set up");
		goto fail;
	}
	cgroup_roots_find(cfg->cgroup_root, &d->roots);
	struct reaper_config rc = {
		.threads = cfg->reaper_threads,
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
	if ((r = reaper_new(&rc, &d->reaper)) < 0 ||
	    (r = killer_new(&kc, d->loop, d->reaper, d->pt, d->events, on_victim_done, d,
			    &d->killer)) < 0) {
		log_error_errno(r, "cannot start the reaper");
		goto fail;
	}
	loop_timer_init(&d->poll_timer, on_poll, d);
	log_start(d, &m);
	setup_sources(d, &m);
	protect_self(d);
	*ret = d;
	return 0;
fail:
	daemon_free(d);
	return r;
}

int daemon_run(struct daemon *d)
{
	int r;

	evaluate(d, 0);
	r = loop_run(d->loop);
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
	killer_free(d->killer);
	reaper_free(d->reaper);
	for (size_t i = 0; i < d->n_sources; i++)
		source_free(d->sources[i].src);
	events_free(d->events);
	proctab_free(d->pt);
	policy_work_free(d->work);
	free(d->victims);
	domain_free(d->domain);
	cgroup_roots_free(&d->roots);
	safe_close(d->sig_fd);
	safe_close(d->proc_fd);
	loop_free(d->loop);
	free(d);
}
