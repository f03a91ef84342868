/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The daemon's state, shared by its parts: daemon.c (the pipeline and
 * set-up), answer.c (replies to control requests) and reload.c.  Nothing
 * outside these files includes this header.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "freezer.h"
#include "config.h"
#include "ctl.h"
#include "decide.h"
#include "domain.h"
#include "killer.h"
#include "lmkd.h"
#include "loop.h"
#include "metrics.h"
#include "report.h"
#include "round.h"
#include "policy.h"
#include "procfs.h"
#include "proctab.h"
#include "reaper.h"
#include "respawn.h"
#include "sources.h"
#include "watchdog.h"
#include "watermark.h"

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
	struct cgroup_roots roots;
	int proc_fd;
	pid_t self;
	struct procfs_scope scope; /* where prio requests (both endpoints) may act */
	uint64_t start_usec;

	struct sources *sources;
	int sig_fd;
	struct loop_watch sig_watch;

	struct decide_params params;
	struct respawn respawn;
};

/* Decide parameters from the config; lmkd's minfree levels are kept. */
void daemon_apply_params(struct daemon *d);

/*
 * Re-reads the config file (and re-applies the command line).  Settings that
 * cannot change while running keep their value, with a warning.  Returns 0,
 * or -errno with a one-line reason in @err (the old settings then stay).
 */
int daemon_reload(struct daemon *d, char *err, size_t err_len);

/* Answers a control request (ctl_handler_fn). */
int daemon_answer(void *ctx, const struct ctl_request *req, const struct ucred *peer,
		  struct jsonw *w, char *err, size_t err_len);

/* The lmkd endpoint's view of the daemon. */
extern const struct lmkd_ops daemon_lmkd_ops;
