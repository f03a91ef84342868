/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "parse.h"
#include "sys.h"

struct cg_event_source {
	struct source base;
	struct source_ops ops;
	int efd;
	int file_fd;
};

static int cg_event_fd(const struct source *s)
{
	return ((const struct cg_event_source *)s)->efd;
}

static int cg_event_read(struct source *s)
{
	struct cg_event_source *e = (struct cg_event_source *)s;
	uint64_t count;

	if (read(e->efd, &count, sizeof(count)) != sizeof(count))
		return errno == EAGAIN ? 0 : -errno;
	return 1;
}

static void cg_event_free(struct source *s)
{
	struct cg_event_source *e = (struct cg_event_source *)s;

	/* Closing the eventfd is what unregisters the notification. */
	safe_close(e->efd);
	safe_close(e->file_fd);
	free(e);
}

int cg_event_source_open(int dirfd, const char *file, const char *args, unsigned signal,
			 const char *name, struct source **ret)
{
	struct cg_event_source *e = calloc(1, sizeof(*e));
	char line[128];
	int r;

	if (!e)
		return -ENOMEM;
	e->ops = (struct source_ops){
		.name = name,
		.poll_events = EPOLLIN,
		.fd = cg_event_fd,
		.read_event = cg_event_read,
		.free = cg_event_free,
	};
	e->base = (struct source){.ops = &e->ops, .signal = signal};
	e->file_fd = -1;
	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->efd < 0) {
		r = -errno;
		goto fail;
	}
	e->file_fd = open_at(dirfd, file, O_RDONLY);
	if (e->file_fd < 0) {
		r = e->file_fd;
		goto fail;
	}
	snprintf(line, sizeof(line), "%d %d %s", e->efd, e->file_fd, args);
	r = write_at(dirfd, "cgroup.event_control", line);
	if (r < 0)
		goto fail;
	*ret = &e->base;
	return 0;
fail:
	cg_event_free(&e->base);
	return r;
}

static char *dup_if_exists(const char *root, const char *sub, const char *probe)
{
	char path[PATH_MAX];

	if (path_format(path, sizeof(path), "%s%s/%s", root, sub, probe) < 0 ||
	    access(path, F_OK) < 0)
		return NULL;
	path_format(path, sizeof(path), "%s%s", root, sub);
	return strdup(path);
}

int cgroup_roots_find(const char *cgroup_root, struct cgroup_roots *ret)
{
	struct cgroup_roots r = {0};

	r.freezer_v1 = dup_if_exists(cgroup_root, "/freezer", "cgroup.procs");
	/* A pure v2 system mounts cgroup2 at the root; a hybrid one at unified/. */
	r.unified = dup_if_exists(cgroup_root, "", "cgroup.controllers");
	if (!r.unified)
		r.unified = dup_if_exists(cgroup_root, "/unified", "cgroup.controllers");
	*ret = r;
	return 0;
}

void cgroup_roots_free(struct cgroup_roots *r)
{
	free(r->freezer_v1);
	free(r->unified);
	*r = (struct cgroup_roots){0};
}

/* Returns 1 when @root/@path/@file contains @word, 0 when not, -errno. */
static int is_frozen(const char *root, const char *path, const char *file, const char *word)
{
	char p[PATH_MAX], buf[512];
	ssize_t n;

	if (path_format(p, sizeof(p), "%s%s/%s", root, path, file) < 0)
		return -ENAMETOOLONG;
	n = read_at(AT_FDCWD, p, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return strstr(buf, word) != NULL;
}

/* Moves @pid to @root's top cgroup, else writes @thaw to its own @file. Returns 1 or -errno. */
static int thaw_in(const char *root, const char *path, pid_t pid, const char *file,
		   const char *thaw)
{
	char p[PATH_MAX], pidbuf[16];
	int r;

	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	if (path_format(p, sizeof(p), "%s/cgroup.procs", root) == 0 &&
	    write_at(AT_FDCWD, p, pidbuf) == 0)
		return 1;
	if (path_format(p, sizeof(p), "%s%s/%s", root, path, file) < 0)
		return -ENAMETOOLONG;
	r = write_at(AT_FDCWD, p, thaw);
	return r < 0 ? r : 1;
}

int cgroup_thaw_victim(const struct cgroup_roots *roots, int proc_fd, pid_t pid)
{
	char buf[4096], path[PATH_MAX], rel[32];
	int r, thawed = 0;

	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	if (read_at(proc_fd, rel, buf, sizeof(buf)) < 0)
		return -ESRCH;

	if (roots->freezer_v1 && parse_proc_cgroup(buf, "freezer", path, sizeof(path)) == 0 &&
	    strcmp(path, "/") != 0) {
		/* FREEZING counts too: the victim may already be stopped. */
		r = is_frozen(roots->freezer_v1, path, "freezer.state", "FR");
		if (r > 0) {
			r = thaw_in(roots->freezer_v1, path, pid, "freezer.state", "THAWED");
			if (r < 0)
				return r;
			thawed = 1;
		}
	}
	if (roots->unified && parse_proc_cgroup(buf, "", path, sizeof(path)) == 0 &&
	    strcmp(path, "/") != 0) {
		/* cgroup.events shows an inherited freeze; cgroup.freeze one still settling. */
		r = is_frozen(roots->unified, path, "cgroup.events", "frozen 1");
		if (r == 0)
			r = is_frozen(roots->unified, path, "cgroup.freeze", "1");
		if (r > 0) {
			r = thaw_in(roots->unified, path, pid, "cgroup.freeze", "0");
			if (r < 0)
				return r;
			thawed = 1;
		}
	}
	return thawed;
}
