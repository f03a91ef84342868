/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * systemd's ManagedOOMPreference= as cgroups carry it: systemd's manager
 * sets the user.oomd_omit or user.oomd_avoid xattr (to "1") on the cgroup of
 * a unit with ManagedOOMPreference=omit or avoid.  reapd reads them the way
 * systemd-oomd does: a true value counts only on a cgroup owned by root or by
 * the owner of the scope being watched, so that a user cannot shield their
 * own cgroups from a scope someone else owns; omit wins over avoid.  cgroup
 * v1 has no user xattrs: there nothing is ever marked.  Never allocates.
 */

#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

/*
 * Returns the preference (enum cg_pref) of the cgroup directory @dirfd on
 * its own, honoured when it is owned by root or by @owner.  One flistxattr
 * when neither xattr is there; any error reads as CG_PREF_NONE.
 */
uint8_t cgpref_read(int dirfd, uid_t owner);

#define CGPREF_SLOTS 256

/* Preferences found by cgpref_of_path() during one scan, by cgroup path. */
struct cgpref_cache {
	struct {
		uint64_t hash;
		uint32_t gen;
		uint8_t pref;
	} slot[CGPREF_SLOTS];
	uint32_t gen;
};

/* Starts a new scan: what the cache holds is stale from now on. */
void cgpref_cache_next(struct cgpref_cache *c);

/*
 * Returns the strongest preference of a cgroup and each of its ancestors
 * below a cgroup v2 mount, each honoured as cgpref_read() does for @owner:
 * @path is the mount's directory (its first @root_len bytes, e.g.
 * "/sys/fs/cgroup") followed by the cgroup's path as /proc/<pid>/cgroup shows
 * it ("/user.slice/...").  Opens nothing (path-based xattr calls); the walk
 * stops at an empty, "." or ".." component.  @path is written to during the
 * call and restored.  Cached in @c for the scan, by the cgroup's path.
 */
uint8_t cgpref_of_path(struct cgpref_cache *c, char *path, size_t root_len, uid_t owner);
