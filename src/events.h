/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Kill events: one JSON object per line per killed (or, in a dry run, chosen)
 * process, appended to a file or written to stdout.
 *
 * The loop never writes the file: events_write() formats the line into a
 * queue reserved at start-up and a thread of the writer's own writes it, so a
 * slow disk, a full pipe or a FIFO nobody reads never holds up a kill.  When
 * the queue is full the event is dropped and counted, never waited for.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct kill_event {
	uint64_t time_usec; /* CLOCK_REALTIME when the signal went out (or was chosen, dry run) */
	pid_t pid;
	const char *comm;
	uid_t uid;
	int oom_score_adj;
	int effective_adj;
	const char *reason;
	const char *scope;
	uint64_t size_kib;
	uint64_t anon_kib;
	uint64_t target_kib;
	bool dry_run;
	bool exited;           /* confirmed dead through its pidfd */
	bool reaped;           /* process_mrelease succeeded */
	int reap_error;        /* 0 or -errno from process_mrelease (0 when not tried) */
	bool thawed;           /* it was in a frozen cgroup and was thawed */
	bool boosted;          /* at least one of its threads was boosted (boost.h) */
	unsigned boost_threads;
	unsigned boost_errors;
	bool cpu_limit_lifted; /* moved out of a cgroup that limited its CPU */
	unsigned cpu_limits;   /* which limits (BOOST_LIMIT_*) */
	int64_t kill_to_exit_usec; /* < 0: unknown */
	int64_t reap_usec;         /* < 0: not reaped */
	uint64_t reaped_kib;
	uint64_t freed_kib;
	uint64_t scan_usec; /* the round's scan and choice */
	size_t scanned;
	bool watchdog; /* killed by the watchdog thread while the loop was stuck */
	uint64_t shmem_kib; /* shared memory it mapped, which its death does not free */
	const char *cgroup_preference; /* "none" or "avoid" (cg_pref_name()); NULL: "none" */
	/* Not written out: for the respawn tracking. */
	uint64_t cmd_hash;
	uint64_t round_seq;
	pid_t ppid;
};

struct events;

#define EVENTS_QUEUE_LEN 64 /* lines waiting for the writer thread */

struct events_stats {
	uint64_t written;
	uint64_t dropped; /* the queue was full */
	uint64_t failed;  /* the write failed, or exit came first */
};

/*
 * Opens @path for appending ("-" is stdout) without ever blocking: a FIFO is
 * written non-blocking, and one with no reader yet is held open so a later
 * consumer gets the events.  Starts the writer thread.  Returns 0 or -errno.
 */
int events_open(const char *path, struct events **ret);

/*
 * Writes what is queued and stops the thread: a file that takes nothing
 * (a full FIFO) is waited for one second, a write that blocks three; the
 * lines left are counted, logged and lost.  NULL is allowed.
 */
void events_free(struct events *e);

/*
 * Like events_free() without waiting (for the loop, on reload): the thread
 * writes what is queued in the background, then frees @e.  NULL is allowed.
 */
void events_retire(struct events *e);

/* Copies the counters. */
void events_stats(struct events *e, struct events_stats *ret);

/*
 * Formats @ev as one JSON line into @buf (size @len).  Returns the length,
 * or -ENOBUFS when it does not fit.
 */
int events_format(const struct kill_event *ev, char *buf, size_t len);

struct jsonw;

/* Writes @ev's fields (not the braces) into the JSON object @w has open. */
void events_put_fields(struct jsonw *w, const struct kill_event *ev);

/*
 * Queues @ev as one line for the writer thread; never blocks, never
 * allocates.  From one thread only (the loop).  Returns 0, -ENOBUFS when the
 * queue is full (the event is dropped, counted, and the thread warns), or
 * -EMSGSIZE when the line does not fit.
 */
int events_write(struct events *e, const struct kill_event *ev);
