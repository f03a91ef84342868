/* SPDX-License-Identifier: MIT */
#include "config.h"
#include "config-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-version.h"

#define ERR_LEN 160

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
	free(c->sys_root);
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
	for (size_t i = 0; i < config_n_options; i++) {
		const struct option_def *o = &config_options[i];
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
	for (size_t i = 0; i < config_n_options; i++)
		if (strlen(config_options[i].name) == len && strncmp(config_options[i].name, name, len) == 0)
			return &config_options[i];
	return NULL;
}

static const struct option_def *find_short(char ch)
{
	for (size_t i = 0; i < config_n_options; i++)
		if (config_options[i].short_name == ch)
			return &config_options[i];
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
	    access(default_config, F_OK) == 0 && config_set_string(&c->config_path, default_config) < 0) {
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
	    (!c->sys_root && !(c->sys_root = strdup("/sys"))) ||
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
