/* SPDX-License-Identifier: MIT */
#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIT(cap) (UINT64_C(1) << (cap))

uint64_t caps_wanted(bool switch_user)
{
	uint64_t c = BIT(CAP_KILL) | BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH) |
		     BIT(CAP_DAC_OVERRIDE) | BIT(CAP_SYS_RESOURCE) | BIT(CAP_IPC_LOCK) |
		     BIT(CAP_SYS_NICE);

	if (switch_user)
		c |= BIT(CAP_SETUID) | BIT(CAP_SETGID);
	return c;
}

static int get_caps(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};

	return syscall(SYS_capget, &hdr, data) < 0 ? -errno : 0;
}

static uint64_t join(uint32_t lo, uint32_t hi)
{
	return (uint64_t)lo | (uint64_t)hi << 32;
}

int caps_drop_to(uint64_t keep, uint64_t *ret_kept)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	uint64_t permitted;
	int r;

	if ((r = get_caps(data)) < 0)
		return r;
	permitted = join(data[0].permitted, data[1].permitted);
	keep &= permitted;
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which goes next. */
	if (permitted & BIT(CAP_SETPCAP))
		for (int cap = 0; cap < 64; cap++)
			if (!(keep & BIT(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
			    errno == EINVAL)
				break; /* past the last capability this kernel knows */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	data[0].permitted = data[0].effective = (uint32_t)keep;
	data[1].permitted = data[1].effective = (uint32_t)(keep >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if ((r = get_caps(data)) < 0)
		return r;
	*ret_kept = join(data[0].effective, data[1].effective);
	return 0;
}
