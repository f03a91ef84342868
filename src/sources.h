/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Monitor: the pressure sources of the domain in the loop — PSI triggers,
 * cgroup v1 vmpressure and usage thresholds, cgroup v2 memory.events —
 * added at start, removed and re-armed on reload or when a v1 limit moves.
 * Every source fired is counted in the metrics and handed to one callback.
 */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "decide.h"
#include "domain.h"
#include "loop.h"
#include "metrics.h"

struct sources;

/*
 * A source fired (@real: a real event raising @signal, enum pressure_signal
 * bits, possibly 0 for "re-check"), or failed and was dropped (@real false):
 * the callee re-evaluates.
 */
typedef void (*sources_event_fn)(void *ctx, unsigned signal, bool real);

/* Creates an empty set watching in @loop. Returns 0 or -errno. */
int sources_new(struct loop *loop, struct domain *domain, struct metrics *metrics,
		sources_event_fn fn, void *ctx, struct sources **ret);

/* Removes every source from the loop and frees them. */
void sources_free(struct sources *s);

/* Opens every source the domain offers (PSI, then v1 or v2 ones) and logs what it has. */
void sources_open_all(struct sources *s, const struct config *cfg, const struct decide_params *p,
		      const struct mem_state *m);

/* (Re)creates the PSI triggers from @cfg; writes a description to @desc (empty: none). */
void sources_open_psi(struct sources *s, const struct config *cfg, char *desc, size_t len);

/* Removes the sources named @name (e.g. "psi", "threshold"). */
void sources_remove(struct sources *s, const char *name);

/* Returns true when the v1 usage thresholds were set for another limit than the domain's now. */
bool sources_thresholds_stale(const struct sources *s);

/*
 * cgroup v1: (re)registers usage thresholds where headroom falls to twice
 * --mem-min (start following closely) and to --mem-min (act).
 */
void sources_rearm_thresholds(struct sources *s, const struct decide_params *p,
			      const struct mem_state *m);

/* Makes the thresholds stale (--mem-min may have moved): re-armed at the next look. */
void sources_invalidate_thresholds(struct sources *s);
