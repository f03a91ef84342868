/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the parser of /proc/<pid>/smaps_rollup (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct smaps_rollup sr;

	if (!s)
		return 0;
	if (parse_smaps_rollup(s, &sr) == 0)
		(void)smaps_freeable_kib(&sr);
	free(s);
	return 0;
}
