/* SPDX-License-Identifier: MIT */
#include "cgevent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "decide.h"
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

/*
 * Registers a notification: an eventfd is signalled per
 * "<eventfd> <fd of @file> @args" written to @dirfd's cgroup.event_control.
 * The source raises @signal on each event.  Returns 0 or -errno.
 */
static int cg_event_open(int dirfd, const char *file, const char *args, unsigned signal,
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

int cg_event_vmpressure_open(int dirfd, const char *level, const char *mode, struct source **ret)
{
	char args[64];
	unsigned signal = strcmp(level, "critical") == 0 ? PRESSURE_VMPRESSURE_CRITICAL : 0;

	snprintf(args, sizeof(args), "%s,%s", level, mode);
	return cg_event_open(dirfd, "memory.pressure_level", args, signal, "vmpressure", ret);
}

int cg_event_threshold_open(int dirfd, uint64_t bytes, struct source **ret)
{
	char args[32];

	snprintf(args, sizeof(args), "%llu", (unsigned long long)bytes);
	return cg_event_open(dirfd, "memory.usage_in_bytes", args, 0, "threshold", ret);
}
