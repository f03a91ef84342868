/* SPDX-License-Identifier: MIT */
#include "holdline.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "sys.h"

#define MIB (1024ULL * 1024)
#define HOLDER_STACK (128 * 1024)

struct holdline {
	int dirfd;   /* the cgroup (not owned) */
	int high_fd; /* its memory.high, for reading */
	char *name;
	pthread_t thread;
	pthread_mutex_t lock; /* guards everything down to "thread only" */
	pthread_cond_t cond;
	uint64_t want; /* the limit a hold is asked at; 0: released */
	bool stop;
	struct holdline_stats stats;
	/* Thread only: */
	uint64_t done;          /* the last want acted on, whatever came of it */
	uint64_t applied_limit; /* the limit the hold in force was asked at; 0: none */
	uint64_t applied;       /* what memory.high was set to */
	char old[32];           /* what it said before ("max" or bytes) */
};

uint64_t holdline_high_bytes(uint64_t limit_bytes)
{
	uint64_t margin = limit_bytes / 32;

	if (margin < 4 * MIB)
		margin = 4 * MIB;
	if (margin > 64 * MIB)
		margin = 64 * MIB;
	return limit_bytes > 2 * margin ? limit_bytes - margin : limit_bytes / 2;
}

/* Reads memory.high into @buf without its newline; parses it into *@ret. Returns 0 or -errno. */
static int read_high(struct holdline *h, char *buf, size_t len, uint64_t *ret)
{
	ssize_t n = pread_str(h->high_fd, buf, len);
	int r;

	if (n < 0)
		return (int)n;
	if ((r = parse_cgroup_value(buf, ret)) < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Opened for each write, as a shell's "echo > memory.high" does (O_TRUNC is
 * nothing to cgroupfs, and keeps a test's plain file exact): this thread is
 * not on the path from a pressure event to the signal.
 */
static int write_high(struct holdline *h, const char *value)
{
	size_t len = strlen(value);
	int fd = openat(h->dirfd, "memory.high", O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;
	int r;

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	r = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return r;
}

static void note_error(struct holdline *h, int r)
{
	pthread_mutex_lock(&h->lock);
	h->stats.last_error = r;
	pthread_mutex_unlock(&h->lock);
}

/* Thread: memory.high at what @limit asks for, the old value saved first. */
static void apply_hold(struct holdline *h, uint64_t limit)
{
	uint64_t high = holdline_high_bytes(limit), cur;
	char value[32];
	int r;

	if (!h->applied_limit) {
		if ((r = read_high(h, h->old, sizeof(h->old), &cur)) < 0) {
			log_warn_errno(r, "hold the line: cannot read %s/memory.high", h->name);
			note_error(h, r);
			return;
		}
		/* Never looser than what was there: a lower memory.high stays. */
		if (cur <= high) {
			h->applied_limit = limit;
			h->applied = 0;
			return;
		}
		/* Saved where a restart finds it, before anything changes. */
		if (fsetxattr(h->dirfd, HOLDLINE_XATTR, h->old, strlen(h->old), 0) < 0)
			log_warn_errno(-errno, "hold the line: cannot keep memory.high's value in "
				       "%s's " HOLDLINE_XATTR " (a crash would leave the hold)",
				       h->name);
	} else if (h->applied == high || !h->applied) {
		h->applied_limit = limit;
		return;
	}
	snprintf(value, sizeof(value), "%llu", (unsigned long long)high);
	/* May reclaim down to @high here, in this thread: the loop does not wait. */
	if ((r = write_high(h, value)) < 0) {
		log_warn_errno(r, "hold the line: cannot write %s to %s/memory.high", value, h->name);
		note_error(h, r);
		if (!h->applied)
			(void)fremovexattr(h->dirfd, HOLDLINE_XATTR);
		return;
	}
	h->applied_limit = limit;
	h->applied = high;
	pthread_mutex_lock(&h->lock);
	h->stats.holds++;
	h->stats.held = true;
	h->stats.held_bytes = high;
	pthread_mutex_unlock(&h->lock);
	log_debug("hold the line: %s/memory.high %s -> %s", h->name, h->old, value);
}

/* Thread: the old value back, unless someone else has written memory.high since. */
static void release(struct holdline *h)
{
	char buf[32];
	uint64_t cur;
	int r;

	if (h->applied) {
		r = read_high(h, buf, sizeof(buf), &cur);
		if (r == 0 && cur != h->applied)
			log_info("hold the line: %s/memory.high was changed to %s meanwhile; left so",
				 h->name, buf);
		else if ((r = write_high(h, h->old)) < 0) {
			log_warn_errno(r, "hold the line: cannot put %s/memory.high back to %s",
				       h->name, h->old);
			note_error(h, r);
			return; /* the xattr stays: the next start tries again */
		}
		(void)fremovexattr(h->dirfd, HOLDLINE_XATTR);
		pthread_mutex_lock(&h->lock);
		h->stats.releases++;
		h->stats.held = false;
		h->stats.held_bytes = 0;
		pthread_mutex_unlock(&h->lock);
		log_debug("hold the line: %s/memory.high back to %s", h->name, h->old);
	}
	h->applied_limit = 0;
	h->applied = 0;
}

static void *holder_main(void *arg)
{
	struct holdline *h = arg;

	for (;;) {
		uint64_t want;
		bool stop;

		pthread_mutex_lock(&h->lock);
		/* A write that failed is not retried until the loop asks again. */
		while (!h->stop && h->want == h->done)
			pthread_cond_wait(&h->cond, &h->lock);
		want = h->want;
		stop = h->stop;
		pthread_mutex_unlock(&h->lock);
		h->done = want;
		if (stop) {
			release(h);
			return NULL;
		}
		if (want)
			apply_hold(h, want);
		else
			release(h);
	}
}

/* What a reapd that died holding the line left: its saved value goes back. */
static void restore_left_hold(struct holdline *h)
{
	char saved[32], cur[32];
	uint64_t v, now;
	ssize_t n = fgetxattr(h->dirfd, HOLDLINE_XATTR, saved, sizeof(saved) - 1);
	int r;

	if (n < 0)
		return;
	saved[n] = '\0';
	if (parse_cgroup_value(saved, &v) < 0) {
		log_warn("hold the line: %s's " HOLDLINE_XATTR " holds no value ('%s'): removed",
			 h->name, saved);
	} else if (read_high(h, cur, sizeof(cur), &now) == 0 && now == v) {
		/* Already back (the crash came after the write). */
	} else if ((r = write_high(h, saved)) < 0) {
		log_warn_errno(r, "hold the line: cannot put back %s/memory.high = %s, left held "
			       "by an earlier run", h->name, saved);
		return;
	} else {
		log_warn("hold the line: %s/memory.high was still held by a reapd that did not "
			 "finish; put back to %s", h->name, saved);
	}
	(void)fremovexattr(h->dirfd, HOLDLINE_XATTR);
}

int holdline_restore(int dirfd, const char *name)
{
	struct holdline h = {.dirfd = dirfd, .name = (char *)name};

	h.high_fd = open_at(dirfd, "memory.high", O_RDONLY);
	if (h.high_fd < 0)
		return h.high_fd;
	restore_left_hold(&h);
	safe_close(h.high_fd);
	return 0;
}

int holdline_new(int dirfd, const char *name, struct holdline **ret)
{
	struct holdline *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->dirfd = dirfd;
	h->name = strdup(name);
	h->high_fd = open_at(dirfd, "memory.high", O_RDONLY);
	if (!h->name || h->high_fd < 0) {
		r = h->name ? h->high_fd : -ENOMEM;
		goto fail;
	}
	restore_left_hold(h);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	/* No signals (a SIGTERM here would end reapd holding the line), a small stack. */
	if ((r = sys_thread_start(&h->thread, HOLDER_STACK, holder_main, h)) < 0) {
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->lock);
		goto fail;
	}
	*ret = h;
	return 0;
fail:
	safe_close(h->high_fd);
	free(h->name);
	free(h);
	return r;
}

void holdline_free(struct holdline *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	safe_close(h->high_fd);
	free(h->name);
	free(h);
}

static void ask(struct holdline *h, uint64_t limit)
{
	pthread_mutex_lock(&h->lock);
	if (h->want != limit) {
		h->want = limit;
		pthread_cond_signal(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
}

void holdline_hold(struct holdline *h, uint64_t limit_bytes)
{
	if (limit_bytes)
		ask(h, limit_bytes);
}

void holdline_release(struct holdline *h)
{
	ask(h, 0);
}

void holdline_stats(struct holdline *h, struct holdline_stats *ret)
{
	pthread_mutex_lock(&h->lock);
	*ret = h->stats;
	pthread_mutex_unlock(&h->lock);
}
