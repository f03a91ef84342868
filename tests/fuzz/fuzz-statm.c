/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the parser of /proc/<pid>/statm (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct proc_statm st;

	if (!s)
		return 0;
	(void)parse_proc_statm(s, &st);
	free(s);
	return 0;
}
