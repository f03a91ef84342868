/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-version.h"
#include "match.h"
#include "sock.h"

#define ERR_LEN 160

struct option_def {
	const char *name;
	char short_name;
	const char *arg; /* NULL for a flag */
	const char *help;
	/* Returns 0 or -EINVAL, with what was expected written to @why. */
	int (*set)(struct config *c, const char *value, char *why, size_t why_len);
};

static int set_string(char **dst, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_config(struct config *c, const char *v, char *why, size_t n)
{
	c->config_none = strcmp(v, "none") == 0;
	if (c->config_none) {
		free(c->config_path);
		c->config_path = NULL;
		return 0;
	}
	if (*v == '\0') {
		snprintf(why, n, "expected a file path or 'none'");
		return -EINVAL;
	}
	return set_string(&c->config_path, v);
}

static int set_scope(struct config *c, const char *v, char *why, size_t n)
{
	if (*v == '\0') {
		snprintf(why, n, "expected 'system' or a cgroup directory");
		return -EINVAL;
	}
	if (strcmp(v, "system") == 0) {
		free(c->scope);
		c->scope = NULL;
		return 0;
	}
	if (v[0] != '/') {
		snprintf(why, n, "expected 'system' or an absolute cgroup directory path");
		return -EINVAL;
	}
	return set_string(&c->scope, v);
}

static int set_threshold(struct threshold *t, const char *v, char *why, size_t n)
{
	if (parse_threshold(v, t) < 0) {
		snprintf(why, n, "expected PERCENT%% (0-100) or SIZE with a K, M or G suffix");
		return -EINVAL;
	}
	return 0;
}

static int set_mem_min(struct config *c, const char *v, char *why, size_t n)
{
	return set_threshold(&c->mem_min, v, why, n);
}

static int set_swap_min(struct config *c, const char *v, char *why, size_t n)
{
	return set_threshold(&c->swap_min, v, why, n);
}

static int set_target(struct config *c, const char *v, char *why, size_t n)
{
	uint64_t bytes;

	if (strcmp(v, "auto") == 0) {
		c->target_kib = 0;
		return 0;
	}
	if (parse_size(v, &bytes) < 0 || bytes < 1024) {
		snprintf(why, n, "expected SIZE of at least 1K, with a K, M or G suffix");
		return -EINVAL;
	}
	c->target_kib = bytes / 1024;
	return 0;
}

static int set_uint(unsigned *dst, const char *v, long min, long max, char *why, size_t n)
{
	long val;

	if (parse_int_range(v, min, max, &val) < 0) {
		snprintf(why, n, "expected an integer from %ld to %ld", min, max);
		return -EINVAL;
	}
	*dst = (unsigned)val;
	return 0;
}

static int set_min_adj(struct config *c, const char *v, char *why, size_t n)
{
	long val;

	/* -1000 means "never kill", so it cannot be a minimum that allows a kill. */
	if (parse_int_range(v, ADJ_MIN + 1, ADJ_MAX, &val) < 0) {
		snprintf(why, n, "expected an integer from %d to %d", ADJ_MIN + 1, ADJ_MAX);
		return -EINVAL;
	}
	c->min_adj = (int)val;
	return 0;
}

static int add_pattern(struct matcher **list, size_t *count, const char *v, char *why, size_t n)
{
	struct matcher *m;
	char reason[96] = "";
	int r;

	if (*count >= POLICY_MAX_PATTERNS) {
		snprintf(why, n, "at most %d patterns; join them with '|'", POLICY_MAX_PATTERNS);
		return -EINVAL;
	}
	r = matcher_compile(v, &m, reason, sizeof(reason));
	if (r == -EINVAL) {
		snprintf(why, n, "bad regular expression: %s", reason);
		return r;
	}
	if (r < 0)
		return r;
	list[(*count)++] = m;
	return 0;
}

static int set_prefer(struct config *c, const char *v, char *why, size_t n)
{
	return add_pattern(c->rules.prefer, &c->rules.n_prefer, v, why, n);
}

static int set_avoid(struct config *c, const char *v, char *why, size_t n)
{
	return add_pattern(c->rules.avoid, &c->rules.n_avoid, v, why, n);
}

static int set_ignore(struct config *c, const char *v, char *why, size_t n)
{
	return add_pattern(c->rules.ignore, &c->rules.n_ignore, v, why, n);
}

static int set_reaper_threads(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->reaper_threads, v, 1, 64, why, n);
}

static int set_kill_timeout(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->kill_timeout_ms, v, 1, 600000, why, n);
}

static int set_max_victims(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->max_victims, v, 1, 1024, why, n);
}

static int set_psi_some(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->psi_some_ms, v, 0, 10000, why, n);
}

static int set_psi_full(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->psi_full_ms, v, 0, 10000, why, n);
}

static int set_psi_critical(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->psi_critical_ms, v, 0, 10000, why, n);
}

static int set_thrashing_limit(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->thrashing_limit_pct, v, 0, 10000, why, n);
}

static int set_thrashing_decay(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->thrashing_decay_pct, v, 0, 100, why, n);
}

static int set_psi_sustain(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->psi_sustain_ms, v, 0, 600000, why, n);
}

static int set_psi_window(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->psi_window_ms, v, 500, 10000, why, n);
}

static int set_events(struct config *c, const char *v, char *why, size_t n)
{
	if (strcmp(v, "none") == 0) {
		free(c->events_path);
		c->events_path = NULL;
		return 0;
	}
	if (*v == '\0') {
		snprintf(why, n, "expected a file path or '-'");
		return -EINVAL;
	}
	return set_string(&c->events_path, v);
}

static int set_dir(char **dst, const char *v, char *why, size_t n)
{
	if (v[0] != '/') {
		snprintf(why, n, "expected an absolute directory path");
		return -EINVAL;
	}
	return set_string(dst, v);
}

static int set_socket_path(char **dst, const char *v, char *why, size_t n)
{
	if (strcmp(v, "none") == 0) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (v[0] != '/') {
		snprintf(why, n, "expected an absolute path or 'none'");
		return -EINVAL;
	}
	return set_string(dst, v);
}

static int set_control(struct config *c, const char *v, char *why, size_t n)
{
	c->control_is_default = false;
	return set_socket_path(&c->control_path, v, why, n);
}

static int set_lmkd_socket(struct config *c, const char *v, char *why, size_t n)
{
	return set_socket_path(&c->lmkd_path, v, why, n);
}

static int set_mode(mode_t *dst, const char *v, char *why, size_t n)
{
	if (parse_mode(v, dst) < 0) {
		snprintf(why, n, "expected an octal file mode such as 0660");
		return -EINVAL;
	}
	return 0;
}

static int set_control_mode(struct config *c, const char *v, char *why, size_t n)
{
	return set_mode(&c->control_mode, v, why, n);
}

static int set_lmkd_mode(struct config *c, const char *v, char *why, size_t n)
{
	return set_mode(&c->lmkd_mode, v, why, n);
}

static int set_proc_root(struct config *c, const char *v, char *why, size_t n)
{
	return set_dir(&c->proc_root, v, why, n);
}

static int set_cgroup_root(struct config *c, const char *v, char *why, size_t n)
{
	return set_dir(&c->cgroup_root, v, why, n);
}

/* A command to run, or "none"/"" for none. */
static int set_command(char **dst, const char *v)
{
	if (*v == '\0' || strcmp(v, "none") == 0) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	return set_string(dst, v);
}

static int set_kill_hook(struct config *c, const char *v, char *why, size_t n)
{
	(void)why, (void)n;
	return set_command(&c->kill_hook, v);
}

/* A user name or number, resolved now so a typo is caught before anyone is killed. */
static int set_kill_hook_user(struct config *c, const char *v, char *why, size_t n)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	long uid;
	int r;

	if (*v == '\0' || strcmp(v, "none") == 0) {
		free(c->kill_hook_user);
		c->kill_hook_user = NULL;
		return 0;
	}
	if (parse_int_range(v, 0, 0x7fffffff, &uid) == 0)
		r = getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &found);
	else
		r = getpwnam_r(v, &pw, buf, sizeof(buf), &found);
	if (r != 0 || !found) {
		snprintf(why, n, "no such user");
		return -EINVAL;
	}
	if (set_string(&c->kill_hook_user, v) < 0)
		return -ENOMEM;
	c->kill_hook_uid = pw.pw_uid;
	c->kill_hook_gid = pw.pw_gid;
	return 0;
}

static int set_kill_hook_timeout(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->kill_hook_timeout_ms, v, 1, 3600000, why, n);
}

static int set_metrics_file(struct config *c, const char *v, char *why, size_t n)
{
	if (strcmp(v, "none") == 0) {
		free(c->metrics_file);
		c->metrics_file = NULL;
		return 0;
	}
	if (v[0] != '/' || v[strlen(v) - 1] == '/') {
		snprintf(why, n, "expected an absolute file path or 'none'");
		return -EINVAL;
	}
	return set_string(&c->metrics_file, v);
}

static int set_metrics_interval(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->metrics_interval_s, v, 1, 86400, why, n);
}

static int set_watchdog(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->watchdog_ms, v, 0, 600000, why, n);
}

static int set_syslog_socket(struct config *c, const char *v, char *why, size_t n)
{
	if (v[0] != '/') {
		snprintf(why, n, "expected an absolute path");
		return -EINVAL;
	}
	return set_string(&c->syslog_socket, v);
}

#define FLAG_SETTER(fn, field)                                                                     \
	static int fn(struct config *c, const char *v, char *why, size_t n)                        \
	{                                                                                          \
		(void)why, (void)n;                                                                \
		c->field = v != NULL;                                                              \
		return 0;                                                                          \
	}
FLAG_SETTER(set_no_reap, no_reap)
FLAG_SETTER(set_no_boost, no_boost)
FLAG_SETTER(set_dry_run, dry_run)
FLAG_SETTER(set_verbose, verbose)
FLAG_SETTER(set_no_mlock, no_mlock)
FLAG_SETTER(set_sync_reap, sync_reap)
FLAG_SETTER(set_no_realtime, no_realtime)
FLAG_SETTER(set_syslog, syslog)
FLAG_SETTER(set_check_config, check_config)

static const struct option_def options[] = {
	{"config", 0, "FILE|none", "read settings from FILE (default: " REAPD_DEFAULT_CONFIG
					   " if present)", set_config},
	{"scope", 0, "system|DIR", "memory domain to watch and the only processes to kill",
	 set_scope},
	{"mem-min", 0, "PCT%|SIZE", "kill when available memory is below this (10%)", set_mem_min},
	{"swap-min", 0, "PCT%|SIZE", "...and free swap is below this (10%)", set_swap_min},
	{"target", 0, "SIZE|auto", "memory a round frees (auto: back above mem-min + 25%)", set_target},
	{"min-adj", 0, "N", "never kill below this oom_score_adj (0)", set_min_adj},
	{"prefer", 0, "REGEX", "names to kill first (adj +300); repeatable", set_prefer},
	{"avoid", 0, "REGEX", "names to kill last (adj -300); repeatable", set_avoid},
	{"ignore", 0, "REGEX", "names never to kill; repeatable", set_ignore},
	{"reaper-threads", 0, "N", "threads that kill and reap (2)", set_reaper_threads},
	{"kill-timeout", 0, "MS", "wait this long for a victim to die (200)", set_kill_timeout},
	{"max-victims", 0, "N", "kill at most N processes per round (16)", set_max_victims},
	{"psi-some", 0, "MS", "\"some\" stall per window that wakes reapd, 0 = off (100)",
	 set_psi_some},
	{"psi-full", 0, "MS", "\"full\" stall per window that wakes reapd, 0 = off (100)",
	 set_psi_full},
	{"psi-critical", 0, "MS",
	 "\"full\" stall per window that kills while swap is still free, 0 = off (700)",
	 set_psi_critical},
	{"psi-sustain", 0, "MS",
	 "\"full\" triggers in every window this long kill while swap is free, 0 = off (10000)",
	 set_psi_sustain},
	{"thrashing-limit", 0, "PCT",
	 "refaults per 1 s window, % of the LRU, that kill while tasks stall, 0 = off (100)",
	 set_thrashing_limit},
	{"thrashing-decay", 0, "PCT", "lower the limit this much after a thrashing kill (10)",
	 set_thrashing_decay},
	{"psi-window", 0, "MS", "PSI window (1000; 2000 multiples where 1000 is refused)",
	 set_psi_window},
	{"no-reap", 0, NULL, "kill without process_mrelease (for comparison)", set_no_reap},
	{"no-boost", 0, NULL, "do not boost victims' threads or lift their CPU limits (for comparison)",
	 set_no_boost},
	{"sync-reap", 0, NULL, "reap on the main thread, blocking it (benchmarks only)",
	 set_sync_reap},
	{"dry-run", 0, NULL, "choose and report victims, kill nothing", set_dry_run},
	{"events", 0, "FILE|-|none", "append one JSON object per killed process", set_events},
	{"control", 0, "PATH|none", "control socket for reapctl (" CONFIG_DEFAULT_CONTROL ")",
	 set_control},
	{"control-mode", 0, "MODE", "file mode of the control socket (0660)", set_control_mode},
	{"lmkd-socket", 0, "PATH|none", "serve lmkd's protocol on PATH (none)", set_lmkd_socket},
	{"lmkd-mode", 0, "MODE", "file mode of the lmkd socket (0660)", set_lmkd_mode},
	{"kill-hook", 0, "CMD|none", "run CMD (/bin/sh -c) after each kill, details in REAPD_*",
	 set_kill_hook},
	{"kill-hook-user", 0, "USER", "run the kill hook as USER (none: as reapd itself)",
	 set_kill_hook_user},
	{"kill-hook-timeout", 0, "MS", "kill a hook still running after MS (10000)",
	 set_kill_hook_timeout},
	{"metrics-file", 0, "PATH|none", "keep Prometheus metrics in PATH, replaced atomically",
	 set_metrics_file},
	{"metrics-interval", 0, "SEC", "rewrite the metrics file at least this often (30)",
	 set_metrics_interval},
	{"syslog", 0, NULL, "log to syslog/journald instead of stderr", set_syslog},
	{"syslog-socket", 0, "PATH", "the syslog socket (" CONFIG_DEFAULT_SYSLOG ")",
	 set_syslog_socket},
	{"watchdog", 0, "MS", "kill without the main loop if it is stuck this long, 0 = off (2000)",
	 set_watchdog},
	{"no-mlock", 0, NULL, "do not lock reapd's memory", set_no_mlock},
	{"no-realtime", 0, NULL, "do not run at real-time priority (SCHED_FIFO 2-3)",
	 set_no_realtime},
	{"proc-root", 0, "DIR", "where procfs is mounted (/proc)", set_proc_root},
	{"cgroup-root", 0, "DIR", "where cgroup hierarchies are mounted (/sys/fs/cgroup)",
	 set_cgroup_root},
	{"check-config", 0, NULL, "check the settings (file and options), then exit",
	 set_check_config},
	{"verbose", 'v', NULL, "log decisions and scans", set_verbose},
	{"version", 'V', NULL, "print the version and exit", NULL},
	{"help", 'h', NULL, "print this help and exit", NULL},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

void config_init(struct config *c)
{
	*c = (struct config){
		.mem_min = {.is_percent = true, .percent_x100 = 1000},
		.swap_min = {.is_percent = true, .percent_x100 = 1000},
		.min_adj = 0,
		.reaper_threads = 2,
		.kill_timeout_ms = 200,
		.max_victims = 16,
		.psi_some_ms = 100,
		.psi_full_ms = 100,
		.psi_critical_ms = 700,
		.psi_sustain_ms = 10000,
		.psi_window_ms = 1000,
		.thrashing_limit_pct = 100,
		.thrashing_decay_pct = 10,
		.control_is_default = true,
		.control_mode = 0660,
		.lmkd_mode = 0660,
		.kill_hook_timeout_ms = 10000,
		.metrics_interval_s = 30,
		.watchdog_ms = 2000,
	};
}

static void free_patterns(struct matcher **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		matcher_free(list[i]);
}

void config_free(struct config *c)
{
	free(c->config_path);
	free(c->scope);
	free(c->events_path);
	free(c->proc_root);
	free(c->cgroup_root);
	free(c->control_path);
	free(c->lmkd_path);
	free(c->syslog_socket);
	free(c->kill_hook);
	free(c->kill_hook_user);
	free(c->metrics_file);
	free_patterns(c->rules.prefer, c->rules.n_prefer);
	free_patterns(c->rules.avoid, c->rules.n_avoid);
	free_patterns(c->rules.ignore, c->rules.n_ignore);
	config_init(c);
}

void config_usage(FILE *out)
{
	fprintf(out, "Usage: reapd [OPTIONS]\n\n"
		     "Kill the least important processes early when memory runs out, and reap\n"
		     "their memory at once.\n\nOptions:\n");
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_def *o = &options[i];
		char left[40];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(out, "  %-30s %s\n", left, o->help);
	}
	fprintf(out, "\nSIZE takes K, M, G or T suffixes (powers of 1024); a plain number is bytes.\n"
		     "Every long option can be set in the --config file as \"name = value\".\n");
}

static const struct option_def *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
			return &options[i];
	return NULL;
}

static const struct option_def *find_short(char ch)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].short_name == ch)
			return &options[i];
	return NULL;
}

/* Applies @o with @value, reporting a failure as "@where: invalid value". */
static int apply(struct config *c, const struct option_def *o, const char *value,
		 const char *where, FILE *err)
{
	char why[ERR_LEN] = "";
	int r = o->set(c, value, why, sizeof(why));

	if (r == -ENOMEM)
		fprintf(err, "reapd: %s: out of memory\n", where);
	else if (r < 0)
		fprintf(err, "reapd: %s: invalid value '%s' (%s)\n", where, value ? value : "", why);
	return r < 0 ? -EINVAL : 0;
}

static bool parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0)
			return *ret = true, true;
		if (strcmp(v, no[i]) == 0)
			return *ret = false, true;
	}
	return false;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Applies one "name = value" line. Returns 0 or -EINVAL after printing why. */
static int apply_file_line(struct config *c, char *line, const char *path, unsigned lineno,
			   FILE *err)
{
	const struct option_def *o;
	char where[300], *eq, *name, *value;

	eq = strchr(line, '=');
	if (!eq) {
		fprintf(err, "reapd: %s:%u: expected \"name = value\", got '%s'\n", path, lineno,
			line);
		return -EINVAL;
	}
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	o = find_long(name, strlen(name));
	/* Command-line only: where the settings come from, and checking them. */
	if (!o || !o->set || strcmp(o->name, "config") == 0 ||
	    strcmp(o->name, "check-config") == 0) {
		fprintf(err, "reapd: %s:%u: unknown setting '%s'\n", path, lineno, name);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s:%u: %s", path, lineno, name);
	if (!o->arg) {
		bool on;

		if (!parse_bool(value, &on)) {
			fprintf(err, "reapd: %s: invalid value '%s' (expected yes or no)\n", where,
				value);
			return -EINVAL;
		}
		return apply(c, o, on ? "" : NULL, where, err);
	}
	return apply(c, o, value, where, err);
}

#define LINE_MAX_LEN 4096

int config_load_stream(struct config *c, FILE *f, const char *name, FILE *err)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	int r = 0;

	while ((n = getline(&line, &cap, f)) > 0) {
		char *s = line;

		lineno++;
		if ((size_t)n >= LINE_MAX_LEN) {
			fprintf(err, "reapd: %s:%u: line too long\n", name, lineno);
			r = -EINVAL;
			break;
		}
		/* A NUL would silently cut the line short: say what it is. */
		if (memchr(line, '\0', (size_t)n)) {
			fprintf(err, "reapd: %s:%u: NUL byte in the file\n", name, lineno);
			r = -EINVAL;
			break;
		}
		/* Some editors start a UTF-8 file with a byte order mark. */
		if (lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		s = trim(s);
		if (*s == '\0' || *s == '#')
			continue;
		if (apply_file_line(c, s, name, lineno, err) < 0) {
			r = -EINVAL;
			break;
		}
	}
	if (r == 0 && ferror(f)) {
		fprintf(err, "reapd: --config: cannot read '%s'\n", name);
		r = -EIO;
	}
	free(line);
	return r;
}

int config_load_file(struct config *c, const char *path, FILE *err)
{
	struct stat st;
	FILE *f;
	int fd, r;

	/*
	 * Non-blocking, so a FIFO (or a device) at the path can never make this
	 * wait: the loop re-reads the file on SIGHUP, and a FIFO without a writer
	 * would hang it.  Only a regular file is a config file.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		fprintf(err, "reapd: --config: cannot read '%s': %s\n", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		fprintf(err, "reapd: --config: cannot read '%s': %s\n", path, strerror(-r));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(err, "reapd: --config: cannot read '%s': not a regular file\n", path);
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		r = -errno;
		close(fd);
		fprintf(err, "reapd: --config: cannot read '%s': %s\n", path, strerror(-r));
		return r;
	}
	r = config_load_stream(c, f, path, err);
	fclose(f);
	return r;
}

/*
 * Splits argv[*i] into an option and its value (from "--name=value" or the
 * next argument).  Returns the option, or NULL after printing an error.
 */
static const struct option_def *next_option(int argc, char **argv, int *i, const char **ret_value,
					    FILE *err)
{
	const char *a = argv[*i], *eq = NULL;
	const struct option_def *o = NULL;

	if (a[0] == '-' && a[1] == '-' && a[2]) {
		eq = strchr(a + 2, '=');
		o = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
	} else if (a[0] == '-' && a[1] && !a[2]) {
		o = find_short(a[1]);
	}
	if (!o) {
		fprintf(err, "reapd: unknown option '%s' (see --help)\n", a);
		return NULL;
	}
	*ret_value = NULL;
	if (!o->arg) {
		if (eq) {
			fprintf(err, "reapd: --%s: takes no value, got '%s'\n", o->name, eq + 1);
			return NULL;
		}
		return o;
	}
	if (eq) {
		*ret_value = eq + 1;
	} else if (*i + 1 < argc) {
		*ret_value = argv[++*i];
	} else {
		fprintf(err, "reapd: --%s: missing value (%s)\n", o->name, o->arg);
		return NULL;
	}
	return o;
}

int config_parse_args(struct config *c, int argc, char **argv, const char *default_config,
		      FILE *out, FILE *err)
{
	const struct option_def *o;
	const char *value;
	char where[64];

	/* First pass: validate every option, answer --help/--version, find --config. */
	for (int i = 1; i < argc; i++) {
		if (!(o = next_option(argc, argv, &i, &value, err)))
			return -EINVAL;
		if (strcmp(o->name, "help") == 0) {
			config_usage(out);
			return 1;
		}
		if (strcmp(o->name, "version") == 0) {
			fprintf(out, "reapd %s\n", REAPD_VERSION);
			return 1;
		}
		if (strcmp(o->name, "config") == 0 && apply(c, o, value, "--config", err) < 0)
			return -EINVAL;
	}
	if (!c->config_path && !c->config_none && default_config &&
	    access(default_config, F_OK) == 0 && set_string(&c->config_path, default_config) < 0) {
		fprintf(err, "reapd: out of memory\n");
		return -EINVAL;
	}
	if (c->config_path && config_load_file(c, c->config_path, err) < 0)
		return -EINVAL;
	c->argc = argc;
	c->argv = argv;
	c->default_config = default_config;

	/* Second pass: the command line overrides the file. */
	for (int i = 1; i < argc; i++) {
		o = next_option(argc, argv, &i, &value, err);
		if (strcmp(o->name, "config") == 0)
			continue;
		snprintf(where, sizeof(where), "--%s", o->name);
		if (apply(c, o, o->arg ? value : "", where, err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Fills the defaults that are paths, where the command line and file left them out. */
int config_fill_defaults(struct config *c)
{
	if ((!c->proc_root && !(c->proc_root = strdup("/proc"))) ||
	    (!c->cgroup_root && !(c->cgroup_root = strdup("/sys/fs/cgroup"))) ||
	    (c->control_is_default && !c->control_path &&
	     !(c->control_path = strdup(CONFIG_DEFAULT_CONTROL))) ||
	    (!c->syslog_socket && !(c->syslog_socket = strdup(CONFIG_DEFAULT_SYSLOG))))
		return -ENOMEM;
	return 0;
}

int config_reload(const struct config *old, struct config *ret, char *err, size_t err_len)
{
	FILE *errf = fmemopen(err, err_len, "w");
	int r;

	if (!errf)
		return -ENOMEM;
	err[0] = '\0';
	config_init(ret);
	r = config_parse_args(ret, old->argc, old->argv, old->default_config, errf, errf);
	fclose(errf);
	if (r == 0)
		r = config_fill_defaults(ret);
	if (r != 0) {
		err[strcspn(err, "\n")] = '\0';
		config_free(ret);
		return -EINVAL;
	}
	return 0;
}
