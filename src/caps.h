/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Dropping privilege at start: reapd keeps only the capabilities it uses (see
 * "CAPABILITIES" in reapd(8)) and removes every other one from its bounding
 * set, so that nothing it runs later (kill hooks) can regain them either.
 * Capabilities belong to threads: call this before any thread starts.
 */

#include <stdbool.h>
#include <stdint.h>

/*
 * The capabilities reapd uses; CAP_SETUID/CAP_SETGID only with @switch_user
 * (a kill hook: reapd runs it as --kill-hook-user, or a hook run as root
 * switches to the victim's user, as notify-desktop does).
 */
uint64_t caps_wanted(bool switch_user);

/*
 * Reduces the permitted and effective sets to @keep (intersected with what
 * the process has) and, when allowed, the bounding set to @keep too; the
 * inheritable and ambient sets are emptied.  Returns 0, or -errno when the
 * sets could not be changed (reapd then runs on with what it has).
 * @ret_kept receives the effective set that remains.
 */
int caps_drop_to(uint64_t keep, uint64_t *ret_kept);
