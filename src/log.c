/* SPDX-License-Identifier: MIT */
#include "log.h"
#include "sys.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

/* Atomic: a reload sets it on the loop thread while the watchdog and reaper threads log. */
static enum log_level max_level = LOG_LEVEL_INFO;
static int log_fd = 2;
static bool log_fd_is_socket; /* a journald stream: send(MSG_DONTWAIT) */
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
	log_fd_is_socket = false;
}

int log_never_block(void)
{
	bool sock;
	int fd = open_nonblocking_output(log_fd, &sock);

	if (fd < 0)
		return fd;
	log_fd = fd;
	log_fd_is_socket = sock;
	return 0;
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
	char line[2200];
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

/*
 * Returns the length (2-4) of the valid UTF-8 sequence at @p, which has @n
 * bytes, if it encodes a printable character: 0 for a byte that starts no
 * valid sequence (overlong forms and surrogates included) and for the C1
 * controls U+0080-U+009F, which some terminals obey as escapes.
 */
static size_t utf8_printable(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	uint32_t cp;

	if (len == 0 || len > n || p[0] > 0xf4)
		return 0;
	cp = p[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if (cp < 0xa0 || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t log_escape(const char *src, size_t len, char *dst, size_t size)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t out = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < len;) {
		char esc[5];
		size_t n = 1;
		const char *piece = esc;

		if (p[i] == '\n' || p[i] == '\t' || p[i] == '\r') {
			esc[0] = '\\';
			esc[1] = p[i] == '\n' ? 'n' : p[i] == '\t' ? 't' : 'r';
			n = 2;
		} else if (p[i] < 0x20 || p[i] == 0x7f || (p[i] >= 0x80 && !utf8_printable(p + i, len - i))) {
			static const char hex[] = "0123456789abcdef";

			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[p[i] >> 4];
			esc[3] = hex[p[i] & 15];
			n = 4;
		} else {
			piece = src + i;
			n = p[i] < 0x80 ? 1 : utf8_printable(p + i, len - i);
		}
		/* Never half an escape or half a character. */
		if (out + n >= size)
			break;
		memcpy(dst + out, piece, n);
		out += n;
		i += piece == esc ? 1 : n;
	}
	dst[out] = '\0';
	return out;
}

int log_full(enum log_level level, int err, const char *fmt, ...)
{
	char msg[1024], line[2048];
	size_t len, prefix;
	int n;
	va_list ap;

	if (!log_enabled(level))
		return err;

	n = snprintf(line, sizeof(line), "reapd: %s: ", level_name(level));
	len = n > 0 ? (size_t)n : 0;
	prefix = len;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/*
	 * Names and paths in a message are chosen by others: a newline would
	 * forge a second line, an ESC drive the terminal.  Escaped here, once,
	 * so every line is one line of printable text.
	 */
	if (n > 0)
		len += log_escape(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1,
				  line + len, sizeof(line) - 1 - len);

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

	/*
	 * One write per line, never waiting: a line a full pipe or socket cannot
	 * take at once is dropped, not retried (see log_never_block()).
	 */
	ssize_t w = log_fd_is_socket ? send(log_fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL)
				     : write(log_fd, line, len);
	(void)w;
	return err;
}
