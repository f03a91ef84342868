/* SPDX-License-Identifier: MIT */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>

void strbuf_init(struct strbuf *s, char *buf, size_t len)
{
	*s = (struct strbuf){.buf = buf, .len = len, .overflow = len == 0};
	if (len)
		buf[0] = '\0';
}

void strbuf_printf(struct strbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->pos, s->len - s->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->len - s->pos) {
		s->overflow = true;
		s->buf[s->pos] = '\0';
	} else {
		s->pos += (size_t)n;
	}
}
