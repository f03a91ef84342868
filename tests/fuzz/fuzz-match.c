/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the regular-expression compiler and matcher (src/match.c). */
#include "fuzz-common.h"
#include "match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	char *pattern = fuzz_string(data, plen);
	char *subject = fuzz_string(nl ? nl + 1 : data + size, nl ? size - plen - 1 : 0);
	struct match_scratch *sc;
	struct matcher *m;
	char err[96];

	/* First line: the pattern; the rest: what it is matched against. */
	if (pattern && subject && matcher_compile(pattern, &m, err, sizeof(err)) == 0) {
		if (match_scratch_new(matcher_states(m), &sc) == 0) {
			if (matcher_match(m, subject, sc) < 0)
				abort(); /* sized for it: must not happen */
			match_scratch_free(sc);
		}
		matcher_free(m);
	}
	free(pattern);
	free(subject);
	return 0;
}
