/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the config file parser and every option's value parser. */
#include <stdio.h>

#include "config.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *in, *err;
	struct config c;

	if (size == 0)
		return 0;
	in = fmemopen((void *)data, size, "r");
	err = fopen("/dev/null", "w");
	if (in && err) {
		config_init(&c);
		(void)config_load_stream(&c, in, "fuzz.conf", err);
		config_free(&c);
	}
	if (in)
		fclose(in);
	if (err)
		fclose(err);
	return 0;
}
