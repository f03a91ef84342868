/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A small JSON reader for reapctl: parses one reply from reapd into a tree
 * and walks it.  Every lookup accepts NULL or a node of the wrong type and
 * answers "absent", so a caller can chain lookups on a reply whose shape it
 * has not checked, e.g. json_number(json_get(json_get(r, "memory"),
 * "total_kib")), and a daemon of another version never crashes the client.
 */

#include <stdbool.h>
#include <stddef.h>

/* Containers nested deeper than this are refused, so hostile input cannot exhaust the stack. */
#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_ABSENT, /* only json_type(NULL) */
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json;

/*
 * Parses the NUL-terminated @text (RFC 8259: one value, surrounded by
 * optional whitespace) into a tree stored in *@ret, to be freed with
 * json_free().  Strings are decoded to UTF-8 (surrogate pairs joined).
 * Returns 0, -EINVAL when @text is not exactly one valid JSON value (or
 * nests deeper than JSON_MAX_DEPTH, or has a lone surrogate), or -ENOMEM.
 */
int json_parse(const char *text, struct json **ret);

/* Frees a tree from json_parse(); NULL is fine. */
void json_free(struct json *v);

/* Returns the type of @v, JSON_ABSENT for NULL. */
enum json_type json_type(const struct json *v);

/*
 * Returns the value of member @key of the object @obj (the first one when a
 * key is repeated), or NULL when @obj is not an object or has no such key.
 */
const struct json *json_get(const struct json *obj, const char *key);

/*
 * Like json_get() along a dot-separated list of keys ("memory.total_kib").
 * Returns NULL when any step is missing.
 */
const struct json *json_get_path(const struct json *v, const char *path);

/* Returns element @i of the array @arr, or value @i of the object @arr; NULL when out of range. */
const struct json *json_index(const struct json *arr, size_t i);

/* Returns the name of member @i of the object @obj, or NULL. */
const char *json_key(const struct json *obj, size_t i);

/*
 * Returns the number of elements of an array or members of an object, or the
 * length in bytes of a string (which counts a decoded \u0000 and what
 * follows it); 0 for anything else.
 */
size_t json_len(const struct json *v);

/*
 * Returns the NUL-terminated UTF-8 value of the string @v, or NULL when @v
 * is not a string.  A decoded \u0000 is kept in the value, so C string
 * functions see the value cut there; json_len() gives the whole length.
 */
const char *json_string(const struct json *v);

/* Returns the value of the number @v, or NaN when @v is not a number. */
double json_number(const struct json *v);

/* Returns 1 for true, 0 for false, or -EINVAL when @v is not a boolean. */
int json_bool(const struct json *v);

/* Returns true when @v is a JSON null (false for a missing value, NULL). */
bool json_is_null(const struct json *v);
