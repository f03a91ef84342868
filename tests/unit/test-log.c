/* SPDX-License-Identifier: MIT */
/* Log lines: control bytes in a message are escaped, so one call is one line
 * and no terminal escape gets through; printable UTF-8 passes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void test_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{"plain (memhog) 1.5 MiB", "plain (memhog) 1.5 MiB"},
		{"a\nb", "a\\nb"},
		{"e\x1b[1m\r\t", "e\\x1b[1m\\r\\t"},
		{"\x01\x1f\x7f", "\\x01\\x1f\\x7f"},
		{"back\\slash", "back\\slash"},
		/* UTF-8 passes; C1 controls, stray and overlong bytes do not. */
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb1", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb1"},
		{"\xc2\x9b" "1m", "\\xc2\\x9b1m"},
		{"\x9b\xff\xc0\xaf", "\\x9b\\xff\\xc0\\xaf"},
		{"\xed\xa0\x80", "\\xed\\xa0\\x80"},
		{"cut \xe2\x82", "cut \\xe2\\x82"},
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = log_escape(t[i].in, strlen(t[i].in), buf, sizeof(buf));

		if (strcmp(buf, t[i].out) != 0)
			fail_msg("'%s' escaped to '%s', not '%s'", t[i].in, buf, t[i].out);
		assert_int_equal(n, strlen(buf));
	}
	/* Never half an escape: the escaped ab\n needs 5 bytes with its NUL; 4 hold "ab". */
	assert_int_equal(log_escape("ab\ncd", 5, buf, 4), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(log_escape("ab\xc3\xa9", 4, buf, 4), 2);
	assert_string_equal(buf, "ab");
}

static void test_one_line(void **state)
{
	char buf[4096];
	int fds[2];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	log_set_fd(fds[1]);
	log_info("killed pid %d (%s), uid %u", 42, "x\ny\x1b]0;pwned\x07", 0u);
	log_set_fd(2);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "reapd: info: killed pid 42 (x\\ny\\x1b]0;pwned\\x07), uid 0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
