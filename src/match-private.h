/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The compiled program shared by the compiler (match_compile.c) and the
 * matcher (match.c); nothing outside those two files includes this.
 *
 * The pattern is compiled straight into a program for a Pike VM, without an
 * intermediate syntax tree.  Jumps are relative to the instruction holding
 * them and never leave the fragment they were emitted in, so a fragment can be
 * moved or copied verbatim; that is what makes "{m,n}" (copying the repeated
 * fragment) and '|' (inserting a SPLIT in front of the first alternative)
 * cheap to build.
 *
 * Matching only answers "is there a match?", so the VM keeps a set of program
 * counters per input position and no capture slots.
 */

#include <stdbool.h>
#include <stdint.h>

#include "match.h"

enum op {
	OP_CHAR,	/* consume the byte ch */
	OP_ANY,		/* consume any byte */
	OP_CLASS,	/* consume a byte in classes[x] */
	OP_SPLIT,	/* continue at both pc + x and pc + y */
	OP_JMP,		/* continue at pc + x */
	OP_BOL,		/* continue only at the start of the input */
	OP_EOL,		/* continue only at the end of the input */
	OP_MATCH,
};

struct inst {
	uint8_t op;
	uint8_t ch;
	int32_t x;
	int32_t y;
};

struct byte_set {
	uint64_t w[4];
};

struct matcher {
	char *pattern;
	struct inst *prog;
	uint32_t len;
	struct byte_set *classes;
	/* Whether a match may start after the first byte; false for "^..." patterns. */
	bool restart;
};

/* Adds byte @c to @set. */
static inline void set_add(struct byte_set *set, unsigned c)
{
	set->w[c >> 6] |= UINT64_C(1) << (c & 63);
}

/* Returns whether byte @c is in @set. */
static inline bool set_has(const struct byte_set *set, unsigned c)
{
	return (set->w[c >> 6] >> (c & 63)) & 1;
}

/*
 * Works out whether the search for @m must keep restarting after the first
 * byte (false for "^..." patterns) and stores it in m->restart.  Needs
 * m->prog and m->len set.  Returns 0, or -ENOMEM.
 */
int matcher_init_restart(struct matcher *m);
