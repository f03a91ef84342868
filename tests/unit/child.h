/* SPDX-License-Identifier: MIT */
#pragma once

/* Children the unit tests fork to kill: real processes with real memory. */

#include <sys/types.h>

/*
 * Forks a child that maps @mib MiB of private anonymous memory and touches
 * every page, named @name and at oom_score_adj @adj when they are not NULL,
 * then pauses; returns its pid once it is ready.  Fails the test when it
 * cannot.  The caller kills and waits for it.
 */
pid_t test_child_spawn(unsigned mib, const char *name, const char *adj);

/* Writes @value to the file at @path (no O_CREAT). Returns 0 or -errno. */
int test_write_file(const char *path, const char *value);

/*
 * Kernels before 6.2 count a task's resident pages in a per-thread cache that
 * is folded into the process's counters every 64 page faults, so /proc may
 * show up to 64 pages less than a child touched (seen on Debian's 6.1 in the lab).
 */
#define TEST_RSS_LAG_KIB 256
