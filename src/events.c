/* SPDX-License-Identifier: MIT */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsonw.h"
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

/* Writes @ev's fields into the object @w has open. */
void events_put_fields(struct jsonw *w, const struct kill_event *ev)
{
	time_t secs = (time_t)(ev->time_usec / USEC_PER_SEC);
	struct tm tm;
	char stamp[48];

	gmtime_r(&secs, &tm);
	strftime(stamp, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03lluZ",
		 (unsigned long long)(ev->time_usec % USEC_PER_SEC / 1000));
	jsonw_kv_string(w, "time", stamp);
	jsonw_kv_int(w, "pid", ev->pid);
	jsonw_kv_string(w, "comm", ev->comm);
	jsonw_kv_uint(w, "uid", ev->uid);
	jsonw_kv_int(w, "oom_score_adj", ev->oom_score_adj);
	jsonw_kv_int(w, "effective_adj", ev->effective_adj);
	jsonw_kv_string(w, "reason", ev->reason);
	jsonw_kv_string(w, "scope", ev->scope);
	jsonw_kv_uint(w, "size_kib", ev->size_kib);
	jsonw_kv_uint(w, "anon_kib", ev->anon_kib);
	/* size_kib is the estimate of what the death frees; freed_kib what it did. */
	jsonw_kv_uint(w, "estimated_kib", ev->size_kib);
	jsonw_kv_uint(w, "shmem_kib", ev->shmem_kib);
	jsonw_kv_uint(w, "target_kib", ev->target_kib);
	jsonw_kv_bool(w, "dry_run", ev->dry_run);
	jsonw_kv_bool(w, "exited", ev->exited);
	jsonw_kv_bool(w, "reaped", ev->reaped);
	jsonw_kv_bool(w, "thawed", ev->thawed);
	jsonw_key(w, "reap_error");
	if (ev->reap_error) {
		const char *name = strerrorname_np(-ev->reap_error);
		jsonw_string(w, name ? name : "unknown");
	} else {
		jsonw_null(w);
	}
	jsonw_kv_ms(w, "kill_to_exit_ms", ev->kill_to_exit_usec);
	jsonw_kv_ms(w, "reap_ms", ev->reap_usec);
	jsonw_kv_uint(w, "reaped_kib", ev->reaped_kib);
	jsonw_kv_uint(w, "freed_kib", ev->freed_kib);
	jsonw_kv_ms(w, "scan_ms", (int64_t)ev->scan_usec);
	jsonw_kv_uint(w, "scanned", ev->scanned);
	jsonw_kv_bool(w, "watchdog", ev->watchdog);
}

int events_format(const struct kill_event *ev, char *buf, size_t len)
{
	struct jsonw w;
	int n;

	if (len < 2)
		return -ENOBUFS;
	/* Room for the newline. */
	jsonw_init(&w, buf, len - 1);
	jsonw_object_begin(&w);
	events_put_fields(&w, ev);
	jsonw_object_end(&w);
	n = jsonw_finish(&w);
	if (n < 0)
		return n;
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
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
