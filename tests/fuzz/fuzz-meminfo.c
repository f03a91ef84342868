/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the parser of /proc/meminfo (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct meminfo mi;

	if (!s)
		return 0;
	(void)parse_meminfo(s, &mi);
	free(s);
	return 0;
}
