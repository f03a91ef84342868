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

#include "parse.h"
#include "policy.h"

struct config {
	char *config_path;
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
	unsigned psi_window_ms;
	bool no_reap;
	bool dry_run;
	bool verbose;
	bool no_mlock;
	char *events_path; /* NULL: none; "-": stdout */
	char *proc_root;
	char *cgroup_root;
};

/* Fills @c with the defaults. */
void config_init(struct config *c);

/* Frees what @c owns. */
void config_free(struct config *c);

/*
 * Applies --config FILE (if given) and then the command line to @c.  Help and
 * version go to @out.  Returns 0 to run, 1 when the program should exit
 * successfully (--help, --version), or -EINVAL after printing one line to
 * @err naming the bad option and value.
 */
int config_parse_args(struct config *c, int argc, char **argv, FILE *out, FILE *err);

/*
 * Applies the settings in the file at @path to @c.  Returns 0, or -errno
 * after printing one line to @err (the file, the line number, the setting).
 */
int config_load_file(struct config *c, const char *path, FILE *err);

/* Prints the usage text to @out. */
void config_usage(FILE *out);
