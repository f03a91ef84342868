/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Replies to control requests (docs/control-protocol.md) and the lmkd
 * endpoint's hooks, worked out from the handles below and nothing else: the
 * daemon fills them in, and a test can fill them with fakes.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "ctl.h"
#include "decide.h"
#include "domain.h"
#include "jsonw.h"
#include "killer.h"
#include "lmkd.h"
#include "metrics.h"
#include "procfs.h"
#include "report.h"
#include "round.h"

/*
 * Re-reads the settings.  Returns 0, or -errno with a one-line reason in
 * @err (the old settings then stay).
 */
typedef int (*ctl_answer_reload_fn)(void *ctx, char *err, size_t err_len);

/*
 * What the replies read (and the lmkd levels and a reload change).  Owned by
 * the caller, which keeps it valid while the endpoints may call in; a handle
 * may be filled in after ctl_new(), before the loop runs.
 */
struct ctl_answer {
	const struct config *cfg; /* the current settings (a reload replaces them in place) */
	struct decide_params *params; /* LMK_TARGET sets its levels */
	struct domain *domain;
	struct round *round;
	struct killer *killer;
	struct metrics *metrics;
	struct report *report;
	struct lmkd *lmkd;        /* NULL: no lmkd endpoint */
	int proc_fd;
	const struct procfs_scope *scope; /* where prio requests may act */
	pid_t self;
	uint64_t start_usec;
	ctl_answer_reload_fn reload;
	void *reload_ctx;
};

/*
 * Answers a control request (ctl_handler_fn; @ctx is a struct ctl_answer).
 * Returns 0, or -errno with a one-line reason in @err.
 */
int ctl_answer(void *ctx, const struct ctl_request *req, const struct ucred *peer,
	       struct jsonw *w, char *err, size_t err_len);

/* The lmkd endpoint's view of the daemon (its ctx is a struct ctl_answer). */
extern const struct lmkd_ops ctl_answer_lmkd_ops;
