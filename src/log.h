/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One place for log output.  Lines are formatted into a fixed buffer on the
 * stack and written with a single write(2), so logging never allocates and
 * lines from the reaper threads do not interleave.
 */

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Sets the most verbose level that is printed (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);

/* Returns true when messages at @level are printed. */
bool log_enabled(enum log_level level);

/* Sets the fd log lines go to (default 2). */
void log_set_fd(int fd);

/*
 * Makes writes to the log fd never block the caller (the event loop logs
 * its kills): stderr on a pipe is reopened non-blocking, on a socket (a
 * journald stream) written with MSG_DONTWAIT; see open_nonblocking_output().
 * A line that does not fit at once is dropped.  Returns 0 or -errno.
 */
int log_never_block(void);

/*
 * Sends log lines to the syslog socket at @path (e.g. /dev/log, which
 * journald also serves) as "<priority>reapd[pid]: message", facility daemon.
 * Sends never block: a line the socket cannot take at once is written to the
 * fd instead.  Returns 0 or -errno (lines then keep going to the fd).
 */
int log_open_syslog(const char *path);

/* Stops using syslog and closes its socket. */
void log_close_syslog(void);

/*
 * Copies the @len bytes at @src to @dst (size @size, NUL-terminated) with
 * control bytes escaped: \n, \t, \r, and \xNN for the other bytes
 * below 0x20, 0x7f, the C1 controls and bytes that are not UTF-8; printable
 * UTF-8 passes.  Stops before an escape or a character that does not fit.
 * Returns the length written.
 */
size_t log_escape(const char *src, size_t len, char *dst, size_t size);

/*
 * Prints one line at @level, prefixed with the level's name; the formatted
 * message goes through log_escape(), so a name holding a newline or a
 * terminal escape can neither split the line nor reach the terminal.  When @err is
 * non-zero (a negative errno), ": <strerror>" is appended.  Returns @err.
 */
int log_full(enum log_level level, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) ((void)log_full(LOG_LEVEL_ERROR, 0, __VA_ARGS__))
#define log_warn(...)  ((void)log_full(LOG_LEVEL_WARN, 0, __VA_ARGS__))
#define log_info(...)  ((void)log_full(LOG_LEVEL_INFO, 0, __VA_ARGS__))
#define log_debug(...)                                                                             \
	(log_enabled(LOG_LEVEL_DEBUG) ? (void)log_full(LOG_LEVEL_DEBUG, 0, __VA_ARGS__) : (void)0)

/* These return @r (a negative errno) so callers can write "return log_error_errno(r, ...)". */
#define log_error_errno(r, ...) log_full(LOG_LEVEL_ERROR, (r), __VA_ARGS__)
#define log_warn_errno(r, ...)  log_full(LOG_LEVEL_WARN, (r), __VA_ARGS__)
#define log_debug_errno(r, ...) log_full(LOG_LEVEL_DEBUG, (r), __VA_ARGS__)
