/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A JSON writer into a caller's fixed buffer: no allocation, commas placed
 * automatically, strings escaped (names of processes are chosen by the
 * processes).  When the buffer runs out, the writer marks itself overflowed
 * and ignores the rest; jsonw_finish() then fails rather than return a cut
 * document.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_DEPTH 16

#include "strbuf.h"

struct jsonw {
	struct strbuf out;
	bool after_key;
	unsigned depth;
	bool has_elem[JSONW_DEPTH];
};

/* Starts writing into @buf (@len bytes, NUL included). */
void jsonw_init(struct jsonw *w, char *buf, size_t len);

/* Returns the length written (NUL-terminated), or -ENOBUFS when it did not fit. */
int jsonw_finish(struct jsonw *w);

void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);

/* Writes "@key": inside an object; the next value belongs to it. */
void jsonw_key(struct jsonw *w, const char *key);

void jsonw_string(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, long long v);
void jsonw_uint(struct jsonw *w, unsigned long long v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/* Writes @usec as milliseconds with three decimals, or null when negative. */
void jsonw_ms(struct jsonw *w, int64_t usec);

/* Writes a number with two decimals (PSI averages kept as hundredths). */
void jsonw_hundredths(struct jsonw *w, uint32_t v);

/* Key-value shorthands for objects. */
void jsonw_kv_string(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_int(struct jsonw *w, const char *key, long long v);
void jsonw_kv_uint(struct jsonw *w, const char *key, unsigned long long v);
void jsonw_kv_bool(struct jsonw *w, const char *key, bool v);
void jsonw_kv_ms(struct jsonw *w, const char *key, int64_t usec);
