/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The cgroup helpers, by concern: cgevent.h (the cgroup v1 pressure sources,
 * vmpressure and usage thresholds) and freezer.h (thawing a frozen victim).
 * Kept so that code including cgroup.h (the reaper) builds unchanged.
 */

#include "cgevent.h"
#include "freezer.h"
