/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Thawing a frozen victim so it can exit: finding the freezer hierarchies
 * (v1 freezer, cgroup v2) and moving the victim out of, or thawing, its
 * frozen cgroup.  Used by the reaper's threads after the signal.
 */

#include <sys/types.h>

/* Where the freezers are: the v1 freezer hierarchy and the cgroup v2 mount (NULL when absent). */
struct cgroup_roots {
	char *freezer_v1;
	char *unified;
};

/* Looks under @cgroup_root (e.g. /sys/fs/cgroup) for the hierarchies. Returns 0 or -ENOMEM. */
int cgroup_roots_find(const char *cgroup_root, struct cgroup_roots *ret);

void cgroup_roots_free(struct cgroup_roots *r);

/*
 * Signals cannot wake a frozen task, so a killed victim in a frozen cgroup
 * would never exit.  Moves @pid out to the root of the frozen hierarchy,
 * which thaws just that process; when the move is refused, thaws its cgroup.
 * Call it after SIGKILL.  Returns 1 when the victim was thawed, 0 when it was
 * not frozen, -errno on failure.  Blocks on cgroupfs: reaper threads only.
 */
int cgroup_thaw_victim(const struct cgroup_roots *roots, int proc_fd, pid_t pid);
