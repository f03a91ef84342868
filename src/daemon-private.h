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

#include "cgroup.h"
#include "config.h"
#include "ctl.h"
#include "decide.h"
#include "domain.h"
#include "killer.h"
#include "lmkd.h"
#include "loop.h"
#include "report.h"
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
	struct proctab *pt;
	struct policy_work *work;
	uint32_t *victims; /* max_victims */
	uint32_t *rank;    /* proctab capacity, for the victims listing */
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
	struct loop_timer poll_timer;

	struct decide_params params;
	struct mem_state mem; /* as last read */
	struct watermark_rate rate;
	uint64_t follow_until_usec;
	uint64_t quiet_until_usec; /* dry run: do not report the same victims every poll */
	uint64_t nothing_warned_usec;
	bool unwalked_warned; /* the last scan's unwalked cgroups were logged */
	uint64_t credit_kib;
	uint64_t credit_base_kib;
	uint64_t credit_until_usec;

	/*
	 * Below the mark with nothing to kill: rounds wait for a change rather
	 * than scan again every poll (see daemon_evaluate).
	 */
	struct {
		bool active;
		uint64_t scan_usec; /* when the fruitless round ran */
		uint64_t avail_kib;
		uint64_t last_pid; /* the newest pid on the machine then */
		int min_adj;
	} backoff;
	int loadavg_fd;           /* /proc/loadavg: its last field is the newest pid */
	uint64_t unfreeable_kib;  /* shared memory blocking the current episode (0: none) */
	bool short_noted;         /* the episode has been logged */
	struct respawn respawn;
};

/* Reads the domain and runs a round if needed (@fired: enum pressure_signal bits). */
void daemon_evaluate(struct daemon *d, unsigned fired);

/* The policy's loader: proctab_load(), and our own victims marked pending. */
int daemon_load_candidate(void *ctx, struct candidate *c);

/* The policy's refiner: proctab_refine(), and command lines on hold marked respawning. */
int daemon_refine_candidate(void *ctx, struct candidate *c);

/* The memory of victims that MemAvailable does not show yet (system domain). */
uint64_t daemon_lag_credit(struct daemon *d, const struct mem_state *m, uint64_t now);

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
