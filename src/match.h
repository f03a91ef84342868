/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A small regular-expression matcher for --prefer/--avoid/--ignore.
 *
 * glibc's regexec() allocates while it matches, and matching runs on the path
 * from a pressure event to the signal, where nothing may allocate.  This
 * matcher compiles a POSIX extended regular expression (without
 * back-references) into a program at start-up and runs it as a Thompson NFA
 * with state lists sized at compile time, so matching never allocates and
 * runs in time linear in the input.
 *
 * Supported: literals, '.', bracket expressions ("[a-z]", "[^0-9]",
 * "[[:alpha:]]" and the other POSIX classes), '^', '$', grouping "( )",
 * alternation '|', the quantifiers '*', '+', '?', "{m}", "{m,}", "{m,n}"
 * (bounds up to 255), and '\' escaping a special character (any punctuation
 * but "<>`'").  GNU's "\w", "\d", "\s", "\b", "\<" and back-references are
 * refused, never taken as literals.  Matching is case-sensitive and
 * unanchored unless '^'/'$' are used, as with regexec().
 */

#include <stdbool.h>
#include <stddef.h>

struct matcher;

/*
 * Compiles @pattern.  Returns 0 and stores the matcher in @ret, or -EINVAL for
 * a malformed pattern (with a short reason written to @err if non-NULL), or
 * -ENOMEM.
 */
int matcher_compile(const char *pattern, struct matcher **ret, char *err, size_t err_len);

/* Returns true when @m matches anywhere in the NUL-terminated @s. Never allocates. */
bool matcher_match(struct matcher *m, const char *s);

/* Returns the pattern @m was compiled from. */
const char *matcher_pattern(const struct matcher *m);

/* Frees @m; NULL is allowed. */
void matcher_free(struct matcher *m);
