/* SPDX-License-Identifier: MIT */
#pragma once

/* Appending formatted text to a caller's fixed buffer, never past its end. */

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len, pos;
	bool overflow; /* something did not fit; the rest was dropped */
};

/* Starts appending to @buf (@len bytes, NUL included). */
void strbuf_init(struct strbuf *s, char *buf, size_t len);

/* Appends formatted text, or marks the buffer overflowed if it does not fit whole. */
void strbuf_printf(struct strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
