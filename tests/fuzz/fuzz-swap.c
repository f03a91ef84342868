/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for /proc/swaps and zram's mm_stat (src/swap.c). */
#include "fuzz-common.h"
#include "swap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct swap_device devs[SWAP_MAX_DEVICES];
	struct zram_stat z;
	char *s = fuzz_string(data, size);
	size_t n;

	if (!s)
		return 0;
	if (parse_proc_swaps(s, devs, SWAP_MAX_DEVICES, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (devs[i].path[SWAP_PATH_MAX - 1] != '\0')
				__builtin_trap();
	(void)parse_proc_swaps(s, devs, 1, &n);
	(void)parse_zram_mm_stat(s, &z);
	free(s);
	return 0;
}
