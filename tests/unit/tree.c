/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tree_make(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/reapd-test-tree-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

void tree_put(const char *dir, const char *rel, const char *content)
{
	char p[PATH_MAX];
	size_t len = strlen(rel);

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	/* Parents first. */
	for (char *s = strchr(p + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (rel[len - 1] == '/')
		return;
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

void tree_assert(const char *name, const char *dir, const char *rel, const char *want)
{
	char p[PATH_MAX], buf[256];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s: %s: %s", name, rel, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	if (strcmp(buf, want) != 0)
		fail_msg("%s: %s holds \"%s\", not \"%s\"", name, rel, buf, want);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void tree_long_cgroup_line(char *buf, size_t len, const char *prefix)
{
	size_t n = (size_t)snprintf(buf, len, "%s", prefix);

	while (n < len - 16)
		n += (size_t)snprintf(buf + n, len - n, "/aaaaaaaaaaaaaaa");
	snprintf(buf + n, len - n, "\n");
}

void tree_remove(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}
