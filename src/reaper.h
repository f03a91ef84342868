/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The reaper: a pool of threads that kill victims with pidfd_send_signal and
 * at once release their memory with process_mrelease, so the event loop never
 * waits while gigabytes are unmapped.  A kill never waits either: when every
 * worker is busy, the caller's thread sends SIGKILL itself and the reap is
 * queued for the next free worker.  Pending reaps are served largest
 * anonymous memory first.  Every outcome comes back to the loop as a
 * fixed-size record through a non-blocking pipe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "boost.h"
#include "cgroup.h"

struct reaper;

struct reaper_config {
	unsigned threads; /* 0: kill and reap in the caller's thread (benchmarks only) */
	size_t queue_capacity;
	bool reap;                        /* false: --no-reap, signal (and thaw) only */
	bool boost;                       /* false: --no-boost (boost.h) */
	int proc_fd;                      /* /proc, to measure and thaw victims (not owned) */
	const struct cgroup_roots *roots; /* freezers to thaw victims from (not owned) */
	const struct boost_env *boost_env; /* CPUs and CPU hierarchies; NULL: no boost (not owned) */
};

struct reaper_request {
	int pidfd; /* the reaper takes ownership, also on failure */
	pid_t pid;
	uint32_t id;
	uint64_t anon_kib; /* reap order */
};

struct reaper_result {
	uint32_t id;
	pid_t pid;
	int signal_error;     /* 0 or -errno from pidfd_send_signal */
	int reap_error;       /* 0 or -errno from process_mrelease; 0 when not tried */
	bool reaped;
	bool thawed;
	bool signalled_by_caller; /* every worker was busy */
	uint64_t signal_usec; /* CLOCK_MONOTONIC when SIGKILL went out */
	uint64_t reap_usec;   /* time spent in process_mrelease */
	uint64_t reaped_kib;  /* anonymous memory the reap unmapped: the victim's RssAnon before and after */
	bool boosted;         /* at least one of its threads was boosted */
	unsigned boost_threads; /* threads boosted */
	unsigned boost_errors;  /* failures while boosting (threads gone, EPERM, ...) */
	bool cpu_moved;         /* moved out of a cgroup that limited its CPU */
	unsigned cpu_limits;    /* BOOST_LIMIT_* of the limits it was moved out of */
};

/* Starts the pool. Returns 0 or -errno. */
int reaper_new(const struct reaper_config *cfg, struct reaper **ret);

/* Stops and joins the workers; queued requests are dropped (their victims are already signalled). */
void reaper_free(struct reaper *r);

/* Returns the fd that becomes readable when results are waiting. */
int reaper_fd(const struct reaper *r);

/*
 * Kills @req's process without waiting.  Returns 0 when a worker took the
 * kill, 1 when the caller's thread sent SIGKILL and the reap was queued, or
 * -errno when the signal failed (then nothing was queued and no result
 * follows).  Takes ownership of @req->pidfd in every case.
 */
int reaper_submit(struct reaper *r, const struct reaper_request *req);

/*
 * Kills @req's process in the caller's thread, exactly as a worker does:
 * measures its anonymous memory, sends SIGKILL, reaps it when @cfg->reap
 * (retrying while its mm is busy), thaws it out of a frozen cgroup
 * (@cfg->roots) and boosts it when @cfg->boost (boost.h).  Uses @cfg's proc_fd,
 * roots, boost_env, reap and boost only.  Blocks on
 * process_mrelease and cgroupfs: for a thread that may wait (the watchdog),
 * never the loop.  Leaves @req->pidfd open, for the caller to wait on.  Fills
 * @ret in every case; returns 0, or the signal's -errno (then nothing else
 * was tried).
 */
int reaper_kill_sync(const struct reaper_config *cfg, const struct reaper_request *req,
		     struct reaper_result *ret);

/* Reads one result. Returns 0, or -EAGAIN when none is waiting. */
int reaper_read_result(struct reaper *r, struct reaper_result *ret);

/* Turns reaping on or off for kills handed over from now on (reload of --no-reap). */
void reaper_set_reap(struct reaper *r, bool reap);

/* Turns boosting on or off for kills handed over from now on (reload of --no-boost). */
void reaper_set_boost(struct reaper *r, bool boost);

/*
 * Reads a process's anonymous memory mapped now (statm: resident less file
 * and shmem pages), to measure what a reap released.  Returns KiB or -errno.
 */
int64_t reaper_anon_kib(int proc_fd, pid_t pid);

/* Returns the number of workers currently idle (for tests and status). */
unsigned reaper_idle(struct reaper *r);
