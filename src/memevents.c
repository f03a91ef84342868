/* SPDX-License-Identifier: MIT */
#include "memevents.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "sys.h"

struct events_source {
	struct source base;
	int fd;
};

static int events_fd(const struct source *s)
{
	return ((const struct events_source *)s)->fd;
}

/* Reading the file re-arms the notification (kernfs tracks what each open file has seen). */
static int events_read(struct source *s)
{
	char buf[512];
	ssize_t n = pread_str(((struct events_source *)s)->fd, buf, sizeof(buf));

	return n < 0 && n != -EOVERFLOW ? (int)n : 1;
}

static void events_free(struct source *s)
{
	safe_close(((struct events_source *)s)->fd);
	free(s);
}

static const struct source_ops events_ops = {
	.name = "memory.events",
	.poll_events = EPOLLPRI,
	.fd = events_fd,
	.read_event = events_read,
	.free = events_free,
};

int memevents_source_open(int dirfd, struct source **ret)
{
	struct events_source *e = calloc(1, sizeof(*e));
	char buf[512];

	if (!e)
		return -ENOMEM;
	e->base = (struct source){.ops = &events_ops, .signal = 0};
	e->fd = open_at(dirfd, "memory.events", O_RDONLY);
	if (e->fd < 0) {
		int r = e->fd;
		free(e);
		return r;
	}
	(void)pread_str(e->fd, buf, sizeof(buf));
	*ret = &e->base;
	return 0;
}
