/* SPDX-License-Identifier: MIT */
#include "metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "policy.h"
#include "strbuf.h"

static const uint64_t bucket_usec[] = {500,   1000,   2500,   5000,   10000,   25000,
				       50000, 100000, 250000, 500000, 1000000, 2500000};
#define N_BUCKETS (sizeof(bucket_usec) / sizeof(bucket_usec[0]))

static const char *const sources[] = {"psi", "vmpressure", "threshold", "memory.events"};
#define N_SOURCES (sizeof(sources) / sizeof(sources[0]))

struct histogram {
	uint64_t counts[N_BUCKETS + 1]; /* the last one is +Inf */
	uint64_t sum_usec;
	uint64_t count;
};

struct history_entry {
	struct kill_event ev;
	char comm[COMM_LEN];
};

struct metrics {
	uint64_t kills_by_reason[REASON_COUNT];
	uint64_t kills_by_adj[ADJ_MAX - ADJ_MIN + 1];
	uint64_t dry_run_reports;
	uint64_t pressure_events[N_SOURCES];
	uint64_t rounds;
	uint64_t watchdog_kills;
	uint64_t boosted, boost_errors, cpu_limits_lifted;
	struct histogram kill_to_exit, reap, scan;
	struct history_entry history[METRICS_HISTORY];
	size_t history_next, history_len;
};

int metrics_new(struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	*ret = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static void observe(struct histogram *h, uint64_t usec)
{
	size_t b = 0;

	while (b < N_BUCKETS && usec > bucket_usec[b])
		b++;
	h->counts[b]++;
	h->sum_usec += usec;
	h->count++;
}

static void remember(struct metrics *m, const struct kill_event *ev)
{
	struct history_entry *e = &m->history[m->history_next];

	e->ev = *ev;
	snprintf(e->comm, sizeof(e->comm), "%s", ev->comm);
	e->ev.comm = e->comm;
	m->history_next = (m->history_next + 1) % METRICS_HISTORY;
	if (m->history_len < METRICS_HISTORY)
		m->history_len++;
}

void metrics_kill(struct metrics *m, const struct kill_event *ev)
{
	remember(m, ev);
	if (ev->dry_run) {
		m->dry_run_reports++;
		return;
	}
	if (ev->watchdog)
		m->watchdog_kills++;
	m->boosted += ev->boosted;
	m->boost_errors += ev->boost_errors;
	m->cpu_limits_lifted += ev->cpu_limit_lifted;
	for (int r = 0; r < REASON_COUNT; r++)
		if (strcmp(ev->reason, kill_reason_name((enum kill_reason)r)) == 0)
			m->kills_by_reason[r]++;
	if (ev->oom_score_adj >= ADJ_MIN && ev->oom_score_adj <= ADJ_MAX)
		m->kills_by_adj[ev->oom_score_adj - ADJ_MIN]++;
	if (ev->kill_to_exit_usec >= 0)
		observe(&m->kill_to_exit, (uint64_t)ev->kill_to_exit_usec);
	if (ev->reap_usec >= 0)
		observe(&m->reap, (uint64_t)ev->reap_usec);
}

void metrics_pressure_event(struct metrics *m, const char *source)
{
	for (size_t i = 0; i < N_SOURCES; i++)
		if (strcmp(source, sources[i]) == 0)
			m->pressure_events[i]++;
}

void metrics_round(struct metrics *m, uint64_t scan_usec)
{
	m->rounds++;
	observe(&m->scan, scan_usec);
}

uint64_t metrics_killcount(const struct metrics *m, int min_adj, int max_adj)
{
	uint64_t n = 0;

	if (min_adj < ADJ_MIN)
		min_adj = ADJ_MIN;
	if (max_adj > ADJ_MAX)
		max_adj = ADJ_MAX;
	for (int adj = min_adj; adj <= max_adj; adj++)
		n += m->kills_by_adj[adj - ADJ_MIN];
	return n;
}

size_t metrics_history_len(const struct metrics *m)
{
	return m->history_len;
}

const struct kill_event *metrics_history_at(const struct metrics *m, size_t i)
{
	size_t oldest = (m->history_next + METRICS_HISTORY - m->history_len) % METRICS_HISTORY;

	return &m->history[(oldest + i) % METRICS_HISTORY].ev;
}

#define put(t, ...) strbuf_printf((t), __VA_ARGS__)

static void header(struct strbuf *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(struct strbuf *t, const char *name, const char *help, uint64_t v)
{
	header(t, name, "counter", help);
	put(t, "%s %llu\n", name, (unsigned long long)v);
}

static void gauge(struct strbuf *t, const char *name, const char *help, uint64_t v)
{
	header(t, name, "gauge", help);
	put(t, "%s %llu\n", name, (unsigned long long)v);
}

static void histogram(struct strbuf *t, const char *name, const char *help,
		      const struct histogram *h)
{
	uint64_t cumulative = 0;

	header(t, name, "histogram", help);
	for (size_t b = 0; b < N_BUCKETS; b++) {
		cumulative += h->counts[b];
		put(t, "%s_bucket{le=\"%g\"} %llu\n", name, (double)bucket_usec[b] / 1e6,
		    (unsigned long long)cumulative);
	}
	put(t, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
	put(t, "%s_sum %.6f\n%s_count %llu\n", name, (double)h->sum_usec / 1e6, name,
	    (unsigned long long)h->count);
}

int metrics_format(const struct metrics *m, const struct metrics_gauges *g, char *buf,
		   size_t len)
{
	struct strbuf t;

	strbuf_init(&t, buf, len);

	header(&t, "reapd_kills_total", "counter", "Processes killed, by reason.");
	for (int r = REASON_NONE + 1; r < REASON_COUNT; r++)
		put(&t, "reapd_kills_total{reason=\"%s\"} %llu\n",
		    kill_reason_name((enum kill_reason)r), (unsigned long long)m->kills_by_reason[r]);
	counter(&t, "reapd_dry_run_reports_total", "Would-be victims reported by --dry-run.",
		m->dry_run_reports);
	counter(&t, "reapd_reaped_total", "Kills whose memory process_mrelease released.",
		g->killer->reaped);
	counter(&t, "reapd_boosted_total", "Kills whose victim had threads boosted.", m->boosted);
	counter(&t, "reapd_boost_errors_total",
		"Failures while boosting victims (threads gone, refused, ...).", m->boost_errors);
	counter(&t, "reapd_cpu_limits_lifted_total",
		"Victims moved out of a cgroup that limited their CPU.", m->cpu_limits_lifted);
	counter(&t, "reapd_kill_timeouts_total", "Victims not dead within --kill-timeout.",
		g->killer->timeouts);
	counter(&t, "reapd_pid_reuse_skips_total", "Kills skipped because the pid was reused.",
		g->killer->skipped_reused);
	counter(&t, "reapd_freed_bytes_total", "Memory freed by kills.",
		g->killer->freed_kib * 1024);
	counter(&t, "reapd_reaped_bytes_total", "Memory released by reaping.",
		g->killer->reaped_kib * 1024);
	header(&t, "reapd_pressure_events_total", "counter", "Wake-ups by kernel source.");
	for (size_t i = 0; i < N_SOURCES; i++)
		put(&t, "reapd_pressure_events_total{source=\"%s\"} %llu\n", sources[i],
		    (unsigned long long)m->pressure_events[i]);
	counter(&t, "reapd_rounds_total", "Rounds of selection that chose victims.", m->rounds);
	counter(&t, "reapd_watchdog_kills_total",
		"Of the kills, those the watchdog made while the main loop was stuck.",
		m->watchdog_kills);
	histogram(&t, "reapd_kill_to_exit_seconds", "Time from SIGKILL to the victim's death.",
		  &m->kill_to_exit);
	histogram(&t, "reapd_reap_seconds", "Time spent in process_mrelease.", &m->reap);
	histogram(&t, "reapd_scan_seconds", "Time from a round's scan to its choice.", &m->scan);
	gauge(&t, "reapd_memory_total_bytes", "Size of the watched memory domain.",
	      g->total_kib * 1024);
	gauge(&t, "reapd_memory_available_bytes", "Available memory in the domain.",
	      g->avail_kib * 1024);
	gauge(&t, "reapd_swap_free_bytes", "Free swap for the domain.", g->swap_free_kib * 1024);
	gauge(&t, "reapd_swap_counted_free_bytes",
	      "Free swap as the decision counts it: on zram, what the RAM left can hold.",
	      g->swap_counted_kib * 1024);
	gauge(&t, "reapd_swap_util_percent",
	      "Swapped out, as a share of anonymous memory, shared memory and swap in use.",
	      g->swap_util_pct);
	if (g->have_zram)
		gauge(&t, "reapd_zram_ram_bytes", "RAM taken by the zram devices used as swap.",
		      g->zram_ram_kib * 1024);
	gauge(&t, "reapd_shmem_bytes", "Shared memory (tmpfs, shm, memfd) in the domain.",
	      g->shmem_kib * 1024);
	gauge(&t, "reapd_unfreeable_bytes",
	      "Shared memory filling the domain while no kill can free enough (0: none).",
	      g->unfreeable_kib * 1024);
	if (g->thrash && g->thrash->valid) {
		gauge(&t, "reapd_thrashing_percent",
		      "Refaults in the current window as a share of the LRU, with what earlier windows left.",
		      g->thrash->pct);
		gauge(&t, "reapd_thrashing_limit_percent",
		      "The thrashing figure above which a stall kills (lowered by kills in the window).",
		      g->thrash->cur_limit_pct);
		gauge(&t, "reapd_direct_reclaim",
		      "1 while allocating tasks reclaim pages themselves.", g->thrash->direct_reclaim);
	}
	counter(&t, "reapd_respawn_holds_total",
		"Command lines held back because their kills kept coming back without relief.",
		g->respawn_holds);
	gauge(&t, "reapd_pending_victims", "Victims signalled, not yet dead.", g->pending_victims);
	gauge(&t, "reapd_lmkd_registered_processes", "Processes registered over the lmkd socket.",
	      g->lmkd_registered);
	if (g->notifier) {
		const struct notifier_stats *n = g->notifier;

		header(&t, "reapd_kill_hooks_total", "counter", "Kill hooks, by outcome.");
		put(&t, "reapd_kill_hooks_total{result=\"ok\"} %llu\n",
		    (unsigned long long)n->hooks_ok);
		put(&t, "reapd_kill_hooks_total{result=\"failed\"} %llu\n",
		    (unsigned long long)n->hooks_failed);
		put(&t, "reapd_kill_hooks_total{result=\"timeout\"} %llu\n",
		    (unsigned long long)n->hooks_timed_out);
		put(&t, "reapd_kill_hooks_total{result=\"dropped\"} %llu\n",
		    (unsigned long long)n->hooks_dropped);
	}
	return t.overflow ? -ENOBUFS : (int)t.pos;
}
