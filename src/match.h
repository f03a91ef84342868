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
 * Matching scratch: a compiled matcher is only read while it matches, and
 * everything matching changes lives here, so threads can share matchers as
 * long as each has a scratch of its own.  Sized at start-up for the largest
 * program it will run (matcher_states()).
 */
struct match_scratch;

/*
 * Compiles @pattern.  Returns 0 and stores the matcher in @ret, or -EINVAL for
 * a malformed pattern (with a short reason written to @err if non-NULL), or
 * -ENOMEM.
 */
int matcher_compile(const char *pattern, struct matcher **ret, char *err, size_t err_len);

/*
 * Returns 1 when @m matches anywhere in the NUL-terminated @s, 0 when not,
 * or -ENOBUFS when @scratch has room for fewer than matcher_states(@m)
 * states.  Never allocates; changes nothing in @m.
 */
int matcher_match(const struct matcher *m, const char *s, struct match_scratch *scratch);

/* Returns the number of states a scratch needs to run @m. */
size_t matcher_states(const struct matcher *m);

/*
 * Allocates a scratch with room for @states states (at least 1).  Returns 0
 * and stores it in @ret, or -ENOMEM.
 */
int match_scratch_new(size_t states, struct match_scratch **ret);

/*
 * Makes *@scratch (which may be NULL) room for @states states, replacing it
 * with a larger one if needed (allocates: call it off the kill path, when no
 * other thread uses it).  Returns 0, or -ENOMEM with *@scratch unchanged.
 */
int match_scratch_reserve(struct match_scratch **scratch, size_t states);

/* Returns the number of states @scratch has room for. */
size_t match_scratch_states(const struct match_scratch *scratch);

/* Frees @scratch; NULL is allowed. */
void match_scratch_free(struct match_scratch *scratch);

/* Returns the pattern @m was compiled from. */
const char *matcher_pattern(const struct matcher *m);

/* Frees @m; NULL is allowed. */
void matcher_free(struct matcher *m);
