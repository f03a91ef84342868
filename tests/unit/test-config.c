/* SPDX-License-Identifier: MIT */
/* Options and the config file: every setting, the defaults, and one clear
 * line naming the option and the value for every bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

struct run {
	struct config c;
	int r;
	char out[8192];
	char err[1024];
};

/* Parses a NULL-terminated argument list, capturing both outputs. */
static void parse(struct run *run, const char *const *args)
{
	char *argv[128];
	int argc = 0;
	FILE *out = fmemopen(run->out, sizeof(run->out), "w");
	FILE *err = fmemopen(run->err, sizeof(run->err), "w");

	assert_non_null(out);
	assert_non_null(err);
	memset(run->out, 0, sizeof(run->out));
	memset(run->err, 0, sizeof(run->err));
	argv[argc++] = (char *)"reapd";
	for (; *args; args++) {
		assert_true((size_t)argc + 2 < sizeof(argv) / sizeof(argv[0]));
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	config_init(&run->c);
	run->r = config_parse_args(&run->c, argc, argv, NULL, out, err);
	fclose(out);
	fclose(err);
}

static void test_defaults(void **state)
{
	struct run run;
	static const char *const args[] = {NULL};

	(void)state;
	parse(&run, args);
	assert_int_equal(run.r, 0);
	assert_null(run.c.scope);
	assert_true(run.c.mem_min.is_percent);
	assert_int_equal(run.c.mem_min.percent_x100, 1000);
	assert_int_equal(run.c.swap_min.percent_x100, 1000);
	assert_int_equal(run.c.min_adj, 0);
	assert_int_equal(run.c.reaper_threads, 2);
	assert_int_equal(run.c.kill_timeout_ms, 200);
	assert_int_equal(run.c.target_kib, 0);
	assert_false(run.c.dry_run);
	assert_false(run.c.no_reap);
	assert_null(run.c.events_path);
	config_free(&run.c);
}

static void test_every_option(void **state)
{
	struct run run;
	static const char *const args[] = {
		"--scope", "/sys/fs/cgroup/memory/x", "--mem-min=512M", "--swap-min", "5.5%",
		"--target", "1G", "--min-adj", "-999", "--prefer", "^chrome", "--prefer", "firefox",
		"--avoid", "sshd", "--ignore", "^Xorg$", "--reaper-threads", "4",
		"--kill-timeout", "500", "--max-victims", "3", "--psi-some", "0", "--psi-full",
		"250", "--psi-window", "2000", "--no-reap", "--dry-run", "--events", "-",
		"--no-mlock", "--proc-root", "/tmp/proc", "--cgroup-root", "/tmp/cg", "-v", NULL};

	(void)state;
	parse(&run, args);
	assert_int_equal(run.r, 0);
	assert_string_equal(run.c.scope, "/sys/fs/cgroup/memory/x");
	assert_false(run.c.mem_min.is_percent);
	assert_int_equal(run.c.mem_min.bytes, 512ULL << 20);
	assert_int_equal(run.c.swap_min.percent_x100, 550);
	assert_int_equal(run.c.target_kib, 1024 * 1024);
	assert_int_equal(run.c.min_adj, -999);
	assert_int_equal(run.c.rules.n_prefer, 2);
	assert_int_equal(run.c.rules.n_avoid, 1);
	assert_int_equal(run.c.rules.n_ignore, 1);
	assert_int_equal(run.c.reaper_threads, 4);
	assert_int_equal(run.c.kill_timeout_ms, 500);
	assert_int_equal(run.c.max_victims, 3);
	assert_int_equal(run.c.psi_some_ms, 0);
	assert_int_equal(run.c.psi_full_ms, 250);
	assert_int_equal(run.c.psi_window_ms, 2000);
	assert_true(run.c.no_reap && run.c.dry_run && run.c.no_mlock && run.c.verbose);
	assert_string_equal(run.c.events_path, "-");
	assert_string_equal(run.c.proc_root, "/tmp/proc");
	assert_string_equal(run.c.cgroup_root, "/tmp/cg");
	config_free(&run.c);
}

static void test_scope_system(void **state)
{
	struct run run;
	static const char *const args[] = {"--scope", "/a", "--scope", "system", NULL};

	(void)state;
	parse(&run, args);
	assert_int_equal(run.r, 0);
	assert_null(run.c.scope);
	config_free(&run.c);
}

/* Each bad input: one line, naming the option (or setting) and the value, -EINVAL. */
static void test_bad_values(void **state)
{
	static const struct {
		const char *args[4];
		const char *must_say[2];
	} t[] = {
		{{"--bogus"}, {"'--bogus'", "unknown option"}},
		{{"-x"}, {"'-x'", "unknown option"}},
		{{"--mem-min", "150%"}, {"--mem-min", "'150%'"}},
		{{"--mem-min", "abc"}, {"--mem-min", "'abc'"}},
		{{"--mem-min", "10%%"}, {"--mem-min", "'10%%'"}},
		{{"--swap-min", "-1M"}, {"--swap-min", "'-1M'"}},
		{{"--target", "12Q"}, {"--target", "'12Q'"}},
		{{"--target", "100"}, {"--target", "'100'"}},
		{{"--min-adj", "-1000"}, {"--min-adj", "'-1000'"}},
		{{"--min-adj", "1001"}, {"--min-adj", "'1001'"}},
		{{"--min-adj", "5x"}, {"--min-adj", "'5x'"}},
		{{"--prefer", "("}, {"--prefer", "'('"}},
		{{"--avoid", "[a"}, {"--avoid", "'[a'"}},
		{{"--ignore", "*x"}, {"--ignore", "'*x'"}},
		{{"--reaper-threads", "0"}, {"--reaper-threads", "'0'"}},
		{{"--kill-timeout", "0"}, {"--kill-timeout", "'0'"}},
		{{"--psi-window", "100"}, {"--psi-window", "'100'"}},
		{{"--scope", "relative/dir"}, {"--scope", "'relative/dir'"}},
		{{"--scope", ""}, {"--scope", "''"}},
		{{"--events", ""}, {"--events", "''"}},
		{{"--proc-root", "proc"}, {"--proc-root", "'proc'"}},
		{{"--scope"}, {"--scope", "missing value"}},
		{{"--dry-run=yes"}, {"--dry-run", "'yes'"}},
		{{"--config", "/nonexistent/reapd.conf"}, {"--config", "'/nonexistent/reapd.conf'"}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct run run;

		parse(&run, t[i].args);
		if (run.r != -EINVAL)
			fail_msg("%s: returned %d", t[i].args[0], run.r);
		for (int k = 0; k < 2; k++)
			if (!strstr(run.err, t[i].must_say[k]))
				fail_msg("%s %s: error '%s' lacks '%s'", t[i].args[0],
					 t[i].args[1] ? t[i].args[1] : "", run.err, t[i].must_say[k]);
		if (strchr(run.err, '\n') != run.err + strlen(run.err) - 1)
			fail_msg("%s: not exactly one line: '%s'", t[i].args[0], run.err);
		config_free(&run.c);
	}
}

static void test_help_and_version(void **state)
{
	struct run run;
	static const char *const help[] = {"--mem-min", "5%", "-h", NULL};
	static const char *const version[] = {"--version", NULL};
	static const char *const names[] = {"--scope", "--mem-min", "--swap-min", "--target",
					    "--min-adj", "--prefer", "--avoid", "--ignore",
					    "--reaper-threads", "--kill-timeout", "--no-reap",
					    "--dry-run", "--events", "--config", "--verbose",
					    "--version", "--help"};

	(void)state;
	parse(&run, help);
	assert_int_equal(run.r, 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(run.out, names[i]))
			fail_msg("--help does not mention %s", names[i]);
	config_free(&run.c);
	parse(&run, version);
	assert_int_equal(run.r, 1);
	assert_non_null(strstr(run.out, "reapd "));
	config_free(&run.c);
}

static char *write_temp_len(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/reapd-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static char *write_temp(const char *text)
{
	return write_temp_len(text, strlen(text));
}

static void test_config_file(void **state)
{
	struct run run;
	char *path = write_temp("# reapd settings\n"
				"\n"
				"mem-min = 7%\n"
				"  min-adj=300  \n"
				"dry-run = yes\n"
				"no-reap = false\n"
				"prefer = ^a\n"
				"events = /tmp/x.json\n"
				"kill-timeout = 900\n");
	const char *args[] = {"--config", path, "--kill-timeout", "100", "--prefer", "^b", NULL};

	(void)state;
	parse(&run, args);
	unlink(path);
	assert_int_equal(run.r, 0);
	assert_int_equal(run.c.mem_min.percent_x100, 700);
	assert_int_equal(run.c.min_adj, 300);
	assert_true(run.c.dry_run);
	assert_false(run.c.no_reap);
	assert_string_equal(run.c.events_path, "/tmp/x.json");
	assert_int_equal(run.c.kill_timeout_ms, 100); /* the command line wins */
	assert_int_equal(run.c.rules.n_prefer, 2);    /* patterns add up */
	assert_string_equal(run.c.config_path, path);
	config_free(&run.c);
}

static void test_config_file_errors(void **state)
{
	static const struct {
		const char *text;
		const char *must_say;
	} t[] = {
		{"mem-min = 5%\nbogus = 1\n", ":2: unknown setting 'bogus'"},
		{"mem-min\n", ":1: expected \"name = value\""},
		{"\n\nmin-adj = lots\n", ":3: min-adj: invalid value 'lots'"},
		{"dry-run = maybe\n", ":1: dry-run: invalid value 'maybe'"},
		{"config = /etc/other\n", "unknown setting 'config'"},
		{"help = yes\n", "unknown setting 'help'"},
		{"check-config = yes\n", "unknown setting 'check-config'"},
		{"mem-min = 5%\n# fine\n\nkill-hook-timeout = soon\n",
		 ":4: kill-hook-timeout: invalid value 'soon'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct run run;
		char *path = write_temp(t[i].text);
		const char *args[] = {"--config", path, NULL};

		parse(&run, args);
		unlink(path);
		assert_int_equal(run.r, -EINVAL);
		if (!strstr(run.err, t[i].must_say))
			fail_msg("config '%s': error '%s' lacks '%s'", t[i].text, run.err,
				 t[i].must_say);
		config_free(&run.c);
	}
}

/* What editors and typos put in a file: a BOM, a NUL byte, GNU regex escapes, a FIFO. */
static void test_file_bytes(void **state)
{
	static const char bom[] = "\xef\xbb\xbfmem-min = 7%\nmin-adj = 300\n";
	static const char nul[] = "mem-min = 7%\nmin-adj = 3\0000\n";
	static const struct {
		const char *text;
		const char *must_say;
	} bad[] = {
		{"ignore = ^\\w+d$\n", ":1: ignore: invalid value '^\\w+d$' (bad regular expression: "
					"'\\w' is not a POSIX ERE escape"},
		{"\nprefer = \\bfoo\n", ":2: prefer: invalid value"},
		{"avoid = a\\d\n", "'\\d' is not a POSIX ERE escape"},
		{"mem-min = 7%\n\xef\xbb\xbfmin-adj = 3\n", ":2: unknown setting"},
	};
	char dir[] = "/tmp/reapd-test-config-fifo-XXXXXX", fifo[64];
	struct run run;
	char *path;

	(void)state;
	path = write_temp_len(bom, sizeof(bom) - 1);
	parse(&run, (const char *[]){"--config", path, NULL});
	unlink(path);
	assert_int_equal(run.r, 0);
	assert_int_equal(run.c.mem_min.percent_x100, 700);
	assert_int_equal(run.c.min_adj, 300);
	config_free(&run.c);

	path = write_temp_len(nul, sizeof(nul) - 1);
	parse(&run, (const char *[]){"--config", path, NULL});
	unlink(path);
	assert_int_equal(run.r, -EINVAL);
	if (!strstr(run.err, ":2: NUL byte"))
		fail_msg("NUL byte: error '%s'", run.err);
	config_free(&run.c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = write_temp(bad[i].text);
		parse(&run, (const char *[]){"--config", path, NULL});
		unlink(path);
		assert_int_equal(run.r, -EINVAL);
		if (!strstr(run.err, bad[i].must_say))
			fail_msg("config '%s': error '%s' lacks '%s'", bad[i].text, run.err,
				 bad[i].must_say);
		config_free(&run.c);
	}
	parse(&run, (const char *[]){"--ignore", "\\s", NULL});
	assert_int_equal(run.r, -EINVAL);
	assert_non_null(strstr(run.err, "--ignore: invalid value '\\s'"));
	config_free(&run.c);
	parse(&run, (const char *[]){"--ignore", "^a\\.b\\(\\\\$", NULL});
	assert_int_equal(run.r, 0);
	config_free(&run.c);

	/* A FIFO without a writer: refused at once, not waited on. */
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/f", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	parse(&run, (const char *[]){"--config", fifo, NULL});
	unlink(fifo);
	rmdir(dir);
	assert_int_equal(run.r, -EINVAL);
	if (!strstr(run.err, "not a regular file"))
		fail_msg("FIFO: error '%s'", run.err);
	config_free(&run.c);
}

/* Every setting with a value that is not its default, as a file would have it. */
static const char *const every_setting[][2] = {
	{"scope", "/sys/fs/cgroup/memory/x"}, {"mem-min", "512M"}, {"swap-min", "5.5%"},
	{"target", "1G"}, {"min-adj", "-999"}, {"prefer", "^chrome"}, {"avoid", "sshd"},
	{"ignore", "^Xorg$"}, {"reaper-threads", "4"}, {"kill-timeout", "500"},
	{"max-victims", "3"}, {"psi-some", "0"}, {"psi-full", "250"}, {"psi-critical", "900"}, {"psi-sustain", "5000"},
	{"psi-window", "2000"}, {"thrashing-limit", "150"}, {"thrashing-decay", "25"},
	{"swap-util-max", "70"},
	{"no-reap", NULL}, {"no-boost", NULL}, {"hold-line", NULL}, {"sync-reap", NULL}, {"dry-run", NULL}, {"events", "/tmp/e.json"},
	{"control", "/tmp/ctl"}, {"control-mode", "0600"}, {"lmkd-socket", "/tmp/lmkd"},
	{"lmkd-mode", "0666"}, {"kill-hook", "logger killed $REAPD_PID"},
	{"kill-hook-user", "0"}, {"kill-hook-timeout", "1500"},
	{"metrics-file", "/tmp/m.prom"}, {"metrics-interval", "7"}, {"syslog", NULL},
	{"syslog-socket", "/tmp/log"}, {"watchdog", "0"}, {"no-mlock", NULL}, {"no-realtime", NULL},
	{"proc-root", "/tmp/proc"}, {"cgroup-root", "/tmp/cg"}, {"sys-root", "/tmp/sys"},
	{"verbose", NULL},
};
#define N_EVERY (sizeof(every_setting) / sizeof(every_setting[0]))

static void dump(const struct config *c, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%s|%d:%u:%llu|%d:%u:%llu|%llu|%d|%zu:%zu:%zu|%u|%u|%u|%u:%u:%u:%u:%u:%u:%u|%d%d%d%d%d%d%d%d|"
		 "%s|%s:%o|%s:%o|%s|%s:%u:%u|%u|%s:%u|%s|%s|%s|%s|%u|%u|%d",
		 c->scope ? c->scope : "-", c->mem_min.is_percent, c->mem_min.percent_x100,
		 (unsigned long long)c->mem_min.bytes, c->swap_min.is_percent,
		 c->swap_min.percent_x100, (unsigned long long)c->swap_min.bytes,
		 (unsigned long long)c->target_kib, c->min_adj, c->rules.n_prefer,
		 c->rules.n_avoid, c->rules.n_ignore, c->reaper_threads, c->kill_timeout_ms,
		 c->max_victims, c->psi_some_ms, c->psi_full_ms, c->psi_critical_ms, c->psi_sustain_ms,
		 c->psi_window_ms, c->thrashing_limit_pct, c->thrashing_decay_pct,
		 c->no_reap,
		 c->no_boost, c->sync_reap, c->dry_run, c->syslog, c->no_mlock, c->no_realtime, c->verbose,
		 c->events_path ? c->events_path : "-", c->control_path ? c->control_path : "-",
		 (unsigned)c->control_mode, c->lmkd_path ? c->lmkd_path : "-",
		 (unsigned)c->lmkd_mode, c->kill_hook ? c->kill_hook : "-",
		 c->kill_hook_user ? c->kill_hook_user : "-", (unsigned)c->kill_hook_uid,
		 (unsigned)c->kill_hook_gid, c->kill_hook_timeout_ms,
		 c->metrics_file ? c->metrics_file : "-", c->metrics_interval_s,
		 c->syslog_socket ? c->syslog_socket : "-", c->proc_root ? c->proc_root : "-",
		 c->cgroup_root ? c->cgroup_root : "-", c->sys_root ? c->sys_root : "-",
		 c->watchdog_ms, c->swap_util_max_pct, c->hold_line);
}

/* Every setting reads the same from a file as from the command line, and differs from the default. */
static void test_round_trip(void **state)
{
	static const char *const none[] = {NULL};
	const char *help_args[] = {"--help", NULL};
	const char *argv[2 * N_EVERY + 1];
	char text[4096] = "", from_args[1024], from_file[1024], defaults[1024];
	struct run run;
	size_t argc = 0, len = 0;

	(void)state;
	/* The table covers every option --help lists (but those that only act at once). */
	parse(&run, help_args);
	for (char *p = run.out; (p = strstr(p, "--")); p += 2) {
		char name[40];
		bool found = false;

		if (sscanf(p + 2, "%39[a-z-]", name) != 1 || !strcmp(name, "config") ||
		    !strcmp(name, "check-config") || !strcmp(name, "help") ||
		    !strcmp(name, "version"))
			continue;
		for (size_t i = 0; i < N_EVERY; i++)
			found = found || !strcmp(every_setting[i][0], name);
		if (!found)
			fail_msg("--%s is not in the round-trip table", name);
	}
	config_free(&run.c);

	for (size_t i = 0; i < N_EVERY; i++) {
		static char opts[N_EVERY][48];

		snprintf(opts[i], sizeof(opts[i]), "--%s", every_setting[i][0]);
		argv[argc++] = opts[i];
		if (every_setting[i][1])
			argv[argc++] = every_setting[i][1];
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s = %s\n",
					every_setting[i][0],
					every_setting[i][1] ? every_setting[i][1] : "yes");
	}
	argv[argc] = NULL;
	parse(&run, argv);
	if (run.r != 0)
		fail_msg("command line: %s", run.err);
	dump(&run.c, from_args, sizeof(from_args));
	config_free(&run.c);

	char *path = write_temp(text);
	const char *file_args[] = {"--config", path, NULL};
	parse(&run, file_args);
	unlink(path);
	if (run.r != 0)
		fail_msg("file: %s", run.err);
	dump(&run.c, from_file, sizeof(from_file));
	config_free(&run.c);
	assert_string_equal(from_file, from_args);

	parse(&run, none);
	dump(&run.c, defaults, sizeof(defaults));
	config_free(&run.c);
	/* Each setting on its own moves the config away from the defaults. */
	for (size_t i = 0; i < N_EVERY; i++) {
		char opt[48], one[1024];
		const char *args[] = {opt, every_setting[i][1], NULL};

		snprintf(opt, sizeof(opt), "--%s", every_setting[i][0]);
		parse(&run, args);
		assert_int_equal(run.r, 0);
		dump(&run.c, one, sizeof(one));
		config_free(&run.c);
		if (strcmp(one, defaults) == 0)
			fail_msg("%s %s changes nothing", opt, args[1] ? args[1] : "");
	}
}

/* The options this issue added: bad values are refused, "none" turns off. */
static void test_service_options(void **state)
{
	static const struct {
		const char *args[4];
		const char *must_say;
	} bad[] = {
		{{"--kill-hook-user", "no-such-user-xyz"}, "(no such user)"},
		{{"--kill-hook-timeout", "0"}, "--kill-hook-timeout: invalid value '0'"},
		{{"--metrics-file", "relative.prom"}, "--metrics-file: invalid value"},
		{{"--metrics-file", "/var/lib/"}, "--metrics-file: invalid value"},
		{{"--metrics-interval", "0"}, "--metrics-interval: invalid value '0'"},
		{{"--thrashing-decay", "101"}, "--thrashing-decay: invalid value '101' (expected an integer from 0 to 100)"},
		{{"--thrashing-limit", "-1"}, "--thrashing-limit: invalid value '-1'"},
		{{"--swap-util-max", "101"}, "--swap-util-max: invalid value '101' (expected an integer from 0 to 100)"},
		{{"--sys-root", ""}, "--sys-root: invalid value ''"},
		{{"--syslog-socket", "dev/log"}, "--syslog-socket: invalid value"},
		{{"--config", ""}, "--config: invalid value ''"},
	};
	struct run run;
	const char *off[] = {"--kill-hook", "x", "--kill-hook", "none", "--metrics-file",
			     "/tmp/m", "--metrics-file", "none", "--events", "-", "--events",
			     "none", "--target", "1G", "--target", "auto", "--kill-hook-user",
			     "root", "--kill-hook-user", "none", NULL};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(&run, bad[i].args);
		if (run.r != -EINVAL || !strstr(run.err, bad[i].must_say))
			fail_msg("%s %s: %d '%s'", bad[i].args[0], bad[i].args[1], run.r, run.err);
		config_free(&run.c);
	}
	parse(&run, off);
	assert_int_equal(run.r, 0);
	assert_null(run.c.kill_hook);
	assert_null(run.c.metrics_file);
	assert_null(run.c.events_path);
	assert_null(run.c.kill_hook_user);
	assert_int_equal(run.c.target_kib, 0);
	config_free(&run.c);
}

/* The default file is read when present, unless --config none or another file. */
static void test_default_file(void **state)
{
	struct run run;
	char *path = write_temp("min-adj = 500\n");
	char copy[64];
	char *argv_none[] = {(char *)"reapd", (char *)"--config", (char *)"none", NULL};
	char *argv_plain[] = {(char *)"reapd", NULL};
	char *argv_check[] = {(char *)"reapd", (char *)"--check-config", NULL};
	FILE *devnull = fopen("/dev/null", "w");

	(void)state;
	snprintf(copy, sizeof(copy), "%s", path);
	config_init(&run.c);
	assert_int_equal(config_parse_args(&run.c, 1, argv_plain, copy, devnull, devnull), 0);
	assert_int_equal(run.c.min_adj, 500);
	assert_string_equal(run.c.config_path, copy);
	config_free(&run.c);
	assert_int_equal(config_parse_args(&run.c, 3, argv_none, copy, devnull, devnull), 0);
	assert_int_equal(run.c.min_adj, 0);
	assert_null(run.c.config_path);
	config_free(&run.c);
	assert_int_equal(config_parse_args(&run.c, 2, argv_check, copy, devnull, devnull), 0);
	assert_true(run.c.check_config);
	config_free(&run.c);
	unlink(copy);
	/* Absent: nothing read, no error. */
	assert_int_equal(config_parse_args(&run.c, 1, argv_plain, copy, devnull, devnull), 0);
	assert_null(run.c.config_path);
	config_free(&run.c);
	fclose(devnull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_scope_system),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_file_errors),
		cmocka_unit_test(test_file_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_service_options),
		cmocka_unit_test(test_default_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
