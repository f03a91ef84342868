/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The daemon: builds the pipeline from a config and runs it.
 *
 *   sources (PSI, vmpressure, thresholds, polling)  -> decide -> scan + policy
 *   -> killer (pidfd, reaper pool) -> confirmation -> events, re-evaluation
 */

#include <stdbool.h>

#include "config.h"

struct daemon;

/*
 * Builds the daemon: opens the domain, the pressure sources, the reaper pool,
 * the events file and the control sockets; protects itself (oom_score_adj
 * -1000, mlockall).  Takes over @cfg (left empty).  Returns 0, or -errno
 * after printing one line; *@ret_usage is set when the error is a bad option
 * value (the caller exits with status 2).
 */
int daemon_new(struct config *cfg, struct daemon **ret, bool *ret_usage);

/* Runs until SIGTERM/SIGINT. Returns the exit status. */
int daemon_run(struct daemon *d);

void daemon_free(struct daemon *d);
