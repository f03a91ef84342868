/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the parser of memory.stat, memory.events and cgroup value files (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	uint64_t v;

	if (!s)
		return 0;
	(void)parse_keyed_u64(s, "total_inactive_file", &v);
	(void)parse_keyed_u64(s, "inactive_file", &v);
	(void)parse_cgroup_value(s, &v);
	free(s);
	return 0;
}
