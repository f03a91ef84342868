/* SPDX-License-Identifier: MIT */
/* PSI triggers: the trigger string written, the window fallback, and which
 * wake-ups count as real stalls.  Against a regular file standing in for
 * /proc/pressure/memory (the kernel's file cannot be made to stall on cue).
 * The test links with -Wl,--wrap=write: writes to that file go to a fake
 * kernel that records each trigger and, when told to, refuses windows that
 * are not multiples of 2 s with EINVAL, as the kernel does without
 * CAP_SYS_RESOURCE.  Every other write passes through. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decide.h"
#include "psi.h"

static char path[64];

ssize_t __real_write(int fd, const void *buf, size_t count);
ssize_t __wrap_write(int fd, const void *buf, size_t count);

/* The fake kernel behind the file at @path. */
enum fake_rule {
	ACCEPT_ALL,
	REJECT_ODD_WINDOWS, /* EINVAL unless the window is a multiple of 2 s */
	REJECT_ALL,         /* EINVAL for every trigger */
	DENY_ALL,           /* EPERM for every trigger */
};

#define MAX_WRITES 4

static struct {
	enum fake_rule rule;
	dev_t dev;
	ino_t ino;
	size_t n;
	size_t len[MAX_WRITES];
	char buf[MAX_WRITES][64];
} fake;


static bool is_fake(int fd)
{
	struct stat st;

	return fake.ino != 0 && fstat(fd, &st) == 0 && st.st_dev == fake.dev &&
	       st.st_ino == fake.ino;
}

ssize_t __wrap_write(int fd, const void *buf, size_t count)
{
	unsigned long long stall, window;
	char copy[64];

	if (!is_fake(fd))
		return __real_write(fd, buf, count);
	if (fake.n < MAX_WRITES) {
		fake.len[fake.n] = count;
		memcpy(fake.buf[fake.n], buf, count < 64 ? count : 64);
	}
	fake.n++;
	/* Like psi_trigger_create(): the string must be NUL-terminated within the write. */
	if (count == 0 || count > sizeof(copy) || memchr(buf, '\0', count) == NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(copy, buf, count);
	if (sscanf(copy + 5, "%llu %llu", &stall, &window) != 2) {
		errno = EINVAL;
		return -1;
	}
	switch (fake.rule) {
	case ACCEPT_ALL:
		break;
	case REJECT_ODD_WINDOWS:
		if (window % 2000000 != 0) {
			errno = EINVAL;
			return -1;
		}
		break;
	case REJECT_ALL:
		errno = EINVAL;
		return -1;
	case DENY_ALL:
		errno = EPERM;
		return -1;
	}
	/* Accepted: a trigger is not file content (the stats stay readable). */
	return (ssize_t)count;
}

/* Puts the fake kernel in front of @path with @rule, forgetting earlier writes. */
static void fake_kernel(enum fake_rule rule)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	fake.rule = rule;
	fake.dev = st.st_dev;
	fake.ino = st.st_ino;
	fake.n = 0;
}

static void write_totals(unsigned long long some, unsigned long long full)
{
	char buf[256];
	int fd = open(path, O_WRONLY | O_TRUNC);
	int n = snprintf(buf, sizeof(buf),
			 "some avg10=1.00 avg60=0.50 avg300=0.10 total=%llu\n"
			 "full avg10=0.50 avg60=0.20 avg300=0.05 total=%llu\n",
			 some, full);

	assert_true(fd >= 0);
	/* The stats, not a trigger: past the fake kernel. */
	assert_int_equal(__real_write(fd, buf, (size_t)n), n);
	close(fd);
}

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/reapd-test-psi-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_totals(1000000, 500000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake.ino = 0;
	unlink(path);
	return 0;
}

static void test_only_real_stalls_count(void **state)
{
	struct source *s;

	(void)state;
	/* 100 ms of "full" stall per 1 s window. */
	assert_int_equal(psi_source_open(path, true, 100, 1000, &s), 0);
	assert_int_equal(s->signal, PRESSURE_PSI_FULL);
	assert_int_equal(psi_source_stall_ms(s), 100);
	/* A fresh trigger's spurious first event: 5 ms of stall is not 100. */
	write_totals(1000000, 505000);
	assert_int_equal(s->ops->read_event(s), 0);
	/* The stall reaches the threshold since the start: a real event. */
	write_totals(1000000, 600000);
	assert_int_equal(s->ops->read_event(s), 1);
	/* Measured from that event on: 50 ms more is not enough... */
	write_totals(1000000, 650000);
	assert_int_equal(s->ops->read_event(s), 0);
	/* ...100 ms more is. */
	write_totals(1000000, 700000);
	assert_int_equal(s->ops->read_event(s), 1);
	source_free(s);
}

static void test_some_trigger_and_bad_args(void **state)
{
	struct source *s;

	(void)state;
	assert_int_equal(psi_source_open(path, false, 150, 2000, &s), 0);
	assert_int_equal(s->signal, PRESSURE_PSI_SOME);
	write_totals(1200000, 500000);
	assert_int_equal(s->ops->read_event(s), 1);
	source_free(s);
	assert_int_equal(psi_source_open(path, false, 0, 1000, &s), -EINVAL);
	assert_int_equal(psi_source_open(path, false, 2000, 1000, &s), -EINVAL);
	assert_int_equal(psi_source_open("/nonexistent/pressure", false, 100, 1000, &s), -ENOENT);
	/* A file that is not PSI is refused at once. */
	write_totals(0, 0);
	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "junk\n", 5), 5);
	close(fd);
	assert_int_equal(psi_source_open(path, true, 100, 1000, &s), -EINVAL);
}

/* The exact bytes of a trigger, terminating NUL included (the kernel wants it in the write). */
static void assert_trigger(size_t i, const char *want)
{
	assert_true(i < fake.n);
	assert_int_equal(fake.len[i], strlen(want) + 1);
	assert_memory_equal(fake.buf[i], want, strlen(want) + 1);
}

static void test_trigger_string(void **state)
{
	static const struct {
		bool full;
		unsigned stall_ms, window_ms;
		const char *want;
	} cases[] = {
		{false, 100, 1000, "some 100000 1000000"},
		{true, 100, 1000, "full 100000 1000000"},
		{false, 150, 2000, "some 150000 2000000"},
		{true, 1000, 1000, "full 1000000 1000000"}, /* stall == window is allowed */
		{false, 1, 500, "some 1000 500000"},
		{true, 10000, 10000, "full 10000000 10000000"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct source *s;

		fake_kernel(ACCEPT_ALL);
		assert_int_equal(psi_source_open(path, cases[i].full, cases[i].stall_ms,
						 cases[i].window_ms, &s),
				 0);
		assert_int_equal(fake.n, 1);
		assert_trigger(0, cases[i].want);
		assert_int_equal(psi_source_window_ms(s), cases[i].window_ms);
		assert_int_equal(psi_source_stall_ms(s), cases[i].stall_ms);
		source_free(s);
	}
}

static void test_window_fallback(void **state)
{
	static const struct {
		enum fake_rule rule;
		bool full;
		unsigned stall_ms, window_ms;
		int ret;
		size_t writes;
		const char *first, *second;
		unsigned got_stall_ms, got_window_ms;
	} cases[] = {
		/* The 1 s default refused: 2 s, the stall scaled with it. */
		{REJECT_ODD_WINDOWS, false, 100, 1000, 0, 2, "some 100000 1000000",
		 "some 200000 2000000", 200, 2000},
		{REJECT_ODD_WINDOWS, true, 150, 1500, 0, 2, "full 150000 1500000",
		 "full 200000 2000000", 200, 2000},
		/* The next multiple of 2 s, not always 2 s; the scaled stall rounds down. */
		{REJECT_ODD_WINDOWS, false, 500, 3000, 0, 2, "some 500000 3000000",
		 "some 666000 4000000", 666, 4000},
		{REJECT_ODD_WINDOWS, false, 500, 500, 0, 2, "some 500000 500000",
		 "some 2000000 2000000", 2000, 2000},
		/* Already a multiple of 2 s: accepted once, nothing to widen. */
		{REJECT_ODD_WINDOWS, false, 100, 4000, 0, 1, "some 100000 4000000", NULL, 100, 4000},
		/* Refused either way: one retry, then the error. */
		{REJECT_ALL, false, 100, 1000, -EINVAL, 2, "some 100000 1000000",
		 "some 200000 2000000", 0, 0},
		/* A multiple of 2 s refused: no retry. */
		{REJECT_ALL, true, 100, 2000, -EINVAL, 1, "full 100000 2000000", NULL, 0, 0},
		/* Not a window problem: no retry. */
		{DENY_ALL, false, 100, 1000, -EPERM, 1, "some 100000 1000000", NULL, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct source *s = NULL;

		fake_kernel(cases[i].rule);
		assert_int_equal(psi_source_open(path, cases[i].full, cases[i].stall_ms,
						 cases[i].window_ms, &s),
				 cases[i].ret);
		assert_int_equal(fake.n, cases[i].writes);
		assert_trigger(0, cases[i].first);
		if (cases[i].second)
			assert_trigger(1, cases[i].second);
		if (cases[i].ret < 0) {
			assert_null(s);
			continue;
		}
		assert_int_equal(psi_source_window_ms(s), cases[i].got_window_ms);
		assert_int_equal(psi_source_stall_ms(s), cases[i].got_stall_ms);
		source_free(s);
	}
}

/* The widened trigger's threshold is the one events are measured against. */
static void test_fallback_threshold_counts(void **state)
{
	struct source *s;

	(void)state;
	fake_kernel(REJECT_ODD_WINDOWS);
	assert_int_equal(psi_source_open(path, true, 100, 1000, &s), 0);
	assert_int_equal(psi_source_stall_ms(s), 200);
	/* 150 ms would have been enough for the asked 100, not for the 200 granted. */
	write_totals(1000000, 650000);
	assert_int_equal(s->ops->read_event(s), 0);
	write_totals(1000000, 700000);
	assert_int_equal(s->ops->read_event(s), 1);
	source_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_only_real_stalls_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_some_trigger_and_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_threshold_counts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
