/* SPDX-License-Identifier: MIT */
#include "boost.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "sys.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

#define LIMIT_FILES_MAX 3

struct limit_file {
	unsigned kind;
	const char *name;
};

/* Where each hierarchy is mounted, how /proc/<pid>/cgroup names it, what limits CPU there. */
struct hierarchy {
	const char *const mounts[2]; /* under the cgroup root, tried in order */
	const char *probe;           /* a file its root has */
	const char *controller;      /* in /proc/<pid>/cgroup; "" for v2 */
	struct limit_file files[LIMIT_FILES_MAX];
};

static const struct hierarchy hierarchies[BOOST_HIERARCHIES] = {
	[BOOST_V2] = {{"", "/unified"}, "cgroup.controllers", "",
		      {{BOOST_LIMIT_CPU_MAX, "cpu.max"},
		       {BOOST_LIMIT_CPU_IDLE, "cpu.idle"},
		       {BOOST_LIMIT_CPUSET, "cpuset.cpus.effective"}}},
	[BOOST_V1_CPU] = {{"/cpu", "/cpu,cpuacct"}, "cpu.shares", "cpu",
			  {{BOOST_LIMIT_CFS_QUOTA, "cpu.cfs_quota_us"},
			   {BOOST_LIMIT_CPU_IDLE, "cpu.idle"}}},
	[BOOST_V1_CPUSET] = {{"/cpuset", NULL}, "cpuset.cpus", "cpuset",
			     {{BOOST_LIMIT_CPUSET, "cpuset.cpus"}}},
};

void boost_env_init(struct boost_env *e, const cpu_set_t *cpus)
{
	e->cpus = *cpus;
	for (int h = 0; h < BOOST_HIERARCHIES; h++)
		e->dir_fd[h] = e->procs_fd[h] = -1;
}

/* True when the v2 root at @fd has a controller that can limit CPU. */
static bool v2_has_cpu_controllers(int fd)
{
	char buf[512], *save = NULL;

	if (read_at(fd, "cgroup.controllers", buf, sizeof(buf)) < 0)
		return false;
	for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		if (strcmp(w, "cpu") == 0 || strcmp(w, "cpuset") == 0)
			return true;
	return false;
}

/* Opens hierarchy @h under @root into @e; leaves it absent when it is not there or not usable. */
static void open_hierarchy(struct boost_env *e, const char *root, int h)
{
	const struct hierarchy *hy = &hierarchies[h];
	char path[PATH_MAX];

	for (size_t i = 0; i < 2 && hy->mounts[i] && e->dir_fd[h] < 0; i++) {
		int fd;

		if (path_format(path, sizeof(path), "%s%s", root, hy->mounts[i]) < 0 ||
		    (fd = open_at(AT_FDCWD, path, O_RDONLY | O_DIRECTORY)) < 0)
			continue;
		if (faccessat(fd, hy->probe, F_OK, 0) < 0 ||
		    (h == BOOST_V2 && !v2_has_cpu_controllers(fd)) ||
		    /* Co-mounted with memory: a move would take the victim out of its memory cgroup. */
		    (h != BOOST_V2 && faccessat(fd, "memory.usage_in_bytes", F_OK, 0) == 0)) {
			close(fd);
			continue;
		}
		e->procs_fd[h] = open_at(fd, "cgroup.procs", O_WRONLY);
		if (e->procs_fd[h] < 0) {
			e->procs_fd[h] = -1;
			close(fd);
			continue;
		}
		e->dir_fd[h] = fd;
	}
}

int boost_env_open(const char *cgroup_root, struct boost_env *ret)
{
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) < 0)
		return -errno;
	boost_env_init(ret, &cpus);
	if (!cgroup_root)
		return 0;
	for (int h = 0; h < BOOST_HIERARCHIES; h++)
		open_hierarchy(ret, cgroup_root, h);
	return 0;
}

void boost_env_close(struct boost_env *e)
{
	for (int h = 0; h < BOOST_HIERARCHIES; h++) {
		safe_close(e->dir_fd[h]);
		safe_close(e->procs_fd[h]);
		e->dir_fd[h] = e->procs_fd[h] = -1;
	}
}

/* Parses a one-line integer file ("-1\n") in [@min, @max]. Returns 0 or -EINVAL. */
static int parse_line_long(const char *buf, long min, long max, long *ret)
{
	char line[32];
	size_t len = strcspn(buf, "\n");

	if (len >= sizeof(line) || (buf[len] == '\n' && buf[len + 1] != '\0'))
		return -EINVAL;
	memcpy(line, buf, len);
	line[len] = '\0';
	return parse_int_range(line, min, max, ret) < 0 ? -EINVAL : 0;
}

int boost_file_limits(unsigned kind, const char *buf, const cpu_set_t *ours)
{
	cpu_set_t theirs, both;
	bool limited;
	long v;

	switch (kind) {
	case BOOST_LIMIT_CPU_MAX:
		if (parse_cpu_max(buf, &limited) < 0)
			return -EINVAL;
		return limited;
	case BOOST_LIMIT_CPU_IDLE:
		if (parse_line_long(buf, 0, 1, &v) < 0)
			return -EINVAL;
		return v == 1;
	case BOOST_LIMIT_CFS_QUOTA:
		/* -1: no quota; the kernel takes none below 1 ms, but any positive one limits. */
		if (parse_line_long(buf, -1, LONG_MAX, &v) < 0 || v == 0)
			return -EINVAL;
		return v > 0;
	case BOOST_LIMIT_CPUSET:
		if (parse_cpu_list(buf, &theirs) < 0)
			return -EINVAL;
		CPU_OR(&both, &theirs, ours);
		return !CPU_EQUAL(&both, &theirs);
	}
	return -EINVAL;
}

const char *boost_limit_name(unsigned kind)
{
	if (kind & BOOST_LIMIT_CPU_MAX)
		return "cpu.max";
	if (kind & BOOST_LIMIT_CFS_QUOTA)
		return "cpu.cfs_quota_us";
	if (kind & BOOST_LIMIT_CPU_IDLE)
		return "cpu.idle";
	if (kind & BOOST_LIMIT_CPUSET)
		return "cpuset.cpus";
	return "";
}

/*
 * Gives thread @tid a policy that gets it a CPU: SCHED_FIFO 1 when @rt (the
 * caller is real-time), else SCHED_OTHER at nice <= 0.  Returns true when
 * it changed something; failures add to @errors.
 */
static bool boost_policy(pid_t tid, bool rt, unsigned *errors)
{
	struct sys_sched_attr a, want;
	int r;

	if ((r = sys_sched_getattr(tid, &a)) < 0) {
		(*errors)++;
		return false;
	}
	if (a.sched_policy == SCHED_FIFO || a.sched_policy == SCHED_RR ||
	    a.sched_policy == SCHED_DEADLINE)
		return false; /* real-time already: at 1 or above */
	if (rt) {
		want = (struct sys_sched_attr){.sched_policy = SCHED_FIFO, .sched_priority = 1};
		if ((r = sys_sched_setattr(tid, &want)) == 0)
			return true;
		(*errors)++;
		/* EPERM: a v1 cpu cgroup without rt_runtime_us takes no real-time task. */
		if (r != -EPERM)
			return false;
	}
	if (a.sched_policy != SCHED_IDLE && a.sched_policy != SCHED_BATCH && a.sched_nice <= 0)
		return false;
	want = (struct sys_sched_attr){.sched_policy = SCHED_OTHER,
				       .sched_nice = a.sched_nice > 0 ? 0 : a.sched_nice};
	if (sys_sched_setattr(tid, &want) < 0) {
		(*errors)++;
		return false;
	}
	return true;
}

/* Adds @ours to @tid's CPUs (never takes one away). Returns true when it changed them. */
static bool boost_affinity(pid_t tid, const cpu_set_t *ours, unsigned *errors)
{
	cpu_set_t cur, want;

	if (sched_getaffinity(tid, sizeof(cur), &cur) < 0) {
		(*errors)++;
		return false;
	}
	CPU_OR(&want, &cur, ours);
	if (CPU_EQUAL(&want, &cur))
		return false;
	/* EINVAL: its cpuset has none of them; the cgroup move may still lift that. */
	if (sched_setaffinity(tid, sizeof(want), &want) < 0) {
		(*errors)++;
		return false;
	}
	return true;
}

static bool self_realtime(void)
{
	int p = sched_getscheduler(0);

	return p == SCHED_FIFO || p == SCHED_RR;
}

void boost_threads(const struct boost_env *e, int proc_fd, pid_t pid, struct boost_result *res)
{
	char path[32];
	char dents[4096] __attribute__((aligned(8)));
	bool rt = self_realtime();
	int fd;

	snprintf(path, sizeof(path), "%d/task", (int)pid);
	/* openat + getdents64, not opendir: nothing on the kill path allocates. */
	if ((fd = open_at(proc_fd, path, O_RDONLY | O_DIRECTORY)) < 0) {
		res->errors++;
		return;
	}
	for (;;) {
		ssize_t n = sys_getdents64(fd, dents, sizeof(dents));

		if (n <= 0) {
			if (n < 0)
				res->errors++;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(dents + off);
			int tid = parse_pid(d->d_name);
			bool changed;

			off += d->d_reclen;
			if (tid <= 0)
				continue;
			changed = boost_policy(tid, rt, &res->errors);
			if (boost_affinity(tid, &e->cpus, &res->errors))
				changed = true;
			if (changed)
				res->threads++;
		}
	}
	close(fd);
}

/*
 * The limits of hierarchy @h on cgroup @rel (relative to its root, no
 * leading '/'; cut short as the walk goes up) and its ancestors, the root
 * aside (nothing to lift there).  A file that is missing (no cpu controller
 * here, the cgroup removed meanwhile) limits nothing.  Returns BOOST_LIMIT_*.
 */
static unsigned cgroup_limits(const struct boost_env *e, int h, char *rel, unsigned *errors)
{
	const struct hierarchy *hy = &hierarchies[h];
	unsigned found = 0;

	while (*rel) {
		char *slash;

		for (size_t i = 0; i < LIMIT_FILES_MAX && hy->files[i].name; i++) {
			char p[PATH_MAX], buf[512];
			ssize_t n;
			int r;

			if (path_format(p, sizeof(p), "%s/%s", rel, hy->files[i].name) < 0) {
				(*errors)++;
				continue;
			}
			n = read_at(e->dir_fd[h], p, buf, sizeof(buf));
			if (n < 0) {
				if (n != -ENOENT)
					(*errors)++;
				continue;
			}
			r = boost_file_limits(hy->files[i].kind, buf, &e->cpus);
			if (r < 0)
				(*errors)++;
			else if (r)
				found |= hy->files[i].kind;
		}
		slash = strrchr(rel, '/');
		if (slash)
			*slash = '\0';
		else
			rel[0] = '\0';
	}
	return found;
}

/*
 * The move and the memory it leaves behind.  The victim's memory stays
 * charged to its memory cgroup and is uncharged there as it is freed: cgroup
 * v2 never moves a charge with a task ("Memory Ownership" in
 * Documentation/admin-guide/cgroup-v2.rst), and v1 moved one only on a
 * migration in the memory hierarchy itself, into a memcg with
 * memory.move_charge_at_immigrate set (memory.rst, "Move charges at task
 * migration"; deprecated, and the code removed in 6.13 by "memcg-v1: remove
 * charge move code").  Moving in the cpu or cpuset hierarchy does not touch
 * the memory one, and a hierarchy co-mounted with memory is never opened
 * (boost_env_open()).  The kernel skips tasks already PF_EXITING
 * (cgroup_migrate_add_task() in kernel/cgroup/cgroup.c: "@task either already
 * exited or can't exit until the end") and still reports success: only the
 * threads not yet exiting move, which are the ones a quota holds back.
 */
void boost_lift_cpu_limits(const struct boost_env *e, int proc_fd, pid_t pid,
			   struct boost_result *res)
{
	char rel[32], buf[8192], path[PATH_MAX], pidbuf[16];
	int len;

	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	if (read_at(proc_fd, rel, buf, sizeof(buf)) < 0) {
		res->errors++; /* gone, or a cgroup file too long for the buffer */
		return;
	}
	len = snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	for (int h = 0; h < BOOST_HIERARCHIES; h++) {
		unsigned found;
		int r;

		if (e->dir_fd[h] < 0)
			continue;
		r = parse_proc_cgroup(buf, hierarchies[h].controller, path, sizeof(path));
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			res->errors++; /* malformed, or a path longer than the buffer */
			continue;
		}
		found = cgroup_limits(e, h, path + 1, &res->errors);
		if (!found)
			continue;
		if (write(e->procs_fd[h], pidbuf, (size_t)len) != len) {
			log_debug("boost: cannot move pid %d out of its CPU limit: %s", (int)pid,
				  strerrorname_np(errno));
			res->errors++;
			continue;
		}
		res->lifted |= found;
	}
}
