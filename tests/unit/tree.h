/* SPDX-License-Identifier: MIT */
#pragma once

/* Stand-in procfs and cgroupfs trees that unit tests build per case in a temp dir. */

#include <stddef.h>

/* Makes a fresh temp dir, its path in @dir (@len bytes). Fails the test when it cannot. */
void tree_make(char *dir, size_t len);

/*
 * Writes @content to @dir/@rel, making the directories on the way; a @rel
 * ending in '/' is only a directory.  Fails the test when it cannot.
 */
void tree_put(const char *dir, const char *rel, const char *content);

/* Fails case @name unless @dir/@rel holds exactly @want. */
void tree_assert(const char *name, const char *dir, const char *rel, const char *want);

/*
 * Fills @buf (@len bytes, more than PATH_MAX) with a /proc/<pid>/cgroup line
 * "@prefix/aaa.../aaa...\n" whose path, each component a real directory name,
 * goes past PATH_MAX.
 */
void tree_long_cgroup_line(char *buf, size_t len, const char *prefix);

/* Removes @dir and everything in it. */
void tree_remove(const char *dir);
