/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Victim selection, in the way of Simple LMK: candidates are bucketed by
 * effective oom_score_adj, buckets are walked from the least important down
 * to the round's minimum, largest first inside a bucket, until the memory
 * found covers the target; then the chosen set is sorted by size and the
 * smallest prefix that still covers the target is kept, so a few large
 * victims replace many small ones.
 *
 * The selection is a pure function of the candidate snapshot.  Sizes are
 * costly to read, so they are filled in through a loader callback, and only
 * for the buckets the walk reaches.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "match.h"

#define ADJ_MIN          (-1000)
#define ADJ_MAX          1000
#define ADJ_PREFER_SHIFT 300
#define COMM_LEN         16
/* A death that frees less than this cannot relieve pressure: not worth a kill. */
#define POLICY_MIN_FREE_KIB 1024

/* Why a candidate is not eligible; SKIP_NONE means it may be chosen. */
enum skip_reason {
	SKIP_NONE = 0,
	SKIP_INIT,        /* pid 1 */
	SKIP_SELF,        /* reapd itself */
	SKIP_KTHREAD,     /* kernel thread */
	SKIP_UNKILLABLE,  /* oom_score_adj -1000 */
	SKIP_BELOW_MIN,   /* effective adj below the round's minimum */
	SKIP_IGNORED,     /* matches --ignore */
	SKIP_DYING,       /* zombie, exiting, or SIGKILL already pending */
	SKIP_PENDING,     /* killed by us, not yet confirmed dead */
	SKIP_GONE,        /* vanished while being read */
	SKIP_EMPTY,       /* nothing to free */
	SKIP_LITTLE,      /* its death frees less than POLICY_MIN_FREE_KIB (memory shared with others) */
	SKIP_RESPAWN,     /* a respawn of a command line whose kills did not relieve the pressure */
	SKIP_OMITTED,     /* in a cgroup systemd marked ManagedOOMPreference=omit */
	SKIP_REASON_COUNT
};

/* Returns a short name for @r ("pending", "kthread", ...). */
const char *skip_reason_name(enum skip_reason r);

/*
 * systemd's ManagedOOMPreference= for the cgroups a process is in, as the
 * user.oomd_avoid and user.oomd_omit xattrs carry it: avoid makes it a last
 * resort, taken only when every other candidate cannot cover the target;
 * omit makes it never a candidate (SKIP_OMITTED).
 */
enum cg_pref {
	CG_PREF_NONE = 0,
	CG_PREF_AVOID,
	CG_PREF_OMIT,
};

/* Returns "none", "avoid" or "omit". */
const char *cg_pref_name(enum cg_pref p);

struct candidate {
	pid_t pid;
	int16_t adj;     /* oom_score_adj as read */
	int16_t eff_adj; /* adj shifted by --prefer/--avoid, clamped to [-1000, 1000] */
	bool loaded;     /* the loader has filled the fields below */
	uint8_t skip;    /* enum skip_reason */
	uid_t uid;
	bool refined;   /* the refiner has looked at what its death really frees */
	uint8_t cg_pref; /* enum cg_pref, set by the scan (or the loader); kept by loads */
	/*
	 * A parent that replaces its children as fast as they are killed: its
	 * death stops the refilling, so it goes first in its bucket whatever
	 * its own size, which is still all it counts for against the target.
	 */
	bool churner;
	pid_t ppid;
	uint64_t start_time; /* clock ticks after boot, from /proc/<pid>/stat */
	/*
	 * The estimate of what its death frees: anonymous memory and swap; once
	 * refined, less what it shares with other processes (copy-on-write).
	 * Shared memory (tmpfs, shm, memfd) is never counted: it outlives the
	 * process.
	 */
	uint64_t size_kib;
	uint64_t anon_kib;  /* RssAnon: anonymous memory mapped, shared or not */
	uint64_t shmem_kib; /* RssShmem: shared memory mapped, which its death does not free */
	uint64_t cmd_hash;  /* of uid and command line, set by the refiner (0: unknown) */
	char comm[COMM_LEN];
};

#define POLICY_MAX_PATTERNS 8

/* --prefer / --avoid / --ignore patterns, matched against the process name. */
struct policy_rules {
	struct matcher *prefer[POLICY_MAX_PATTERNS];
	struct matcher *avoid[POLICY_MAX_PATTERNS];
	struct matcher *ignore[POLICY_MAX_PATTERNS];
	size_t n_prefer, n_avoid, n_ignore;
};

/* Returns true when no pattern is configured (names need not be read). */
bool policy_rules_empty(const struct policy_rules *rules);

/*
 * Sets @c->eff_adj from @c->adj and @c->comm: +300 for a --prefer match, -300
 * for an --avoid match (both: no shift), clamped to [-1000, 1000], with the
 * unkillable -1000 never shifted; sets @c->skip to SKIP_IGNORED for an
 * --ignore match.  Matches with the calling thread's @scratch, which must
 * have room for policy_rules_states(@rules); @rules is only read, so threads
 * may share it.  Never allocates.  Returns 0, or -ENOBUFS (scratch too
 * small; @c is then unchanged).
 */
int policy_apply_rules(const struct policy_rules *rules, struct match_scratch *scratch,
		       struct candidate *c);

/*
 * Returns the lowest adj as read that may still reach @min_adj once @rules
 * (NULL: none) have shifted it: @min_adj less the --prefer shift when there
 * are --prefer patterns, never below -999.  A scan may leave out every
 * process below it without reading its name.
 */
int policy_scan_floor(const struct policy_rules *rules, int min_adj);

/*
 * Prepares a raw scan for policy_select(): applies @rules (NULL or empty:
 * none; see policy_apply_rules()) to @cands[0..@n), each with its comm read
 * when there are rules, then drops the candidates whose effective adj is
 * below @min_adj, keeping the others in their order at the front of @cands.
 * Matches with the calling thread's @scratch (room for
 * policy_rules_states(@rules)); a candidate it has no room for is dropped
 * too, as a scan would never have seen it.  Never allocates.  Returns the
 * number of candidates kept.
 */
size_t policy_prepare(const struct policy_rules *rules, struct match_scratch *scratch,
		      int min_adj, struct candidate *cands, size_t n);

/* Returns the scratch states matching @rules needs (see match_scratch_reserve()). */
size_t policy_rules_states(const struct policy_rules *rules);

/*
 * Compiles every pattern of @src anew into @ret, so that the copy shares
 * nothing with @src and outlives it (allocates).  Returns 0, or -errno
 * (-ENOMEM) with @ret untouched.
 */
int policy_rules_copy(const struct policy_rules *src, struct policy_rules *ret);

/* Frees the matchers of @rules and empties it. */
void policy_rules_free(struct policy_rules *rules);

/*
 * Fills the size fields of @c (and may set @c->skip).  Returns 0, or -errno
 * when the candidate could not be read; it is then left out.
 */
typedef int (*policy_load_fn)(void *ctx, struct candidate *c);

struct policy_params {
	int min_adj;          /* lowest effective adj this round may kill */
	uint64_t target_kib;  /* memory this round must free */
	size_t max_victims;   /* at most this many victims */
	pid_t self;           /* never chosen */
	/*
	 * Called (with the loader's ctx) for a loaded candidate just before the
	 * walk would choose it (one of POLICY_MIN_FREE_KIB or more, or a
	 * churner), at most once: may lower size_kib to what its death really
	 * frees, set skip and set cg_pref (an avoided one is then passed over).  A refiner may cost more than the
	 * loader, so it runs for the few candidates the walk takes, not for
	 * whole buckets.  NULL: sizes stay as loaded.
	 */
	policy_load_fn refine;
};

/* Scratch space for policy_select(), sized once at start-up. */
struct policy_work;

/* Allocates scratch space for up to @capacity candidates. Returns 0 or -ENOMEM. */
int policy_work_new(size_t capacity, struct policy_work **ret);

/* Returns the capacity @w was sized for. */
size_t policy_work_capacity(const struct policy_work *w);

void policy_work_free(struct policy_work *w);

/*
 * Chooses the victims among @cands[0..@n) for @p.  Candidates that are never
 * killable (pid 1, @p->self, adj -1000, below min_adj, skip set, size 0) are
 * left out; @load is called at most once per candidate, only for the buckets
 * the walk reaches.  Writes the chosen candidates' indices, largest first,
 * to @ret_victims (room for @p->max_victims).  If the eligible candidates
 * cannot cover the target, all of them are chosen (up to max_victims).
 * Candidates with cg_pref CG_PREF_AVOID are passed over by the walk and
 * taken, in walk order, only when all the others together cannot cover the
 * target; then the victims are the fewest of the avoided, largest first,
 * that make up for what the others lack, and as many of the others as the
 * target still needs.
 * Returns the number of victims (0 when none), or -E2BIG when @n exceeds the
 * scratch capacity.  Never allocates.
 */
int policy_select(const struct policy_params *p, struct candidate *cands, size_t n,
		  policy_load_fn load, void *ctx, struct policy_work *w, uint32_t *ret_victims);

/*
 * Writes the indices of @cands[0..@n) to @ret_order in the order the walk
 * considers them: avoided cgroups' candidates last, highest effective adj
 * first, largest first inside an adj.
 * Eligible or not.  For showing the ranking; never allocates.
 */
void policy_rank(const struct candidate *cands, size_t n, uint32_t *ret_order);
