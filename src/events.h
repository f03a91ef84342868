/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Kill events: one JSON object per line per killed (or, in a dry run, chosen)
 * process, appended to a file or written to stdout.  Formatting uses a
 * buffer inside the writer; nothing is allocated per event.
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
	int64_t kill_to_exit_usec; /* < 0: unknown */
	int64_t reap_usec;         /* < 0: not reaped */
	uint64_t reaped_kib;
	uint64_t freed_kib;
	uint64_t scan_usec; /* the round's scan and choice */
	size_t scanned;
	bool watchdog; /* killed by the watchdog thread while the loop was stuck */
	uint64_t shmem_kib; /* shared memory it mapped, which its death does not free */
	/* Not written out: for the respawn tracking. */
	uint64_t cmd_hash;
	uint64_t round_seq;
};

struct events;

/*
 * Opens @path for appending ("-" is stdout).  Returns 0 or -errno.
 */
int events_open(const char *path, struct events **ret);

void events_free(struct events *e);

/*
 * Formats @ev as one JSON line into @buf (size @len).  Returns the length,
 * or -ENOBUFS when it does not fit.
 */
int events_format(const struct kill_event *ev, char *buf, size_t len);

struct jsonw;

/* Writes @ev's fields (not the braces) into the JSON object @w has open. */
void events_put_fields(struct jsonw *w, const struct kill_event *ev);

/* Writes @ev as one line. Returns 0 or -errno. */
int events_write(struct events *e, const struct kill_event *ev);
