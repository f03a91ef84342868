/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What a client may do to a process's oom_score_adj, for both endpoints
 * (reapctl's prio and lmkd's LMK_PROCPRIO/LMK_PROCS_PRIO): the kernel's rule
 * for who may change an adj, whether a process is inside reapd's scope
 * (from /proc/<pid>/cgroup), and the reading of a process's owner and adj.
 * Not on the kill path: these read files as they go.  Logs nothing.
 */

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

enum procfs_scope_kind {
	PROCFS_SCOPE_SYSTEM,  /* every process is inside */
	PROCFS_SCOPE_V1,      /* a v1 memory cgroup: the "memory" line of /proc/<pid>/cgroup */
	PROCFS_SCOPE_V2,      /* a v2 cgroup: the "0::" line */
	PROCFS_SCOPE_UNKNOWN, /* the cgroup's path could not be found: nothing is inside */
};

/* A scope as /proc/<pid>/cgroup names it: the cgroup's path below its hierarchy's root. */
struct procfs_scope {
	enum procfs_scope_kind kind;
	char rel[PATH_MAX]; /* "/a/b", no trailing slash; "/" for the hierarchy's root */
};

/*
 * Finds the cgroup directory @dir (absolute, no symlinks, as realpath(3)
 * gives it) in @mountinfo (the text of /proc/self/mountinfo): the cgroup
 * mount it is on (v1 with the memory controller, or cgroup2 when @v2) and its
 * path inside that hierarchy.  Returns 0, -ENOENT when no such mount holds
 * @dir, -EINVAL when @dir is not absolute.
 */
int procfs_scope_from_mountinfo(const char *mountinfo, const char *dir, bool v2,
				struct procfs_scope *ret);

/*
 * The scope of a reapd watching @dir (NULL: the whole system), resolved with
 * @proc_fd's self/mountinfo.  Returns 0 or -errno; on failure *@ret is
 * still set, to PROCFS_SCOPE_UNKNOWN, so callers that go on fail closed.
 */
int procfs_scope_open(int proc_fd, const char *dir, bool v2, struct procfs_scope *ret);

/*
 * Tells from @cgroup (the text of /proc/<pid>/cgroup) whether the process is
 * in @s's cgroup or below it.  Returns 1 inside, 0 outside, -EINVAL when the
 * text cannot be trusted (a line without two colons, more than one line for
 * the scope's hierarchy, as a cgroup name holding a newline could forge).
 */
int procfs_cgroup_in_scope(const struct procfs_scope *s, const char *cgroup);

/*
 * The kernel's rule for oom_score_adj: root may set any value on any
 * process; anyone else only on their own processes (real uid @owner), and
 * only to raise it (make it more killable) from @cur_adj.  Pure.  Returns 0
 * when @who may set @new_adj, -EPERM for another user's process, -EACCES for
 * lowering one's own.
 */
int procfs_adj_change_allowed(uid_t who, uid_t owner, int cur_adj, int new_adj);

/* What procfs_prio_check() read of a process. */
struct procfs_target {
	int dirfd;   /* /proc/<pid>, pinned to the process checked; -1 unless 0 was returned */
	uid_t owner; /* real uid */
	int adj;     /* current oom_score_adj */
};

/*
 * Checks that @who may set @pid's oom_score_adj to @new_adj: @pid is neither
 * pid 1 nor @self, is inside @s, and procfs_adj_change_allowed() agrees.
 * @proc_fd is the /proc directory.  Returns 0 with @info->dirfd open on
 * /proc/<pid> (the caller writes through it and closes it, so a pid reused
 * since the check is never written to), -EBUSY for pid 1 or @self, -ESRCH
 * when there is no such process, -EXDEV when it is outside the scope (or its
 * cgroup file cannot be trusted), -EPERM or -EACCES as
 * procfs_adj_change_allowed(), or another -errno.  On -EPERM and -EACCES
 * @info->owner and @info->adj hold what was read.
 */
int procfs_prio_check(int proc_fd, const struct procfs_scope *s, pid_t self, uid_t who, pid_t pid,
		      int new_adj, struct procfs_target *info);

/* Writes @adj to oom_score_adj under @pid_dirfd (/proc/<pid>). Returns 0 or -errno. */
int procfs_write_adj(int pid_dirfd, int adj);

/* Returns a plain reason for an error of procfs_prio_check() or procfs_write_adj(). */
const char *procfs_prio_error(int r);
