/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Respawn tracking: a service that its manager restarts half a second after
 * each kill can be killed in a loop while what fills memory is elsewhere
 * (shared memory no kill frees, another process's growth).  Kills are noted
 * by command line (a hash of uid and /proc/<pid>/cmdline); when the same
 * command line has been killed in RESPAWN_ROUNDS different rounds within
 * RESPAWN_WINDOW_USEC, about once a round (one instance that comes back,
 * not a crowd of workers of which a round kills many), and its deaths
 * together freed less than those rounds needed, it is held back from rounds
 * for RESPAWN_HOLD_USEC.  A table of
 * fixed size, filled at start-up: noting and asking never allocate.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RESPAWN_ROUNDS      3
#define RESPAWN_WINDOW_USEC (60ULL * 1000000)
#define RESPAWN_HOLD_USEC   (60ULL * 1000000)
#define RESPAWN_SLOTS       64

struct respawn_entry {
	uint64_t hash; /* 0: free */
	uint64_t first_usec, last_usec;
	uint64_t last_round;
	unsigned rounds;
	unsigned kills;
	bool crowd; /* killed while others of its name lived */
	uint64_t freed_kib;  /* measured, summed over the window */
	uint64_t needed_kib; /* the targets of the rounds that killed it */
	uint64_t held_until_usec;
};

/*
 * Fork churn, the other side: a parent that replaces its children as fast
 * as they are killed refills the domain as fast as any killer frees it.
 * When RESPAWN_CHURN_KILLS of one parent's children die in RESPAWN_CHURN_ROUNDS
 * rounds within RESPAWN_CHURN_USEC, the parent itself becomes worth a kill:
 * its death stops the refilling, and it is ranked by what its children took.
 */
#define RESPAWN_CHURN_KILLS  16
#define RESPAWN_CHURN_ROUNDS 2
#define RESPAWN_CHURN_USEC   (10ULL * 1000000)

struct churn_entry {
	pid_t ppid; /* 0: free */
	uint64_t first_usec, last_usec;
	uint64_t last_round;
	unsigned rounds, kills;
	uint64_t freed_kib;
	bool churning;
};

struct respawn {
	struct respawn_entry e[RESPAWN_SLOTS];
	struct churn_entry parents[RESPAWN_SLOTS];
	uint64_t holds;   /* command lines held back, since start */
	uint64_t churners; /* parents found churning, since start */
};

/* Empties @t. */
void respawn_init(struct respawn *t);

/*
 * Notes a confirmed death of command line @hash, killed in round @round
 * (which needed @target_kib) and freeing @freed_kib; @crowd: other
 * processes of that name were alive (workers, not one instance that comes
 * back), which rules out a hold.  Returns true when this death puts the
 * command line on hold (the caller reports it once), with the window's
 * figures in *@ret (may be NULL).
 */
bool respawn_note(struct respawn *t, uint64_t hash, uint64_t round, uint64_t target_kib,
		  uint64_t freed_kib, bool crowd, uint64_t now_usec, struct respawn_entry *ret);

/* Returns true when command line @hash is on hold at @now_usec. */
bool respawn_held(const struct respawn *t, uint64_t hash, uint64_t now_usec);

/*
 * Notes a confirmed death of a child of @ppid in round @round, freeing
 * @freed_kib.  Returns true when this death shows @ppid churning (once per
 * episode; the caller reports it), with the figures in *@ret (may be NULL).
 */
bool respawn_note_child(struct respawn *t, pid_t ppid, uint64_t round, uint64_t freed_kib,
			uint64_t now_usec, struct churn_entry *ret);

/* Returns what the children of churning parent @pid refilled lately (KiB), 0 if it is not one. */
uint64_t respawn_churn_kib(const struct respawn *t, pid_t pid, uint64_t now_usec);
