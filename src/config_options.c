/* SPDX-License-Identifier: MIT */
/*
 * Every option reapd takes, on the command line and in its config file: the
 * table --help prints, and the setter that checks each value.
 */
#include "config-private.h"

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

int config_set_string(char **dst, const char *value)
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
	return config_set_string(&c->config_path, v);
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
	return config_set_string(&c->scope, v);
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

static int set_swap_util_max(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->swap_util_max_pct, v, 0, 100, why, n);
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
	return config_set_string(&c->events_path, v);
}

static int set_dir(char **dst, const char *v, char *why, size_t n)
{
	if (v[0] != '/') {
		snprintf(why, n, "expected an absolute directory path");
		return -EINVAL;
	}
	return config_set_string(dst, v);
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
	return config_set_string(dst, v);
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

static int set_sys_root(struct config *c, const char *v, char *why, size_t n)
{
	return set_dir(&c->sys_root, v, why, n);
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
	return config_set_string(dst, v);
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
	if (config_set_string(&c->kill_hook_user, v) < 0)
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
	return config_set_string(&c->metrics_file, v);
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
	return config_set_string(&c->syslog_socket, v);
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
FLAG_SETTER(set_hold_line, hold_line)
FLAG_SETTER(set_dry_run, dry_run)
FLAG_SETTER(set_verbose, verbose)
FLAG_SETTER(set_no_mlock, no_mlock)
FLAG_SETTER(set_sync_reap, sync_reap)
FLAG_SETTER(set_no_realtime, no_realtime)
FLAG_SETTER(set_syslog, syslog)
FLAG_SETTER(set_check_config, check_config)

const struct option_def config_options[] = {
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
	{"swap-util-max", 0, "PCT",
	 "kill when this much of what can swap is swapped out and memory is short, 0 = off (0)",
	 set_swap_util_max},
	{"psi-window", 0, "MS", "PSI window (1000; 2000 multiples where 1000 is refused)",
	 set_psi_window},
	{"no-reap", 0, NULL, "kill without process_mrelease (for comparison)", set_no_reap},
	{"no-boost", 0, NULL, "do not boost victims' threads or lift their CPU limits (for comparison)",
	 set_no_boost},
	{"hold-line", 0, NULL,
	 "cgroup v2: hold memory.high just under memory.max while a round's victims die",
	 set_hold_line},
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
	{"sys-root", 0, "DIR", "where sysfs is mounted (/sys): zram's mm_stat", set_sys_root},
	{"cgroup-root", 0, "DIR", "where cgroup hierarchies are mounted (/sys/fs/cgroup)",
	 set_cgroup_root},
	{"check-config", 0, NULL, "check the settings (file and options), then exit",
	 set_check_config},
	{"verbose", 'v', NULL, "log decisions and scans", set_verbose},
	{"version", 'V', NULL, "print the version and exit", NULL},
	{"help", 'h', NULL, "print this help and exit", NULL},
};

const size_t config_n_options = sizeof(config_options) / sizeof(config_options[0]);
