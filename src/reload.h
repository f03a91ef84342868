/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Reloading the settings (SIGHUP, "reload", LMK_UPDATE_PROPS) while victims
 * may be dying: the new config is read and everything it needs is prepared
 * before anything changes, then the parts below are handed their new
 * settings.
 */

#include <stddef.h>

#include "config.h"
#include "decide.h"
#include "domain.h"
#include "killer.h"
#include "reaper.h"
#include "report.h"
#include "round.h"
#include "sources.h"
#include "watchdog.h"

/* What a reload changes.  Owned by the caller; every handle set before the first reload. */
struct reload_target {
	struct config *cfg; /* replaced whole, in place */
	struct decide_params *params;
	struct domain *domain;
	struct round *round;
	struct report *report;
	struct killer *killer;
	struct reaper *reaper;
	struct sources *sources;
	struct watchdog *watchdog; /* NULL: --watchdog 0 */
};

/*
 * Sets @params' thresholds and floors from @cfg (lmkd's minfree levels are
 * kept) and hands them to @watchdog (may be NULL).
 */
void reload_apply_params(const struct config *cfg, struct decide_params *params,
			 struct watchdog *watchdog);

/*
 * Re-reads the config file (and re-applies the command line).  Settings that
 * cannot change while running keep their value, with a warning.  Returns 0,
 * or -errno with a one-line reason in @err (the old settings then stay).
 */
int reload_run(const struct reload_target *t, char *err, size_t err_len);
