/* SPDX-License-Identifier: MIT */
#include "jsonw.h"

#include <errno.h>

#define put(w, ...) strbuf_printf(&(w)->out, __VA_ARGS__)

void jsonw_init(struct jsonw *w, char *buf, size_t len)
{
	*w = (struct jsonw){0};
	strbuf_init(&w->out, buf, len);
}

int jsonw_finish(struct jsonw *w)
{
	if (w->out.overflow || w->depth != 0)
		return -ENOBUFS;
	return (int)w->out.pos;
}

/* Puts the comma before a value or key, unless it follows its key or opens a container. */
static void sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->has_elem[w->depth - 1])
		put(w, ",");
	w->has_elem[w->depth - 1] = true;
}

static void open_container(struct jsonw *w, char c)
{
	sep(w);
	put(w, "%c", c);
	if (w->depth >= JSONW_DEPTH) {
		w->out.overflow = true;
		return;
	}
	w->has_elem[w->depth++] = false;
}

static void close_container(struct jsonw *w, char c)
{
	if (w->depth == 0) {
		w->out.overflow = true;
		return;
	}
	w->depth--;
	put(w, "%c", c);
}

void jsonw_object_begin(struct jsonw *w)
{
	open_container(w, '{');
}

void jsonw_object_end(struct jsonw *w)
{
	close_container(w, '}');
}

void jsonw_array_begin(struct jsonw *w)
{
	open_container(w, '[');
}

void jsonw_array_end(struct jsonw *w)
{
	close_container(w, ']');
}

/*
 * Returns the length of the valid UTF-8 sequence at @p (2-4), or 0 when it is
 * not one (overlong forms and surrogates included) and stores its code point.
 */
static size_t utf8_seq(const unsigned char *p, uint32_t *ret)
{
	size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 0;
	uint32_t cp;

	if (len == 0 || p[0] > 0xf4)
		return 0;
	cp = p[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret = cp;
	return len;
}

/*
 * Process names are chosen by the processes: valid UTF-8 passes through,
 * control characters (C0, DEL, C1) are escaped, and bytes that are not UTF-8
 * become U+FFFD, so the output is always valid JSON and safe on a terminal.
 */
static void put_escaped(struct jsonw *w, const char *s)
{
	put(w, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p && !w->out.overflow;) {
		uint32_t cp;
		size_t len;

		if (*p == '"' || *p == '\\') {
			put(w, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			put(w, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			put(w, "%c", *p++);
		} else if ((len = utf8_seq(p, &cp)) == 0) {
			put(w, "\\ufffd");
			p++;
		} else if (cp < 0xa0) {
			put(w, "\\u%04x", cp);
			p += len;
		} else {
			put(w, "%.*s", (int)len, (const char *)p);
			p += len;
		}
	}
	put(w, "\"");
}

void jsonw_key(struct jsonw *w, const char *key)
{
	sep(w);
	put_escaped(w, key);
	put(w, ":");
	w->after_key = true;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	sep(w);
	put_escaped(w, s);
}

void jsonw_int(struct jsonw *w, long long v)
{
	sep(w);
	put(w, "%lld", v);
}

void jsonw_uint(struct jsonw *w, unsigned long long v)
{
	sep(w);
	put(w, "%llu", v);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	sep(w);
	put(w, "%s", v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
	sep(w);
	put(w, "null");
}

void jsonw_ms(struct jsonw *w, int64_t usec)
{
	if (usec < 0) {
		jsonw_null(w);
		return;
	}
	sep(w);
	put(w, "%lld.%03lld", (long long)(usec / 1000), (long long)(usec % 1000));
}

void jsonw_hundredths(struct jsonw *w, uint32_t v)
{
	sep(w);
	put(w, "%u.%02u", v / 100, v % 100);
}

void jsonw_kv_string(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_string(w, s);
}

void jsonw_kv_int(struct jsonw *w, const char *key, long long v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_kv_uint(struct jsonw *w, const char *key, unsigned long long v)
{
	jsonw_key(w, key);
	jsonw_uint(w, v);
}

void jsonw_kv_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

void jsonw_kv_ms(struct jsonw *w, const char *key, int64_t usec)
{
	jsonw_key(w, key);
	jsonw_ms(w, usec);
}
