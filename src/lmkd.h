/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An lmkd-compatible endpoint (docs/control-protocol.md): process managers
 * written for Android's lmkd register processes with their priority, set
 * minfree levels, subscribe to kill notifications and ask for kill counts.
 * Registered processes are tracked by pidfd, so a record dies with its
 * process and a reused pid is never mistaken for it.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"
#include "lmkd_proto.h"
#include "procfs.h"

#define LMKD_MAX_CONN 3

struct lmkd;

struct lmkd_ops {
	/* Kills of processes whose adj was in [min, max]. */
	uint64_t (*killcount)(void *ctx, int min_adj, int max_adj);
	/* LMK_UPDATE_PROPS: re-read the settings. Returns 0 or -errno. */
	int (*reload)(void *ctx);
	/*
	 * LMK_TARGET: new minfree levels (n == 0: clears them).  Returns 0, or
	 * -errno when they were refused (the old levels then stay).
	 */
	int (*targets)(void *ctx, const struct lmkd_target *levels, size_t n);
};

struct lmkd_config {
	const char *path;
	mode_t mode;
	size_t max_records;
	int proc_fd; /* /proc, for oom_score_adj and owners (not owned) */
	/* Where LMK_PROCPRIO may act (not owned; NULL: the whole system). */
	const struct procfs_scope *scope;
	pid_t self; /* reapd: never registered, as pid 1 */
};

/* Listens and serves. Returns 0 or -errno (see sock_listen()). */
int lmkd_new(const struct lmkd_config *cfg, struct loop *loop, const struct lmkd_ops *ops,
	     void *ctx, struct lmkd **ret);

/* Closes every connection, drops every record, removes the socket. */
void lmkd_free(struct lmkd *l);

/* Sends LMK_PROCKILL [pid, uid, rss_kb] to every subscriber. */
void lmkd_notify_kill(struct lmkd *l, pid_t pid, uid_t uid, uint64_t rss_kib);

/* Returns the number of registered processes. */
size_t lmkd_registered(const struct lmkd *l);

/* Returns the number of data connections. */
size_t lmkd_connections(const struct lmkd *l);

/* Returns the adj a registered @pid was given, or -ENOENT. */
int lmkd_record_adj(const struct lmkd *l, pid_t pid);
