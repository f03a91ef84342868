/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the control socket's request parser (src/ctl.c). */
#include "ctl.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request r;
	char err[160];

	/* The server hands the parser at most this much (a longer packet is cut). */
	if (size > CTL_REQUEST_MAX + 1)
		size = CTL_REQUEST_MAX + 1;
	if (ctl_parse_request((const char *)data, size, &r, err, sizeof(err)) == 0 &&
	    (r.cmd > CTL_RELOAD || (r.cmd == CTL_KILLCOUNT && r.arg[0] > r.arg[1])))
		abort();
	return 0;
}
