/* SPDX-License-Identifier: MIT */
#include "parse.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

/*
 * Parses an unsigned decimal at *p, skipping leading blanks.  Advances *p past
 * the digits.  Returns 0 or -EINVAL (no digits, overflow).
 */
int parse_next_u64(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return 0;
}

/* Like parse_next_u64 but accepts a leading '-'; stores the value as int64. */
static int next_i64(const char **p, int64_t *ret)
{
	const char *s = *p;
	bool neg = false;
	uint64_t v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (parse_next_u64(&s, &v) < 0 || v > (uint64_t)INT64_MAX)
		return -EINVAL;
	*p = s;
	*ret = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* Skips one space-separated field. Returns 0 or -EINVAL at the end of input. */
static int skip_field(const char **p)
{
	const char *s = *p;

	while (*s == ' ')
		s++;
	if (*s == '\0' || *s == '\n')
		return -EINVAL;
	while (*s && *s != ' ' && *s != '\n')
		s++;
	*p = s;
	return 0;
}

int parse_proc_stat(const char *buf, struct proc_stat *ret)
{
	struct proc_stat st = {0};
	const char *open, *close, *p;
	int64_t v;
	uint64_t u;
	size_t len;

	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(st.comm))
		len = sizeof(st.comm) - 1;
	memcpy(st.comm, open + 1, len);
	st.comm[len] = '\0';

	/* After ") " come: state(3) ppid(4) pgrp session tty tpgid flags(9) ... */
	p = close + 1;
	if (p[0] != ' ' || p[1] == '\0' || p[2] != ' ')
		return -EINVAL;
	st.state = p[1];
	p += 2;
	if (next_i64(&p, &v) < 0 || v < 0 || v > INT_MAX)
		return -EINVAL;
	st.ppid = (pid_t)v;
	for (int field = 5; field <= 8; field++)
		if (skip_field(&p) < 0)
			return -EINVAL;
	if (parse_next_u64(&p, &u) < 0 || u > UINT_MAX)
		return -EINVAL;
	st.flags = (unsigned int)u;
	/* Fields 10..21, then starttime (22), vsize (23), rss (24). */
	for (int field = 10; field <= 21; field++)
		if (skip_field(&p) < 0)
			return -EINVAL;
	if (parse_next_u64(&p, &st.start_time) < 0)
		return -EINVAL;
	if (skip_field(&p) < 0)
		return -EINVAL;
	if (next_i64(&p, &v) < 0)
		return -EINVAL;
	st.rss_pages = v < 0 ? 0 : (uint64_t)v;

	*ret = st;
	return 0;
}

/* Returns the text after "@key:" when @line starts with it, else NULL. */
static const char *line_value(const char *line, const char *key, size_t key_len)
{
	if (strncmp(line, key, key_len) != 0 || line[key_len] != ':')
		return NULL;
	return line + key_len + 1;
}

static int kib_value(const char *v, uint64_t *ret)
{
	uint64_t n;

	if (parse_next_u64(&v, &n) < 0)
		return -EINVAL;
	while (*v == ' ')
		v++;
	if (strncmp(v, "kB", 2) != 0)
		return -EINVAL;
	*ret = n;
	return 0;
}

static int hex_value(const char *v, uint64_t *ret)
{
	uint64_t n = 0;
	int digits = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (;; v++, digits++) {
		unsigned d;
		if (*v >= '0' && *v <= '9')
			d = (unsigned)(*v - '0');
		else if (*v >= 'a' && *v <= 'f')
			d = (unsigned)(*v - 'a' + 10);
		else
			break;
		if (digits >= 16)
			return -EINVAL;
		n = n << 4 | d;
	}
	if (digits == 0)
		return -EINVAL;
	*ret = n;
	return 0;
}

#define KEY(k) k, sizeof(k) - 1

static const char *next_line(const char *line)
{
	const char *nl = strchr(line, '\n');

	return nl ? nl + 1 : line + strlen(line);
}

int parse_proc_status(const char *buf, struct proc_status *ret)
{
	struct proc_status st = {0};
	bool have_state = false, have_uid = false;

	for (const char *line = buf; *line; line = next_line(line)) {
		const char *v;
		uint64_t n;
		int r = 0;

		if ((v = line_value(line, KEY("State")))) {
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v < 'A' || *v > 'z')
				return -EINVAL;
			st.state = *v;
			have_state = true;
		} else if ((v = line_value(line, KEY("Uid")))) {
			r = parse_next_u64(&v, &n);
			if (r == 0 && n > UINT32_MAX)
				r = -EINVAL;
			st.uid = (uid_t)n;
			have_uid = true;
		} else if ((v = line_value(line, KEY("VmSize")))) {
			st.has_mm = true;
		} else if ((v = line_value(line, KEY("RssAnon")))) {
			r = kib_value(v, &st.rss_anon_kib);
		} else if ((v = line_value(line, KEY("RssFile")))) {
			r = kib_value(v, &st.rss_file_kib);
		} else if ((v = line_value(line, KEY("RssShmem")))) {
			r = kib_value(v, &st.rss_shmem_kib);
		} else if ((v = line_value(line, KEY("VmSwap")))) {
			r = kib_value(v, &st.swap_kib);
		} else if ((v = line_value(line, KEY("ShdPnd")))) {
			r = hex_value(v, &st.shdpnd);
		}
		if (r < 0)
			return r;
	}
	if (!have_state || !have_uid)
		return -EINVAL;
	*ret = st;
	return 0;
}

bool sigmask_has_sigkill(uint64_t mask)
{
	return (mask & (1ULL << (9 - 1))) != 0;
}

int parse_proc_statm(const char *buf, struct proc_statm *ret)
{
	struct proc_statm st;
	const char *p = buf;

	if (parse_next_u64(&p, &st.size) < 0 || parse_next_u64(&p, &st.resident) < 0 ||
	    parse_next_u64(&p, &st.shared) < 0)
		return -EINVAL;
	*ret = st;
	return 0;
}

int parse_smaps_rollup(const char *buf, struct smaps_rollup *ret)
{
	struct smaps_rollup s = {0};
	uint64_t clean = 0, dirty = 0;
	bool anon = false, pc = false, pd = false, swap_pss = false;

	for (const char *line = buf; *line; line = next_line(line)) {
		const char *v;
		int r = 0;

		if ((v = line_value(line, KEY("Anonymous"))))
			r = kib_value(v, &s.anon_kib), anon = true;
		else if ((v = line_value(line, KEY("Private_Clean"))))
			r = kib_value(v, &clean), pc = true;
		else if ((v = line_value(line, KEY("Private_Dirty"))))
			r = kib_value(v, &dirty), pd = true;
		else if ((v = line_value(line, KEY("Swap"))))
			r = kib_value(v, &s.swap_kib);
		else if ((v = line_value(line, KEY("SwapPss"))))
			r = kib_value(v, &s.swap_pss_kib), swap_pss = true;
		if (r < 0)
			return r;
	}
	if (!anon || !pc || !pd || clean > UINT64_MAX - dirty)
		return -EINVAL;
	if (!swap_pss) /* before Linux 4.14 */
		s.swap_pss_kib = s.swap_kib;
	s.private_kib = clean + dirty;
	*ret = s;
	return 0;
}

uint64_t smaps_freeable_kib(const struct smaps_rollup *s)
{
	/*
	 * Anonymous counts pages shared copy-on-write in full; Private counts
	 * unshared pages of every kind (file and shmem included).  Neither alone
	 * is what a death frees, but the smaller of the two bounds it: the
	 * private anonymous pages are in both.
	 */
	uint64_t anon = s->anon_kib < s->private_kib ? s->anon_kib : s->private_kib;
	uint64_t swap = s->swap_pss_kib < s->swap_kib ? s->swap_pss_kib : s->swap_kib;

	return anon + swap;
}

int parse_meminfo(const char *buf, struct meminfo *ret)
{
	struct meminfo mi = {0};
	uint64_t cached = 0, buffers = 0, shmem = 0;
	bool total = false, free_ = false, avail = false, st = false, sf = false, ca = false;

	for (const char *line = buf; *line; line = next_line(line)) {
		const char *v;
		int r = 0;

		if ((v = line_value(line, KEY("MemTotal"))))
			r = kib_value(v, &mi.total_kib), total = true;
		else if ((v = line_value(line, KEY("MemFree"))))
			r = kib_value(v, &mi.free_kib), free_ = true;
		else if ((v = line_value(line, KEY("MemAvailable"))))
			r = kib_value(v, &mi.available_kib), avail = true;
		else if ((v = line_value(line, KEY("Cached"))))
			r = kib_value(v, &cached), ca = true;
		else if ((v = line_value(line, KEY("Buffers"))))
			r = kib_value(v, &buffers);
		else if ((v = line_value(line, KEY("Shmem"))))
			r = kib_value(v, &shmem);
		else if ((v = line_value(line, KEY("AnonPages"))))
			r = kib_value(v, &mi.anon_kib);
		else if ((v = line_value(line, KEY("SwapTotal"))))
			r = kib_value(v, &mi.swap_total_kib), st = true;
		else if ((v = line_value(line, KEY("SwapFree"))))
			r = kib_value(v, &mi.swap_free_kib), sf = true;
		if (r < 0)
			return r;
	}
	if (!total || !free_ || !st || !sf)
		return -EINVAL;
	if (!avail) {
		if (!ca)
			return -EINVAL;
		mi.available_kib = mi.free_kib + cached;
	}
	if (mi.available_kib > mi.total_kib)
		mi.available_kib = mi.total_kib;
	mi.file_kib = buffers + cached > shmem ? buffers + cached - shmem : 0;
	mi.shmem_kib = shmem;
	if (mi.swap_free_kib > mi.swap_total_kib)
		return -EINVAL;
	*ret = mi;
	return 0;
}

int parse_keyed_u64(const char *buf, const char *key, uint64_t *ret)
{
	size_t key_len = strlen(key);

	for (const char *line = buf; *line; line = next_line(line)) {
		const char *v = line + key_len;
		uint64_t n;

		if (strncmp(line, key, key_len) != 0 || *v != ' ')
			continue;
		if (parse_next_u64(&v, &n) < 0 || (*v != '\n' && *v != '\0'))
			return -EINVAL;
		*ret = n;
		return 0;
	}
	return -ENOENT;
}

/* Adds the values of @keys (sizes in @unit) to *@sum, in pages.  Returns 0 or -errno. */
static int sum_keys(const char *buf, const char *const keys[2], uint64_t unit, uint64_t *sum)
{
	*sum = 0;
	for (int i = 0; i < 2; i++) {
		uint64_t v;
		int r = parse_keyed_u64(buf, keys[i], &v);

		if (r < 0)
			return r;
		*sum += v / unit;
	}
	return 0;
}

int parse_vm_counters(const char *buf, uint64_t lru_unit, struct vm_counters *ret)
{
	/* vmstat's names carry "nr_", memory.stat's do not. */
	static const char *const vm_file[2] = {"nr_active_file", "nr_inactive_file"};
	static const char *const vm_anon[2] = {"nr_active_anon", "nr_inactive_anon"};
	static const char *const cg_file[2] = {"active_file", "inactive_file"};
	static const char *const cg_anon[2] = {"active_anon", "inactive_anon"};
	bool pages = lru_unit == 1;
	struct vm_counters c = {0};
	int r;

	if (lru_unit == 0)
		return -EINVAL;
	r = parse_keyed_u64(buf, "workingset_refault_file", &c.refault_file);
	if (r == -ENOENT) /* before 5.9: one counter, of file pages */
		r = parse_keyed_u64(buf, "workingset_refault", &c.refault_file);
	if (r < 0)
		return r;
	r = parse_keyed_u64(buf, "workingset_refault_anon", &c.refault_anon);
	if (r < 0 && r != -ENOENT)
		return r;
	if ((r = sum_keys(buf, pages ? vm_file : cg_file, lru_unit, &c.file_lru)) < 0 ||
	    (r = sum_keys(buf, pages ? vm_anon : cg_anon, lru_unit, &c.anon_lru)) < 0)
		return r;
	r = parse_keyed_u64(buf, "pgscan_direct", &c.pgscan_direct);
	if (r < 0 && r != -ENOENT)
		return r;
	*ret = c;
	return 0;
}

int parse_cgroup_value(const char *buf, uint64_t *ret)
{
	const char *p = buf;
	uint64_t n;

	if (strcmp(buf, "max\n") == 0 || strcmp(buf, "max") == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (parse_next_u64(&p, &n) < 0 || (*p != '\n' && *p != '\0') || (*p == '\n' && p[1] != '\0'))
		return -EINVAL;
	*ret = n;
	return 0;
}

/* Parses "name=12.34" into hundredths; advances *p. */
static int psi_avg(const char **p, const char *name, uint32_t *ret)
{
	size_t len = strlen(name);
	const char *s = *p;
	uint64_t whole, frac = 0;

	while (*s == ' ')
		s++;
	if (strncmp(s, name, len) != 0 || s[len] != '=')
		return -EINVAL;
	s += len + 1;
	if (parse_next_u64(&s, &whole) < 0 || whole > 100)
		return -EINVAL;
	if (*s == '.') {
		int digits = 0;
		s++;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 2)
				frac = frac * 10 + (uint64_t)(*s - '0');
		if (digits == 0)
			return -EINVAL;
		if (digits == 1)
			frac *= 10;
	}
	*ret = (uint32_t)(whole * 100 + frac);
	*p = s;
	return 0;
}

static int psi_parse_line(const char *s, struct psi_line *ret)
{
	struct psi_line l;

	if (psi_avg(&s, "avg10", &l.avg10) < 0 || psi_avg(&s, "avg60", &l.avg60) < 0 ||
	    psi_avg(&s, "avg300", &l.avg300) < 0)
		return -EINVAL;
	while (*s == ' ')
		s++;
	if (strncmp(s, "total=", 6) != 0)
		return -EINVAL;
	s += 6;
	if (parse_next_u64(&s, &l.total_usec) < 0 || (*s != '\n' && *s != '\0'))
		return -EINVAL;
	*ret = l;
	return 0;
}

int parse_psi(const char *buf, struct psi_stats *ret)
{
	struct psi_stats ps = {0};
	bool some = false;

	for (const char *line = buf; *line; line = next_line(line)) {
		if (strncmp(line, "some ", 5) == 0) {
			if (psi_parse_line(line + 5, &ps.some) < 0)
				return -EINVAL;
			some = true;
		} else if (strncmp(line, "full ", 5) == 0) {
			if (psi_parse_line(line + 5, &ps.full) < 0)
				return -EINVAL;
			ps.has_full = true;
		} else if (*line != '\n') {
			return -EINVAL;
		}
	}
	if (!some)
		return -EINVAL;
	*ret = ps;
	return 0;
}

int parse_size(const char *s, uint64_t *ret_bytes)
{
	const char *p = s;
	uint64_t n, shift = 0;

	if (*p == ' ' || *p == '\t' || parse_next_u64(&p, &n) < 0)
		return -EINVAL;
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		p++;
		if (strcmp(p, "iB") == 0 || strcmp(p, "B") == 0)
			p += strlen(p);
		if (*p)
			return -EINVAL;
	}
	if (shift && n > (UINT64_MAX >> shift))
		return -EINVAL;
	*ret_bytes = n << shift;
	return 0;
}

int parse_threshold(const char *s, struct threshold *ret)
{
	size_t len = strlen(s);

	if (len > 1 && s[len - 1] == '%') {
		const char *p = s;
		uint64_t whole, frac = 0;

		if (*s == ' ' || *s == '\t' || parse_next_u64(&p, &whole) < 0)
			return -EINVAL;
		if (*p == '.') {
			int digits = 0;
			p++;
			for (; *p >= '0' && *p <= '9'; p++, digits++) {
				if (digits >= 2)
					return -EINVAL;
				frac = frac * 10 + (uint64_t)(*p - '0');
			}
			if (digits == 0)
				return -EINVAL;
			if (digits == 1)
				frac *= 10;
		}
		if (*p != '%' || p[1] != '\0' || whole > 100 || (whole == 100 && frac > 0))
			return -EINVAL;
		*ret = (struct threshold){.is_percent = true,
					  .percent_x100 = (uint32_t)(whole * 100 + frac)};
		return 0;
	}

	uint64_t bytes;
	if (parse_size(s, &bytes) < 0)
		return -EINVAL;
	*ret = (struct threshold){.is_percent = false, .bytes = bytes};
	return 0;
}

uint64_t threshold_kib(const struct threshold *t, uint64_t total_kib)
{
	if (t->is_percent)
		return (uint64_t)((unsigned __int128)total_kib * t->percent_x100 / 10000);
	return t->bytes / 1024;
}

int parse_int_range(const char *s, long min, long max, long *ret)
{
	const char *p = s;
	int64_t v;

	if (*s == ' ' || *s == '\t' || next_i64(&p, &v) < 0 || *p != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = (long)v;
	return 0;
}

/* True when the comma-separated list [@list, @end) holds @name. */
static bool list_has(const char *list, const char *end, const char *name)
{
	size_t len = strlen(name);

	while (list < end) {
		const char *comma = memchr(list, ',', (size_t)(end - list));
		const char *item_end = comma ? comma : end;

		if ((size_t)(item_end - list) == len && strncmp(list, name, len) == 0)
			return true;
		list = item_end + 1;
	}
	return false;
}

/* Returns true when the @len bytes at @p hold a "." or ".." path component. */
static bool has_dot_component(const char *p, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && p[j] != '/')
			j++;
		if ((j - i == 1 && p[i] == '.') || (j - i == 2 && p[i] == '.' && p[i + 1] == '.'))
			return true;
		i = j + 1;
	}
	return false;
}

int parse_proc_cgroup(const char *buf, const char *controller, char *ret, size_t len)
{
	for (const char *line = buf; *line; line = next_line(line)) {
		const char *c1 = strchr(line, ':'), *c2, *eol;
		size_t plen;
		bool hit;

		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		if (!c1 || c1 > eol || !(c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1))))
			return -EINVAL;
		if (*controller)
			hit = list_has(c1 + 1, c2, controller);
		else
			hit = c2 == c1 + 1 && c1 - line == 1 && line[0] == '0';
		if (!hit)
			continue;
		plen = (size_t)(eol - c2 - 1);
		/*
		 * The kernel never names a cgroup "." or "..", but a name with a
		 * newline in it (older kernels allow that) forges a line: the path is
		 * joined to a freezer root and written to, so it must stay below it.
		 */
		if (plen == 0 || c2[1] != '/' || plen >= len || has_dot_component(c2 + 1, plen))
			return -EINVAL;
		memcpy(ret, c2 + 1, plen);
		ret[plen] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* True when @p is at the end of a one-line file: nothing, or one newline. */
static bool at_line_end(const char *p)
{
	return *p == '\0' || (*p == '\n' && p[1] == '\0');
}

int parse_cpu_list(const char *buf, cpu_set_t *ret)
{
	const char *p = buf;
	cpu_set_t set;

	CPU_ZERO(&set);
	while (!at_line_end(p)) {
		uint64_t lo, hi;

		if (p != buf && *p++ != ',')
			return -EINVAL;
		if (*p < '0' || *p > '9' || parse_next_u64(&p, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (*p == '-' && (p[1] < '0' || p[1] > '9' || (p++, parse_next_u64(&p, &hi) < 0)))
			return -EINVAL;
		if (hi < lo || hi >= CPU_SETSIZE)
			return -EINVAL;
		for (uint64_t c = lo; c <= hi; c++)
			CPU_SET((size_t)c, &set);
	}
	*ret = set;
	return 0;
}

int parse_cpu_max(const char *buf, bool *ret_limited)
{
	const char *p = buf;
	uint64_t quota, period;
	bool limited = true;

	if (strncmp(p, "max", 3) == 0) {
		limited = false;
		p += 3;
	} else if (*p < '0' || *p > '9' || parse_next_u64(&p, &quota) < 0) {
		return -EINVAL;
	}
	if (*p != ' ' || p[1] < '0' || p[1] > '9' || parse_next_u64(&p, &period) < 0 || period == 0 ||
	    !at_line_end(p))
		return -EINVAL;
	*ret_limited = limited;
	return 0;
}

int parse_xattr_bool(const char *buf, size_t len)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off"};

	if (len > 0 && buf[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strlen(yes[i]) == len && strncasecmp(buf, yes[i], len) == 0)
			return 1;
		if (strlen(no[i]) == len && strncasecmp(buf, no[i], len) == 0)
			return 0;
	}
	return -EINVAL;
}
