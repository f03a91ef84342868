/* SPDX-License-Identifier: MIT */
#include "swap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parse.h"
#include "sys.h"

/* Copies the blank-delimited word at *p into @dst (truncated to @len - 1); advances *p. */
static int read_word(const char **p, char *dst, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n')
		return -EINVAL;
	for (; *s && *s != ' ' && *s != '\t' && *s != '\n'; s++)
		if (n + 1 < len)
			dst[n++] = *s;
	dst[n] = '\0';
	*p = s;
	return 0;
}

/* "zram<N>" as the path's last component (/dev/zram0, /dev/block/zram1). */
static bool zram_path(const char *path, unsigned *ret_id)
{
	const char *base = strrchr(path, '/');
	uint64_t id;

	base = base ? base + 1 : path;
	if (strncmp(base, "zram", 4) != 0)
		return false;
	base += 4;
	if (parse_next_u64(&base, &id) < 0 || *base != '\0' || id > 1000000)
		return false;
	*ret_id = (unsigned)id;
	return true;
}

static int parse_swap_line(const char *s, const char **ret_end, struct swap_device *ret)
{
	struct swap_device dev = {0};
	char type[16];
	uint64_t prio;
	bool truncated;

	if (read_word(&s, dev.path, sizeof(dev.path)) < 0 || read_word(&s, type, sizeof(type)) < 0 ||
	    parse_next_u64(&s, &dev.size_kib) < 0 || parse_next_u64(&s, &dev.used_kib) < 0)
		return -EINVAL;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-')
		s++;
	if (parse_next_u64(&s, &prio) < 0)
		return -EINVAL;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\n' && *s != '\0')
		return -EINVAL;
	truncated = strlen(dev.path) == sizeof(dev.path) - 1;
	dev.is_zram = !truncated && zram_path(dev.path, &dev.zram_id);
	*ret_end = *s ? s + 1 : s;
	*ret = dev;
	return 0;
}

int parse_proc_swaps(const char *buf, struct swap_device *ret, size_t max, size_t *ret_n)
{
	const char *s = buf, *nl;
	size_t n = 0;

	if (strncmp(s, "Filename", 8) != 0 || !(nl = strchr(s, '\n')))
		return -EINVAL;
	s = nl + 1;
	while (*s) {
		struct swap_device dev;

		if (parse_swap_line(s, &s, &dev) < 0)
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		ret[n++] = dev;
	}
	*ret_n = n;
	return 0;
}

int parse_zram_mm_stat(const char *buf, struct zram_stat *ret)
{
	uint64_t v[7];
	const char *s = buf;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (parse_next_u64(&s, &v[i]) < 0)
			return -EINVAL;
	/* Later kernels add fields; whatever follows must be more numbers. */
	for (;;) {
		uint64_t extra;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\n' || *s == '\0')
			break;
		if (parse_next_u64(&s, &extra) < 0)
			return -EINVAL;
	}
	if (*s == '\n' && s[1] != '\0')
		return -EINVAL;
	*ret = (struct zram_stat){
		.orig_bytes = v[0],
		.compr_bytes = v[1],
		.mem_used_bytes = v[2],
		.mem_limit_bytes = v[3],
	};
	return 0;
}

/* Below this much stored, the ratio seen says little: the assumed one holds. */
#define RATIO_MIN_STORED_KIB (4 * 1024)

unsigned zram_ratio_x100(const struct zram_state *z)
{
	uint64_t ratio;

	if (z->stored_kib < RATIO_MIN_STORED_KIB || z->ram_kib == 0)
		return ZRAM_ASSUMED_RATIO * 100;
	ratio = z->stored_kib * 100 / z->ram_kib;
	if (ratio > ZRAM_MAX_RATIO * 100)
		ratio = ZRAM_MAX_RATIO * 100;
	return ratio < 100 ? 100 : (unsigned)ratio;
}

static uint64_t scaled(uint64_t ram_kib, unsigned ratio_x100)
{
	if (ratio_x100 == 0)
		return 0;
	if (ram_kib > UINT64_MAX / ratio_x100)
		return UINT64_MAX;
	return ram_kib * ratio_x100 / 100;
}

uint64_t zram_usable_kib(const struct zram_state *z, uint64_t avail_kib, uint64_t anon_kib)
{
	unsigned ratio = zram_ratio_x100(z);
	uint64_t free_kib = z->disk_kib > z->stored_kib ? z->disk_kib - z->stored_kib : 0;
	/* avail * r + anon * (r - 1): RAM left, and what compressing resident anon frees. */
	uint64_t holds = scaled(avail_kib, ratio), more = scaled(anon_kib, ratio - 100);
	uint64_t room = scaled(z->room_kib, ratio);

	holds = holds > UINT64_MAX - more ? UINT64_MAX : holds + more;
	if (holds > room)
		holds = room;
	return free_kib < holds ? free_kib : holds;
}

struct swaps {
	char sys_root[PATH_MAX];
	int swaps_fd;
	struct swap_device devs[SWAP_MAX_DEVICES];
	int mm_fds[SWAP_MAX_DEVICES]; /* a zram device's mm_stat, -1 otherwise */
	size_t n;
	uint64_t total_kib;
	char buf[8192];
};

static int open_mm_stat(const struct swaps *s, unsigned id)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/block/zram%u/mm_stat", s->sys_root, id);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The device of @devs[0..@n) like @dev (path and size: a zram device reset and resized is new), or -1. */
static int find_device(const struct swap_device *devs, size_t n, const struct swap_device *dev)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(devs[i].path, dev->path) == 0 && devs[i].size_kib == dev->size_kib)
			return (int)i;
	return -1;
}

int swaps_refresh(struct swaps *s, bool *ret_changed)
{
	struct swap_device devs[SWAP_MAX_DEVICES];
	int fds[SWAP_MAX_DEVICES];
	size_t n;
	ssize_t len = pread_str(s->swaps_fd, s->buf, sizeof(s->buf));
	bool changed = false;
	int r;

	if (len < 0)
		return (int)len;
	if ((r = parse_proc_swaps(s->buf, devs, SWAP_MAX_DEVICES, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		int old = find_device(s->devs, s->n, &devs[i]);

		fds[i] = -1;
		if (old >= 0) {
			fds[i] = s->mm_fds[old];
			s->mm_fds[old] = -1;
			continue;
		}
		changed = true;
		if (devs[i].is_zram) {
			fds[i] = open_mm_stat(s, devs[i].zram_id);
			if (fds[i] < 0)
				log_warn_errno(-errno, "swap: %s is zram, but its mm_stat cannot be read: "
					       "its RAM is not counted", devs[i].path);
		}
		log_info("swap: %s switched on (%s, %llu MiB)", devs[i].path,
			 devs[i].is_zram ? "zram" : "disk",
			 (unsigned long long)(devs[i].size_kib / 1024));
	}
	for (size_t i = 0; i < s->n; i++) {
		if (find_device(devs, n, &s->devs[i]) < 0) {
			changed = true;
			log_info("swap: %s switched off", s->devs[i].path);
		}
		s->mm_fds[i] = safe_close(s->mm_fds[i]);
	}
	s->total_kib = 0;
	for (size_t i = 0; i < n; i++) {
		s->devs[i] = devs[i];
		s->mm_fds[i] = fds[i];
		s->total_kib += devs[i].size_kib;
	}
	s->n = n;
	if (ret_changed)
		*ret_changed = changed;
	return 0;
}

int swaps_open(const char *proc_root, const char *sys_root, struct swaps **ret)
{
	struct swaps *s = calloc(1, sizeof(*s));
	char path[PATH_MAX];
	int r;

	if (!s)
		return -ENOMEM;
	snprintf(s->sys_root, sizeof(s->sys_root), "%s", sys_root);
	snprintf(path, sizeof(path), "%s/swaps", proc_root);
	s->swaps_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->swaps_fd < 0) {
		r = -errno;
		free(s);
		return r;
	}
	if ((r = swaps_refresh(s, NULL)) < 0) {
		swaps_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void swaps_free(struct swaps *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		safe_close(s->mm_fds[i]);
	safe_close(s->swaps_fd);
	free(s);
}

uint64_t swaps_total_kib(const struct swaps *s)
{
	return s->total_kib;
}

unsigned swaps_read_zram(struct swaps *s, struct zram_state *ret)
{
	struct zram_state z = {0};
	bool unlimited = false;
	char buf[256];

	for (size_t i = 0; i < s->n; i++) {
		struct zram_stat st;
		uint64_t room;

		if (!s->devs[i].is_zram)
			continue;
		z.n++;
		z.disk_kib += s->devs[i].size_kib;
		if (s->mm_fds[i] < 0 || pread_str(s->mm_fds[i], buf, sizeof(buf)) < 0 ||
		    parse_zram_mm_stat(buf, &st) < 0) {
			unlimited = true;
			continue;
		}
		z.stored_kib += st.orig_bytes / 1024;
		z.ram_kib += st.mem_used_bytes / 1024;
		if (!st.mem_limit_bytes) {
			unlimited = true;
			continue;
		}
		room = st.mem_limit_bytes > st.mem_used_bytes
			       ? (st.mem_limit_bytes - st.mem_used_bytes) / 1024
			       : 0;
		z.room_kib += room;
	}
	if (unlimited || z.n == 0)
		z.room_kib = UINT64_MAX;
	*ret = z;
	return z.n;
}
