/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The memory domain reapd protects: the whole system, or one cgroup (a v1
 * memory cgroup or a v2 cgroup with the memory controller).  Every file it
 * reads is opened once and read with pread.
 */

#include <stdbool.h>
#include <stddef.h>

#include "decide.h"

enum domain_kind {
	DOMAIN_SYSTEM,
	DOMAIN_CGROUP_V1,
	DOMAIN_CGROUP_V2,
};

struct domain;

/*
 * Opens the domain.  @scope is NULL for the whole system, else a cgroup
 * directory.  @proc_root is where procfs is (meminfo).  Returns 0, or
 * -ENOENT/-ENOTDIR when @scope is not a directory, -EMEDIUMTYPE when it is
 * not a memory cgroup (no v1 memory files, no v2 memory.max), other -errno.
 */
int domain_open(const char *proc_root, const char *scope, struct domain **ret);

void domain_free(struct domain *d);

/*
 * Reads the domain's memory state.  A cgroup's available memory is its limit
 * minus its usage, counting inactive file cache as reclaimable, and never more
 * than the system's MemAvailable; an unlimited cgroup is sized like the
 * system.  Returns 0 or -errno (-ENODEV when the cgroup was removed).
 */
int domain_read(struct domain *d, struct mem_state *ret);

/*
 * Reads what the domain holds that a process's death gives back, to measure
 * what a kill freed: a cgroup's usage (memory + swap when swap is accounted),
 * or the system's anonymous memory, shared memory and swap in use
 * (MemAvailable lags a kill by seconds; these do not).  Stores KiB in
 * @ret_kib.  Returns 0 or -errno.
 */
int domain_charged_kib(struct domain *d, uint64_t *ret_kib);

/*
 * Follows the swap devices (@proc_root/swaps, zram under @sys_root/block), so
 * that domain_read() counts swap on zram at what RAM can still hold
 * (mem_state.swap_usable_kib).  Without it, free swap is taken as it is.
 * Opens files: set-up only.  Returns 0 or -errno.
 */
int domain_follow_swaps(struct domain *d, const char *proc_root, const char *sys_root);

/* True when a read saw the swap size change since the devices were listed. */
bool domain_swaps_stale(const struct domain *d);

/*
 * Lists the swap devices again (one switched on or off), logging each change
 * and setting *@ret_changed.  Opens files: never on the path from a pressure
 * event to the signal.  Returns 0 or -errno.
 */
int domain_refresh_swaps(struct domain *d, bool *ret_changed);

/* Returns the kind of domain. */
enum domain_kind domain_kind(const struct domain *d);

/* Returns "system" or the cgroup directory. */
const char *domain_name(const struct domain *d);

/* Returns the cgroup directory fd, or -1 for the system domain. */
int domain_dirfd(const struct domain *d);

/* Returns the cgroup's limit in bytes as last read (0 when unlimited or system). */
unsigned long long domain_limit_bytes(const struct domain *d);

/*
 * Writes the path of the domain's PSI file to @buf: /proc/pressure/memory or
 * <cgroup>/memory.pressure.  Returns 0, or -ENOENT when the domain has none
 * (cgroup v1).
 */
int domain_pressure_path(const struct domain *d, const char *proc_root, char *buf, size_t len);
