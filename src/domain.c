/* SPDX-License-Identifier: MIT */
#include "domain.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"
#include "swap.h"
#include "sys.h"

#define STAT_BUF 16384 /* /proc/vmstat is about 4 KiB */

/* The files of a cgroup domain, by the role they play. */
enum cg_file {
	CG_LIMIT,
	CG_USAGE,
	CG_STAT,
	CG_SWAP_LIMIT, /* v1: memsw limit (memory + swap); v2: swap.max */
	CG_SWAP_USAGE, /* v1: memsw usage; v2: swap.current */
	CG_N_FILES
};

static const char *const v1_files[CG_N_FILES] = {
	"memory.limit_in_bytes", "memory.usage_in_bytes", "memory.stat",
	"memory.memsw.limit_in_bytes", "memory.memsw.usage_in_bytes",
};

static const char *const v2_files[CG_N_FILES] = {
	"memory.max", "memory.current", "memory.stat", "memory.swap.max", "memory.swap.current",
};

struct domain {
	enum domain_kind kind;
	char *name;
	int dirfd;
	int meminfo_fd;
	int vmstat_fd; /* the system's reclaim counters (-1: none) */
	uint64_t page_size;
	int fds[CG_N_FILES];
	unsigned long long limit_bytes;
	struct swaps *swaps; /* NULL: swap devices not followed (no zram accounting) */
	bool swaps_stale;    /* SwapTotal changed since the devices were last listed */
	uint64_t swap_total_read;   /* SwapTotal at the last read */
	uint64_t swap_total_listed; /* SwapTotal when the devices were last listed */
	char buf[STAT_BUF];
};

int domain_open(const char *proc_root, const char *scope, struct domain **ret)
{
	struct domain *d = calloc(1, sizeof(*d));
	const char *const *files;
	char path[PATH_MAX];
	int r;

	if (!d)
		return -ENOMEM;
	d->dirfd = -1;
	d->vmstat_fd = -1;
	d->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	for (int i = 0; i < CG_N_FILES; i++)
		d->fds[i] = -1;

	snprintf(path, sizeof(path), "%s/meminfo", proc_root);
	d->meminfo_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->meminfo_fd < 0) {
		r = -errno;
		goto fail;
	}
	d->name = strdup(scope ? scope : "system");
	if (!d->name) {
		r = -ENOMEM;
		goto fail;
	}
	if (!scope) {
		d->kind = DOMAIN_SYSTEM;
		/* Optional: without it there is no thrashing figure, nothing else lost. */
		snprintf(path, sizeof(path), "%s/vmstat", proc_root);
		d->vmstat_fd = open(path, O_RDONLY | O_CLOEXEC);
		*ret = d;
		return 0;
	}

	d->dirfd = open(scope, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd < 0) {
		r = -errno;
		goto fail;
	}
	if (faccessat(d->dirfd, "memory.limit_in_bytes", F_OK, 0) == 0) {
		d->kind = DOMAIN_CGROUP_V1;
		files = v1_files;
	} else if (faccessat(d->dirfd, "memory.max", F_OK, 0) == 0) {
		d->kind = DOMAIN_CGROUP_V2;
		files = v2_files;
	} else {
		r = -EMEDIUMTYPE;
		goto fail;
	}
	for (int i = 0; i < CG_N_FILES; i++) {
		d->fds[i] = open_at(d->dirfd, files[i], O_RDONLY);
		/* Swap accounting is optional (swapaccount=0, no swap controller). */
		if (d->fds[i] < 0 && i < CG_SWAP_LIMIT) {
			r = d->fds[i];
			goto fail;
		}
	}
	*ret = d;
	return 0;
fail:
	domain_free(d);
	return r;
}

void domain_free(struct domain *d)
{
	if (!d)
		return;
	swaps_free(d->swaps);
	safe_close(d->meminfo_fd);
	safe_close(d->vmstat_fd);
	safe_close(d->dirfd);
	for (int i = 0; i < CG_N_FILES; i++)
		safe_close(d->fds[i]);
	free(d->name);
	free(d);
}

/* Reads a cgroup value file. A removed cgroup reads as ENODEV. Returns 0 or -errno. */
static int read_value(struct domain *d, enum cg_file f, uint64_t *ret)
{
	char buf[32];
	ssize_t n = pread_str(d->fds[f], buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return parse_cgroup_value(buf, ret);
}

/* Swap of a v1 cgroup, from its memsw counters: memory+swap minus memory. */
static void v1_swap(struct domain *d, uint64_t limit, uint64_t usage, const struct meminfo *mi,
		    struct mem_state *m)
{
	uint64_t memsw_limit, memsw_usage, total = mi->swap_total_kib, used;

	m->swap_total_kib = total;
	m->swap_free_kib = mi->swap_free_kib;
	if (total == 0 || d->fds[CG_SWAP_LIMIT] < 0 || d->fds[CG_SWAP_USAGE] < 0)
		return;
	if (read_value(d, CG_SWAP_LIMIT, &memsw_limit) < 0 ||
	    read_value(d, CG_SWAP_USAGE, &memsw_usage) < 0)
		return;
	/* memsw limit == memory limit means no swap at all (docker --memory-swap=--memory). */
	if (memsw_limit >= limit && (memsw_limit - limit) / 1024 < total)
		total = (memsw_limit - limit) / 1024;
	used = memsw_usage > usage ? (memsw_usage - usage) / 1024 : 0;
	m->swap_total_kib = total;
	m->swap_free_kib = used < total ? total - used : 0;
	if (m->swap_free_kib > mi->swap_free_kib)
		m->swap_free_kib = mi->swap_free_kib;
}

/* Swap of a v2 cgroup: swap.max and swap.current. */
static void v2_swap(struct domain *d, const struct meminfo *mi, struct mem_state *m)
{
	uint64_t max, cur, total = mi->swap_total_kib;

	m->swap_total_kib = total;
	m->swap_free_kib = mi->swap_free_kib;
	if (total == 0 || d->fds[CG_SWAP_LIMIT] < 0 || d->fds[CG_SWAP_USAGE] < 0)
		return;
	if (read_value(d, CG_SWAP_LIMIT, &max) < 0 || read_value(d, CG_SWAP_USAGE, &cur) < 0)
		return;
	if (max != UINT64_MAX && max / 1024 < total)
		total = max / 1024;
	cur /= 1024;
	m->swap_total_kib = total;
	m->swap_free_kib = cur < total ? total - cur : 0;
	if (m->swap_free_kib > mi->swap_free_kib)
		m->swap_free_kib = mi->swap_free_kib;
}

/* The cgroup's droppable page cache, from memory.stat already in d->buf. */
static void cgroup_file_kib(struct domain *d, struct mem_state *m)
{
	bool v1 = d->kind == DOMAIN_CGROUP_V1;
	uint64_t file = 0, shmem = 0, anon = 0;

	if (parse_keyed_u64(d->buf, v1 ? "total_rss" : "anon", &anon) == 0)
		m->anon_kib = anon / 1024;
	if (parse_keyed_u64(d->buf, v1 ? "total_cache" : "file", &file) < 0)
		return;
	(void)parse_keyed_u64(d->buf, v1 ? "total_shmem" : "shmem", &shmem);
	m->file_kib = file > shmem ? (file - shmem) / 1024 : 0;
	m->shmem_kib = shmem / 1024;
}

/* A cgroup's memory plus swap, from @usage (bytes) and the swap counter. */
static int cgroup_charged_kib(struct domain *d, uint64_t usage, uint64_t *ret_kib)
{
	uint64_t swap = 0;

	if (d->fds[CG_SWAP_USAGE] >= 0 && read_value(d, CG_SWAP_USAGE, &swap) == 0) {
		if (d->kind == DOMAIN_CGROUP_V1) /* memsw: memory and swap together */
			usage = swap > usage ? swap : usage;
		else
			usage += swap;
	}
	*ret_kib = usage / 1024;
	return 0;
}

/*
 * Swap on zram is stored in RAM: its free space is usable only as far as the
 * RAM can hold it compressed.  The system's memory is what holds it, for a
 * cgroup too (zram's memory is charged to no cgroup).
 */
static void zram_account(struct domain *d, const struct meminfo *mi, struct mem_state *m)
{
	struct zram_state z;
	uint64_t zram_free, other_free, usable;

	if (swaps_read_zram(d->swaps, &z) == 0)
		return;
	zram_free = z.disk_kib > z.stored_kib ? z.disk_kib - z.stored_kib : 0;
	/* The rest of the system's free swap is on disk: free as it says. */
	other_free = mi->swap_free_kib > zram_free ? mi->swap_free_kib - zram_free : 0;
	usable = other_free + zram_usable_kib(&z, mi->available_kib, mi->anon_kib);
	m->have_zram = true;
	m->zram_ram_kib = z.ram_kib;
	m->zram_stored_kib = z.stored_kib;
	m->swap_usable_kib = usable < m->swap_free_kib ? usable : m->swap_free_kib;
}

static uint64_t system_charged_kib(const struct meminfo *mi)
{
	return mi->anon_kib + mi->shmem_kib + (mi->swap_total_kib - mi->swap_free_kib);
}

static int read_cgroup(struct domain *d, const struct meminfo *mi, struct mem_state *m)
{
	uint64_t limit, usage, inactive = 0, used_kib;
	const char *inactive_key = d->kind == DOMAIN_CGROUP_V1 ? "total_inactive_file"
								: "inactive_file";
	ssize_t n;
	int r;

	if ((r = read_value(d, CG_LIMIT, &limit)) < 0 || (r = read_value(d, CG_USAGE, &usage)) < 0)
		return r;
	n = pread_str(d->fds[CG_STAT], d->buf, sizeof(d->buf));
	if (n < 0 && n != -EOVERFLOW)
		return (int)n;
	r = parse_keyed_u64(d->buf, inactive_key, &inactive);
	if (r < 0 && r != -ENOENT)
		return r;
	cgroup_file_kib(d, m);
	/* v2 counts refaults per cgroup; v1's memory.stat has no such counters. */
	m->have_vm = d->kind == DOMAIN_CGROUP_V2 && parse_vm_counters(d->buf, d->page_size, &m->vm) == 0;
	/*
	 * Not its direct scans: a cgroup at its limit reclaims in its tasks'
	 * context all the time (its page cache fills it); only the system's
	 * direct reclaim, below the min watermark, says memory is short.
	 */
	m->vm.pgscan_direct = 0;

	/* v1 reports "unlimited" as a huge page-aligned number; anything past RAM is no limit. */
	if (limit / 1024 >= mi->total_kib) {
		d->limit_bytes = 0;
		m->total_kib = mi->total_kib;
		m->avail_kib = mi->available_kib;
	} else {
		d->limit_bytes = limit;
		m->total_kib = limit / 1024;
		used_kib = usage > inactive ? (usage - inactive) / 1024 : 0;
		m->avail_kib = used_kib < m->total_kib ? m->total_kib - used_kib : 0;
		if (m->avail_kib > mi->available_kib)
			m->avail_kib = mi->available_kib;
		m->free_kib = usage / 1024 < m->total_kib ? m->total_kib - usage / 1024 : 0;
		if (m->free_kib > mi->free_kib)
			m->free_kib = mi->free_kib;
	}
	if (d->kind == DOMAIN_CGROUP_V1)
		v1_swap(d, limit, usage, mi, m);
	else
		v2_swap(d, mi, m);
	return cgroup_charged_kib(d, usage, &m->charged_kib);
}

int domain_read(struct domain *d, struct mem_state *ret)
{
	struct meminfo mi;
	struct mem_state m = {0};
	ssize_t n;
	int r;

	n = pread_str(d->meminfo_fd, d->buf, sizeof(d->buf));
	if (n < 0 && n != -EOVERFLOW)
		return (int)n;
	if (parse_meminfo(d->buf, &mi) < 0)
		return -EINVAL;
	m.free_kib = mi.free_kib;
	m.file_kib = mi.file_kib;
	m.shmem_kib = mi.shmem_kib;
	m.anon_kib = mi.anon_kib;
	m.charged_kib = system_charged_kib(&mi);
	if (d->kind == DOMAIN_SYSTEM) {
		m.total_kib = mi.total_kib;
		m.avail_kib = mi.available_kib;
		m.swap_total_kib = mi.swap_total_kib;
		m.swap_free_kib = mi.swap_free_kib;
		if (d->vmstat_fd >= 0) {
			n = pread_str(d->vmstat_fd, d->buf, sizeof(d->buf));
			m.have_vm = (n >= 0 || n == -EOVERFLOW) &&
				    parse_vm_counters(d->buf, 1, &m.vm) == 0;
		}
	} else if ((r = read_cgroup(d, &mi, &m)) < 0) {
		return r;
	}
	m.swap_usable_kib = m.swap_free_kib;
	if (d->swaps) {
		/*
		 * Not against the devices' sizes: while a swapoff drains a
		 * device, SwapTotal already leaves it out and /proc/swaps
		 * still lists it.
		 */
		d->swap_total_read = mi.swap_total_kib;
		if (mi.swap_total_kib != d->swap_total_listed)
			d->swaps_stale = true;
		zram_account(d, &mi, &m);
	}
	*ret = m;
	return 0;
}

int domain_follow_swaps(struct domain *d, const char *proc_root, const char *sys_root)
{
	struct swaps *s;
	int r = swaps_open(proc_root, sys_root, &s);

	if (r < 0)
		return r;
	swaps_free(d->swaps);
	d->swaps = s;
	d->swaps_stale = false;
	d->swap_total_listed = swaps_total_kib(s);
	return 0;
}

bool domain_swaps_stale(const struct domain *d)
{
	return d->swaps && d->swaps_stale;
}

int domain_refresh_swaps(struct domain *d, bool *ret_changed)
{
	int r;

	*ret_changed = false;
	if (!d->swaps)
		return 0;
	r = swaps_refresh(d->swaps, ret_changed);
	/* Failed or not, not again until SwapTotal moves (or the periodic look). */
	d->swaps_stale = false;
	d->swap_total_listed = d->swap_total_read;
	return r;
}

int domain_charged_kib(struct domain *d, uint64_t *ret_kib)
{
	struct meminfo mi;
	uint64_t usage;
	ssize_t n;
	int r;

	if (d->kind != DOMAIN_SYSTEM) {
		if ((r = read_value(d, CG_USAGE, &usage)) < 0)
			return r;
		return cgroup_charged_kib(d, usage, ret_kib);
	}
	n = pread_str(d->meminfo_fd, d->buf, sizeof(d->buf));
	if (n < 0 && n != -EOVERFLOW)
		return (int)n;
	if (parse_meminfo(d->buf, &mi) < 0)
		return -EINVAL;
	*ret_kib = system_charged_kib(&mi);
	return 0;
}

enum domain_kind domain_kind(const struct domain *d)
{
	return d->kind;
}

const char *domain_name(const struct domain *d)
{
	return d->name;
}

int domain_dirfd(const struct domain *d)
{
	return d->dirfd;
}

unsigned long long domain_limit_bytes(const struct domain *d)
{
	return d->limit_bytes;
}

int domain_pressure_path(const struct domain *d, const char *proc_root, char *buf, size_t len)
{
	int n;

	switch (d->kind) {
	case DOMAIN_SYSTEM:
		n = snprintf(buf, len, "%s/pressure/memory", proc_root);
		break;
	case DOMAIN_CGROUP_V2:
		n = snprintf(buf, len, "%s/memory.pressure", d->name);
		break;
	default:
		return -ENOENT;
	}
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}
