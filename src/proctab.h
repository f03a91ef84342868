/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The process table: a snapshot of the processes in scope, taken when a round
 * of kills starts.  A scan reads only each process's oom_score_adj (and its
 * name when asked, for --prefer/--avoid/--ignore), raw: the name rules and
 * the effective adj are the policy's (policy_prepare()).  proctab_load()
 * reads the rest for the candidates the policy reaches.  The table and every read buffer are
 * allocated once; /proc is walked with getdents64 from a directory fd held
 * open, and the cgroup scope from its directory fd.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy.h"

struct proctab;

struct proctab_config {
	const char *proc_root;           /* "/proc" or a fixture tree */
	int scope_dirfd;                 /* -1: every process; else a cgroup directory (not owned) */
	pid_t self;                      /* never a candidate */
	size_t capacity;                 /* candidates kept per scan */
	size_t cg_depth;                 /* cgroup levels walked below the scope; 0: 64 */
	/*
	 * The cgroup v2 mount, for the system scope only: the cgroup of each
	 * candidate the walk takes is looked up there for systemd's preference
	 * (proctab_system_pref()).  NULL, or a scoped table: not.
	 */
	const char *unified;
};

/* Creates a table. Returns 0, or -errno (e.g. when @proc_root cannot be opened). */
int proctab_new(const struct proctab_config *cfg, struct proctab **ret);

void proctab_free(struct proctab *pt);

/*
 * Scans the scope: every process except pid 1, @self and adj -1000, whose
 * adj as read is at least @min_adj, becomes a candidate with pid, adj,
 * eff_adj = adj (and comm when @names).  Below a cgroup scope, each cgroup's
 * preference (systemd's ManagedOOMPreference=, the user.oomd_omit and
 * user.oomd_avoid xattrs, honoured only on a cgroup owned by root or by the
 * scope's owner, as systemd-oomd does) is read as the walk passes, inherited
 * by the cgroups below, and set as cg_pref on its processes: omitted ones get
 * SKIP_OMITTED.  Returns the number of candidates
 * and stores the table in @ret_cands, or -errno.  Processes that vanish
 * while being read are left out.  When the scope holds more candidates than
 * the capacity, the rest are left out and proctab_overflowed() says so;
 * cgroups below the scope that could not be walked are counted, never
 * skipped silently: proctab_unwalked().
 */
int proctab_scan(struct proctab *pt, int min_adj, bool names, struct candidate **ret_cands);

/* Returns true when the last scan found more candidates than fit. */
bool proctab_overflowed(const struct proctab *pt);

/*
 * Returns the number of cgroups below the scope whose processes the last scan
 * could not look at (and whose children it did not walk): deeper than the
 * walk reaches (see proctab_too_deep()), or not opened or read (the fd
 * limit, permissions).  Cgroups removed while being walked are not counted.
 */
size_t proctab_unwalked(const struct proctab *pt);

/*
 * Returns true when the last scan left out cgroups deeper than the walk's
 * stack reaches; proctab_grow_depth() makes room.
 */
bool proctab_too_deep(const struct proctab *pt);

/* Returns how many cgroup levels below the scope a scan walks in full. */
size_t proctab_depth(const struct proctab *pt);

/*
 * Doubles the cgroup levels a scan walks (allocates; call it only off the
 * kill path).  Returns 0, -ENOMEM, or -E2BIG past 65536 levels.
 */
int proctab_grow_depth(struct proctab *pt);

/* Returns the number of processes the last scan looked at. */
size_t proctab_seen(const struct proctab *pt);

/* Returns the capacity. */
size_t proctab_capacity(const struct proctab *pt);

/*
 * Doubles the capacity (allocates; call it only off the kill path).
 * Returns 0 or -ENOMEM.
 */
int proctab_grow(struct proctab *pt);

/*
 * The policy's loader (policy_load_fn; @ctx is the proctab): reads
 * /proc/<pid>/stat and status and fills start_time, uid, comm and the sizes.
 * Kernel threads, zombies, exiting processes and processes with SIGKILL
 * pending get c->skip set.  Returns 0, or -errno when the process is gone.
 */
int proctab_load(void *ctx, struct candidate *c);

/*
 * In the system scope with a cgroup v2 mount: sets @c->cg_pref from the
 * preference of the process's cgroup and its ancestors (cgpref_of_path();
 * cgroups owned by root only), cached by cgroup for the scan, and SKIP_OMITTED
 * for omit.  proctab_refine() does it for the candidates the walk takes; call
 * it for others to show.  Below a cgroup scope the scan has set it: nothing
 * to do.
 */
void proctab_system_pref(struct proctab *pt, struct candidate *c);

/*
 * Returns how many candidates of the last scan, loaded by then, are named
 * @comm (up to @max).  Off the kill path: for telling a crowd of workers
 * from one process that comes back.
 */
size_t proctab_count_comm(const struct proctab *pt, const char *comm, size_t max);

/*
 * The policy's refiner (policy_params.refine; @ctx is the proctab), for a
 * loaded candidate the walk is about to take: in the system scope looks up
 * its cgroup preference (proctab_system_pref(); an omitted one is left
 * there), hashes its uid and command
 * line into @c->cmd_hash and, when it may share anonymous memory
 * copy-on-write (it has children, or its parent has its name), lowers
 * @c->size_kib to what smaps_rollup shows its death frees.  Returns 0, or
 * -ESRCH when the process is gone.
 */
int proctab_refine(void *ctx, struct candidate *c);

/*
 * Checks that the process now behind @c->pid is the one that was scanned:
 * its start time is unchanged.  Call it after pinning the pid with a pidfd.
 * Returns 0 when it is, -ESTALE when the pid was reused, -ESRCH when the
 * process is gone, other -errno on read errors.
 */
int proctab_verify(struct proctab *pt, const struct candidate *c);
