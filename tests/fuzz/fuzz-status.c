/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the parser of /proc/<pid>/status (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct proc_status st;

	if (!s)
		return 0;
	if (parse_proc_status(s, &st) == 0)
		(void)sigmask_has_sigkill(st.shdpnd);
	free(s);
	return 0;
}
