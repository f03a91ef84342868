/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "jsonw.h"
#include "log.h"
#include "notifier.h"
#include "sdnotify.h"
#include "sys.h"

struct report {
	const struct config *cfg;
	struct loop *loop;
	struct domain *domain;
	struct proctab *pt;
	struct respawn *respawn;
	struct events *events;
	struct metrics *metrics;
	struct notifier *notifier; /* kill hooks and the metrics file */
	struct ctl *ctl;
	struct lmkd *lmkd;
	struct watchdog *watchdog;
	struct loop_watch watchdog_watch;
	struct loop_timer metrics_timer;
	report_gauges_fn gauges;
	void *gauges_ctx;
	uint64_t kills;  /* for the service manager's status line */
	bool stopping;

	char event_packet[2048];  /* a kill event for control subscribers */
	char metrics_text[32768]; /* the Prometheus text of a metrics reply or file */
};

static void notifier_config_of(const struct config *cfg, struct notifier_config *ret)
{
	*ret = (struct notifier_config){
		.hook = cfg->kill_hook,
		.hook_as_user = cfg->kill_hook_user != NULL,
		.hook_uid = cfg->kill_hook_uid,
		.hook_gid = cfg->kill_hook_gid,
		.hook_timeout_ms = cfg->kill_hook_timeout_ms,
		.metrics_path = cfg->metrics_file,
	};
}

static void on_metrics_timer(void *ctx);

int report_new(const struct report_config *cfg, struct report **ret)
{
	struct notifier_config nc;
	struct report *r = calloc(1, sizeof(*r));
	int e;

	if (!r) {
		events_free(cfg->events);
		return -ENOMEM;
	}
	*r = (struct report){.cfg = cfg->cfg, .loop = cfg->loop, .domain = cfg->domain,
			     .pt = cfg->pt, .metrics = cfg->metrics, .respawn = cfg->respawn, .events = cfg->events,
			     .gauges = cfg->gauges, .gauges_ctx = cfg->gauges_ctx};
	loop_timer_init(&r->metrics_timer, on_metrics_timer, r);
	notifier_config_of(cfg->cfg, &nc);
	if ((e = notifier_new(&nc, &r->notifier)) < 0) {
		log_error_errno(e, "cannot start the notifier thread");
		report_free(r);
		return e;
	}
	*ret = r;
	return 0;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	r->stopping = true;
	if (r->loop)
		loop_timer_disarm(r->loop, &r->metrics_timer);
	notifier_free(r->notifier);
	events_free(r->events);
	free(r);
}

void report_set_endpoints(struct report *r, struct ctl *ctl, struct lmkd *lmkd)
{
	r->ctl = ctl;
	r->lmkd = lmkd;
}

void report_set_events(struct report *r, struct events *events)
{
	/* Its thread writes what is still queued to the old file, without the loop waiting. */
	events_retire(r->events);
	r->events = events;
}

int report_configure(struct report *r, const struct config *fresh)
{
	struct notifier_config nc;

	notifier_config_of(fresh, &nc);
	return notifier_configure(r->notifier, &nc);
}

/* A command line killed again and again without relief is held back (respawn.h). */
static void note_respawn(struct report *r, const struct kill_event *ev)
{
	struct respawn_entry e;
	struct churn_entry ce;

	if (respawn_note_child(r->respawn, ev->ppid, ev->round_seq, ev->freed_kib, now_usec(), &ce))
		log_warn("pid %d replaces its children as fast as they are killed (%u kills in %u "
			 "rounds, %.1f MiB, in %llu ms): its own death, which stops that, is worth a "
			 "kill now",
			 (int)ce.ppid, ce.kills, ce.rounds, (double)ce.freed_kib / 1024.0,
			 (unsigned long long)((ce.last_usec - ce.first_usec) / USEC_PER_MSEC));
	/* The victim itself is in the last scan; two more of its name make a crowd. */
	bool crowd = proctab_count_comm(r->pt, ev->comm, 3) >= 3;

	if (!respawn_note(r->respawn, ev->cmd_hash, ev->round_seq, ev->target_kib, ev->freed_kib,
			  crowd, now_usec(), &e))
		return;
	log_warn("%s (uid %u) was killed in %u rounds within %llu s, freeing %.1f MiB of the "
		 "%.1f MiB they needed: it comes back (a service restarted?) and its death does "
		 "not relieve the pressure; not killing it for %llu s",
		 ev->comm, (unsigned)ev->uid, e.rounds,
		 (unsigned long long)((e.last_usec - e.first_usec) / USEC_PER_SEC + 1),
		 (double)e.freed_kib / 1024.0, (double)e.needed_kib / 1024.0,
		 (unsigned long long)(RESPAWN_HOLD_USEC / USEC_PER_SEC));
}

static void broadcast(struct report *r, const struct kill_event *ev)
{
	struct jsonw w;
	int n;

	jsonw_init(&w, r->event_packet, sizeof(r->event_packet));
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "event", "kill");
	events_put_fields(&w, ev);
	jsonw_object_end(&w);
	if ((n = jsonw_finish(&w)) > 0)
		ctl_broadcast(r->ctl, r->event_packet, (size_t)n);
}

static void write_metrics(struct report *r)
{
	int n;

	if (r->stopping || !notifier_wants_metrics(r->notifier))
		return;
	if ((n = report_format_metrics(r)) < 0) {
		log_warn_errno(n, "cannot format the metrics");
		return;
	}
	notifier_metrics(r->notifier, r->metrics_text, (size_t)n);
}

void report_kill(struct report *r, const struct kill_event *ev)
{
	int e;

	/* Queued for the events thread; a full queue is counted and reported there. */
	if (r->events && (e = events_write(r->events, ev)) < 0 && e != -ENOBUFS)
		log_warn_errno(e, "cannot write a kill event");
	metrics_kill(r->metrics, ev);
	if (r->ctl)
		broadcast(r, ev);
	if (r->lmkd && !ev->dry_run)
		lmkd_notify_kill(r->lmkd, ev->pid, ev->uid, ev->size_kib);
	if (ev->exited && !ev->dry_run)
		note_respawn(r, ev);
	notifier_kill(r->notifier, ev);
	write_metrics(r);
	if (!ev->dry_run) {
		r->kills++;
		sdnotify_send("STATUS=Watching %s; %llu kills, the last pid %d (%s), %.1f MiB",
			    domain_name(r->domain), (unsigned long long)r->kills, (int)ev->pid,
			    ev->comm, (double)ev->size_kib / 1024.0);
	}
}

/*
 * The loop runs again after being stuck: the watchdog's kills become events,
 * history, hook runs and metrics like the loop's own.
 */
static size_t take_watchdog_kills(struct report *r)
{
	struct watchdog_kill kills[8];
	unsigned long dropped;
	size_t n;

	n = watchdog_take(r->watchdog, kills, sizeof(kills) / sizeof(kills[0]), &dropped);
	if (dropped)
		log_warn("watchdog: %lu earlier kills were not reported (more than %d while the "
			 "loop was stuck)", dropped, WATCHDOG_KEPT);
	for (size_t i = 0; i < n; i++) {
		struct kill_event *ev = &kills[i].ev;

		ev->scope = domain_name(r->domain);
		if (ev->exited)
			log_info("watchdog: pid %d (%s) exited %.1f ms after its SIGKILL", (int)ev->pid,
				 ev->comm,
				 ev->kill_to_exit_usec > 0 ? (double)ev->kill_to_exit_usec / 1000.0 : 0.0);
		else
			log_warn("watchdog: pid %d (%s) was not seen dead within the kill timeout",
				 (int)ev->pid, ev->comm);
		report_kill(r, ev);
	}
	return n;
}

static void on_watchdog_kills(void *ctx, uint32_t events)
{
	(void)events;
	take_watchdog_kills(ctx); /* more left: the eventfd stays readable */
}

int report_watch_watchdog(struct report *r, struct watchdog *wd)
{
	r->watchdog = wd;
	r->watchdog_watch = (struct loop_watch){.fn = on_watchdog_kills, .ctx = r};
	return loop_add(r->loop, watchdog_fd(wd), EPOLLIN, &r->watchdog_watch);
}

void report_drain_watchdog(struct report *r)
{
	if (!r->watchdog)
		return;
	while (take_watchdog_kills(r) > 0)
		;
}

int report_format_metrics(struct report *r)
{
	struct notifier_stats ns;
	struct metrics_gauges g = {0};

	r->gauges(r->gauges_ctx, &g);
	g.respawn_holds = r->respawn->holds;
	g.lmkd_registered = r->lmkd ? lmkd_registered(r->lmkd) : 0;
	notifier_stats(r->notifier, &ns);
	g.notifier = &ns;
	return metrics_format(r->metrics, &g, r->metrics_text, sizeof(r->metrics_text));
}

const char *report_metrics_text(const struct report *r)
{
	return r->metrics_text;
}

static void on_metrics_timer(void *ctx)
{
	struct report *r = ctx;

	write_metrics(r);
	if (r->cfg->metrics_file)
		loop_timer_arm(r->loop, &r->metrics_timer,
			       now_usec() + r->cfg->metrics_interval_s * USEC_PER_SEC);
}

void report_start_metrics(struct report *r)
{
	loop_timer_disarm(r->loop, &r->metrics_timer);
	on_metrics_timer(r);
}

void report_reschedule_metrics(struct report *r)
{
	loop_timer_disarm(r->loop, &r->metrics_timer);
	if (r->cfg->metrics_file)
		loop_timer_arm(r->loop, &r->metrics_timer, now_usec());
}

void report_stop(struct report *r)
{
	write_metrics(r);
	r->stopping = true;
	loop_timer_disarm(r->loop, &r->metrics_timer);
}

uint64_t report_kills(const struct report *r)
{
	return r->kills;
}
