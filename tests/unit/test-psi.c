/* SPDX-License-Identifier: MIT */
/* PSI triggers: the trigger string written, the window fallback, and which
 * wake-ups count as real stalls.  Against a regular file standing in for
 * /proc/pressure/memory (the kernel's file cannot be made to stall on cue). */
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
#include <unistd.h>

#include "decide.h"
#include "psi.h"

static char path[64];

static void write_totals(unsigned long long some, unsigned long long full)
{
	char buf[256];
	int fd = open(path, O_WRONLY | O_TRUNC);
	int n = snprintf(buf, sizeof(buf),
			 "some avg10=1.00 avg60=0.50 avg300=0.10 total=%llu\n"
			 "full avg10=0.50 avg60=0.20 avg300=0.05 total=%llu\n",
			 some, full);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, (size_t)n), n);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_only_real_stalls_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_some_trigger_and_bad_args, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
