/* SPDX-License-Identifier: MIT */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jsonw.h"
#include "log.h"
#include "sys.h"

#define LINE_MAX_LEN 2048
#define QUEUE_LEN    EVENTS_QUEUE_LEN
/* At exit, how long a file that takes nothing (a full FIFO) is waited for. */
#define FLUSH_USEC   USEC_PER_SEC
/* ...and how long the thread may take in all before it is cancelled (a blocking tty). */
#define JOIN_SEC     3

struct line {
	size_t len;
	char text[LINE_MAX_LEN];
};

struct events {
	int fd;
	bool own_fd;
	bool is_socket; /* send(MSG_DONTWAIT): a socket on stdout may be shared, its flags are not ours */
	pthread_t thread;
	bool started;
	int efd; /* wakes the thread */

	pthread_mutex_t lock; /* guards down to "the thread only" */
	bool stop;
	bool retired; /* the thread frees @e when done */
	size_t head, len;
	struct events_stats stats;
	struct line *queue;

	/* The thread only. */
	uint64_t dropped_reported;
	bool failing;
};

static void wake(struct events *e)
{
	uint64_t one = 1;
	ssize_t w = write(e->efd, &one, sizeof(one));

	(void)w; /* EAGAIN: the counter is saturated, the thread is awake anyway */
}

/* Returns whether the thread was asked to stop. */
static bool stopping(struct events *e)
{
	bool r;

	pthread_mutex_lock(&e->lock);
	r = e->stop;
	pthread_mutex_unlock(&e->lock);
	return r;
}

/*
 * One write attempt, the only place the thread may block (a tty, a block
 * device): cancellation is allowed here alone, for the last resort at exit.
 */
static ssize_t write_some(struct events *e, const char *p, size_t len)
{
	ssize_t w;
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	if (e->is_socket)
		w = send(e->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		w = write(e->fd, p, len);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	return w;
}

/*
 * Writes one line, waiting for a FIFO or socket that is full (never for
 * long once asked to stop).  Returns 0 or -errno (-ETIMEDOUT: stopping, and
 * the file took nothing for FLUSH_USEC).
 */
static int write_line(struct events *e, const struct line *l)
{
	uint64_t deadline = 0;
	size_t done = 0;

	while (done < l->len) {
		struct pollfd pfd[2] = {{.fd = e->fd, .events = POLLOUT}, {.fd = e->efd, .events = POLLIN}};
		ssize_t w = write_some(e, l->text + done, l->len - done);
		int timeout = -1;

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w == 0)
			return -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (!deadline && stopping(e))
			deadline = now_usec() + FLUSH_USEC;
		if (deadline) {
			uint64_t now = now_usec();

			if (now >= deadline)
				return -ETIMEDOUT;
			timeout = (int)((deadline - now) / USEC_PER_MSEC) + 1;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return -errno;
		if (pfd[1].revents & POLLIN) {
			uint64_t v;
			ssize_t rd = read(e->efd, &v, sizeof(v));
			(void)rd;
		}
	}
	return 0;
}

/* Warns about drops since the last look: at the first and then every 100th. */
static void report_drops(struct events *e, uint64_t dropped)
{
	if (dropped == e->dropped_reported)
		return;
	if (e->dropped_reported == 0 || dropped / 100 > e->dropped_reported / 100)
		log_warn("kill events are not keeping up: %llu dropped so far (%d waiting)",
			 (unsigned long long)dropped, QUEUE_LEN);
	e->dropped_reported = dropped;
}

static void free_events(struct events *e)
{
	if (e->own_fd)
		safe_close(e->fd);
	safe_close(e->efd);
	pthread_mutex_destroy(&e->lock);
	free(e->queue);
	free(e);
}

static void *events_thread(void *arg)
{
	struct events *e = arg;
	struct sched_param sp = {0};
	bool retired;
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	/* Started from the loop on reload, it would inherit real-time priority: not for file I/O. */
	pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
	for (;;) {
		struct pollfd pfd = {.fd = e->efd, .events = POLLIN};
		uint64_t dropped;
		size_t len;
		bool stop;
		int r;

		pthread_mutex_lock(&e->lock);
		stop = e->stop;
		len = e->len;
		dropped = e->stats.dropped;
		pthread_mutex_unlock(&e->lock);
		report_drops(e, dropped);
		if (len == 0) {
			if (stop)
				break;
			if (poll(&pfd, 1, -1) > 0) {
				uint64_t v;
				ssize_t rd = read(e->efd, &v, sizeof(v));
				(void)rd;
			}
			continue;
		}
		r = write_line(e, &e->queue[e->head]);
		if (r == -ETIMEDOUT) {
			pthread_mutex_lock(&e->lock);
			e->stats.failed += e->len;
			len = e->len;
			e->len = 0;
			pthread_mutex_unlock(&e->lock);
			log_warn("%zu kill event%s not written at exit: the events file took nothing "
				 "for a second", len, len == 1 ? "" : "s");
			break;
		}
		pthread_mutex_lock(&e->lock);
		if (r < 0)
			e->stats.failed++;
		else
			e->stats.written++;
		e->head = (e->head + 1) % QUEUE_LEN;
		e->len--;
		pthread_mutex_unlock(&e->lock);
		/* One warning per failure streak, not one per event. */
		if (r < 0 && !e->failing)
			log_warn_errno(r, "cannot write a kill event to the events file");
		else if (r == 0 && e->failing)
			log_info("kill events are written again");
		e->failing = r < 0;
	}
	pthread_mutex_lock(&e->lock);
	retired = e->retired;
	pthread_mutex_unlock(&e->lock);
	if (retired)
		free_events(e);
	return NULL;
}

/*
 * Opens the events file without ever waiting: a FIFO with no reader yet is
 * opened read-write (Linux allows it), so events wait in the pipe for a
 * consumer that comes later.  Returns the fd or -errno.
 */
static int open_file(const char *path)
{
	int flags = O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = open(path, O_WRONLY | flags, 0640);

	if (fd < 0 && errno == ENXIO)
		fd = open(path, O_RDWR | (flags & ~O_CREAT));
	return fd < 0 ? -errno : fd;
}

/*
 * Stdout is shared with whoever started reapd, so its flags stay as they
 * are.  A pipe on it is opened again, non-blocking, through /proc (a new
 * open file description of the same pipe); a socket is written with
 * MSG_DONTWAIT; anything else is written as it is.
 */
static int open_stdout(struct events *e)
{
	int fd = open_nonblocking_output(STDOUT_FILENO, &e->is_socket);

	if (fd < 0)
		return fd;
	e->fd = fd;
	e->own_fd = fd != STDOUT_FILENO;
	return 0;
}

int events_open(const char *path, struct events **ret)
{
	struct events *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	e->fd = e->efd = -1;
	pthread_mutex_init(&e->lock, NULL);
	if (strcmp(path, "-") == 0) {
		r = open_stdout(e);
	} else {
		r = e->fd = open_file(path);
		e->own_fd = r >= 0;
	}
	if (r < 0)
		goto fail;
	e->queue = calloc(QUEUE_LEN, sizeof(*e->queue));
	if (!e->queue) {
		r = -ENOMEM;
		goto fail;
	}
	/* Backed now: the first kill event must not take a page fault. */
	prefault(e->queue, QUEUE_LEN * sizeof(*e->queue));
	e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->efd < 0) {
		r = -errno;
		goto fail;
	}
	/* The thread takes no signals (SIGPIPE included): the loop handles them. */
	if ((r = sys_thread_start(&e->thread, 0, events_thread, e)) < 0)
		goto fail;
	e->started = true;
	*ret = e;
	return 0;
fail:
	free_events(e);
	return r;
}

/* Asks the thread to write what is queued and stop. */
static void ask_stop(struct events *e, bool retire)
{
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	e->retired = retire;
	pthread_mutex_unlock(&e->lock);
	wake(e);
}

void events_free(struct events *e)
{
	struct timespec ts;

	if (!e)
		return;
	if (!e->started) {
		free_events(e);
		return;
	}
	ask_stop(e, false);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += JOIN_SEC;
	if (pthread_timedjoin_np(e->thread, NULL, &ts) != 0) {
		/* Stuck in a write that blocks (a tty on hold): that line is lost. */
		size_t left;

		pthread_mutex_lock(&e->lock);
		left = e->len;
		pthread_mutex_unlock(&e->lock);
		log_warn("the events file blocks; %zu kill event%s not written at exit", left,
			 left == 1 ? "" : "s");
		pthread_cancel(e->thread);
		pthread_join(e->thread, NULL);
	}
	free_events(e);
}

void events_retire(struct events *e)
{
	if (!e)
		return;
	if (!e->started) {
		free_events(e);
		return;
	}
	pthread_detach(e->thread);
	ask_stop(e, true);
}

void events_stats(struct events *e, struct events_stats *ret)
{
	pthread_mutex_lock(&e->lock);
	*ret = e->stats;
	pthread_mutex_unlock(&e->lock);
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
	jsonw_kv_bool(w, "boosted", ev->boosted);
	jsonw_kv_uint(w, "boosted_threads", ev->boost_threads);
	jsonw_kv_bool(w, "cpu_limit_lifted", ev->cpu_limit_lifted);
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
	jsonw_kv_string(w, "cgroup_preference", ev->cgroup_preference ? ev->cgroup_preference : "none");
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
	struct line *l;
	int n;

	pthread_mutex_lock(&e->lock);
	if (e->len == QUEUE_LEN) {
		/* Never waited for: the thread reports drops. */
		e->stats.dropped++;
		pthread_mutex_unlock(&e->lock);
		wake(e);
		return -ENOBUFS;
	}
	/* The slot past the queue's end is the loop's until len counts it. */
	l = &e->queue[(e->head + e->len) % QUEUE_LEN];
	pthread_mutex_unlock(&e->lock);
	n = events_format(ev, l->text, sizeof(l->text));
	if (n < 0)
		return -EMSGSIZE;
	l->len = (size_t)n;
	pthread_mutex_lock(&e->lock);
	e->len++;
	pthread_mutex_unlock(&e->lock);
	wake(e);
	return 0;
}
