/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the libFuzzer harnesses: the input as a NUL-terminated string. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns a malloc'd NUL-terminated copy of the input (the parsers take strings). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}
