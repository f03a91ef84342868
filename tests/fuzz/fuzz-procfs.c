/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the scope checks of src/procfs.c: /proc/<pid>/cgroup and mountinfo. */
#include "fuzz-common.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct procfs_scope scopes[] = {
		{.kind = PROCFS_SCOPE_V1, .rel = "/box"},
		{.kind = PROCFS_SCOPE_V2, .rel = "/box/child"},
		{.kind = PROCFS_SCOPE_V1, .rel = "/"},
	};
	struct procfs_scope s;
	char *str = fuzz_string(data, size);

	if (!str)
		return 0;
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		(void)procfs_cgroup_in_scope(&scopes[i], str);
	(void)procfs_scope_from_mountinfo(str, "/sys/fs/cgroup/memory/box", false, &s);
	(void)procfs_scope_from_mountinfo(str, "/sys/fs/cgroup/box", true, &s);
	free(str);
	return 0;
}
