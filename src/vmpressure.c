/* SPDX-License-Identifier: MIT */
#include "vmpressure.h"

#include <stdio.h>
#include <string.h>

#include "cgevent.h"
#include "decide.h"

int vmpressure_source_open(int dirfd, const char *level, const char *mode, struct source **ret)
{
	char args[64];
	unsigned signal = strcmp(level, "critical") == 0 ? PRESSURE_VMPRESSURE_CRITICAL : 0;

	snprintf(args, sizeof(args), "%s,%s", level, mode);
	return cg_event_source_open(dirfd, "memory.pressure_level", args, signal, "vmpressure",
				    ret);
}
