/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Report: the one place a finished kill goes, the loop's own and the
 * watchdog's alike.  Each kill event becomes history and metrics, a packet
 * for control and lmkd subscribers, a respawn note, the service's status
 * line, and a hand-off to the threads that may block (the events file
 * writer in events.c; kill hooks and the metrics file in notifier.c).  The
 * loop thread itself writes no file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ctl.h"
#include "domain.h"
#include "events.h"
#include "lmkd.h"
#include "loop.h"
#include "metrics.h"
#include "proctab.h"
#include "respawn.h"
#include "watchdog.h"

struct report;

/* Fills the gauges of a metrics text (all but the notifier's, which report adds). */
typedef void (*report_gauges_fn)(void *ctx, struct metrics_gauges *g);

struct report_config {
	const struct config *cfg; /* read at each use: stays valid across reloads */
	struct loop *loop;
	struct domain *domain;
	struct proctab *pt;       /* the last scan, to tell a crowd from a respawn */
	struct metrics *metrics;  /* history and counts */
	struct respawn *respawn;  /* shared with the round, which reads the holds */
	struct events *events;    /* NULL: no events file; owned from here on */
	report_gauges_fn gauges;
	void *gauges_ctx;
};

/*
 * Creates the report and starts the notifier thread.  Takes
 * over @cfg->events (freed on failure too).  Returns 0 or -errno.
 */
int report_new(const struct report_config *cfg, struct report **ret);

/* Stops the notifier (after writing what is queued) and frees. */
void report_free(struct report *r);

/* Subscribers from now on (NULL: none; set both to NULL before freeing them). */
void report_set_endpoints(struct report *r, struct ctl *ctl, struct lmkd *lmkd);

/* A reload opened another events file (NULL: none): the old one is retired, not waited for. */
void report_set_events(struct report *r, struct events *events);

/* Applies @fresh's hook and metrics-file settings. Returns 0 or -errno (old ones kept). */
int report_configure(struct report *r, const struct config *fresh);

/* A victim's story is complete (killer_ops.event): writes it everywhere it is wanted. */
void report_kill(struct report *r, const struct kill_event *ev);

/* Watches @wd's kills in the loop: they are reported like the loop's own. Returns 0 or -errno. */
int report_watch_watchdog(struct report *r, struct watchdog *wd);

/* Reports the watchdog's kills the loop has not seen yet, all of them (at exit). */
void report_drain_watchdog(struct report *r);

/* Formats the Prometheus text. Returns its length or -errno; the text is report_metrics_text(). */
int report_format_metrics(struct report *r);

/* Returns the text of the last report_format_metrics(). */
const char *report_metrics_text(const struct report *r);

/* Writes the metrics file now (through the notifier thread), then every --metrics-interval. */
void report_start_metrics(struct report *r);

/* After a reload: the metrics file is written at the next timers, then every --metrics-interval. */
void report_reschedule_metrics(struct report *r);

/* The final figures go to the metrics file; nothing is handed to the notifier afterwards. */
void report_stop(struct report *r);

/* Returns the kills reported (dry-run choices not counted). */
uint64_t report_kills(const struct report *r);
