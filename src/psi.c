/* SPDX-License-Identifier: MIT */
#include "psi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "decide.h"
#include "parse.h"
#include "sys.h"

struct psi_source {
	struct source base;
	int fd;
	bool full;
	unsigned stall_ms, window_ms;
	uint64_t base_total_usec; /* stall total at the last real event (or the trigger's start) */
	uint64_t base_usec;       /* when it was read */
};

static int psi_fd(const struct source *s)
{
	return ((const struct psi_source *)s)->fd;
}

/* Returns the some/full total stall time in the file, or -errno. */
static int read_total(struct psi_source *p, uint64_t *ret)
{
	char buf[256];
	struct psi_stats ps;
	ssize_t n = pread_str(p->fd, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (parse_psi(buf, &ps) < 0 || (p->full && !ps.has_full))
		return -EINVAL;
	*ret = p->full ? ps.full.total_usec : ps.some.total_usec;
	return 0;
}

/*
 * A new trigger's first events can fire after a few milliseconds of stall,
 * and an event may come while less than the threshold stalled since we last
 * acted.  So an event counts only when the stall total grew by at least the
 * trigger's threshold since the last real event; a base older than one
 * window is moved up, so small stalls cannot add up over minutes.
 */
static int psi_read_event(struct source *s)
{
	struct psi_source *p = (struct psi_source *)s;
	uint64_t total, now = now_usec();
	int r = read_total(p, &total);

	if (r < 0)
		return r;
	if (total >= p->base_total_usec + (uint64_t)p->stall_ms * USEC_PER_MSEC) {
		p->base_total_usec = total;
		p->base_usec = now;
		return 1;
	}
	if (now - p->base_usec > (uint64_t)p->window_ms * USEC_PER_MSEC) {
		p->base_total_usec = total;
		p->base_usec = now;
	}
	return 0;
}

static void psi_free(struct source *s)
{
	struct psi_source *p = (struct psi_source *)s;

	safe_close(p->fd);
	free(p);
}

static const struct source_ops psi_ops = {
	.name = "psi",
	.poll_events = EPOLLPRI,
	.fd = psi_fd,
	.read_event = psi_read_event,
	.free = psi_free,
};

/* Writes the trigger; the kernel wants the terminating NUL in the write. Returns 0 or -errno. */
static int write_trigger(int fd, bool full, unsigned stall_ms, unsigned window_ms)
{
	char buf[64];
	int len = snprintf(buf, sizeof(buf), "%s %llu %llu", full ? "full" : "some",
			   (unsigned long long)stall_ms * USEC_PER_MSEC,
			   (unsigned long long)window_ms * USEC_PER_MSEC);

	if (write(fd, buf, (size_t)len + 1) < 0)
		return -errno;
	return 0;
}

int psi_source_open(const char *path, bool full, unsigned stall_ms, unsigned window_ms,
		    struct source **ret)
{
	struct psi_source *p;
	int r;

	if (stall_ms == 0 || stall_ms > window_ms)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->base = (struct source){.ops = &psi_ops, .signal = full ? PRESSURE_PSI_FULL
								  : PRESSURE_PSI_SOME};
	p->full = full;
	p->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (p->fd < 0) {
		r = -errno;
		free(p);
		return r;
	}
	/* The base first: the stall total from before the trigger exists. */
	r = read_total(p, &p->base_total_usec);
	if (r < 0) {
		psi_free(&p->base);
		return r;
	}
	r = write_trigger(p->fd, full, stall_ms, window_ms);
	if (r == -EINVAL && window_ms % 2000 != 0) {
		unsigned wide = (window_ms + 1999) / 2000 * 2000;

		stall_ms = (unsigned)((unsigned long long)stall_ms * wide / window_ms);
		window_ms = wide;
		r = write_trigger(p->fd, full, stall_ms, window_ms);
	}
	if (r < 0) {
		psi_free(&p->base);
		return r;
	}
	p->base_usec = now_usec();
	p->stall_ms = stall_ms;
	p->window_ms = window_ms;
	*ret = &p->base;
	return 0;
}

unsigned psi_source_window_ms(const struct source *s)
{
	return ((const struct psi_source *)s)->window_ms;
}

unsigned psi_source_stall_ms(const struct source *s)
{
	return ((const struct psi_source *)s)->stall_ms;
}
