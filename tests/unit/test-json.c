/* SPDX-License-Identifier: MIT */
/* reapctl's JSON reader: valid documents read back exactly, every escape
 * decodes, and malformed or hostile input is refused with -EINVAL, never a
 * crash (run under ASan in CI). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

static struct json *parse_ok(const char *text)
{
	struct json *v = NULL;
	int r = json_parse(text, &v);

	if (r != 0)
		fail_msg("json_parse(%s) = %d, expected 0", text, r);
	assert_non_null(v);
	return v;
}

static void expect_invalid(const char *text)
{
	struct json *v = NULL;
	int r = json_parse(text, &v);

	if (r != -EINVAL)
		fail_msg("json_parse(%s) = %d, expected -EINVAL", text, r);
	assert_null(v);
}

static void test_scalars(void **state)
{
	struct json *v;

	(void)state;
	v = parse_ok("true");
	assert_int_equal(json_type(v), JSON_BOOL);
	assert_int_equal(json_bool(v), 1);
	json_free(v);

	v = parse_ok(" \t\r\nfalse\n");
	assert_int_equal(json_bool(v), 0);
	json_free(v);

	v = parse_ok("null");
	assert_true(json_is_null(v));
	assert_int_equal(json_bool(v), -EINVAL);
	assert_true(isnan(json_number(v)));
	assert_null(json_string(v));
	json_free(v);

	v = parse_ok("\"\"");
	assert_string_equal(json_string(v), "");
	assert_int_equal(json_len(v), 0);
	json_free(v);
}

static void test_numbers(void **state)
{
	static const struct {
		const char *text;
		double value;
	} cases[] = {
	    {"0", 0},
	    {"-0", -0.0},
	    {"7", 7},
	    {"123456789", 123456789},
	    {"-42", -42},
	    {"3.25", 3.25},
	    {"-0.5", -0.5},
	    {"1e3", 1000},
	    {"1E+3", 1000},
	    {"2.5e-3", 0.0025},
	    {"-1.5E2", -150},
	    {"0.0", 0},
	    {"9007199254740993", 9007199254740992.0},
	    {"1e-999", 0},
	};
	struct json *v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = parse_ok(cases[i].text);
		assert_int_equal(json_type(v), JSON_NUMBER);
		if (json_number(v) != cases[i].value)
			fail_msg("%s read as %g", cases[i].text, json_number(v));
		json_free(v);
	}
	v = parse_ok("1e999");
	assert_true(isinf(json_number(v)));
	json_free(v);
}

static void test_escapes(void **state)
{
	struct json *v;

	(void)state;
	v = parse_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t.\"");
	assert_string_equal(json_string(v), "q\" b\\ s/ \b\f\n\r\t.");
	json_free(v);

	/* 1, 2, 3 and 4 UTF-8 bytes, hex digits in either case. */
	v = parse_ok("\"\\u0041\\u00e9\\u20AC\\ud83d\\uDE00\"");
	assert_string_equal(json_string(v), "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_int_equal(json_len(v), 10);
	json_free(v);

	/* Raw UTF-8 passes through unchanged. */
	v = parse_ok("\"caf\xc3\xa9\"");
	assert_string_equal(json_string(v), "caf\xc3\xa9");
	json_free(v);

	/* \u0000 is kept, with the length saying where the value really ends. */
	v = parse_ok("\"a\\u0000b\"");
	assert_int_equal(json_len(v), 3);
	assert_memory_equal(json_string(v), "a\0b", 4);
	assert_string_equal(json_string(v), "a");
	json_free(v);

	/* A key holding \u0000 matches only itself. */
	v = parse_ok("{\"a\\u0000b\": 1, \"a\": 2}");
	assert_true(json_number(json_get(v, "a")) == 2);
	json_free(v);
}

static void test_nested(void **state)
{
	const char *text = "{\"ok\": true, \"memory\": {\"total_kib\": 1024, \"avail\": null},"
			   " \"list\": [1, \"two\", [3], {\"four\": 4}, false],"
			   " \"dup\": 1, \"dup\": 2, \"empty\": {}, \"none\": []}";
	struct json *v;
	const struct json *list;

	(void)state;
	v = parse_ok(text);
	assert_int_equal(json_type(v), JSON_OBJECT);
	assert_int_equal(json_len(v), 7);
	assert_string_equal(json_key(v, 1), "memory");
	assert_null(json_key(v, 7));
	assert_int_equal(json_bool(json_get(v, "ok")), 1);
	assert_true(json_number(json_get_path(v, "memory.total_kib")) == 1024);
	assert_true(json_is_null(json_get_path(v, "memory.avail")));
	assert_null(json_get_path(v, "memory.missing"));
	assert_null(json_get_path(v, "memory.total_kib.deeper"));
	assert_null(json_get_path(v, "memory."));
	assert_true(json_number(json_get(v, "dup")) == 1);
	assert_int_equal(json_type(json_get(v, "empty")), JSON_OBJECT);
	assert_int_equal(json_len(json_get(v, "empty")), 0);
	assert_int_equal(json_len(json_get(v, "none")), 0);

	list = json_get(v, "list");
	assert_int_equal(json_type(list), JSON_ARRAY);
	assert_int_equal(json_len(list), 5);
	assert_true(json_number(json_index(list, 0)) == 1);
	assert_string_equal(json_string(json_index(list, 1)), "two");
	assert_true(json_number(json_index(json_index(list, 2), 0)) == 3);
	assert_true(json_number(json_get(json_index(list, 3), "four")) == 4);
	assert_int_equal(json_bool(json_index(list, 4)), 0);
	assert_null(json_index(list, 5));
	assert_true(json_number(json_index(v, 4)) == 2); /* objects index by position */

	/* Lookups on the wrong type or on nothing answer "absent". */
	assert_null(json_get(list, "x"));
	assert_null(json_get(NULL, "x"));
	assert_null(json_index(json_get(v, "ok"), 0));
	assert_null(json_key(list, 0));
	assert_int_equal(json_len(json_get(v, "ok")), 0);
	assert_int_equal(json_type(json_get(v, "nope")), JSON_ABSENT);
	assert_false(json_is_null(NULL));
	assert_true(isnan(json_number(NULL)));
	json_free(v);
	json_free(NULL);
}

static char *nest(unsigned depth, const char *open, const char *inner, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close), li = strlen(inner);
	char *s = malloc(depth * (lo + lc) + li + 1), *p = s;

	assert_non_null(s);
	for (unsigned i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (unsigned i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void test_depth(void **state)
{
	char *s;
	struct json *v;

	(void)state;
	s = nest(JSON_MAX_DEPTH, "[", "1", "]");
	v = parse_ok(s);
	json_free(v);
	free(s);

	s = nest(JSON_MAX_DEPTH, "{\"a\":", "1", "}");
	v = parse_ok(s);
	json_free(v);
	free(s);

	s = nest(JSON_MAX_DEPTH + 1, "[", "1", "]");
	expect_invalid(s);
	free(s);

	s = nest(JSON_MAX_DEPTH + 1, "{\"a\":", "{}", "}");
	expect_invalid(s);
	free(s);

	/* Far deeper than any stack would survive with unbounded recursion. */
	s = nest(1000000, "[", "", "");
	expect_invalid(s);
	free(s);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    " ",
	    "{",
	    "[",
	    "}",
	    "]",
	    "[1,",
	    "[1,]",
	    "[,1]",
	    "[1 2]",
	    "[1]]",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{\"a\":1,}",
	    "{a:1}",
	    "{\"a\" 1}",
	    "{1:2}",
	    "{\"a\":1}}",
	    "{} {}",
	    "1 x",
	    "\"a\"b",
	    "'x'",
	    "\"abc",
	    "\"\\",
	    "\"\\\"",
	    "\"\\x\"",
	    "\"\\u\"",
	    "\"\\u12\"",
	    "\"\\u12g4\"",
	    "\"\\U0041\"",
	    "\"\\ud800\"",
	    "\"\\udc00\"",
	    "\"\\ud800\\u0041\"",
	    "\"\\ud800x\"",
	    "\"\\ud800\\\"",
	    "\"a\nb\"",
	    "\"tab\there\"",
	    "\"\x1f\"",
	    "01",
	    "-01",
	    "1.",
	    ".5",
	    "+1",
	    "-",
	    "1e",
	    "1e+",
	    "1.e3",
	    "0x10",
	    "1e5.5",
	    "--1",
	    "NaN",
	    "Infinity",
	    "-Infinity",
	    "tru",
	    "nul",
	    "fals",
	    "True",
	    "nulll",
	    "truefalse",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_invalid(bad[i]);
}

static void test_truncated(void **state)
{
	const char *doc = "{\"a\":[1,-2.5e3,\"x\\u00e9\\ud83d\\ude00\\n\"],\"b\":{\"c\":null,"
			  "\"d\":true,\"e\":false}}";
	size_t n = strlen(doc);
	char *buf = malloc(n + 1);

	(void)state;
	assert_non_null(buf);
	json_free(parse_ok(doc));
	/* Every proper prefix lacks the last '}', so every one must be refused. */
	for (size_t len = 0; len < n; len++) {
		memcpy(buf, doc, len);
		buf[len] = '\0';
		expect_invalid(buf);
	}
	free(buf);
}

/* Deterministic mutations of a reply-like document: any result but a crash or a leak. */
static void test_mutations(void **state)
{
	const char *doc = "{\"ok\":true,\"candidates\":[{\"pid\":12,\"comm\":\"a\\\"b\\u00e9\","
			  "\"why\":\"would kill\",\"size_kib\":1.5e3,\"x\":[null,false,{}]}]}";
	static const char alphabet[] = "{}[]\",:\\u0123456789abcdefEe+-. tfnlrsx";
	size_t n = strlen(doc);
	char *buf = malloc(n + 1);
	uint32_t seed = 12345;

	(void)state;
	assert_non_null(buf);
	for (int round = 0; round < 20000; round++) {
		struct json *v = NULL;

		memcpy(buf, doc, n + 1);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 8) % n;

			seed = seed * 1103515245u + 12345u;
			buf[pos] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
		}
		if (json_parse(buf, &v) == 0) {
			assert_non_null(v);
			json_free(v);
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scalars),   cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_escapes),   cmocka_unit_test(test_nested),
	    cmocka_unit_test(test_depth),     cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_truncated), cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
