/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the parser of option values (sizes, percentages, integers) (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct threshold t;
	uint64_t b;
	long v;

	if (!s)
		return 0;
	(void)parse_size(s, &b);
	if (parse_threshold(s, &t) == 0)
		(void)threshold_kib(&t, 1ULL << 40);
	(void)parse_int_range(s, -1000, 1000, &v);
	free(s);
	return 0;
}
