/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

/*
 * matcher_match() must never allocate.  Checking that needs a malloc hook,
 * which does not mix well with cmocka's own allocations, so it is not tested
 * here; match.c allocates everything in matcher_compile() and
 * match_scratch_new() instead.
 */

/*
 * Most tests are about what a pattern matches, not about the scratch: they
 * call matcher_match(m, s), which this file maps to a call with a scratch
 * sized for @m (the parentheses below reach the real function).
 */
static struct match_scratch *test_scratch;

static bool match_with_scratch(struct matcher *m, const char *s)
{
	int r;

	assert_int_equal(match_scratch_reserve(&test_scratch, matcher_states(m)), 0);
	r = (matcher_match)(m, s, test_scratch);
	assert_true(r == 0 || r == 1);
	return r == 1;
}

#define matcher_match(m, s) match_with_scratch(m, s)

/* Compiles @pattern, failing the test with the reason if that fails. */
static struct matcher *compile_ok(const char *pattern)
{
	struct matcher *m = NULL;
	char err[128] = "";
	int r = matcher_compile(pattern, &m, err, sizeof(err));

	if (r != 0)
		fail_msg("matcher_compile(\"%s\") = %d (%s)", pattern, r, err);
	assert_non_null(m);
	return m;
}

/* Returns whether glibc's regcomp() accepts @pattern as an ERE. */
static bool glibc_accepts(const char *pattern)
{
	regex_t re;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	regfree(&re);
	return true;
}

/* Returns whether glibc's regexec() finds @pattern (which must compile) in @s. */
static bool glibc_matches(const char *pattern, const char *s)
{
	regex_t re;
	bool ret;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ret = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ret;
}

struct match_case {
	const char *pattern;
	const char *input;
	bool expected;
};

static const struct match_case match_cases[] = {
	/* Literals and the empty pattern. */
	{ "", "", true },
	{ "", "anything", true },
	{ "a", "", false },
	{ "a", "a", true },
	{ "a", "bab", true },
	{ "abc", "xxabcxx", true },
	{ "abc", "ab", false },
	{ "abc", "acb", false },
	{ "ABC", "abc", false },
	{ "]", "a]b", true },
	{ "}", "a}", true },
	{ "a}", "a}", true },
	/* '.' */
	{ ".", "", false },
	{ ".", "x", true },
	{ ".", "\n", true },
	{ ".", "\xff", true },
	{ "a.c", "abc", true },
	{ "a.c", "ac", false },
	{ "^.{3}$", "a\nb", true },
	/* Anchors. */
	{ "^a", "ab", true },
	{ "^a", "ba", false },
	{ "a$", "ba", true },
	{ "a$", "ab", false },
	{ "^$", "", true },
	{ "^$", "x", false },
	{ "^$", "\n", false },
	{ "$", "", true },
	{ "^", "abc", true },
	{ "^^a$$", "a", true },
	{ "a^b", "a^b", false },
	{ "a$b", "a$b", false },
	{ "x$|^y", "yz", true },
	{ "x$|^y", "zy", false },
	{ "(^a|b$)", "ab", true },
	{ "(^a|b$)", "ba", false },
	{ "(a|^)b", "b", true },
	{ "(a|^)b", "cb", false },
	{ "(a|^)b", "cab", true },
	{ "(^a)*b", "cb", true },
	{ "^(ab|cd)$", "cd", true },
	{ "^(ab|cd)$", "abcd", false },
	/* Alternation, including empty alternatives (accepted by glibc). */
	{ "a|b", "b", true },
	{ "a|b", "c", false },
	{ "cat|dog|bird", "hotdog", true },
	{ "cat|dog|bird", "bir", false },
	{ "a|", "zzz", true },
	{ "|a", "", true },
	{ "|", "", true },
	{ "a||b", "x", true },
	{ "^(a|)$", "", true },
	{ "^(a|)$", "a", true },
	{ "^(a|)$", "aa", false },
	{ "^(|a|b)c$", "bc", true },
	/* Groups, nested and empty. */
	{ "()", "", true },
	{ "(())", "x", true },
	{ "^()a()$", "a", true },
	{ "(a(b(c)))", "abc", true },
	{ "(a(b(c)))", "abd", false },
	{ "^((a|b)(c|d))+$", "acbdad", true },
	{ "^((a|b)(c|d))+$", "acbda", false },
	{ "^(((((((((((a)))))))))))$", "a", true },
	/* Quantifiers. */
	{ "ab*c", "ac", true },
	{ "ab*c", "abbbc", true },
	{ "ab+c", "ac", false },
	{ "ab+c", "abbc", true },
	{ "ab?c", "abc", true },
	{ "ab?c", "abbc", false },
	{ "^a*$", "", true },
	{ "^a*$", "aaab", false },
	{ "^(ab)*$", "ababab", true },
	{ "^(ab)*$", "ababa", false },
	{ "^(a*)*$", "aaa", true },
	{ "^(a*)*b$", "aaac", false },
	{ "^(a|)+b$", "aab", true },
	{ "^()*$", "", true },
	{ "^()+a$", "a", true },
	{ "^(a?)*$", "aaa", true },
	{ "a**", "", true },
	{ "^a+*$", "aaa", true },
	{ "^a?+$", "", true },
	{ "^a+?b$", "b", true },
	/* Bounded repetition. */
	{ "^a{3}$", "aaa", true },
	{ "^a{3}$", "aa", false },
	{ "^a{3}$", "aaaa", false },
	{ "^a{2,}$", "a", false },
	{ "^a{2,}$", "aaaaaa", true },
	{ "^a{2,4}$", "aa", true },
	{ "^a{2,4}$", "aaaa", true },
	{ "^a{2,4}$", "aaaaa", false },
	{ "^a{0}$", "", true },
	{ "^a{0}b$", "b", true },
	{ "^a{0,0}b$", "ab", false },
	{ "^a{0,1}$", "a", true },
	{ "^a{,2}$", "aa", true },
	{ "^a{,2}$", "aaa", false },
	{ "^a{,}$", "aaaa", true },
	{ "^a{01}$", "a", true },
	{ "^(ab){2}$", "abab", true },
	{ "^(ab){2}$", "ab", false },
	{ "^(a|bc){1,2}$", "bca", true },
	{ "^(a|bc){1,2}$", "bcabc", false },
	{ "^a{2}{3}$", "aaaaaa", true },
	{ "^a{2}{3}$", "aaaa", false },
	{ "^a{255}$", "", false },
	{ "^(x{1,2}){2}$", "xxx", true },
	{ "^(x{1,2}){2}$", "xxxxx", false },
	{ "^(a{2})*$", "aaaa", true },
	{ "^(a{2})*$", "aaa", false },
	/* Bracket expressions. */
	{ "[abc]", "xbx", true },
	{ "[abc]", "xyz", false },
	{ "^[a-z]+$", "hello", true },
	{ "^[a-z]+$", "Hello", false },
	{ "[^abc]", "abc", false },
	{ "[^abc]", "abcd", true },
	{ "[^a]", "\n", true },
	{ "[^a]", "\xe9", true },
	{ "[^a]", "", false },
	{ "[]a]", "]", true },
	{ "[]a]", "b", false },
	{ "[^]a]", "]a", false },
	{ "[^]a]", "]ab", true },
	{ "[]-a]", "^", true },
	{ "[-a]", "-", true },
	{ "[a-]", "-", true },
	{ "[--]", "-", true },
	{ "[--z]", "a", true },
	{ "[%--]", "+", true },
	{ "[%--]", "a", false },
	{ "[a-a]", "a", true },
	{ "[a-c-]", "-", true },
	{ "[\\]", "\\", true },
	{ "[\\n]", "n", true },
	{ "[\\]]", "\\]", true },
	{ "[\\]]", "]", false },
	{ "[[]", "[", true },
	{ "[a[]", "[", true },
	{ "[.]", "a", false },
	{ "[*+?{}()|^$]", "|", true },
	{ "[a^]", "^", true },
	{ "[\x80-\xff]", "\xc3\xa9", true },
	{ "[\x80-\xff]", "abc", false },
	{ "[[.a.]]", "a", true },
	{ "[[.].]]", "]", true },
	{ "[[.-.]]", "-", true },
	{ "[[.a.]-[.c.]]", "b", true },
	{ "[[=a=]]", "a", true },
	{ "[[=a=]]", "b", false },
	/* POSIX classes, "C" locale. */
	{ "^[[:alpha:]]+$", "abcXYZ", true },
	{ "[[:alpha:]]", "123", false },
	{ "[[:alpha:]]", "\xe9", false },
	{ "^[[:digit:]]+$", "0123456789", true },
	{ "[[:digit:]]", "abc", false },
	{ "^[[:alnum:]]+$", "a1B2", true },
	{ "[[:alnum:]]", "_-", false },
	{ "^[[:upper:]]+$", "ABC", true },
	{ "[[:upper:]]", "abc", false },
	{ "^[[:lower:]]+$", "abc", true },
	{ "[[:lower:]]", "ABC", false },
	{ "^[[:space:]]+$", " \t\n\v\f\r", true },
	{ "[[:space:]]", "a_b", false },
	{ "^[[:punct:]]+$", "!/:@[`{~", true },
	{ "[[:punct:]]", "a b", false },
	{ "^[[:xdigit:]]+$", "09afAF", true },
	{ "[[:xdigit:]]", "gG", false },
	{ "^[[:blank:]]+$", " \t", true },
	{ "[[:blank:]]", "\n", false },
	{ "^[[:cntrl:]]+$", "\x01\x1f\x7f\n", true },
	{ "[[:cntrl:]]", "a ", false },
	{ "^[[:print:]]+$", " ~a", true },
	{ "[[:print:]]", "\t\x7f\x80", false },
	{ "^[[:graph:]]+$", "!~a", true },
	{ "[[:graph:]]", " \t", false },
	{ "^[^[:alnum:]]+$", "_- \xe9", true },
	{ "^[[:alpha:][:digit:]_]+$", "ab_1", true },
	{ "^[[:alpha:]-]+$", "a-b", true },
	{ "[:alpha:]", "h", true },
	/* Escapes. */
	{ "\\.", "a", false },
	{ "\\.", ".", true },
	{ "\\(\\)", "()", true },
	{ "a\\|b", "a|b", true },
	{ "a\\|b", "a", false },
	{ "\\*", "*", true },
	{ "\\{", "{", true },
	{ "\\^a", "^a", true },
	{ "a\\$", "a$", true },
	{ "\\[a]", "[a]", true },
	{ "\\\\", "\\", true },
	/* Hostile process names. */
	{ "^a\\) R 1 \\(b$", "a) R 1 (b", true },
	{ "\\)", "a) R 1 (b", true },
	{ "^[^()]*$", "a) R 1 (b", false },
	{ "^my prog$", "my prog", true },
	{ "prog$", "prog\n", false },
	{ "^line1.line2$", "line1\nline2", true },
	{ "[[:space:]]", "kworker/0:1 H", true },
	{ "^caf\xc3\xa9$", "caf\xc3\xa9", true },
	{ "^caf.$", "caf\xc3\xa9", false },
	{ "^caf..$", "caf\xc3\xa9", true },
	{ "\xff", "\xfe\xff", true },
	{ "^(java|python[0-9.]*)$", "python3.11", true },
	{ "^(java|python[0-9.]*)$", "pythonista", false },
	{ "^kworker/[0-9]+:[0-9]+H?$", "kworker/12:3H", true },
};

/* Every table entry, checked against its expectation and, as a guard on the table, glibc. */
static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		struct matcher *m = compile_ok(c->pattern);

		if (matcher_match(m, c->input) != c->expected)
			fail_msg("/%s/ on \"%s\": expected %d", c->pattern, c->input, c->expected);
		if (glibc_matches(c->pattern, c->input) != c->expected)
			fail_msg("table disagrees with glibc: /%s/ on \"%s\"", c->pattern,
				 c->input);
		matcher_free(m);
	}
}

enum glibc_verdict { GLIBC_REJECTS, GLIBC_ACCEPTS };

struct bad_case {
	const char *pattern;
	/*
	 * GLIBC_ACCEPTS marks a deliberate difference: glibc is lenient and we
	 * are strict.  ")" and "a)" are a literal ')' to glibc but almost
	 * certainly a mistake in a --prefer/--avoid pattern; glibc allows bounds
	 * up to 32767 where we stop at 255; and we cap the program size and the
	 * nesting depth so a pattern can't cost unbounded memory or stack.
	 */
	enum glibc_verdict glibc;
};

static const struct bad_case bad_cases[] = {
	{ "(", GLIBC_REJECTS },
	{ "a(", GLIBC_REJECTS },
	{ "(a|b", GLIBC_REJECTS },
	{ "((a)", GLIBC_REJECTS },
	{ "(|", GLIBC_REJECTS },
	{ "[", GLIBC_REJECTS },
	{ "[a", GLIBC_REJECTS },
	{ "[]", GLIBC_REJECTS },
	{ "[^]", GLIBC_REJECTS },
	{ "[^", GLIBC_REJECTS },
	{ "[a-", GLIBC_REJECTS },
	{ "*a", GLIBC_REJECTS },
	{ "+a", GLIBC_REJECTS },
	{ "?a", GLIBC_REJECTS },
	{ "{1}", GLIBC_REJECTS },
	{ "a|*b", GLIBC_REJECTS },
	{ "(*a)", GLIBC_REJECTS },
	{ "(+)", GLIBC_REJECTS },
	{ "^*", GLIBC_REJECTS },
	{ "x^*", GLIBC_REJECTS },
	{ "a$+", GLIBC_REJECTS },
	{ "a{", GLIBC_REJECTS },
	{ "a{1", GLIBC_REJECTS },
	{ "a{1,", GLIBC_REJECTS },
	{ "a{1,2", GLIBC_REJECTS },
	{ "a{x}", GLIBC_REJECTS },
	{ "a{}", GLIBC_REJECTS },
	{ "a{2,1}", GLIBC_REJECTS },
	{ "a{1,2,3}", GLIBC_REJECTS },
	{ "a{ 1}", GLIBC_REJECTS },
	{ "a{1, 2}", GLIBC_REJECTS },
	{ "\\", GLIBC_REJECTS },
	{ "a\\", GLIBC_REJECTS },
	{ "[[:nope:]]", GLIBC_REJECTS },
	{ "[[:ALPHA:]]", GLIBC_REJECTS },
	{ "[[:alpha:]", GLIBC_REJECTS },
	{ "[[:alpha]]", GLIBC_REJECTS },
	{ "[[:]", GLIBC_REJECTS },
	{ "[[.a.]", GLIBC_REJECTS },
	{ "[[.ab.]]", GLIBC_REJECTS },
	{ "[[=ab=]]", GLIBC_REJECTS },
	{ "[z-a]", GLIBC_REJECTS },
	{ "[a--]", GLIBC_REJECTS },
	{ "[a-c-e]", GLIBC_REJECTS },
	{ "[[:alpha:]-z]", GLIBC_REJECTS },
	{ "[a-[:digit:]]", GLIBC_REJECTS },
	{ "[[=a=]-z]", GLIBC_REJECTS },
	{ ")", GLIBC_ACCEPTS },
	{ "a)", GLIBC_ACCEPTS },
	{ "(a))", GLIBC_ACCEPTS },
	{ "a|b)", GLIBC_ACCEPTS },
	{ "a{256}", GLIBC_ACCEPTS },
	{ "a{300}", GLIBC_ACCEPTS },
	{ "a{1,256}", GLIBC_ACCEPTS },
	{ "a{99999999999999999999}", GLIBC_REJECTS },
	{ "a{255}{255}", GLIBC_ACCEPTS },
	{ "(a{100}){100}", GLIBC_ACCEPTS },
	{ "((a{100}){100}){100}", GLIBC_ACCEPTS },
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct matcher *m = NULL;
		char err[128] = "";
		int r = matcher_compile(c->pattern, &m, err, sizeof(err));

		if (r != -EINVAL)
			fail_msg("matcher_compile(\"%s\") = %d, expected -EINVAL", c->pattern, r);
		assert_null(m);
		if (!err[0])
			fail_msg("no reason given for \"%s\"", c->pattern);
		if (glibc_accepts(c->pattern) != (c->glibc == GLIBC_ACCEPTS))
			fail_msg("glibc verdict on \"%s\" is not as documented", c->pattern);
	}
}

/* The reasons are part of the user interface, so pin the main ones down. */
static void test_error_messages(void **state)
{
	static const struct {
		const char *pattern;
		const char *reason;
	} cases[] = {
		{ "(a", "unmatched '('" },
		{ "a)", "unmatched ')'" },
		{ "[a", "unmatched '['" },
		{ "[]", "empty bracket expression" },
		{ "*", "nothing to repeat" },
		{ "^*", "nothing to repeat" },
		{ "a{2,1}", "bad repetition bound" },
		{ "a{300}", "bad repetition bound" },
		{ "a\\", "trailing backslash" },
		{ "[[:nope:]]", "unknown character class" },
		{ "[b-a]", "invalid range end" },
		{ "a{255}{255}", "pattern too large" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct matcher *m = NULL;
		char err[128] = "";

		assert_int_equal(matcher_compile(cases[i].pattern, &m, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].reason);
	}
}

/* A NULL or short error buffer is fine, and a successful compile clears it. */
static void test_error_buffer(void **state)
{
	struct matcher *m = NULL;
	char err[8];

	(void)state;
	assert_int_equal(matcher_compile("(", &m, NULL, 0), -EINVAL);
	assert_int_equal(matcher_compile("(", &m, err, 0), -EINVAL);
	memset(err, 'x', sizeof(err));
	assert_int_equal(matcher_compile("(", &m, err, 4), -EINVAL);
	assert_string_equal(err, "unm");
	assert_int_equal(err[4], 'x');
	assert_null(m);
	assert_int_equal(matcher_compile("a", &m, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	matcher_free(m);
}

/* Bounds on the program size and nesting depth, right at the edge. */
static void test_limits(void **state)
{
	char deep[2 * 101 + 2];
	struct matcher *m;

	(void)state;
	/* 99 * 100 + 99 + MATCH is just under the 10000-instruction cap. */
	m = compile_ok("(a{100}){99}b{99}");
	matcher_free(m);
	m = NULL;
	assert_int_equal(matcher_compile("(a{100}){99}b{100}", &m, NULL, 0), -EINVAL);
	/* The same edge reached through an unbounded repetition: 9996 + 3 + MATCH. */
	m = compile_ok("(a{100}){99}b{96}c*");
	assert_false(matcher_match(m, "x"));
	matcher_free(m);
	m = NULL;
	assert_int_equal(matcher_compile("(a{100}){99}b{97}c*", &m, NULL, 0), -EINVAL);

	memset(deep, '(', 100);
	deep[100] = 'a';
	memset(deep + 101, ')', 100);
	deep[201] = '\0';
	m = compile_ok(deep);
	assert_true(matcher_match(m, "a"));
	matcher_free(m);

	memset(deep, '(', 101);
	deep[101] = 'a';
	memset(deep + 102, ')', 101);
	deep[203] = '\0';
	m = NULL;
	assert_int_equal(matcher_compile(deep, &m, NULL, 0), -EINVAL);
	assert_null(m);
}

/* Patterns that are exponential for a backtracker must stay fast here. */
static void test_linear_time(void **state)
{
	static const char *const patterns[] = {
		"(a*)*b", "(a|a)*b", "(a|aa)+$b", "^(a+)+$x", "(x+x+)+y", "(a?){30}a{30}b",
	};
	size_t n = 1 << 16;
	char *s = malloc(n + 1);

	(void)state;
	assert_non_null(s);
	memset(s, 'a', n);
	s[n] = '\0';
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		struct matcher *m = compile_ok(patterns[i]);

		assert_false(matcher_match(m, s));
		matcher_free(m);
	}
	free(s);
}

/* Stacks of quantifiers on an empty group cost nothing and match the empty string. */
static void test_stacked_empty(void **state)
{
	size_t n = 100000;
	char *p = malloc(n + 3);
	struct matcher *m;

	(void)state;
	assert_non_null(p);
	memcpy(p, "()", 2);
	memset(p + 2, '*', n);
	p[n + 2] = '\0';
	m = compile_ok(p);
	assert_true(matcher_match(m, ""));
	matcher_free(m);
	free(p);
}

/*
 * Deliberate differences from glibc, where glibc is arguably wrong or
 * non-standard.  Only our side is asserted, so a fixed glibc won't break this.
 */
static void test_glibc_differences(void **state)
{
	static const struct match_case cases[] = {
		/* '\' before a punctuation character makes it literal, even where POSIX leaves it open. */
		{ "\\-\\/\\]\\}", "-/]}", true },
		/*
		 * glibc drops the '^'/'$' constraint on the second and later
		 * copies of a repeated group: it finds "(^a){2}" in "aa" but not
		 * "(^a)(^a)".  Here both mean the same and neither matches.
		 */
		{ "(^a){2}", "aa", false },
		{ "(^a)+$", "aa", false },
		{ "(a$){2}", "aa", false },
		{ "(^a){2}", "a", false },
		/*
		 * glibc lets a mid-pattern '^' or '$' match next to a '\n' the
		 * pattern itself consumes ("$\n" is found in "x\n", ".^" in
		 * "\n"), though "^a" is not found in "b\na".  Without REG_NEWLINE
		 * POSIX makes '\n' ordinary, and so do we.
		 */
		{ "$\n", "x\n", false },
		{ ".^", "\n", false },
		{ "\n^a", "b\na", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct matcher *m = compile_ok(cases[i].pattern);

		if (matcher_match(m, cases[i].input) != cases[i].expected)
			fail_msg("/%s/ on \"%s\": expected %d", cases[i].pattern, cases[i].input,
				 cases[i].expected);
		matcher_free(m);
	}
}

/*
 * GNU's "\w", "\d", "\<", "\b", back-references and the like are not POSIX
 * ERE: taking them as literals would silently match something else than the
 * user meant, so they are refused; escaping punctuation stays valid.
 */
static void test_gnu_escapes(void **state)
{
	static const char *const refused[] = {
		"\\w+", "\\W", "\\d", "\\D", "\\s", "\\S", "\\b", "\\B", "\\<a", "a\\>",
		"(a)\\1", "\\n", "\\t", "\\`a", "a\\'", "a\\ b", "\\\xc3\xa9",
	};
	static const char *const valid[] = {
		"\\.", "\\(", "\\)", "\\\\", "\\[", "\\]", "\\{", "\\}", "\\*", "\\+",
		"\\?", "\\|", "\\^", "\\$", "\\-", "\\/", "\\_", "\\:", "[\\w]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct matcher *m = NULL;
		char err[128] = "";

		if (matcher_compile(refused[i], &m, err, sizeof(err)) != -EINVAL)
			fail_msg("/%s/ compiled", refused[i]);
		if (!strstr(err, "not a POSIX ERE escape"))
			fail_msg("/%s/: reason '%s'", refused[i], err);
	}
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		matcher_free(compile_ok(valid[i]));
}

static void test_pattern_and_free(void **state)
{
	char pattern[] = "^foo|bar$";
	struct matcher *m = compile_ok(pattern);

	(void)state;
	/* The matcher keeps its own copy. */
	pattern[0] = 'x';
	assert_string_equal(matcher_pattern(m), "^foo|bar$");
	assert_true(matcher_match(m, "foobar"));
	/* Matching is repeatable: state from one call must not leak into the next. */
	for (int i = 0; i < 3; i++) {
		assert_true(matcher_match(m, "xbar"));
		assert_false(matcher_match(m, "xfoo"));
	}
	matcher_free(m);
	matcher_free(NULL);
}

struct diff_case {
	const char *pattern;
	/* The bytes the random inputs are drawn from; NULL for the default. */
	const char *alphabet;
};

static const char default_alphabet[] = "abc()[].-_ 019xyzAZ\n\xe9";

static const struct diff_case diff_cases[] = {
	{ "a", NULL },
	{ "abc", "abc" },
	{ "a.c", "abc" },
	{ "^a", NULL },
	{ "c$", NULL },
	{ "^$", "a" },
	{ "^a.*c$", "abc" },
	{ "a|b|c", "abcx" },
	{ "(a|b)*c", "abcx" },
	{ "^(ab|a)(bc|c)$", "abc" },
	{ "a+b+", "abx" },
	{ "^a?b?c?$", "abc" },
	{ "^x*$", "xy" },
	{ "^(a*)*b", "ab" },
	{ "^(a|)+b$", "ab" },
	{ "(|a)c", "ac" },
	{ "a{2}", "ab" },
	{ "^a{2,}$", "ab" },
	{ "a{1,3}b", "ab" },
	{ "^(ab){2,3}$", "ab" },
	{ "^(a|b){0,2}c", "abc" },
	{ "a{0}b", "ab" },
	{ "^[abc]+$", NULL },
	{ "[^abc]", "abcd" },
	{ "^[^a-z]*$", NULL },
	{ "[a-c0-9]{2}", NULL },
	{ "[[:digit:]]+", NULL },
	{ "^[[:alpha:]][[:alnum:]_]*$", NULL },
	{ "[[:space:]][[:punct:]]", NULL },
	{ "[[:upper:]]|[[:cntrl:]]", NULL },
	{ "^[[:print:]]+$", NULL },
	{ "[[:graph:]]{3}", " a.-" },
	{ "[]a][^]a]", "a]b" },
	{ "^[a-][-z]", "a-z" },
	{ "\\(a\\)", NULL },
	{ "\\[.*\\]", NULL },
	{ "^\\.|_$", NULL },
	{ "(^a|b$)", "ab" },
	{ "a^b|a$b", "ab" },
	{ "(a|b|)(c|)$", "abc" },
	{ "^.{3}$", NULL },
	{ "(.)(.)x", "ax" },
	{ "^a**$", "ab" },
	{ "^(a+|b)*c$", "abc" },
	{ "^((a|b)c?)+$", "abc" },
	{ "\xe9|[\xe0-\xef]z", "z\xe9\xe1" },
	{ "^( |a)+$", "a b" },
	{ "Z{1,}9", NULL },
	{ ".*-.*_", NULL },
	{ "^(x{1,2}){2}y?$", "xy" },
	{ "^(()|a)+b{0,3}$", "ab" },
	{ "^([[:xdigit:]]{2}:)*$", "0a:g" },
};

/* xorshift32: deterministic, so a failure reproduces. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random strings, each checked against glibc's answer for the same pattern. */
static void test_differential(void **state)
{
	uint32_t seed = 0x2545f491;
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(diff_cases) / sizeof(diff_cases[0]); i++) {
		const char *pattern = diff_cases[i].pattern;
		const char *alphabet = diff_cases[i].alphabet;
		struct matcher *m = compile_ok(pattern);
		size_t alen;
		regex_t re;

		if (!alphabet)
			alphabet = default_alphabet;
		alen = strlen(alphabet);
		assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
		for (int k = 0; k < 2000; k++) {
			char s[21];
			size_t len = next_rand(&seed) % 21;
			bool want;

			for (size_t j = 0; j < len; j++)
				s[j] = alphabet[next_rand(&seed) % alen];
			s[len] = '\0';
			want = regexec(&re, s, 0, NULL, 0) == 0;
			if (matcher_match(m, s) != want)
				fail_msg("/%s/ on \"%s\": glibc says %d", pattern, s, want);
			checked++;
		}
		regfree(&re);
		matcher_free(m);
	}
	print_message("%zu patterns, %zu strings checked against glibc\n",
		      sizeof(diff_cases) / sizeof(diff_cases[0]), checked);
}

/* A scratch too small for a program is refused, never overrun; a reserved one is reused. */
static void test_scratch_size(void **state)
{
	struct matcher *big = compile_ok("(ab|cd){20}x"), *small = compile_ok("^a");
	struct match_scratch *sc = NULL;

	(void)state;
	assert_true(matcher_states(big) > matcher_states(small));
	assert_int_equal(match_scratch_new(matcher_states(small), &sc), 0);
	assert_int_equal(match_scratch_states(sc), matcher_states(small));
	assert_int_equal((matcher_match)(small, "abc", sc), 1);
	assert_int_equal((matcher_match)(big, "abababababababababababababababababababab", sc),
			 -ENOBUFS);
	assert_int_equal(match_scratch_reserve(&sc, matcher_states(big)), 0);
	assert_int_equal(match_scratch_states(sc), matcher_states(big));
	assert_int_equal((matcher_match)(big, "z" "abababababcdcdcdcdcd" "ababababababababcdcd" "x",
					 sc),
			 1);
	assert_int_equal((matcher_match)(big, "abcd", sc), 0);
	/* One scratch serves both matchers, in any order. */
	assert_int_equal((matcher_match)(small, "abc", sc), 1);
	assert_int_equal((matcher_match)(small, "bc", sc), 0);
	/* Reserving less than it has keeps it. */
	assert_int_equal(match_scratch_reserve(&sc, 1), 0);
	assert_int_equal(match_scratch_states(sc), matcher_states(big));
	match_scratch_free(sc);
	match_scratch_free(NULL);
	/* A zero-sized request still gives a usable scratch. */
	assert_int_equal(match_scratch_new(0, &sc), 0);
	assert_int_equal(match_scratch_states(sc), 1);
	match_scratch_free(sc);
	matcher_free(big);
	matcher_free(small);
}

static int free_test_scratch(void **state)
{
	(void)state;
	match_scratch_free(test_scratch);
	test_scratch = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_linear_time),
		cmocka_unit_test(test_stacked_empty),
		cmocka_unit_test(test_glibc_differences),
		cmocka_unit_test(test_gnu_escapes),
		cmocka_unit_test(test_pattern_and_free),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_scratch_size),
	};

	return cmocka_run_group_tests(tests, NULL, free_test_scratch);
}
