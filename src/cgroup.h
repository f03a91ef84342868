/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The cgroup helpers, by concern: cgevent.h (cgroup v1 event_control
 * notifications) and freezer.h (thawing a frozen victim).  Kept so that
 * code including cgroup.h (the reaper) builds unchanged.
 */

#include "cgevent.h"
#include "freezer.h"
