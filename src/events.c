/* SPDX-License-Identifier: MIT */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

#define LINE_MAX_LEN 2048

struct events {
	int fd;
	bool own_fd;
	char line[LINE_MAX_LEN];
};

int events_open(const char *path, struct events **ret)
{
	struct events *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	if (strcmp(path, "-") == 0) {
		e->fd = STDOUT_FILENO;
	} else {
		e->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (e->fd < 0) {
			int r = -errno;
			free(e);
			return r;
		}
		e->own_fd = true;
	}
	*ret = e;
	return 0;
}

void events_free(struct events *e)
{
	if (!e)
		return;
	if (e->own_fd)
		safe_close(e->fd);
	free(e);
}

struct out {
	char *buf;
	size_t len, pos;
	bool overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos)
		o->overflow = true;
	else
		o->pos += (size_t)n;
}

/* Process names are chosen by the process: escape everything JSON needs. */
static void put_json_string(struct out *o, const char *s)
{
	put(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(o, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			put(o, "\\u%04x", *p);
		else
			put(o, "%c", *p);
	}
	put(o, "\"");
}

static void put_ms(struct out *o, const char *key, int64_t usec)
{
	if (usec < 0)
		put(o, ",\"%s\":null", key);
	else
		put(o, ",\"%s\":%lld.%03lld", key, (long long)(usec / 1000), (long long)(usec % 1000));
}

int events_format(const struct kill_event *ev, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};
	time_t secs = (time_t)(ev->time_usec / USEC_PER_SEC);
	struct tm tm;
	char stamp[32];

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	put(&o, "{\"time\":\"%s.%03lluZ\",\"pid\":%d,\"comm\":", stamp,
	    (unsigned long long)(ev->time_usec % USEC_PER_SEC / 1000), (int)ev->pid);
	put_json_string(&o, ev->comm);
	put(&o, ",\"uid\":%u,\"oom_score_adj\":%d,\"effective_adj\":%d,\"reason\":",
	    (unsigned)ev->uid, ev->oom_score_adj, ev->effective_adj);
	put_json_string(&o, ev->reason);
	put(&o, ",\"scope\":");
	put_json_string(&o, ev->scope);
	put(&o, ",\"size_kib\":%llu,\"anon_kib\":%llu,\"target_kib\":%llu",
	    (unsigned long long)ev->size_kib, (unsigned long long)ev->anon_kib,
	    (unsigned long long)ev->target_kib);
	put(&o, ",\"dry_run\":%s,\"exited\":%s,\"reaped\":%s,\"thawed\":%s",
	    ev->dry_run ? "true" : "false", ev->exited ? "true" : "false",
	    ev->reaped ? "true" : "false", ev->thawed ? "true" : "false");
	if (ev->reap_error) {
		const char *name = strerrorname_np(-ev->reap_error);
		put(&o, ",\"reap_error\":");
		put_json_string(&o, name ? name : "unknown");
	} else {
		put(&o, ",\"reap_error\":null");
	}
	put_ms(&o, "kill_to_exit_ms", ev->kill_to_exit_usec);
	put_ms(&o, "reap_ms", ev->reap_usec);
	put(&o, ",\"reaped_kib\":%llu,\"freed_kib\":%llu", (unsigned long long)ev->reaped_kib,
	    (unsigned long long)ev->freed_kib);
	put_ms(&o, "scan_ms", (int64_t)ev->scan_usec);
	put(&o, ",\"scanned\":%zu}\n", ev->scanned);
	return o.overflow ? -ENOBUFS : (int)o.pos;
}

int events_write(struct events *e, const struct kill_event *ev)
{
	int n = events_format(ev, e->line, sizeof(e->line));
	ssize_t w;

	if (n < 0)
		return n;
	w = write(e->fd, e->line, (size_t)n);
	if (w < 0)
		return -errno;
	return w == n ? 0 : -EIO;
}
