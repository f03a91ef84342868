/* SPDX-License-Identifier: MIT */
/* Kill events: every contract field is present, hostile names are escaped,
 * and a line that does not fit is refused rather than cut. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "events.h"

static const char *const contract_fields[] = {
	"\"time\":", "\"pid\":", "\"comm\":", "\"uid\":", "\"oom_score_adj\":", "\"reason\":",
	"\"size_kib\":", "\"anon_kib\":", "\"reaped\":", "\"kill_to_exit_ms\":", "\"reap_ms\":",
	"\"freed_kib\":", "\"dry_run\":",
};

static struct kill_event sample(void)
{
	return (struct kill_event){
		.time_usec = 1795000000123456ULL,
		.pid = 1234,
		.comm = "memhog",
		.uid = 1000,
		.oom_score_adj = 900,
		.effective_adj = 1000,
		.reason = "low_mem",
		.scope = "/sys/fs/cgroup/memory/demo",
		.size_kib = 2097152,
		.anon_kib = 2097000,
		.target_kib = 100000,
		.exited = true,
		.reaped = true,
		.kill_to_exit_usec = 1234,
		.reap_usec = 56789,
		.reaped_kib = 2090000,
		.freed_kib = 2097152,
		.scan_usec = 321,
		.scanned = 77,
	};
}

static void test_fields(void **state)
{
	struct kill_event ev = sample();
	char buf[2048];
	int n = events_format(&ev, buf, sizeof(buf));

	(void)state;
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_int_equal(buf[n - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1); /* exactly one line */
	for (size_t i = 0; i < sizeof(contract_fields) / sizeof(contract_fields[0]); i++)
		if (!strstr(buf, contract_fields[i]))
			fail_msg("missing %s in %s", contract_fields[i], buf);
	assert_non_null(strstr(buf, "\"time\":\"2026-11-18T"));
	assert_non_null(strstr(buf, "\"kill_to_exit_ms\":1.234"));
	assert_non_null(strstr(buf, "\"reap_ms\":56.789"));
	assert_non_null(strstr(buf, "\"reaped\":true"));
	assert_non_null(strstr(buf, "\"dry_run\":false"));
	assert_non_null(strstr(buf, "\"reap_error\":null"));
	/* Unset: none; a victim taken as the last resort says so. */
	assert_non_null(strstr(buf, "\"cgroup_preference\":\"none\""));
	ev.cgroup_preference = "avoid";
	assert_true(events_format(&ev, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"cgroup_preference\":\"avoid\""));
}

static void test_unknown_and_errors(void **state)
{
	struct kill_event ev = sample();
	char buf[2048];

	(void)state;
	ev.kill_to_exit_usec = -1;
	ev.reap_usec = -1;
	ev.reaped = false;
	ev.reap_error = -ENOSYS;
	assert_true(events_format(&ev, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"kill_to_exit_ms\":null"));
	assert_non_null(strstr(buf, "\"reap_ms\":null"));
	assert_non_null(strstr(buf, "\"reap_error\":\"ENOSYS\""));
}

static void test_hostile_comm(void **state)
{
	struct kill_event ev = sample();
	char buf[2048];

	(void)state;
	ev.comm = "a\") R 1 (\\b\n\x01\xff";
	assert_true(events_format(&ev, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"comm\":\"a\\\") R 1 (\\\\b\\u000a\\u0001\\ufffd\""));
	/* UTF-8 passes through; C1 controls and broken or overlong sequences do not. */
	ev.comm = "caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x90\xb1|\xc2\x9b|\xc0\xaf|\xe2\x82|\xed\xa0\x80";
	assert_true(events_format(&ev, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"comm\":\"caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x90\xb1|\\u009b|"
				    "\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\""));
}

static void test_too_small(void **state)
{
	struct kill_event ev = sample();
	char buf[64];

	(void)state;
	assert_int_equal(events_format(&ev, buf, sizeof(buf)), -ENOBUFS);
}

static void test_write_appends(void **state)
{
	char path[] = "/tmp/reapd-test-events-XXXXXX", buf[8192];
	struct kill_event ev = sample();
	struct events *e;
	int fd = mkstemp(path);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(events_open(path, &e), 0);
	assert_int_equal(events_write(e, &ev), 0);
	ev.pid = 5678;
	assert_int_equal(events_write(e, &ev), 0);
	events_free(e);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"pid\":1234"));
	assert_non_null(strstr(strstr(buf, "\n"), "\"pid\":5678"));
	assert_int_equal(events_open("/nonexistent/dir/events.json", &e), -ENOENT);
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A FIFO whose reader never reads: writes never wait, drops are counted, exit is bounded. */
static void test_full_fifo(void **state)
{
	char dir[] = "/tmp/reapd-test-events-XXXXXX", path[64], junk[4096];
	struct kill_event ev = sample();
	struct events_stats st;
	struct events *e;
	uint64_t t0;
	int rd, wr;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK);
	wr = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(rd >= 0 && wr >= 0);
	memset(junk, 'x', sizeof(junk));
	while (write(wr, junk, sizeof(junk)) > 0)
		;
	close(wr);

	t0 = mono_usec();
	assert_int_equal(events_open(path, &e), 0);
	for (int i = 0; i < EVENTS_QUEUE_LEN + 5; i++) {
		int r = events_write(e, &ev);

		/* The writer thread may have taken the first line off the queue. */
		assert_true(r == 0 || (r == -ENOBUFS && i >= EVENTS_QUEUE_LEN));
	}
	/*
	 * No clock here: the drops prove the writes did not wait for the FIFO
	 * (a writer that blocked would hang until meson's timeout), and a time
	 * bound failed in the lab's slow fresh guest (1.07 s against 0.5 s).
	 */
	events_stats(e, &st);
	assert_true(st.dropped == 4 || st.dropped == 5);
	assert_int_equal(st.written, 0);
	t0 = mono_usec();
	events_free(e);
	t0 = mono_usec() - t0;
	/* It gave the reader its second to drain (a deadline never fires early); 60 s: a hang. */
	if (t0 < 900000 || t0 > 60000000)
		fail_msg("exit with a full FIFO took %llu us", (unsigned long long)t0);
	close(rd);
	unlink(path);
	rmdir(dir);
}

/* A FIFO nobody has opened yet: opening does not wait, a later reader gets the event. */
static void test_fifo_late_reader(void **state)
{
	char dir[] = "/tmp/reapd-test-events-XXXXXX", path[64], buf[4096] = "";
	struct kill_event ev = sample();
	struct events *e;
	ssize_t n = 0;
	int rd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(events_open(path, &e), 0);
	assert_int_equal(events_write(e, &ev), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	for (int i = 0; i < 12000 && n <= 0; i++) { /* up to 60 s: a condition, not a speed */
		n = read(rd, buf, sizeof(buf) - 1);
		if (n <= 0)
			usleep(5000);
	}
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"pid\":1234,"));
	events_free(e);
	close(rd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_unknown_and_errors),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_write_appends),
		cmocka_unit_test(test_full_fifo),
		cmocka_unit_test(test_fifo_late_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
