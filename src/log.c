/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

/* Atomic: a reload sets it on the loop thread while the watchdog and reaper threads log. */
static enum log_level max_level = LOG_LEVEL_INFO;
static int log_fd = 2;
static int syslog_fd = -1;
static struct sockaddr_un syslog_addr;
static socklen_t syslog_addr_len;

void log_set_level(enum log_level level)
{
	__atomic_store_n(&max_level, level, __ATOMIC_RELAXED);
}

bool log_enabled(enum log_level level)
{
	return level <= __atomic_load_n(&max_level, __ATOMIC_RELAXED);
}

void log_set_fd(int fd)
{
	log_fd = fd;
}

int log_open_syslog(const char *path)
{
	size_t len = strlen(path);
	int fd, r;

	if (len >= sizeof(syslog_addr.sun_path))
		return -ENAMETOOLONG;
	syslog_addr = (struct sockaddr_un){.sun_family = AF_UNIX};
	memcpy(syslog_addr.sun_path, path, len + 1);
	syslog_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&syslog_addr, syslog_addr_len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	log_close_syslog();
	syslog_fd = fd;
	return 0;
}

void log_close_syslog(void)
{
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = -1;
}

/* Sends one line (without its newline) to syslog. Returns true if it went. */
static bool send_syslog(enum log_level level, const char *msg, size_t len)
{
	char line[1100];
	int n;

	n = snprintf(line, sizeof(line), "<%d>reapd[%d]: %.*s", LOG_DAEMON | (int)level,
		     (int)getpid(), (int)len, msg);
	if (n <= 0)
		return false;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (send(syslog_fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
		return true;
	/* The syslog daemon restarted: its socket is a new one. Connect again, once. */
	if ((errno == ECONNREFUSED || errno == ENOTCONN) &&
	    connect(syslog_fd, (struct sockaddr *)&syslog_addr, syslog_addr_len) == 0)
		return send(syslog_fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n;
	return false;
}

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARN:
		return "warning";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "?";
}

int log_full(enum log_level level, int err, const char *fmt, ...)
{
	char line[1024];
	size_t len, prefix;
	int n;
	va_list ap;

	if (!log_enabled(level))
		return err;

	n = snprintf(line, sizeof(line), "reapd: %s: ", level_name(level));
	len = n > 0 ? (size_t)n : 0;
	prefix = len;

	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;

	if (err != 0) {
		/* strerrordesc_np never allocates, unlike strerror for unknown codes. */
		const char *desc = strerrordesc_np(-err);
		n = snprintf(line + len, sizeof(line) - len, ": %s", desc ? desc : "unknown error");
		if (n > 0)
			len += (size_t)n;
		if (len > sizeof(line) - 2)
			len = sizeof(line) - 2;
	}
	if (syslog_fd >= 0 && send_syslog(level, line + prefix, len - prefix))
		return err;
	line[len++] = '\n';

	/* One write per line; a short write on a full pipe is dropped, not retried. */
	ssize_t w = write(log_fd, line, len);
	(void)w;
	return err;
}
