/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Making a killed victim die fast.  SIGKILL is only acted on when the
 * victim's threads get a CPU, and a victim that was niced, SCHED_IDLE, pinned
 * to one busy CPU or held in a cgroup CPU quota may wait long for one while
 * its memory stays in use.  After the signal (and the reap), the reaper
 * thread lifts that: a victim in a cgroup whose CPU is limited (cpu.max,
 * cpu.idle, cfs_quota_us, a narrower cpuset) moves to the root of that
 * hierarchy; then every thread of the victim goes to SCHED_FIFO 1 (when
 * reapd itself is real-time: still below reapd's own threads) or else loses
 * its penalties (SCHED_IDLE/BATCH, nice > 0), and may run on every CPU reapd
 * may use.
 * Nothing here allocates; cgroupfs and procfs are read with stack buffers.
 */

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

/* The hierarchies whose CPU limits are lifted. */
enum boost_hierarchy {
	BOOST_V2,        /* the cgroup v2 mount: cpu.max, cpu.idle, cpuset.cpus.effective */
	BOOST_V1_CPU,    /* the v1 cpu hierarchy: cpu.cfs_quota_us, cpu.idle */
	BOOST_V1_CPUSET, /* the v1 cpuset hierarchy: cpuset.cpus */
	BOOST_HIERARCHIES
};

/* What limits a cgroup's CPU, as a bit each (struct boost_result's lifted). */
#define BOOST_LIMIT_CPU_MAX   0x1U /* v2 cpu.max: a quota */
#define BOOST_LIMIT_CPU_IDLE  0x2U /* cpu.idle = 1: the whole cgroup is SCHED_IDLE */
#define BOOST_LIMIT_CFS_QUOTA 0x4U /* v1 cpu.cfs_quota_us: a quota */
#define BOOST_LIMIT_CPUSET    0x8U /* fewer CPUs than reapd may use */

/* Set up once at start-up; read (never changed) by every thread that kills. */
struct boost_env {
	cpu_set_t cpus;                     /* the CPUs reapd itself may use */
	int dir_fd[BOOST_HIERARCHIES];      /* each hierarchy's root directory; -1: absent */
	int procs_fd[BOOST_HIERARCHIES];    /* its root's cgroup.procs, open for writing; -1 */
};

struct boost_result {
	unsigned threads; /* threads boosted (at least one change made) */
	unsigned errors;  /* failures: threads gone, EPERM, paths that did not fit, ... */
	unsigned lifted;  /* BOOST_LIMIT_* of the limits the victim was moved out of */
};

/*
 * Reads the calling thread's CPUs and opens the hierarchies found under
 * @cgroup_root (NULL: none, threads only).  A v1 hierarchy that also holds
 * the memory controller is left out: moving a victim there would take it out
 * of its memory cgroup.  Returns 0 or -errno (sched_getaffinity).
 */
int boost_env_open(const char *cgroup_root, struct boost_env *ret);

/* Closes what boost_env_open() or boost_env_init() set up; closing twice is fine. */
void boost_env_close(struct boost_env *e);

/* An env that boosts threads on @cpus and lifts no cgroup limit (benchmarks, tests). */
void boost_env_init(struct boost_env *e, const cpu_set_t *cpus);

/*
 * Boosts every thread of @pid (found under @proc_fd): SCHED_FIFO 1 when the
 * calling thread is real-time, else SCHED_OTHER at nice <= 0; and every CPU of
 * @e added to its affinity.  Adds to @res; failures are counted, never fatal.
 */
void boost_threads(const struct boost_env *e, int proc_fd, pid_t pid, struct boost_result *res);

/*
 * Moves @pid to the root of every hierarchy of @e in which its cgroup or an
 * ancestor limits its CPU.  Adds to @res.  Blocks on cgroupfs: reaper threads
 * only.
 */
void boost_lift_cpu_limits(const struct boost_env *e, int proc_fd, pid_t pid,
			   struct boost_result *res);

/*
 * Whether @buf, the content of the file that shows limit @kind (one
 * BOOST_LIMIT_* bit), limits a process that could run on @ours.  Pure.
 * Returns 1 when limited, 0 when not, -EINVAL for malformed content.
 */
int boost_file_limits(unsigned kind, const char *buf, const cpu_set_t *ours);

/* The file name that shows limit @kind, for logs ("cpu.max", ...); "" for none. */
const char *boost_limit_name(unsigned kind);
