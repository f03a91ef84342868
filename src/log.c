/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static int log_fd = 2;

void log_set_level(enum log_level level)
{
	max_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= max_level;
}

void log_set_fd(int fd)
{
	log_fd = fd;
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
	size_t len;
	int n;
	va_list ap;

	if (!log_enabled(level))
		return err;

	n = snprintf(line, sizeof(line), "reapd: %s: ", level_name(level));
	len = n > 0 ? (size_t)n : 0;

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
	line[len++] = '\n';

	/* One write per line; a short write on a full pipe is dropped, not retried. */
	ssize_t w = write(log_fd, line, len);
	(void)w;
	return err;
}
