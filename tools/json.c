/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct json {
	enum json_type type;
	bool boolean;
	double number;
	char *str;	    /* JSON_STRING: the decoded value, NUL-terminated */
	size_t len;	    /* string bytes, or array elements / object members */
	size_t cap;	    /* allocated items */
	struct json *items; /* array elements, object values */
	char *key;	    /* set on the values of an object's members */
	size_t key_len;
};

struct parser {
	const char *p;
	unsigned depth;
};

static int parse_value(struct parser *ps, struct json *v);

/* Frees what @v owns, not @v itself (elements live inside their parent's array). */
static void clear(struct json *v)
{
	if (v->type == JSON_ARRAY || v->type == JSON_OBJECT)
		for (size_t i = 0; i < v->len; i++)
			clear(&v->items[i]);
	free(v->items);
	free(v->str);
	free(v->key);
}

void json_free(struct json *v)
{
	if (!v)
		return;
	clear(v);
	free(v);
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static int hex4(const char *s, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL; /* also stops at the NUL of a truncated escape */
		v = v << 4 | d;
	}
	*ret = v;
	return 0;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes the \u escape at @s (pointing at the 'u') into @out.  A high
 * surrogate must be followed by an escaped low one; an unpaired surrogate
 * has no UTF-8 encoding, so it is refused rather than passed on as CESU
 * garbage.  Sets *@used to the input bytes consumed after the backslash.
 */
static int decode_u(const char *s, char *out, size_t *ret_out, size_t *used)
{
	unsigned cp, lo;

	if (hex4(s + 1, &cp) < 0)
		return -EINVAL;
	*used = 5;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -EINVAL;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (s[5] != '\\' || s[6] != 'u' || hex4(s + 7, &lo) < 0)
			return -EINVAL;
		if (lo < 0xdc00 || lo > 0xdfff)
			return -EINVAL;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*used = 11;
	}
	*ret_out = put_utf8(out, cp);
	return 0;
}

static int decode_escape(const char *s, char *out, size_t *ret_out, size_t *used)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *e;

	if (*s == 'u')
		return decode_u(s, out, ret_out, used);
	e = *s ? strchr(from, *s) : NULL;
	if (!e)
		return -EINVAL;
	*out = to[e - from];
	*ret_out = 1;
	*used = 1;
	return 0;
}

/*
 * Parses the string at ps->p (its opening quote) into a new buffer.  The
 * decoded value is never longer than the quoted text (an escape of 2, 6 or
 * 12 bytes yields at most 1, 3 or 4), so one allocation of the quoted
 * length suffices.
 */
static int parse_string(struct parser *ps, char **ret, size_t *ret_len)
{
	const char *s = ps->p + 1, *end = s;
	size_t n = 0;
	char *buf;

	while (*end != '"') {
		if (*end == '\0')
			return -EINVAL;
		if (*end == '\\' && end[1] != '\0')
			end++;
		end++;
	}
	buf = malloc((size_t)(end - s) + 1);
	if (!buf)
		return -ENOMEM;
	while (s < end) {
		unsigned char c = (unsigned char)*s;
		size_t out, used;

		if (c < 0x20)
			goto fail; /* raw control characters must be escaped */
		if (c != '\\') {
			buf[n++] = (char)c;
			s++;
			continue;
		}
		if (decode_escape(s + 1, buf + n, &out, &used) < 0)
			goto fail;
		n += out;
		s += 1 + used;
	}
	buf[n] = '\0';
	ps->p = end + 1;
	*ret = buf;
	*ret_len = n;
	return 0;
fail:
	free(buf);
	return -EINVAL;
}

static const char *skip_digits(const char *p)
{
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

/*
 * Checks the RFC 8259 number grammar first: strtod() alone would also take
 * hex, "inf", "nan", a leading '+' or ".5".  The C locale is assumed (the
 * tools never call setlocale), so strtod() reads '.' as the decimal point.
 */
static int parse_number(struct parser *ps, struct json *v)
{
	const char *s = ps->p, *p = s;
	char *copy;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p = skip_digits(p);
	else
		return -EINVAL;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		p = skip_digits(p + 1);
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		p = skip_digits(p);
	}
	copy = strndup(s, (size_t)(p - s));
	if (!copy)
		return -ENOMEM;
	/* Out of range is not malformed: 1e999 reads as infinity, 1e-999 as 0. */
	v->number = strtod(copy, NULL);
	free(copy);
	v->type = JSON_NUMBER;
	ps->p = p;
	return 0;
}

static int parse_literal(struct parser *ps, struct json *v)
{
	static const struct {
		const char *word;
		enum json_type type;
		bool value;
	} words[] = {
	    {"true", JSON_BOOL, true},
	    {"false", JSON_BOOL, false},
	    {"null", JSON_NULL, false},
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);

		if (strncmp(ps->p, words[i].word, n) == 0) {
			v->type = words[i].type;
			v->boolean = words[i].value;
			ps->p += n;
			return 0;
		}
	}
	return -EINVAL;
}

/* Appends a zeroed element to the container @v. Returns it, or NULL when out of memory. */
static struct json *add_item(struct json *v)
{
	if (v->len == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		struct json *items = reallocarray(v->items, cap, sizeof(*items));

		if (!items)
			return NULL;
		v->items = items;
		v->cap = cap;
	}
	memset(&v->items[v->len], 0, sizeof(v->items[0]));
	/* Counted at once, so clear() frees a half-parsed element too. */
	return &v->items[v->len++];
}

/* Parses "key" ws ':' into @item. */
static int parse_key(struct parser *ps, struct json *item)
{
	int r;

	if (*ps->p != '"')
		return -EINVAL;
	r = parse_string(ps, &item->key, &item->key_len);
	if (r < 0)
		return r;
	skip_ws(ps);
	if (*ps->p != ':')
		return -EINVAL;
	ps->p++;
	skip_ws(ps);
	return 0;
}

/* Parses an array or an object, ps->p at its opening bracket. */
static int parse_container(struct parser *ps, struct json *v)
{
	bool object = *ps->p == '{';
	char close = object ? '}' : ']';
	int r;

	if (++ps->depth > JSON_MAX_DEPTH)
		return -EINVAL;
	v->type = object ? JSON_OBJECT : JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return 0;
	}
	for (;;) {
		struct json *item = add_item(v);

		if (!item)
			return -ENOMEM;
		if (object) {
			r = parse_key(ps, item);
			if (r < 0)
				return r;
		}
		r = parse_value(ps, item);
		if (r < 0)
			return r;
		skip_ws(ps);
		if (*ps->p == close)
			break;
		if (*ps->p != ',')
			return -EINVAL;
		ps->p++;
		skip_ws(ps);
	}
	ps->p++;
	ps->depth--;
	return 0;
}

/* Parses the value at ps->p (no leading whitespace) into the zeroed @v. */
static int parse_value(struct parser *ps, struct json *v)
{
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, v);
	case '"':
		v->type = JSON_STRING;
		return parse_string(ps, &v->str, &v->len);
	case '-':
	case '0' ... '9':
		return parse_number(ps, v);
	default:
		return parse_literal(ps, v);
	}
}

int json_parse(const char *text, struct json **ret)
{
	struct parser ps = {.p = text};
	struct json *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	skip_ws(&ps);
	r = parse_value(&ps, v);
	if (r == 0) {
		skip_ws(&ps);
		if (*ps.p != '\0')
			r = -EINVAL; /* trailing junk, or a second value */
	}
	if (r < 0) {
		json_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

enum json_type json_type(const struct json *v)
{
	return v ? v->type : JSON_ABSENT;
}

/* Keys are compared with their lengths, so "a\u0000b" never matches "a". */
static const struct json *get_n(const struct json *obj, const char *key, size_t n)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (obj->items[i].key_len == n && memcmp(obj->items[i].key, key, n) == 0)
			return &obj->items[i];
	return NULL;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	return get_n(obj, key, strlen(key));
}

const struct json *json_get_path(const struct json *v, const char *path)
{
	for (;;) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		v = get_n(v, path, n);
		if (!v || !dot)
			return v;
		path = dot + 1;
	}
}

const struct json *json_index(const struct json *arr, size_t i)
{
	if (!arr || (arr->type != JSON_ARRAY && arr->type != JSON_OBJECT) || i >= arr->len)
		return NULL;
	return &arr->items[i];
}

const char *json_key(const struct json *obj, size_t i)
{
	if (!obj || obj->type != JSON_OBJECT || i >= obj->len)
		return NULL;
	return obj->items[i].key;
}

size_t json_len(const struct json *v)
{
	if (!v || (v->type != JSON_ARRAY && v->type != JSON_OBJECT && v->type != JSON_STRING))
		return 0;
	return v->len;
}

const char *json_string(const struct json *v)
{
	return v && v->type == JSON_STRING ? v->str : NULL;
}

double json_number(const struct json *v)
{
	return v && v->type == JSON_NUMBER ? v->number : NAN;
}

int json_bool(const struct json *v)
{
	if (!v || v->type != JSON_BOOL)
		return -EINVAL;
	return v->boolean;
}

bool json_is_null(const struct json *v)
{
	return v && v->type == JSON_NULL;
}
