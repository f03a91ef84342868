/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the CPU limit files the boost reads (src/parse.c, src/boost.c). */
#include "boost.h"
#include "fuzz-common.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	cpu_set_t set, ours;
	bool limited;

	if (!s)
		return 0;
	CPU_ZERO(&ours);
	CPU_SET(0, &ours);
	CPU_SET(1, &ours);
	(void)parse_cpu_list(s, &set);
	(void)parse_cpu_max(s, &limited);
	for (unsigned kind = 1; kind <= BOOST_LIMIT_CPUSET; kind <<= 1)
		(void)boost_file_limits(kind, s, &ours);
	free(s);
	return 0;
}
