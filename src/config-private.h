/* SPDX-License-Identifier: MIT */
#pragma once

/* What config.c (parsing) and config_options.c (the options) share. */

#include <stddef.h>

#include "config.h"

struct option_def {
	const char *name;
	char short_name;
	const char *arg; /* NULL for a flag */
	const char *help;
	/* Returns 0 or -EINVAL, with what was expected written to @why. */
	int (*set)(struct config *c, const char *value, char *why, size_t why_len);
};

/* Every option, in the order --help lists them. */
extern const struct option_def config_options[];
extern const size_t config_n_options;

/* Replaces *@dst with a copy of @value. Returns 0 or -ENOMEM. */
int config_set_string(char **dst, const char *value);
