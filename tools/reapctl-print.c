/* SPDX-License-Identifier: MIT */
/*
 * reapctl's output: turns reapd's parsed replies into tables and
 * "key: value" lines on stdout.  Everything reapd chose (process names,
 * error strings) passes through put_str(), which defuses control characters.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "reapctl-print.h"

#define KEY_WIDTH	18
#define CELL_MAX	48
#define COLS_MAX	10
#define LINE_MAX_LEN	1024

/* ---- formatting ---- */

/* A bounded string being built; output that does not fit is cut. */
struct out {
	char *buf;
	size_t len, pos;
};

static struct out out_of(char *buf, size_t len)
{
	buf[0] = '\0';
	return (struct out){.buf = buf, .len = len};
}

#define OUT(b) out_of((b), sizeof(b))

typedef void (*put_fn)(struct out *o, const struct json *v);

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n < o->len - o->pos ? (size_t)n : o->len - o->pos - 1;
}

/*
 * Appends @s for a terminal.  Process names are chosen by the processes, so
 * control characters become '?': C0 and DEL, and C1 as UTF-8 (U+0080-U+009F,
 * which reapd produces from raw bytes and some terminals obey like ESC).  A
 * cut never splits a UTF-8 sequence.
 */
static void put_str(struct out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = 1;
		bool ctrl;

		if (*p >= 0xc0)
			while (n < 4 && (p[n] & 0xc0) == 0x80)
				n++;
		ctrl = *p < 0x20 || *p == 0x7f || (*p == 0xc2 && n == 2 && p[1] < 0xa0);
		if (o->pos + (ctrl ? 1 : n) >= o->len)
			break;
		if (ctrl) {
			o->buf[o->pos++] = '?';
		} else {
			memcpy(o->buf + o->pos, p, n);
			o->pos += n;
		}
		p += n;
	}
	o->buf[o->pos] = '\0';
}

static void put_double(struct out *o, double d)
{
	/* Integers (pids, KiB) print whole; the range check keeps the cast defined. */
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
		put(o, "%lld", (long long)d);
	else
		put(o, "%g", d);
}

static void put_num(struct out *o, const struct json *v)
{
	if (json_type(v) == JSON_NUMBER)
		put_double(o, json_number(v));
	else
		put(o, "-");
}

/* Fixed decimals, "-" when missing. */
static void put_fixed(struct out *o, const struct json *v, int decimals)
{
	if (json_type(v) == JSON_NUMBER)
		put(o, "%.*f", decimals, json_number(v));
	else
		put(o, "-");
}

static void put_mib(struct out *o, const struct json *kib)
{
	if (json_type(kib) == JSON_NUMBER)
		put(o, "%.1f", json_number(kib) / 1024.0);
	else
		put(o, "-");
}

static void put_ms(struct out *o, const struct json *ms)
{
	put_fixed(o, ms, 1);
}

/* Any value, for settings whose shape this client does not know. */
static void put_any(struct out *o, const struct json *v, bool nested)
{
	size_t n = json_len(v);

	switch (json_type(v)) {
	case JSON_ABSENT:
		put(o, "-");
		break;
	case JSON_NULL:
		put(o, "none");
		break;
	case JSON_BOOL:
		put(o, "%s", json_bool(v) ? "true" : "false");
		break;
	case JSON_NUMBER:
		put_num(o, v);
		break;
	case JSON_STRING:
		put_str(o, json_string(v));
		break;
	case JSON_ARRAY:
		if (n == 0)
			put(o, nested ? "[]" : "none");
		put(o, "%s", nested && n ? "[" : "");
		for (size_t i = 0; i < n; i++) {
			put(o, "%s", i ? ", " : "");
			put_any(o, json_index(v, i), true);
		}
		put(o, "%s", nested && n ? "]" : "");
		break;
	case JSON_OBJECT:
		put(o, "{");
		for (size_t i = 0; i < n; i++) {
			put(o, "%s", i ? ", " : "");
			put_str(o, json_key(v, i));
			put(o, ": ");
			put_any(o, json_index(v, i), true);
		}
		put(o, "}");
		break;
	}
}

static void put_value(struct out *o, const struct json *v)
{
	put_any(o, v, false);
}

static void put_uptime(struct out *o, const struct json *v)
{
	double d = json_number(v);
	unsigned long long s;

	if (!(d >= 0 && d < 1e15)) {
		put(o, "-");
		return;
	}
	s = (unsigned long long)d;
	if (s >= 86400)
		put(o, "%llud ", s / 86400);
	put(o, "%02llu:%02llu:%02llu", s / 3600 % 24, s / 60 % 60, s % 60);
}

/* An event's UTC "2026-11-22T04:25:06.555Z" as local time; as received when unreadable. */
static void put_time(struct out *o, const struct json *v, bool with_date)
{
	const char *s = json_string(v);
	struct tm tm = {0};
	char stamp[32];
	size_t n;
	time_t t;

	if (!s) {
		put(o, "-");
		return;
	}
	if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) {
		put_str(o, s);
		return;
	}
	t = timegm(&tm);
	if (!localtime_r(&t, &tm)) {
		put_str(o, s);
		return;
	}
	if (with_date)
		n = strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	else
		n = strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	put(o, "%s", n ? stamp : "-");
}

/* ---- tables ---- */

typedef char cell_t[CELL_MAX];

struct table {
	const char *const *heads;
	const char *align; /* 'l' or 'r' per column */
	size_t ncols, nrows;
	cell_t (*cells)[COLS_MAX]; /* sized for every row at once: replies say how many */
};

static int table_init(struct table *t, const char *const *heads, const char *align, size_t rows)
{
	*t = (struct table){.heads = heads, .align = align, .ncols = strlen(align)};
	t->cells = calloc(rows ? rows : 1, sizeof(*t->cells));
	return t->cells ? 0 : -ENOMEM;
}

/* Returns the cells of a new row, all empty. */
static cell_t *table_row(struct table *t)
{
	return t->cells[t->nrows++];
}

static void cell(char *c, const struct json *v, put_fn fn)
{
	struct out o = out_of(c, CELL_MAX);

	fn(&o, v);
}

/* Columns on screen: UTF-8 continuation bytes take none. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void print_cell(const char *s, size_t w, char align, bool last)
{
	int pad = (int)(w - width(s));

	if (align == 'r')
		printf("%*s", pad, "");
	fputs(s, stdout);
	if (last)
		putchar('\n');
	else
		printf("%*s  ", align == 'r' ? 0 : pad, "");
}

static void table_print(const struct table *t)
{
	size_t w[COLS_MAX];

	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = width(t->heads[c]);
		for (size_t r = 0; r < t->nrows; r++)
			if (width(t->cells[r][c]) > w[c])
				w[c] = width(t->cells[r][c]);
	}
	for (size_t c = 0; c < t->ncols; c++)
		print_cell(t->heads[c], w[c], t->align[c], c + 1 == t->ncols);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++)
			print_cell(t->cells[r][c], w[c], t->align[c], c + 1 == t->ncols);
}

static void table_free(struct table *t)
{
	free(t->cells);
	t->cells = NULL;
}

/* ---- replies for people ---- */

static void kv(const char *key, const char *value)
{
	char k[64];
	struct out o = OUT(k);

	put_str(&o, key);
	put(&o, ":");
	printf("  %-*s %s\n", KEY_WIDTH, k, value);
}

static void kv_fmt(const char *key, const struct json *v, put_fn fn)
{
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);

	fn(&o, v);
	kv(key, line);
}

static void put_mib_unit(struct out *o, const struct json *kib)
{
	put_mib(o, kib);
	if (json_type(kib) == JSON_NUMBER)
		put(o, " MiB");
}

static void put_psi(struct out *o, const struct json *v)
{
	put(o, "avg10 ");
	put_fixed(o, json_get(v, "avg10"), 2);
	put(o, "  avg60 ");
	put_fixed(o, json_get(v, "avg60"), 2);
	put(o, "  avg300 ");
	put_fixed(o, json_get(v, "avg300"), 2);
	put(o, "  total ");
	if (json_type(json_get(v, "total_us")) == JSON_NUMBER)
		put(o, "%.3f s", json_number(json_get(v, "total_us")) / 1e6);
	else
		put(o, "-");
}

/* The thrashing figure beside its limit: "130 % of the LRU (limit 90 %, base 100 %)". */
static void put_thrashing(struct out *o, const struct json *t)
{
	put_num(o, json_get(t, "percent"));
	put(o, " %% of the LRU (limit ");
	put_num(o, json_get(t, "limit_percent"));
	put(o, " %%, base ");
	put_num(o, json_get(t, "base_limit_percent"));
	put(o, " %%)");
}

/* lmkd minfree levels: [[pages, adj], ...], pages of 4 KiB. */
static void put_minfree(struct out *o, const struct json *v)
{
	size_t n = json_len(v);

	if (json_type(v) != JSON_ARRAY || n == 0) {
		put(o, "none");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct json *level = json_index(v, i);
		double pages = json_number(json_index(level, 0));

		put(o, "%s", i ? "; " : "");
		put_num(o, json_index(level, 0));
		put(o, " pages");
		if (!isnan(pages))
			put(o, " (%.1f MiB)", pages * 4 / 1024);
		put(o, " at adj ");
		put_num(o, json_index(level, 1));
	}
}

static void print_memory(const struct json *m)
{
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);
	double total = json_number(json_get(m, "total_kib"));
	double avail = json_number(json_get(m, "available_kib"));

	printf("memory:\n");
	kv_fmt("total", json_get(m, "total_kib"), put_mib_unit);
	put_mib_unit(&o, json_get(m, "available_kib"));
	if (total > 0 && avail >= 0)
		put(&o, " (%.1f%%)", avail * 100 / total);
	kv("available", line);
	kv_fmt("swap total", json_get(m, "swap_total_kib"), put_mib_unit);
	kv_fmt("swap free", json_get(m, "swap_free_kib"), put_mib_unit);
	kv_fmt("mem min", json_get(m, "mem_min_kib"), put_mib_unit);
	kv_fmt("mem low", json_get(m, "mem_low_kib"), put_mib_unit);
	kv_fmt("swap min", json_get(m, "swap_min_kib"), put_mib_unit);
}

/* "12 % of what can swap (low_swap above 60 %)" or "(low_swap off)". */
static void put_swap_util(struct out *o, const struct json *s)
{
	double max = json_number(json_get(s, "util_max_percent"));

	put_num(o, json_get(s, "util_percent"));
	put(o, " %% of what can swap is swapped out");
	if (max > 0)
		put(o, " (low_swap above %.0f %%)", max);
	else
		put(o, " (low_swap off)");
}

static void print_swap(const struct json *s)
{
	if (json_type(s) != JSON_OBJECT)
		return;
	printf("swap:\n");
	kv_fmt("utilisation", s, put_swap_util);
	kv_fmt("counted free", json_get(s, "counted_free_kib"), put_mib_unit);
	if (json_bool(json_get(s, "zram")) == 1) {
		kv_fmt("zram stores", json_get(s, "zram_stored_kib"), put_mib_unit);
		kv_fmt("zram takes", json_get(s, "zram_ram_kib"), put_mib_unit);
	}
}

static void print_members(const char *section, const struct json *obj)
{
	size_t n = json_len(obj);

	printf("%s:\n", section);
	if (json_type(obj) != JSON_OBJECT || n == 0)
		kv("settings", "-");
	for (size_t i = 0; json_type(obj) == JSON_OBJECT && i < n; i++)
		kv_fmt(json_key(obj, i), json_index(obj, i), put_value);
}

void print_status(const struct json *r)
{
	const struct json *psi = json_get(r, "pressure");

	printf("reapd:\n");
	kv_fmt("version", json_get(r, "version"), put_value);
	kv_fmt("pid", json_get(r, "pid"), put_value);
	kv_fmt("uptime", json_get(r, "uptime_s"), put_uptime);
	kv_fmt("scope", json_get(r, "scope"), put_value);
	kv_fmt("domain", json_get(r, "domain"), put_value);
	print_memory(json_get(r, "memory"));
	print_swap(json_get(r, "swap"));
	if (json_bool(json_get_path(r, "hold_line.enabled")) == 1) {
		printf("hold line:\n");
		kv("memory.high", json_bool(json_get_path(r, "hold_line.held")) == 1 ? "held" : "as it was");
		kv_fmt("holds", json_get_path(r, "hold_line.holds"), put_num);
		kv_fmt("releases", json_get_path(r, "hold_line.releases"), put_num);
	}
	printf("pressure:\n");
	if (json_type(psi) == JSON_OBJECT) {
		kv_fmt("some", json_get(psi, "some"), put_psi);
		kv_fmt("full", json_get(psi, "full"), put_psi);
	} else {
		kv("psi", "unavailable");
	}
	printf("thrashing:\n");
	if (json_bool(json_get_path(r, "thrashing.measured")) == 1) {
		kv_fmt("refaults", json_get(r, "thrashing"), put_thrashing);
		kv("direct reclaim",
		   json_bool(json_get_path(r, "thrashing.direct_reclaim")) == 1 ? "yes" : "no");
	} else {
		kv("refaults", "not measured (no refault counters for this scope)");
	}
	printf("pending:\n");
	kv_fmt("victims", json_get_path(r, "pending.victims"), put_num);
	kv_fmt("memory", json_get_path(r, "pending.kib"), put_mib_unit);
	printf("kills:\n");
	kv_fmt("total", json_get_path(r, "kills.total"), put_num);
	kv_fmt("reaped", json_get_path(r, "kills.reaped"), put_num);
	kv_fmt("timeouts", json_get_path(r, "kills.timeouts"), put_num);
	print_members("config", json_get(r, "config"));
	printf("lmkd:\n");
	kv_fmt("connections", json_get_path(r, "lmkd.connections"), put_num);
	kv_fmt("registered", json_get_path(r, "lmkd.registered"), put_num);
	kv_fmt("minfree", json_get_path(r, "lmkd.minfree"), put_minfree);
}

/* True when the victims reply says a round would run now, not only which process comes first. */
static bool round_due(const struct json *r)
{
	const char *reason = json_string(json_get(r, "reason"));

	return reason && strcmp(reason, "none") != 0;
}

static void print_victim_table(const struct json *r, size_t max)
{
	const struct json *cands = json_get(r, "candidates");
	static const char *const heads[] = {
	    "", "PID", "NAME", "UID", "ADJ", "EFF", "SIZE(MiB)", "ANON(MiB)", "WHY",
	};
	size_t n = json_len(cands) < max ? json_len(cands) : max;
	bool marked = false;
	struct table t;

	if (json_type(cands) != JSON_ARRAY || n == 0) {
		printf("no candidates\n");
		return;
	}
	if (table_init(&t, heads, "lrlrrrrrl", n) < 0) {
		fprintf(stderr, "reapctl: out of memory\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct json *v = json_index(cands, i);
		cell_t *row = table_row(&t);

		if (json_bool(json_get(v, "would_kill")) == 1) {
			strcpy(row[0], "*");
			marked = true;
		}
		cell(row[1], json_get(v, "pid"), put_num);
		cell(row[2], json_get(v, "comm"), put_value);
		cell(row[3], json_get(v, "uid"), put_num);
		cell(row[4], json_get(v, "oom_score_adj"), put_num);
		cell(row[5], json_get(v, "effective_adj"), put_num);
		cell(row[6], json_get(v, "size_kib"), put_mib);
		cell(row[7], json_get(v, "anon_kib"), put_mib);
		{
			struct out o = out_of(row[8], CELL_MAX);
			const char *pref = json_string(json_get(v, "cgroup_preference"));

			put_value(&o, json_get(v, "why"));
			/* systemd's ManagedOOMPreference=avoid: walked after everyone else. */
			if (pref && strcmp(pref, "avoid") == 0)
				put(&o, " (avoid)");
		}
	}
	table_print(&t);
	table_free(&t);
	if (marked)
		printf("%s\n", round_due(r) ? "(* would be killed now)"
					    : "(* would be chosen first if a round ran now)");
}

static void put_round(struct out *o, const struct json *r)
{
	if (!round_due(r)) {
		put(o, "nothing would be killed now");
	} else {
		put(o, "a round would run now for ");
		put_value(o, json_get(r, "reason"));
		put(o, ", freeing ");
		put_mib_unit(o, json_get(r, "target_kib"));
	}
	put(o, " (min adj ");
	put_num(o, json_get(r, "min_adj"));
	put(o, ", ");
	put_num(o, json_get(r, "scanned"));
	put(o, " processes scanned)");
}

void print_victims(const struct json *r)
{
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);

	put_round(&o, r);
	printf("%s\n", line);
	print_victim_table(r, SIZE_MAX);
}

static void history_row(cell_t *row, const struct json *k)
{
	struct out o = out_of(row[0], CELL_MAX);

	put_time(&o, json_get(k, "time"), true);
	cell(row[1], json_get(k, "pid"), put_num);
	cell(row[2], json_get(k, "comm"), put_value);
	cell(row[3], json_get(k, "oom_score_adj"), put_num);
	o = out_of(row[4], CELL_MAX);
	put_value(&o, json_get(k, "reason"));
	if (json_bool(json_get(k, "dry_run")) == 1)
		put(&o, " (dry run)");
	cell(row[5], json_get(k, "size_kib"), put_mib);
	if (json_bool(json_get(k, "reaped")) == 1)
		cell(row[6], json_get(k, "reaped_kib"), put_mib);
	else
		strcpy(row[6], "-");
	cell(row[7], json_get(k, "kill_to_exit_ms"), put_ms);
	cell(row[8], json_get(k, "reap_ms"), put_ms);
}

void print_history(const struct json *r)
{
	static const char *const heads[] = {
	    "TIME",	 "PID",		"NAME",	   "ADJ",     "REASON",
	    "SIZE(MiB)", "REAPED(MiB)", "EXIT_MS", "REAP_MS",
	};
	const struct json *kills = json_get(r, "kills");
	size_t n = json_len(kills);
	struct table t;

	if (json_type(kills) != JSON_ARRAY || n == 0) {
		printf("no kills yet\n");
		return;
	}
	if (table_init(&t, heads, "lrlrlrrrr", n) < 0) {
		fprintf(stderr, "reapctl: out of memory\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		history_row(table_row(&t), json_index(kills, i));
	table_print(&t);
	table_free(&t);
}

void print_killcount(const struct json *r)
{
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);

	put_num(&o, json_get(r, "count"));
	put(&o, " kills of processes with oom_score_adj from ");
	put_num(&o, json_get(r, "min_adj"));
	put(&o, " to ");
	put_num(&o, json_get(r, "max_adj"));
	printf("%s\n", line);
}

void print_prio(const struct json *r)
{
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);

	put(&o, "pid ");
	put_num(&o, json_get(r, "pid"));
	put(&o, ": oom_score_adj ");
	put_num(&o, json_get(r, "previous"));
	put(&o, " -> ");
	put_num(&o, json_get(r, "oom_score_adj"));
	printf("%s\n", line);
}

/* The exposition is printed verbatim, as a scraper would read it. */
void print_metrics(const struct json *r)
{
	const struct json *m = json_get(r, "metrics");

	if (json_string(m))
		fwrite(json_string(m), 1, json_len(m), stdout);
}

/* "config" is the --config file reapd re-read, or null when it has none. */
void print_reload(const struct json *r)
{
	const struct json *file = json_get(r, "config");
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);

	put(&o, "settings reloaded");
	if (json_string(file)) {
		put(&o, " from ");
		put_str(&o, json_string(file));
	} else if (json_is_null(file)) {
		put(&o, " (reapd runs without a --config file)");
	}
	printf("%s\n", line);
	/* A settings object, as "status" gives, is shown whole. */
	if (json_type(file) == JSON_OBJECT)
		print_members("config", file);
}

static void put_reap_and_death(struct out *o, const struct json *ev)
{
	const struct json *err = json_get(ev, "reap_error");
	const struct json *dead_ms = json_get(ev, "kill_to_exit_ms");

	if (json_bool(json_get(ev, "reaped")) == 1) {
		put(o, ", reaped ");
		put_mib_unit(o, json_get(ev, "reaped_kib"));
		put(o, " in ");
		put_ms(o, json_get(ev, "reap_ms"));
		put(o, " ms");
	} else if (json_string(err)) {
		put(o, ", not reaped (");
		put_str(o, json_string(err));
		put(o, ")");
	} else {
		put(o, ", not reaped");
	}
	if (json_type(dead_ms) == JSON_NUMBER) {
		put(o, ", dead after ");
		put_ms(o, dead_ms);
		put(o, " ms");
	} else if (json_bool(json_get(ev, "exited")) == 1) {
		put(o, ", dead");
	} else {
		put(o, ", not confirmed dead");
	}
	if (json_bool(json_get(ev, "thawed")) == 1)
		put(o, ", thawed");
}

/*
 * Valid JSON holds no raw newline inside a string, so turning newlines into
 * spaces keeps it valid and one line even if reapd ever pretty-prints.
 */
void print_raw(const char *packet, size_t len)
{
	size_t n = len;

	while (n > 0 && (packet[n - 1] == '\n' || packet[n - 1] == '\r' || packet[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n; i++)
		putchar(packet[i] == '\n' || packet[i] == '\r' ? ' ' : packet[i]);
	putchar('\n');
}

void print_event(const struct json *ev, const char *packet, size_t len)
{
	const char *kind = json_string(json_get(ev, "event"));
	bool dry = json_bool(json_get(ev, "dry_run")) == 1;
	double adj = json_number(json_get(ev, "oom_score_adj"));
	double eff = json_number(json_get(ev, "effective_adj"));
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);

	if (!kind || strcmp(kind, "kill") != 0) {
		/* An event of a newer reapd: show it whole rather than drop it. */
		print_raw(packet, len);
		return;
	}
	put_time(&o, json_get(ev, "time"), false);
	put(&o, "%s", dry ? " would kill " : " killed ");
	put_value(&o, json_get(ev, "comm"));
	put(&o, " (pid ");
	put_num(&o, json_get(ev, "pid"));
	put(&o, ", adj ");
	put_num(&o, json_get(ev, "oom_score_adj"));
	if (!isnan(eff) && eff != adj) {
		put(&o, ", effective ");
		put_double(&o, eff);
	}
	put(&o, ") ");
	put_value(&o, json_get(ev, "reason"));
	put(&o, ": ");
	put_mib_unit(&o, json_get(ev, "size_kib"));
	if (!dry)
		put_reap_and_death(&o, ev);
	printf("%s\n", line);
}

void print_refusal(const struct json *reply)
{
	const char *error = json_string(json_get(reply, "error"));
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);

	put_str(&o, error ? error : "request refused");
	fflush(stdout);
	fprintf(stderr, "reapctl: %s\n", line);
}

void print_top(const struct json *s, const struct json *v, size_t max_victims)
{
	char line[LINE_MAX_LEN];
	struct out o = OUT(line);

	put(&o, "reapd ");
	put_value(&o, json_get(s, "version"));
	put(&o, ", pid ");
	put_num(&o, json_get(s, "pid"));
	put(&o, ", up ");
	put_uptime(&o, json_get(s, "uptime_s"));
	put(&o, ", scope ");
	put_value(&o, json_get(s, "scope"));
	put(&o, " (");
	put_value(&o, json_get(s, "domain"));
	put(&o, ")");
	printf("%s\n", line);

	o = OUT(line);
	put(&o, "memory:   ");
	put_mib(&o, json_get_path(s, "memory.available_kib"));
	put(&o, " of ");
	put_mib_unit(&o, json_get_path(s, "memory.total_kib"));
	put(&o, " available, kills below ");
	put_mib_unit(&o, json_get_path(s, "memory.mem_min_kib"));
	put(&o, "; swap ");
	put_mib(&o, json_get_path(s, "memory.swap_free_kib"));
	put(&o, " of ");
	put_mib_unit(&o, json_get_path(s, "memory.swap_total_kib"));
	put(&o, " free");
	printf("%s\n", line);

	o = OUT(line);
	put(&o, "psi some: ");
	put_psi(&o, json_get_path(s, "pressure.some"));
	printf("%s\n", json_is_null(json_get(s, "pressure")) ? "psi:      unavailable" : line);
	if (!json_is_null(json_get(s, "pressure"))) {
		o = OUT(line);
		put(&o, "psi full: ");
		put_psi(&o, json_get_path(s, "pressure.full"));
		printf("%s\n", line);
	}

	o = OUT(line);
	put(&o, "kills:    ");
	put_num(&o, json_get_path(s, "kills.total"));
	put(&o, " (");
	put_num(&o, json_get_path(s, "kills.reaped"));
	put(&o, " reaped, ");
	put_num(&o, json_get_path(s, "kills.timeouts"));
	put(&o, " timeouts); pending ");
	put_num(&o, json_get_path(s, "pending.victims"));
	put(&o, " (");
	put_mib_unit(&o, json_get_path(s, "pending.kib"));
	put(&o, ")");
	printf("%s\n", line);

	o = OUT(line);
	put(&o, "next:     ");
	put_round(&o, v);
	printf("%s\n\n", line);
	print_victim_table(v, max_victims);
}
