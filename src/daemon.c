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
#include "ctl.h"
#include "ctl_answer.h"
#include "decide.h"
#include "domain.h"
#include "freezer.h"
#include "holdline.h"
#include "killer.h"
#include "lmkd.h"
#include "loop.h"
#include "metrics.h"
#include "procfs.h"
#include "proctab.h"
#include "reaper.h"
#include "boost.h"
#include "reload.h"
#include "respawn.h"
#include "watchdog.h"
#include "log.h"
#include "sdnotify.h"
#include "selfprotect.h"
#include "report.h"
#include "round.h"
#include "sources.h"
#include "sys.h"

#define KILLER_CAPACITY      64
#define INITIAL_CAPACITY     1024
#define LMKD_MAX_RECORDS     1024

struct daemon {
	struct config cfg; /* owned; replaced whole by a reload */
	struct loop *loop;
	struct domain *domain;
	struct round *round;
	struct metrics *metrics;
	struct reaper *reaper;
	struct killer *killer;
	struct events *events_opened; /* until the report takes it */
	struct report *report;        /* where every finished kill goes */
	struct ctl *ctl;
	struct lmkd *lmkd;
	struct watchdog *watchdog; /* NULL: --watchdog 0 */
	struct holdline *hold;     /* --hold-line on a v2 scope */
	struct cgroup_roots roots;
	struct boost_env boost_env; /* valid when have_boost_env */
	bool have_boost_env;
	int proc_fd;
	pid_t self;
	struct procfs_scope scope; /* where prio requests (both endpoints) may act */
	uint64_t start_usec;

	struct sources *sources;
	int sig_fd;
	struct loop_watch sig_watch;

	struct decide_params params;
	struct respawn respawn;

	/* What the control replies and a reload work on (wire_handles()). */
	struct ctl_answer answer;
	struct reload_target reload;
};

static void on_victim_done(void *ctx, uint64_t freed_kib)
{
	struct daemon *d = ctx;

	round_victim_done(d->round, freed_kib);
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

	const struct mem_state *m = round_mem(d->round);

	g->total_kib = m->total_kib;
	g->avail_kib = m->avail_kib;
	g->swap_free_kib = m->swap_free_kib;
	g->swap_counted_kib = swap_free_counted_kib(m);
	g->swap_util_pct = swap_util_pct(m);
	g->have_zram = m->have_zram;
	g->zram_ram_kib = m->zram_ram_kib;
	g->shmem_kib = m->shmem_kib;
	g->unfreeable_kib = round_unfreeable_kib(d->round);
	g->thrash = round_thrash(d->round);
	g->pending_victims = killer_pending(d->killer);
	g->killer = killer_stats(d->killer);
}

static const struct killer_ops killer_ops = {
	.event = on_kill_event,
	.done = on_victim_done,
	.charged = on_charged,
};

/* The round's view of the killer. */
static int killer_kill_fn(void *ctx, const struct kill_round *round, const struct candidate *cands,
			  const uint32_t *victims, size_t n)
{
	return killer_kill(ctx, round, cands, victims, n);
}

static size_t round_killer_pending(void *ctx)
{
	return killer_pending(ctx);
}

static uint64_t killer_pending_kib_fn(void *ctx)
{
	return killer_pending_kib(ctx);
}

static bool killer_is_victim_fn(void *ctx, pid_t pid, uint64_t start_time)
{
	return killer_is_victim(ctx, pid, start_time);
}

static const struct round_killer round_killer_ops = {
	.kill = killer_kill_fn,
	.pending = round_killer_pending,
	.pending_kib = killer_pending_kib_fn,
	.is_victim = killer_is_victim_fn,
};

/* A source fired and was dropped: follow closely after a real event. */
static void on_source_event(void *ctx, unsigned signal, bool real)
{
	struct daemon *d = ctx;

	round_pressure(d->round, signal, real);
}

static void on_signal(void *ctx, uint32_t events)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char err[256];

			reload_run(&d->reload, err, sizeof(err));
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

static int usage_error(bool *ret_usage, const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "reapd: --%s: invalid value '%s' (%s)\n", opt, value, why);
	*ret_usage = true;
	return -EINVAL;
}

/*
 * --hold-line on a v2 scope: the thread that writes memory.high.  On every v2
 * scope, a hold an earlier run left is undone, whether the option is on now
 * or not.
 */
static int open_holdline(struct daemon *d)
{
	const char *name = domain_name(d->domain);
	int r;

	if (domain_kind(d->domain) != DOMAIN_CGROUP_V2) {
		if (d->cfg.hold_line)
			log_warn("hold-line: %s is not a cgroup v2 scope (no memory.high); ignored",
				 name);
		return 0;
	}
	if (!d->cfg.hold_line || d->cfg.dry_run) {
		r = holdline_restore(domain_dirfd(d->domain), name);
		if (r < 0 && r != -ENOENT)
			log_warn_errno(r, "cannot open %s/memory.high", name);
		return 0;
	}
	r = holdline_new(domain_dirfd(d->domain), name, &d->hold);
	if (r < 0)
		return log_error_errno(r, "hold-line: cannot open %s/memory.high", name);
	return 0;
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
	if ((r = open_holdline(d)) < 0)
		return r;
	/* Optional: without it, free swap on zram is counted as if it were on disk. */
	r = domain_follow_swaps(d->domain, cfg->proc_root, cfg->sys_root);
	if (r < 0 && r != -ENOENT) /* no /proc/swaps: a kernel without swap */
		log_warn_errno(r, "cannot follow the swap devices (%s/swaps)", cfg->proc_root);
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
		r = ctl_new(cfg->control_path, cfg->control_mode, d->loop, ctl_answer, &d->answer,
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

		r = lmkd_new(&lc, d->loop, &ctl_answer_lmkd_ops, &d->answer, &d->lmkd);
		if (r < 0)
			return usage_error(ret_usage, "lmkd-socket", cfg->lmkd_path, listen_error(r));
	}
	report_set_endpoints(d->report, d->ctl, d->lmkd);
	return 0;
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
		.capacity = proctab_capacity(round_proctab(d->round)),
		.cg_depth = proctab_depth(round_proctab(d->round)),
		.max_victims = cfg->dry_run ? 0 : cfg->max_victims, /* 0: never kills */
		.kill_timeout_ms = cfg->kill_timeout_ms,
		.reap = !cfg->no_reap,
		.boost = !cfg->no_boost,
		.roots = &d->roots,
		.boost_env = d->have_boost_env ? &d->boost_env : NULL,
	};
	int r;

	if (!cfg->watchdog_ms)
		return 0;
	if ((r = watchdog_new(&wc, &d->params, &d->watchdog)) < 0)
		return log_error_errno(r, "cannot start the watchdog");
	if ((r = report_watch_watchdog(d->report, d->watchdog)) < 0)
		return log_error_errno(r, "cannot watch the watchdog");
	loop_set_busy_hook(d->loop, watchdog_busy, d->watchdog);
	/* The loop's victims not yet dead: the watchdog counts them as on their way back. */
	if ((r = killer_set_pending_hook(d->killer, watchdog_set_in_flight, d->watchdog)) < 0)
		return log_error_errno(r, "cannot start the watchdog");
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

/* The round and its scan tables, sized by a first scan of the scope. */
static int start_round(struct daemon *d)
{
	struct round_config rc;
	int r = metrics_new(&d->metrics);

	if (r < 0)
		return r;
	cgroup_roots_find(d->cfg.cgroup_root, &d->roots);
	/* After metrics_new(): the round counts into them (it once got NULL and counted nothing). */
	rc = (struct round_config){
		.cfg = &d->cfg,
		.params = &d->params,
		.loop = d->loop,
		.domain = d->domain,
		.metrics = d->metrics,
		.respawn = &d->respawn,
		.proc_fd = d->proc_fd,
		.self = d->self,
		.initial_capacity = INITIAL_CAPACITY,
		.hold = d->hold,
		.unified = d->roots.unified,
	};
	return round_new(&rc, &d->round);
}

static int start_killing(struct daemon *d)
{
	const struct config *cfg = &d->cfg;
	struct reaper_config rc = {
		.threads = cfg->sync_reap ? 0 : cfg->reaper_threads,
		.queue_capacity = KILLER_CAPACITY,
		.reap = !cfg->no_reap,
		.boost = !cfg->no_boost,
		.proc_fd = d->proc_fd,
		.roots = &d->roots,
		.boost_env = &d->boost_env,
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
		.pt = round_proctab(d->round),
		.metrics = d->metrics,
		.respawn = &d->respawn,
		.events = d->events_opened,
		.gauges = fill_gauges,
		.gauges_ctx = d,
	};

	/* After selfprotect_realtime(), before the threads start: the CPUs they may use. */
	if ((r = boost_env_open(cfg->cgroup_root, &d->boost_env)) < 0) {
		log_warn_errno(r, "cannot read reapd's CPUs; victims are not boosted");
		rc.boost_env = NULL;
	} else {
		d->have_boost_env = true;
	}
	d->events_opened = NULL; /* the report's from here on */
	if ((r = report_new(&pc, &d->report)) < 0)
		return r;
	if ((r = reaper_new(&rc, &d->reaper)) < 0 ||
	    (r = killer_new(&kc, d->loop, d->reaper, round_proctab(d->round), &killer_ops, d,
			    &d->killer)) < 0)
		return log_error_errno(r, "cannot start the reaper");
	round_set_killer(d->round, &round_killer_ops, d->killer);
	return 0;
}

static int on_reload(void *ctx, char *err, size_t err_len)
{
	struct daemon *d = ctx;

	return reload_run(&d->reload, err, err_len);
}

/*
 * The handles the control replies and a reload work on.  Filled in once
 * everything is built: requests and signals are served only once the loop
 * runs.
 */
static void wire_handles(struct daemon *d)
{
	d->answer = (struct ctl_answer){
		.cfg = &d->cfg,
		.params = &d->params,
		.domain = d->domain,
		.round = d->round,
		.killer = d->killer,
		.metrics = d->metrics,
		.report = d->report,
		.lmkd = d->lmkd,
		.proc_fd = d->proc_fd,
		.scope = &d->scope,
		.self = d->self,
		.start_usec = d->start_usec,
		.reload = on_reload,
		.reload_ctx = d,
	};
	d->reload = (struct reload_target){
		.cfg = &d->cfg,
		.params = &d->params,
		.domain = d->domain,
		.round = d->round,
		.report = d->report,
		.killer = d->killer,
		.reaper = d->reaper,
		.sources = d->sources,
		.watchdog = d->watchdog,
	};
}

int daemon_new(struct config *cfg, struct daemon **ret, bool *ret_usage)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct mem_state m;
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
	/*
	 * A hook run as root may have to switch users itself (notify-desktop
	 * reaches the victim's session as the victim): once dropped here, no
	 * hook could get CAP_SETUID back, not even as root.
	 */
	selfprotect_drop_caps(d->cfg.kill_hook != NULL || d->cfg.kill_hook_user != NULL);
	if (d->cfg.syslog && (r = log_open_syslog(d->cfg.syslog_socket)) < 0)
		log_warn_errno(r, "cannot log to syslog at %s; logging to stderr",
			       d->cfg.syslog_socket);
	d->sig_fd = -1;
	respawn_init(&d->respawn);
	d->proc_fd = open(d->cfg.proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->proc_fd < 0) {
		r = usage_error(ret_usage, "proc-root", d->cfg.proc_root, strerror(errno));
		goto fail;
	}
	if ((r = open_domain(d, ret_usage)) < 0)
		goto fail;
	if (d->cfg.events_path && (r = events_open(d->cfg.events_path, &d->events_opened)) < 0) {
		r = usage_error(ret_usage, "events", d->cfg.events_path, strerror(-r));
		goto fail;
	}
	reload_apply_params(&d->cfg, &d->params, NULL);
	if ((r = domain_read(d->domain, &m)) < 0) {
		log_error_errno(r, "cannot read the memory state of %s", domain_name(d->domain));
		goto fail;
	}
	if ((r = loop_new(&d->loop)) < 0 || (r = setup_signals(d)) < 0 ||
	    (r = start_round(d)) < 0) {
		log_error_errno(r, "cannot set up");
		goto fail;
	}
	selfprotect_realtime(!d->cfg.no_realtime);
	if ((r = start_killing(d)) < 0 || (r = start_watchdog(d)) < 0 ||
	    (r = setup_endpoints(d, ret_usage)) < 0)
		goto fail;
	selfprotect_raise_loop(!d->cfg.no_realtime);
	r = sources_new(d->loop, d->domain, d->metrics, on_source_event, d,
			&d->sources);
	if (r < 0) {
		log_error_errno(r, "cannot set up");
		goto fail;
	}
	round_set_sources(d->round, d->sources);
	log_start(d, &m);
	sources_open_all(d->sources, &d->cfg, &d->params, &m);
	selfprotect_lock(d->proc_fd, !d->cfg.no_mlock);
	wire_handles(d);
	*ret = d;
	return 0;
fail:
	daemon_free(d);
	return r;
}

int daemon_run(struct daemon *d)
{
	int r;

	round_evaluate(d->round, 0);
	report_start_metrics(d->report);
	sdnotify_send("READY=1\nSTATUS=Watching %s; no kills yet\nMAINPID=%d", domain_name(d->domain),
		    (int)d->self);
	r = loop_run(d->loop);
	sdnotify_send("STOPPING=1\nSTATUS=Stopping after %llu kills",
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
	round_free(d->round);
	/* Its old value back before anything else can stop us. */
	holdline_free(d->hold);
	metrics_free(d->metrics);
	domain_free(d->domain);
	cgroup_roots_free(&d->roots);
	if (d->have_boost_env)
		boost_env_close(&d->boost_env);
	safe_close(d->sig_fd);
	safe_close(d->proc_fd);
	loop_free(d->loop);
	config_free(&d->cfg);
	free(d);
}
