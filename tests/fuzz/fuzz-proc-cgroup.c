/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the parser of /proc/<pid>/cgroup (src/parse.c). */
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	char path[256];

	if (!s)
		return 0;
	(void)parse_proc_cgroup(s, "freezer", path, sizeof(path));
	(void)parse_proc_cgroup(s, "", path, sizeof(path));
	free(s);
	return 0;
}
