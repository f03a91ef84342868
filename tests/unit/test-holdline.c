/* SPDX-License-Identifier: MIT */
/*
 * Holding the line (src/holdline.c) on a stand-in cgroup directory: the hold
 * and its release, the old value kept in the xattr while it lasts, a lower
 * memory.high left alone, someone else's write left alone, a hold left by a
 * run that crashed put back at the next start, and a junk xattr.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "holdline.h"
#include "tree.h"

#define MIB (1024ULL * 1024)

struct cg {
	char dir[PATH_MAX];
	int fd;
};

static void cg_make(struct cg *c, const char *high)
{
	tree_make(c->dir, sizeof(c->dir));
	tree_put(c->dir, "memory.high", high);
	c->fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(c->fd >= 0);
}

static void cg_remove(struct cg *c)
{
	close(c->fd);
	tree_remove(c->dir);
}

/* The xattr's value, or "" when there is none. */
static const char *saved(struct cg *c)
{
	static char buf[64];
	ssize_t n = fgetxattr(c->fd, HOLDLINE_XATTR, buf, sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Waits (up to 10 s) until the thread has done @holds holds and @releases releases. */
static void wait_for(struct holdline *h, unsigned long holds, unsigned long releases)
{
	struct holdline_stats st;

	for (int i = 0; i < 10000; i++) {
		holdline_stats(h, &st);
		if (st.holds == holds && st.releases == releases)
			return;
		sleep_ms(1);
	}
	fail_msg("holds %lu releases %lu, waited for %lu %lu", st.holds, st.releases, holds,
		 releases);
}

static bool have_user_xattrs(void)
{
	struct cg c;
	bool ok;

	cg_make(&c, "max\n");
	ok = fsetxattr(c.fd, "user.reapd.probe", "1", 1, 0) == 0;
	cg_remove(&c);
	return ok;
}

/* True when every thread of this process but the caller blocks SIGTERM. */
static bool others_block_sigterm(void)
{
	char path[64], line[256];
	int tids = 0;
	pid_t self = (pid_t)syscall(SYS_gettid);

	for (pid_t tid = getpid(); tid < getpid() + 4096; tid++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
		if (tid == self || !(f = fopen(path, "r")))
			continue;
		tids++;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long blk;

			if (sscanf(line, "SigBlk: %llx", &blk) == 1 && !(blk & (1ULL << (SIGTERM - 1)))) {
				fclose(f);
				return false;
			}
		}
		fclose(f);
	}
	return tids > 0;
}

static void test_margin(void **state)
{
	(void)state;
	/* 1/32 of the limit, 4 to 64 MiB. */
	assert_int_equal(holdline_high_bytes(512 * MIB), 496 * MIB);
	assert_int_equal(holdline_high_bytes(64 * MIB), 60 * MIB);
	assert_int_equal(holdline_high_bytes(8192 * MIB), 8128 * MIB);
	/* A scope smaller than twice the margin: half of it. */
	assert_int_equal(holdline_high_bytes(6 * MIB), 3 * MIB);
}

static void test_hold_and_release(void **state)
{
	struct holdline *h = NULL;
	struct holdline_stats st;
	struct cg c;

	(void)state;
	if (!have_user_xattrs())
		skip();
	cg_make(&c, "max\n");
	assert_int_equal(holdline_new(c.fd, c.dir, &h), 0);
	/* Its thread takes no signals (a SIGTERM there would end reapd holding the line). */
	assert_true(others_block_sigterm());
	holdline_hold(h, 512 * MIB);
	wait_for(h, 1, 0);
	tree_assert("held", c.dir, "memory.high", "520093696");
	assert_string_equal(saved(&c), "max");
	holdline_stats(h, &st);
	assert_true(st.held);
	assert_int_equal(st.held_bytes, 496 * MIB);
	/* Asking again changes nothing. */
	holdline_hold(h, 512 * MIB);
	holdline_release(h);
	wait_for(h, 1, 1);
	tree_assert("released", c.dir, "memory.high", "max");
	assert_string_equal(saved(&c), "");
	/* Releasing with no hold on writes nothing. */
	holdline_release(h);

	/* A hold when reapd exits is undone by holdline_free(). */
	tree_put(c.dir, "memory.high", "1073741824\n");
	holdline_hold(h, 512 * MIB);
	wait_for(h, 2, 1);
	tree_assert("held again", c.dir, "memory.high", "520093696");
	assert_string_equal(saved(&c), "1073741824");
	holdline_free(h);
	tree_assert("freed", c.dir, "memory.high", "1073741824");
	assert_string_equal(saved(&c), "");
	cg_remove(&c);
}

static void test_lower_and_foreign_values(void **state)
{
	struct holdline *h = NULL;
	struct cg c;

	(void)state;
	if (!have_user_xattrs())
		skip();
	/* memory.high already below what a hold would set: left as it is. */
	cg_make(&c, "104857600\n");
	assert_int_equal(holdline_new(c.fd, c.dir, &h), 0);
	holdline_hold(h, 512 * MIB);
	holdline_release(h);
	holdline_hold(h, 512 * MIB);
	holdline_free(h); /* joins: whatever the thread did is done */
	tree_assert("lower", c.dir, "memory.high", "104857600\n");
	assert_string_equal(saved(&c), "");

	/* Someone writes memory.high during the hold: theirs stays. */
	tree_put(c.dir, "memory.high", "max\n");
	assert_int_equal(holdline_new(c.fd, c.dir, &h), 0);
	holdline_hold(h, 512 * MIB);
	wait_for(h, 1, 0);
	tree_put(c.dir, "memory.high", "300000000\n");
	holdline_release(h);
	wait_for(h, 1, 1);
	tree_assert("theirs", c.dir, "memory.high", "300000000\n");
	assert_string_equal(saved(&c), "");
	holdline_free(h);
	cg_remove(&c);
}

static void test_restore_at_start(void **state)
{
	struct holdline *h = NULL;
	struct cg c;

	(void)state;
	if (!have_user_xattrs())
		skip();
	/* A run that crashed holding the line left 496 MiB and the xattr. */
	cg_make(&c, "520093696\n");
	assert_int_equal(fsetxattr(c.fd, HOLDLINE_XATTR, "max", 3, 0), 0);
	assert_int_equal(holdline_new(c.fd, c.dir, &h), 0);
	tree_assert("restored", c.dir, "memory.high", "max");
	assert_string_equal(saved(&c), "");
	holdline_free(h);

	/* With the hold off now, the same. */
	tree_put(c.dir, "memory.high", "520093696\n");
	assert_int_equal(fsetxattr(c.fd, HOLDLINE_XATTR, "2147483648", 10, 0), 0);
	assert_int_equal(holdline_restore(c.fd, c.dir), 0);
	tree_assert("restored, off", c.dir, "memory.high", "2147483648");
	assert_string_equal(saved(&c), "");

	/* A junk xattr: removed, memory.high untouched. */
	assert_int_equal(fsetxattr(c.fd, HOLDLINE_XATTR, "12abc", 5, 0), 0);
	assert_int_equal(holdline_restore(c.fd, c.dir), 0);
	tree_assert("junk", c.dir, "memory.high", "2147483648");
	assert_string_equal(saved(&c), "");

	/* No memory.high at all (cgroup v1). */
	tree_put(c.dir, "sub/", NULL);
	{
		char sub[PATH_MAX + 8];
		int fd;

		snprintf(sub, sizeof(sub), "%s/sub", c.dir);
		fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(holdline_restore(fd, sub), -ENOENT);
		assert_int_equal(holdline_new(fd, sub, &h), -ENOENT);
		close(fd);
	}
	cg_remove(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_margin),
		cmocka_unit_test(test_hold_and_release),
		cmocka_unit_test(test_lower_and_foreign_values),
		cmocka_unit_test(test_restore_at_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
