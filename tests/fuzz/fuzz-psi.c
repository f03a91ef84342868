/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the parser of PSI files (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct psi_stats ps;

	if (!s)
		return 0;
	(void)parse_psi(s, &ps);
	free(s);
	return 0;
}
