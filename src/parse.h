/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Pure parsers for the kernel's text files and for option values.  They read
 * a NUL-terminated buffer, never allocate, and return 0 or -EINVAL for input
 * that is malformed (missing fields, junk, overflow).  Output parameters are
 * written only on success.
 */

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_COMM_MAX 64 /* kernel threads may show names longer than TASK_COMM_LEN */

/*
 * Parses an unsigned decimal at *@p, skipping leading blanks (spaces, tabs),
 * and advances *@p past its digits.  Returns 0 or -EINVAL (no digits, overflow).
 */
int parse_next_u64(const char **p, uint64_t *ret);

/* Flags from /proc/<pid>/stat field 9 that reapd cares about. */
#define PF_EXITING_FLAG 0x00000004U
#define PF_KTHREAD_FLAG 0x00200000U

struct proc_stat {
	char comm[PROC_COMM_MAX];
	char state;
	pid_t ppid;
	unsigned int flags;
	uint64_t start_time; /* clock ticks after boot */
	uint64_t rss_pages;
};

/*
 * Parses /proc/<pid>/stat.  The command name may hold any byte, ')' and
 * spaces included, so it is taken up to the last ')'.  Returns 0 or -EINVAL.
 */
int parse_proc_stat(const char *buf, struct proc_stat *ret);

struct proc_status {
	uid_t uid; /* real uid */
	char state;
	bool has_mm; /* false for zombies and kernel threads */
	uint64_t rss_anon_kib;
	uint64_t rss_file_kib;
	uint64_t rss_shmem_kib;
	uint64_t swap_kib;
	uint64_t shdpnd; /* shared pending signal mask, bit n-1 for signal n */
};

/* Parses /proc/<pid>/status. Returns 0, or -EINVAL when State or Uid is missing. */
int parse_proc_status(const char *buf, struct proc_status *ret);

/* True when @mask (a ShdPnd/SigPnd value) has SIGKILL pending. */
bool sigmask_has_sigkill(uint64_t mask);

struct proc_statm {
	uint64_t size, resident, shared; /* pages */
};

/* Parses /proc/<pid>/statm. Returns 0 or -EINVAL. */
int parse_proc_statm(const char *buf, struct proc_statm *ret);

/* The fields of /proc/<pid>/smaps_rollup that tell what a process's death frees. */
struct smaps_rollup {
	uint64_t anon_kib;    /* Anonymous: anonymous pages mapped, shared or not */
	uint64_t private_kib; /* Private_Clean + Private_Dirty: pages no other process maps */
	uint64_t swap_kib;
	uint64_t swap_pss_kib; /* SwapPss: swap shared with others counted in proportion */
};

/*
 * Parses /proc/<pid>/smaps_rollup.  Returns 0, or -EINVAL when Anonymous or
 * the Private lines are missing or malformed.
 */
int parse_smaps_rollup(const char *buf, struct smaps_rollup *ret);

/*
 * The memory a process's death frees, from its rollup: anonymous memory no
 * other process maps (a page shared copy-on-write with a parent or child is
 * freed only when the last of them dies; file and shmem pages stay), and its
 * share of swap.  Returns KiB.
 */
uint64_t smaps_freeable_kib(const struct smaps_rollup *s);

struct meminfo {
	uint64_t total_kib;
	uint64_t free_kib;
	uint64_t available_kib;
	uint64_t swap_total_kib;
	uint64_t swap_free_kib;
	uint64_t file_kib; /* Buffers + Cached - Shmem: page cache that can be dropped */
	uint64_t anon_kib;  /* AnonPages: anonymous memory mapped by processes */
	uint64_t shmem_kib; /* Shmem: tmpfs, shm and memfd pages, which no kill frees */
};

/*
 * Parses /proc/meminfo.  Returns 0, or -EINVAL when MemTotal, MemFree or the
 * swap lines are missing.  Without MemAvailable (kernels before 3.14),
 * available is estimated as MemFree + Cached.
 */
int parse_meminfo(const char *buf, struct meminfo *ret);

/*
 * Looks up "@key <number>" at the start of a line of @buf (memory.stat,
 * memory.events, ...).  Returns 0, -ENOENT when the key is absent, -EINVAL
 * when its value is not a number.
 */
int parse_keyed_u64(const char *buf, const char *key, uint64_t *ret);

/* What reclaim has done so far, from /proc/vmstat or a v2 memory.stat. */
struct vm_counters {
	uint64_t refault_file, refault_anon; /* workingset refaults since boot (pages) */
	uint64_t file_lru, anon_lru;         /* active + inactive LRU (pages) */
	uint64_t pgscan_direct;              /* pages scanned by allocating tasks (0: not shown) */
};

/*
 * Parses the reclaim counters of /proc/vmstat (@lru_unit 1: its LRU sizes are
 * pages) or of a cgroup v2 memory.stat (@lru_unit the page size: its sizes
 * are bytes); refaults and scans are page counts in both.  Kernels before 5.9
 * have one refault counter, "workingset_refault", of file pages.  Returns 0,
 * -ENOENT when the refault or LRU counters are missing (cgroup v1, very old
 * kernels), -EINVAL when one is not a number or @lru_unit is 0.
 */
int parse_vm_counters(const char *buf, uint64_t lru_unit, struct vm_counters *ret);

/* Parses a cgroup value file: a number or "max" (UINT64_MAX). Returns 0 or -EINVAL. */
int parse_cgroup_value(const char *buf, uint64_t *ret);

struct psi_line {
	uint32_t avg10, avg60, avg300; /* hundredths of a percent */
	uint64_t total_usec;
};

struct psi_stats {
	struct psi_line some, full;
	bool has_full;
};

/* Parses a PSI file (/proc/pressure/memory, memory.pressure). Returns 0 or -EINVAL. */
int parse_psi(const char *buf, struct psi_stats *ret);

/*
 * Parses a size: a decimal number with an optional K, M, G or T suffix
 * (powers of 1024; "KiB", "KB" and "k" are accepted too).  A plain number is
 * bytes.  Returns 0 or -EINVAL (junk, overflow, empty).
 */
int parse_size(const char *s, uint64_t *ret_bytes);

/* A threshold given as a share of the domain or as an absolute size. */
struct threshold {
	bool is_percent;
	uint32_t percent_x100; /* when is_percent: 0..10000 */
	uint64_t bytes;        /* otherwise */
};

/* Parses "PERCENT%" (0-100, up to two decimals) or a size. Returns 0 or -EINVAL. */
int parse_threshold(const char *s, struct threshold *ret);

/* Resolves @t against a domain of @total_kib. Returns KiB. */
uint64_t threshold_kib(const struct threshold *t, uint64_t total_kib);

/* Parses a decimal integer in [@min, @max]. Returns 0 or -EINVAL/-ERANGE. */
int parse_int_range(const char *s, long min, long max, long *ret);

/*
 * Finds the cgroup path of @controller in /proc/<pid>/cgroup content
 * ("ID:controllers:path" lines); an empty @controller finds the cgroup v2
 * line ("0::path").  Copies the path to @ret (size @len).  Returns 0,
 * -ENOENT when there is no such line, -EINVAL for malformed content, a path
 * with a "." or ".." component, or a path that does not fit.
 */
int parse_proc_cgroup(const char *buf, const char *controller, char *ret, size_t len);

/*
 * Parses a CPU list as cpuset.cpus and Cpus_allowed_list show it
 * ("0-3,8,10-11", a newline at the end allowed; empty: no CPU).  Returns 0 or
 * -EINVAL (junk, a range backwards, a CPU beyond CPU_SETSIZE).
 */
int parse_cpu_list(const char *buf, cpu_set_t *ret);

/*
 * Parses cgroup v2 cpu.max ("max 100000" or "QUOTA PERIOD"); @ret_limited
 * is set when a quota is.  Returns 0 or -EINVAL.
 */
int parse_cpu_max(const char *buf, bool *ret_limited);

/*
 * Parses a boolean xattr value @buf[0..@len) (not NUL-terminated; one NUL at
 * the end allowed) the way systemd writes and reads them: "1", "yes", "y",
 * "true", "t", "on" (any case) are true, "0", "no", "n", "false", "f",
 * "off" false.  Returns 1, 0 or -EINVAL.
 */
int parse_xattr_bool(const char *buf, size_t len);
