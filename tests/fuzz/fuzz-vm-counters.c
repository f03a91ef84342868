/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the reclaim counters of /proc/vmstat and v2 memory.stat (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct vm_counters c;

	if (!s)
		return 0;
	(void)parse_vm_counters(s, 1, &c);
	(void)parse_vm_counters(s, 4096, &c);
	free(s);
	return 0;
}
