/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the lmkd wire format (src/lmkd_proto.c). */
#include "fuzz-common.h"
#include "lmkd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmkd_packet p;
	unsigned char out[LMKD_PACKET_MAX];
	int32_t vals[3] = {1, 2, 3};

	if (lmkd_parse(data, size, &p) == 0) {
		/* What the parser accepts must be within what the server relies on. */
		if ((p.cmd == LMK_PROCPRIO || p.cmd == LMK_PROCS_PRIO) &&
		    (p.prio.n == 0 || p.prio.n > LMKD_MAX_PROCS))
			abort();
		if (p.cmd == LMK_TARGET && p.target.n > LMKD_MAX_TARGETS)
			abort();
	}
	(void)lmkd_encode(out, size > 0 ? data[0] : 0, vals, 3);
	return 0;
}
