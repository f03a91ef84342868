/* SPDX-License-Identifier: MIT */
/* The compiler: a pattern to a program for the matcher in match.c. */
#include "match.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match-private.h"

/* Caps the work and memory a hostile or careless pattern can cost. */
#define MAX_PROG	10000
#define MAX_DEPTH	100
#define MAX_BOUND	255

struct parser {
	const char *p;
	struct inst *prog;
	size_t len;
	size_t cap;
	struct byte_set *classes;
	size_t nclasses;
	size_t classes_cap;
	unsigned depth;
	char *err;
	size_t err_len;
};

/* Records @msg as the reason compilation failed.  Returns -EINVAL. */
static int fail(struct parser *ps, const char *msg)
{
	if (ps->err && ps->err_len > 0)
		snprintf(ps->err, ps->err_len, "%s", msg);
	return -EINVAL;
}

/* Returns -ENOMEM, recording the reason. */
static int fail_nomem(struct parser *ps)
{
	fail(ps, "out of memory");
	return -ENOMEM;
}
/* Makes room for @n more instructions.  Returns 0, -EINVAL (too large) or -ENOMEM. */
static int reserve(struct parser *ps, size_t n)
{
	size_t cap;
	struct inst *prog;

	if (n > MAX_PROG - ps->len)
		return fail(ps, "pattern too large");
	if (ps->len + n <= ps->cap)
		return 0;
	cap = ps->cap ? ps->cap : 16;
	while (cap < ps->len + n)
		cap *= 2;
	if (cap > MAX_PROG)
		cap = MAX_PROG;
	prog = realloc(ps->prog, cap * sizeof(*prog));
	if (!prog)
		return fail_nomem(ps);
	ps->prog = prog;
	ps->cap = cap;
	return 0;
}

/* Appends one instruction.  Returns 0 or a negative errno from reserve(). */
static int emit(struct parser *ps, enum op op, unsigned ch, int32_t x, int32_t y)
{
	int r = reserve(ps, 1);

	if (r < 0)
		return r;
	ps->prog[ps->len++] = (struct inst){ .op = (uint8_t)op, .ch = (uint8_t)ch, .x = x, .y = y };
	return 0;
}

/* Appends a copy of the fragment @frag of @n instructions.  Returns 0 or negative errno. */
static int emit_fragment(struct parser *ps, const struct inst *frag, size_t n)
{
	int r = reserve(ps, n);

	if (r < 0)
		return r;
	memcpy(ps->prog + ps->len, frag, n * sizeof(*frag));
	ps->len += n;
	return 0;
}

/* Returns a new all-clear byte set owned by @ps, or NULL on allocation failure. */
static struct byte_set *new_class(struct parser *ps)
{
	if (ps->nclasses == ps->classes_cap) {
		size_t cap = ps->classes_cap ? ps->classes_cap * 2 : 4;
		struct byte_set *classes = realloc(ps->classes, cap * sizeof(*classes));

		if (!classes)
			return NULL;
		ps->classes = classes;
		ps->classes_cap = cap;
	}
	memset(&ps->classes[ps->nclasses], 0, sizeof(ps->classes[0]));
	return &ps->classes[ps->nclasses++];
}

/* The POSIX character classes, spelled out for the "C" locale so the locale never matters. */
static bool is_upper(unsigned c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(unsigned c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alpha(unsigned c)
{
	return is_upper(c) || is_lower(c);
}

static bool is_digit(unsigned c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_xdigit(unsigned c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_space(unsigned c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_blank(unsigned c)
{
	return c == ' ' || c == '\t';
}

static bool is_cntrl(unsigned c)
{
	return c < 0x20 || c == 0x7f;
}

static bool is_print(unsigned c)
{
	return c >= 0x20 && c < 0x7f;
}

static bool is_graph(unsigned c)
{
	return c > 0x20 && c < 0x7f;
}

static bool is_punct(unsigned c)
{
	return is_graph(c) && !is_alnum(c);
}

static const struct {
	const char *name;
	bool (*test)(unsigned c);
} posix_classes[] = {
	{ "alpha", is_alpha }, { "digit", is_digit }, { "alnum", is_alnum },
	{ "upper", is_upper }, { "lower", is_lower }, { "space", is_space },
	{ "punct", is_punct }, { "xdigit", is_xdigit }, { "blank", is_blank },
	{ "cntrl", is_cntrl }, { "print", is_print }, { "graph", is_graph },
};

/*
 * Adds the named POSIX class (@name, @n bytes, not NUL-terminated) to @set.
 * Returns 0 or -EINVAL for an unknown name.
 */
static int add_posix_class(struct parser *ps, struct byte_set *set, const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(posix_classes) / sizeof(posix_classes[0]); i++) {
		if (strlen(posix_classes[i].name) != n || memcmp(posix_classes[i].name, name, n))
			continue;
		for (unsigned c = 1; c < 256; c++)
			if (posix_classes[i].test(c))
				set_add(set, c);
		return 0;
	}
	return fail(ps, "unknown character class");
}

/* One element of a bracket expression: a single byte, or a whole class/equivalence class. */
struct bracket_elem {
	bool is_byte;
	unsigned c;
};

/*
 * Parses a "[:name:]", "[.c.]" or "[=c=]" element at ps->p (which points at
 * the '[').  Classes are added to @set directly.  Returns 0 or -EINVAL.
 */
static int parse_bracket_symbol(struct parser *ps, struct byte_set *set, struct bracket_elem *e)
{
	char kind = ps->p[1];
	const char *name = ps->p + 2;
	const char *end = name;

	/* The name may itself contain ']' (glibc allows "[[.].]]"), so search for the pair. */
	while (*end && !(end[0] == kind && end[1] == ']'))
		end++;
	if (!*end)
		return fail(ps, "unmatched '['");
	ps->p = end + 2;
	if (kind == ':') {
		e->is_byte = false;
		return add_posix_class(ps, set, name, (size_t)(end - name));
	}
	/* Only single-byte collating elements exist in the "C" locale. */
	if (end - name != 1)
		return fail(ps, "unsupported collating element");
	e->c = (unsigned char)*name;
	/* An equivalence class is a set, even if of one byte, so it can't bound a range. */
	e->is_byte = kind == '.';
	if (!e->is_byte)
		set_add(set, e->c);
	return 0;
}

/* Parses one bracket element at ps->p into @e.  Returns 0 or -EINVAL. */
static int parse_bracket_elem(struct parser *ps, struct byte_set *set, struct bracket_elem *e)
{
	if (ps->p[0] == '[' && (ps->p[1] == ':' || ps->p[1] == '.' || ps->p[1] == '='))
		return parse_bracket_symbol(ps, set, e);
	e->is_byte = true;
	e->c = (unsigned char)*ps->p++;
	return 0;
}

/*
 * Parses the body of a bracket expression (ps->p is just past the '[') and
 * emits an OP_CLASS for it.  Backslash is an ordinary byte in here, as POSIX
 * says.  Returns 0 or a negative errno.
 */
static int parse_bracket(struct parser *ps)
{
	const char *body = ps->p;
	struct byte_set *set;
	bool negate = false;
	size_t idx;
	int r;

	set = new_class(ps);
	if (!set)
		return fail_nomem(ps);
	idx = ps->nclasses - 1;
	if (*ps->p == '^') {
		negate = true;
		body = ++ps->p;
	}
	do {
		struct bracket_elem lo, hi;

		if (!*ps->p)
			return fail(ps, ps->p - body == 1 && *body == ']' ?
				    "empty bracket expression" : "unmatched '['");
		r = parse_bracket_elem(ps, set, &lo);
		if (r < 0)
			return r;
		if (ps->p[0] != '-' || ps->p[1] == ']') {
			if (lo.is_byte)
				set_add(set, lo.c);
			continue;
		}
		ps->p++;
		if (!*ps->p)
			return fail(ps, "unmatched '['");
		r = parse_bracket_elem(ps, set, &hi);
		if (r < 0)
			return r;
		/* Like glibc, refuse "[a-c-e]": a range can't start where another ended. */
		if (!lo.is_byte || !hi.is_byte || hi.c < lo.c ||
		    (ps->p[0] == '-' && ps->p[1] != ']' && ps->p[1] != '\0'))
			return fail(ps, "invalid range end");
		for (unsigned c = lo.c; c <= hi.c; c++)
			set_add(set, c);
	} while (*ps->p != ']');
	ps->p++;
	if (negate)
		for (size_t i = 0; i < 4; i++)
			set->w[i] = ~set->w[i];
	return emit(ps, OP_CLASS, 0, (int32_t)idx, 0);
}

/*
 * Parses a decimal bound at ps->p into @ret, which is left alone if there are
 * no digits.  Returns 1 if there were digits, 0 if not, -EINVAL if too big.
 */
static int parse_bound(struct parser *ps, unsigned *ret)
{
	unsigned v = 0;
	bool any = false;

	for (; *ps->p >= '0' && *ps->p <= '9'; ps->p++) {
		any = true;
		v = v * 10 + (unsigned)(*ps->p - '0');
		if (v > MAX_BOUND)
			return fail(ps, "bad repetition bound");
	}
	if (any)
		*ret = v;
	return any;
}

/*
 * Parses a quantifier at ps->p into [*min, *max], *max < 0 meaning unbounded.
 * Accepts "{,n}" and "{,}" as glibc does.  Returns 0 or -EINVAL.
 */
static int parse_quantifier(struct parser *ps, unsigned *min, int *max)
{
	unsigned lo = 0, hi = 0;
	int has_lo, has_hi = 0;
	bool comma;

	switch (*ps->p++) {
	case '*':
		*min = 0;
		*max = -1;
		return 0;
	case '+':
		*min = 1;
		*max = -1;
		return 0;
	case '?':
		*min = 0;
		*max = 1;
		return 0;
	}
	has_lo = parse_bound(ps, &lo);
	if (has_lo < 0)
		return has_lo;
	comma = *ps->p == ',';
	if (comma) {
		ps->p++;
		has_hi = parse_bound(ps, &hi);
		if (has_hi < 0)
			return has_hi;
	}
	if (*ps->p != '}' || (!has_lo && !comma))
		return fail(ps, "bad repetition bound");
	ps->p++;
	if (!comma)
		hi = lo;
	if (comma && !has_hi)
		*max = -1;
	else if (hi < lo)
		return fail(ps, "bad repetition bound");
	else
		*max = (int)hi;
	*min = lo;
	return 0;
}

/*
 * Replaces the fragment from @start to the end of the program with its
 * repetition [@min, @max] (@max < 0: unbounded).  Returns 0 or negative errno.
 */
static int apply_repeat(struct parser *ps, size_t start, unsigned min, int max)
{
	size_t n = ps->len - start, copies = min, opt, tail;
	struct inst *frag;
	int r = 0;

	/* A fragment that consumes nothing and asserts nothing repeats to itself. */
	if (n == 0)
		return 0;
	if (max < 0)
		tail = min ? 1 : 2;
	else
		tail = ((size_t)max - min) * (n + 1);
	if (max < 0 && min)
		copies--;
	/* Check before copying so "a{255}{255}" fails fast instead of after 10000 copies. */
	if (start + copies * n + tail + (max < 0 ? n : 0) > MAX_PROG)
		return fail(ps, "pattern too large");
	frag = malloc(n * sizeof(*frag));
	if (!frag)
		return fail_nomem(ps);
	memcpy(frag, ps->prog + start, n * sizeof(*frag));
	ps->len = start;
	for (size_t i = 0; i < copies && !r; i++)
		r = emit_fragment(ps, frag, n);
	if (r < 0) {
		free(frag);
		return r;
	}
	if (max < 0 && !min) {
		r = emit(ps, OP_SPLIT, 0, 1, (int32_t)n + 2);
		if (!r)
			r = emit_fragment(ps, frag, n);
		if (!r)
			r = emit(ps, OP_JMP, 0, -(int32_t)n - 1, 0);
	} else if (max < 0) {
		r = emit_fragment(ps, frag, n);
		if (!r)
			r = emit(ps, OP_SPLIT, 0, -(int32_t)n, 1);
	} else {
		/* Each optional copy may be skipped, straight to the end of the repetition. */
		for (opt = (size_t)max - min; opt > 0 && !r; opt--) {
			r = emit(ps, OP_SPLIT, 0, 1, (int32_t)(opt * (n + 1)));
			if (!r)
				r = emit_fragment(ps, frag, n);
		}
	}
	free(frag);
	return r;
}

static int parse_alt(struct parser *ps);

/* Parses a group, ps->p being just past the '('.  Returns 0 or negative errno. */
static int parse_group(struct parser *ps)
{
	int r;

	if (++ps->depth > MAX_DEPTH)
		return fail(ps, "groups nested too deeply");
	r = parse_alt(ps);
	if (r < 0)
		return r;
	if (*ps->p != ')')
		return fail(ps, "unmatched '('");
	ps->p++;
	ps->depth--;
	return 0;
}

/*
 * POSIX ERE defines '\' only before a special character.  A backslash before
 * any punctuation is taken as that character, as glibc does; but "\w", "\d",
 * "\b", "\<", "\`", back-references and the like mean something else to GNU
 * and Perl, so they are refused rather than silently matched as literals.
 */
static bool is_literal_escape(unsigned c)
{
	return c > ' ' && c < 0x7f && !is_alnum(c) && c != '<' && c != '>' && c != '`' && c != '\'';
}

/* Refuses "\@c" with a reason naming it.  Returns -EINVAL. */
static int fail_escape(struct parser *ps, unsigned c)
{
	char msg[64];

	if (c > ' ' && c < 0x7f)
		snprintf(msg, sizeof(msg), "'\\%c' is not a POSIX ERE escape", (char)c);
	else
		snprintf(msg, sizeof(msg), "'\\' before byte 0x%02x is not a POSIX ERE escape", c);
	return fail(ps, msg);
}

/*
 * Parses one atom and emits its code.  Returns 1 for an anchor (which, as in
 * glibc, can't be repeated), 0 for anything else, or negative errno.
 */
static int parse_atom(struct parser *ps)
{
	unsigned c = (unsigned char)*ps->p++;
	int r;

	switch (c) {
	case '(':
		return parse_group(ps);
	case '[':
		return parse_bracket(ps);
	case '.':
		return emit(ps, OP_ANY, 0, 0, 0);
	case '^':
	case '$':
		r = emit(ps, c == '^' ? OP_BOL : OP_EOL, 0, 0, 0);
		return r < 0 ? r : 1;
	case '*':
	case '+':
	case '?':
	case '{':
		return fail(ps, "nothing to repeat");
	case '\\':
		c = (unsigned char)*ps->p++;
		if (!c)
			return fail(ps, "trailing backslash");
		if (!is_literal_escape(c))
			return fail_escape(ps, c);
		break;
	}
	return emit(ps, OP_CHAR, c, 0, 0);
}

static bool is_quantifier(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* Parses a run of atoms, each with any quantifiers, up to '|', ')' or the end. */
static int parse_concat(struct parser *ps)
{
	while (*ps->p && *ps->p != '|' && *ps->p != ')') {
		size_t start = ps->len;
		int r = parse_atom(ps);

		if (r < 0)
			return r;
		if (r == 1 && is_quantifier(*ps->p))
			return fail(ps, "nothing to repeat");
		/* Stacked quantifiers ("a**", "a{2}{3}") apply to what came before, as in glibc. */
		while (is_quantifier(*ps->p)) {
			unsigned min;
			int max;

			r = parse_quantifier(ps, &min, &max);
			if (r < 0)
				return r;
			r = apply_repeat(ps, start, min, max);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * Parses alternatives separated by '|', any of which may be empty.  Each but
 * the last becomes "SPLIT next; alternative; JMP end".  Returns 0 or negative errno.
 */
static int parse_alt(struct parser *ps)
{
	/* The JMPs to the end are chained through x (absolute index of the previous one). */
	int32_t jmps = -1;
	size_t start = ps->len;
	int r;

	for (;;) {
		r = parse_concat(ps);
		if (r < 0)
			return r;
		if (*ps->p != '|')
			break;
		ps->p++;
		r = reserve(ps, 2);
		if (r < 0)
			return r;
		memmove(ps->prog + start + 1, ps->prog + start,
			(ps->len - start) * sizeof(ps->prog[0]));
		ps->len++;
		ps->prog[start] = (struct inst){ .op = OP_SPLIT, .x = 1,
						 .y = (int32_t)(ps->len + 1 - start) };
		r = emit(ps, OP_JMP, 0, jmps, 0);
		if (r < 0)
			return r;
		jmps = (int32_t)ps->len - 1;
		start = ps->len;
	}
	while (jmps >= 0) {
		int32_t prev = ps->prog[jmps].x;

		ps->prog[jmps].x = (int32_t)ps->len - jmps;
		jmps = prev;
	}
	return 0;
}

size_t matcher_states(const struct matcher *m)
{
	return m->len;
}

int matcher_compile(const char *pattern, struct matcher **ret, char *err, size_t err_len)
{
	struct parser ps = { .p = pattern, .err = err, .err_len = err_len };
	struct matcher *m;
	int r;

	if (err && err_len > 0)
		err[0] = '\0';
	m = calloc(1, sizeof(*m));
	if (!m)
		return fail_nomem(&ps);
	m->pattern = strdup(pattern);
	if (!m->pattern) {
		r = fail_nomem(&ps);
		goto fail;
	}
	r = parse_alt(&ps);
	if (r == 0 && *ps.p == ')')
		r = fail(&ps, "unmatched ')'");
	if (r == 0)
		r = emit(&ps, OP_MATCH, 0, 0, 0);
	m->prog = ps.prog;
	m->classes = ps.classes;
	if (r < 0)
		goto fail;
	m->len = (uint32_t)ps.len;
	if (matcher_init_restart(m) < 0) {
		r = fail_nomem(&ps);
		goto fail;
	}
	*ret = m;
	return 0;
fail:
	matcher_free(m);
	return r;
}

const char *matcher_pattern(const struct matcher *m)
{
	return m->pattern;
}

void matcher_free(struct matcher *m)
{
	if (!m)
		return;
	free(m->pattern);
	free(m->prog);
	free(m->classes);
	free(m);
}
