/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The slow things reapd does after a kill, on a thread of their own so the
 * event loop never waits for them: running the --kill-hook command (fork,
 * exec, its timeout) and writing the --metrics-file (disk I/O, which can
 * stall when memory is short).  The loop hands work over with a short
 * critical section and an eventfd write; when the queue is full the work is
 * dropped and counted, never waited for.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"

struct notifier_config {
	const char *hook;         /* NULL: no hook; run as /bin/sh -c HOOK */
	bool hook_as_user;        /* switch to hook_uid/hook_gid first */
	uid_t hook_uid;
	gid_t hook_gid;
	unsigned hook_timeout_ms; /* then the hook's process group gets SIGKILL */
	const char *metrics_path; /* NULL: no metrics file */
};

struct notifier_stats {
	uint64_t hooks_run;       /* started */
	uint64_t hooks_ok;        /* exited with status 0 */
	uint64_t hooks_failed;    /* could not start, exited non-zero or died of a signal */
	uint64_t hooks_timed_out; /* killed at the timeout */
	uint64_t hooks_dropped;   /* not run: too many waiting, or reapd exiting */
	uint64_t metrics_written, metrics_failed;
};

struct notifier;

/* Starts the thread. Returns 0 or -errno (-ENAMETOOLONG: a path or command too long). */
int notifier_new(const struct notifier_config *cfg, struct notifier **ret);

/* Replaces the settings (reload); hooks already running keep their timeout. */
int notifier_configure(struct notifier *n, const struct notifier_config *cfg);

/*
 * Stops the thread after it has written the last metrics text handed over.
 * Hooks still running get up to a second to finish, then are killed with
 * their process groups; hooks still waiting are dropped (and logged).
 */
void notifier_free(struct notifier *n);

/* Queues the kill hook for @ev (nothing when no hook is set, or @ev is a dry run). */
void notifier_kill(struct notifier *n, const struct kill_event *ev);

/* Hands over the latest metrics text; only the newest one is written. */
void notifier_metrics(struct notifier *n, const char *text, size_t len);

/* Returns true when a metrics file is configured. */
bool notifier_wants_metrics(struct notifier *n);

/* Copies the counters. */
void notifier_stats(struct notifier *n, struct notifier_stats *ret);

/*
 * Writes @len bytes of @text to @path atomically: a new file next to it
 * (@path + ".tmp", created exclusively, never through a symlink), then
 * rename().  Returns 0 or -errno.
 */
int write_file_atomic(const char *path, const char *text, size_t len);
