/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Options, from the command line and from a config file with the same names
 * ("name = value", one per line).  Command-line options override the file.
 * Any bad option or value is reported in one line naming the option and the
 * value; the caller then exits with status 2.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ctl_proto.h"
#include "parse.h"
#include "policy.h"

struct config {
	char *config_path; /* NULL: none */
	bool config_none;  /* --config none: not even the default file */
	char *scope; /* NULL: the whole system */
	struct threshold mem_min;
	struct threshold swap_min;
	uint64_t target_kib; /* 0: automatic */
	int min_adj;
	struct policy_rules rules;
	unsigned reaper_threads;
	unsigned kill_timeout_ms;
	unsigned max_victims;
	unsigned psi_some_ms; /* stall per window for the "some" trigger, 0: off */
	unsigned psi_full_ms; /* stall per window for the "full" trigger, 0: off */
	unsigned psi_critical_ms; /* "full" stall per window that kills while swap is free, 0: off */
	unsigned psi_sustain_ms;  /* "full" triggers this long in a row kill while swap is free */
	unsigned thrashing_limit_pct; /* refaults per window, % of the LRU, that kill (0: off) */
	unsigned thrashing_decay_pct; /* the limit lowers this much after a thrashing kill */
	unsigned swap_util_max_pct;   /* low_swap above this swap utilisation (0: off) */
	unsigned psi_window_ms;
	bool no_reap;
	bool no_boost; /* leave a victim's scheduling, CPUs and CPU limits as they are */
	bool hold_line; /* v2: memory.high just under memory.max while a round's victims die */
	bool sync_reap; /* benchmarks only: no reaper threads, the loop reaps */
	bool dry_run;
	bool verbose;
	bool no_mlock;
	bool no_realtime;
	bool check_config; /* parse the settings, report, exit */
	char *events_path; /* NULL: none; "-": stdout */
	char *proc_root;
	char *cgroup_root;
	char *sys_root;
	char *control_path; /* NULL: no control socket */
	bool control_is_default; /* not asked for: failing to create it only warns */
	mode_t control_mode;
	char *lmkd_path; /* NULL: no lmkd socket */
	mode_t lmkd_mode;
	bool syslog;        /* log to syslog instead of stderr */
	char *syslog_socket; /* where syslog listens (/dev/log) */
	char *kill_hook;    /* NULL: none; run through /bin/sh -c after each kill */
	char *kill_hook_user; /* NULL: run hooks as reapd's own user */
	uid_t kill_hook_uid;
	gid_t kill_hook_gid;
	unsigned kill_hook_timeout_ms;
	char *metrics_file; /* NULL: none */
	unsigned metrics_interval_s;
	unsigned watchdog_ms; /* 0: no watchdog */
	/* The command line, kept to re-apply over the file on reload (not owned). */
	int argc;
	char **argv;
	const char *default_config; /* the file read when --config is not given (not owned) */
};

#define CONFIG_DEFAULT_CONTROL CTL_DEFAULT_PATH
#define CONFIG_DEFAULT_SYSLOG "/dev/log"

/* Fills @c with the defaults. */
void config_init(struct config *c);

/* Frees what @c owns. */
void config_free(struct config *c);

/*
 * Applies the config file and then the command line to @c.  The file is
 * --config FILE, or @default_config when that exists and --config was not
 * given (NULL: no default); "--config none" reads no file.  Help and
 * version go to @out.  Returns 0 to run, 1 when the program should exit
 * successfully (--help, --version), or -EINVAL after printing one line to
 * @err naming the bad option and value.
 */
int config_parse_args(struct config *c, int argc, char **argv, const char *default_config,
		      FILE *out, FILE *err);

/* Like config_load_file(), from an open stream; @name is used in messages. */
int config_load_stream(struct config *c, FILE *f, const char *name, FILE *err);

/*
 * Applies the settings in the file at @path to @c.  Returns 0, or -errno
 * after printing one line to @err (the file, the line number, the setting).
 */
int config_load_file(struct config *c, const char *path, FILE *err);

/*
 * Fills the path defaults (/proc, /sys/fs/cgroup, the control socket) left
 * unset.  Returns 0 or -ENOMEM.
 */
int config_fill_defaults(struct config *c);

/*
 * Builds a fresh config from the defaults, @old's config file read anew and
 * @old's command line.  Returns 0, or -EINVAL with the first error (one line)
 * in @err; @ret is then left empty.
 */
int config_reload(const struct config *old, struct config *ret, char *err, size_t err_len);

/* Prints the usage text to @out. */
void config_usage(FILE *out);
