/* SPDX-License-Identifier: MIT */
/*
 * The matcher: runs a program compiled by match_compile.c as a Pike VM over
 * state lists in a per-thread scratch, so matching never allocates.
 */
#include "match.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match-private.h"
#include "sys.h"

/*
 * A thread's matching scratch: the VM's state lists, its closure stack and
 * the visited marks, each with room for @states program counters.  Marks
 * carry a generation, so one scratch serves any number of matchers.
 */
struct match_scratch {
	size_t states;
	uint32_t *cur;
	uint32_t *next;
	uint32_t *stack;
	uint32_t *mark;
	uint32_t gen;
};

/* Moves to the next generation of marks, clearing them all when the counter wraps. */
static void next_gen(struct match_scratch *sc)
{
	if (++sc->gen == 0) {
		memset(sc->mark, 0, sc->states * sizeof(sc->mark[0]));
		sc->gen = 1;
	}
}

/* Pushes @pc onto the closure stack unless it was already visited this generation. */
static void push(struct match_scratch *sc, uint32_t *sp, uint32_t pc)
{
	if (sc->mark[pc] != sc->gen) {
		sc->mark[pc] = sc->gen;
		sc->stack[(*sp)++] = pc;
	}
}

/*
 * Adds @pc and everything reachable from it without consuming input to
 * @list (the consuming instructions only).  @bol and @eol say whether the
 * position is the start and the end of the input.  Returns true if MATCH is
 * reachable, in which case @list may be incomplete.
 */
static bool add_state(const struct matcher *m, struct match_scratch *sc, uint32_t *list,
		      uint32_t *n, uint32_t pc, bool bol, bool eol)
{
	uint32_t sp = 0;

	/* An explicit stack: recursion could go as deep as the program is long. */
	push(sc, &sp, pc);
	while (sp > 0) {
		const struct inst *in;

		pc = sc->stack[--sp];
		in = &m->prog[pc];
		switch (in->op) {
		case OP_JMP:
			push(sc, &sp, (uint32_t)((int32_t)pc + in->x));
			break;
		case OP_SPLIT:
			push(sc, &sp, (uint32_t)((int32_t)pc + in->y));
			push(sc, &sp, (uint32_t)((int32_t)pc + in->x));
			break;
		case OP_BOL:
		case OP_EOL:
			if (in->op == OP_BOL ? bol : eol)
				push(sc, &sp, pc + 1);
			break;
		case OP_MATCH:
			return true;
		default:
			list[(*n)++] = pc;
			break;
		}
	}
	return false;
}

/* Returns whether instruction @in consumes byte @c. */
static bool consumes(const struct matcher *m, const struct inst *in, unsigned c)
{
	switch (in->op) {
	case OP_CHAR:
		return in->ch == c;
	case OP_ANY:
		return true;
	case OP_CLASS:
		return set_has(&m->classes[in->x], c);
	default:
		return false;
	}
}

/*
 * @m is only read, so threads may share it; all that changes is in @sc,
 * which must not be used by two threads at once.
 */
int matcher_match(const struct matcher *m, const char *s, struct match_scratch *sc)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t ncur = 0, *cur = sc->cur, *next = sc->next;

	if (sc->states < m->len)
		return -ENOBUFS;
	next_gen(sc);
	if (add_state(m, sc, cur, &ncur, 0, true, !u[0]))
		return 1;
	for (size_t i = 0; u[i]; i++) {
		bool eol = !u[i + 1];
		uint32_t nnext = 0, *tmp;

		if (!ncur && !m->restart)
			return 0;
		next_gen(sc);
		for (uint32_t k = 0; k < ncur; k++) {
			uint32_t pc = cur[k];

			if (consumes(m, &m->prog[pc], u[i]) &&
			    add_state(m, sc, next, &nnext, pc + 1, false, eol))
				return 1;
		}
		/* Unanchored search: a match may also start at the next position. */
		if (m->restart && add_state(m, sc, next, &nnext, 0, false, eol))
			return 1;
		tmp = cur;
		cur = next;
		next = tmp;
		ncur = nnext;
	}
	return 0;
}

/*
 * Starting the program anywhere but at the start of the input can reach
 * something unless the pattern is anchored; then the search must keep
 * restarting at every position.
 */
int matcher_init_restart(struct matcher *m)
{
	struct match_scratch *sc;
	int r;

	if ((r = match_scratch_new(m->len, &sc)) < 0)
		return r;
	m->restart = false;
	for (int eol = 0; eol < 2 && !m->restart; eol++) {
		uint32_t n = 0;

		next_gen(sc);
		if (add_state(m, sc, sc->cur, &n, 0, false, eol) || n)
			m->restart = true;
	}
	match_scratch_free(sc);
	return 0;
}

int match_scratch_new(size_t states, struct match_scratch **ret)
{
	struct match_scratch *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return -ENOMEM;
	sc->states = states ? states : 1;
	/* One block: four lists of @states each; the marks start clear. */
	sc->cur = calloc(4 * sc->states, sizeof(uint32_t));
	if (!sc->cur) {
		free(sc);
		return -ENOMEM;
	}
	sc->next = sc->cur + sc->states;
	sc->stack = sc->next + sc->states;
	sc->mark = sc->stack + sc->states;
	/* Backed now, so that matching under pressure does not fault pages in. */
	prefault(sc->cur, 4 * sc->states * sizeof(uint32_t));
	*ret = sc;
	return 0;
}

int match_scratch_reserve(struct match_scratch **sc, size_t states)
{
	struct match_scratch *fresh;
	int r;

	if (*sc && (*sc)->states >= states)
		return 0;
	if ((r = match_scratch_new(states, &fresh)) < 0)
		return r;
	match_scratch_free(*sc);
	*sc = fresh;
	return 0;
}

size_t match_scratch_states(const struct match_scratch *sc)
{
	return sc->states;
}

void match_scratch_free(struct match_scratch *sc)
{
	if (!sc)
		return;
	free(sc->cur);
	free(sc);
}
