/* SPDX-License-Identifier: MIT */
#include "selfprotect.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "caps.h"
#include "log.h"
#include "sys.h"

#define STACK_PREFAULT_BYTES (64 * 1024)

void selfprotect_drop_caps(bool switch_user)
{
	uint64_t kept;
	int r;

	if (geteuid() != 0)
		return;
	r = caps_drop_to(caps_wanted(switch_user), &kept);
	if (r < 0)
		log_warn_errno(r, "cannot drop the capabilities reapd does not need");
	else
		log_debug("capabilities kept: %#llx", (unsigned long long)kept);
}

/*
 * A killer that cannot get a CPU while hogs take them all acts too late.  As
 * lmkd does, run at real-time priority, low ones: above every normal task,
 * below anything the admin made real-time above 3.  Set before the reaper and
 * watchdog threads start, so they inherit SCHED_FIFO 2 and reaping is not
 * starved either.  Priority 1 is left for the victims: a boosted victim runs
 * at SCHED_FIFO 1 (boost.h), below the threads that still have work to do.
 */
void selfprotect_realtime(bool enabled)
{
	struct sched_param sp = {.sched_priority = 2};

	if (!enabled)
		return;
	/*
	 * Not SCHED_RESET_ON_FORK: it would reset the reaper threads too.  The only
	 * processes reapd forks, kill hooks, reset their policy before exec.
	 */
	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
		log_warn_errno(-errno, "cannot run at real-time priority (needs CAP_SYS_NICE)");
}

/*
 * Then the main thread goes one above its threads.  At equal SCHED_FIFO
 * priority a reaper thread busy in process_mrelease keeps its CPU until the
 * reap is done (tens of ms for GiBs), and on a small machine the loop may have
 * no other CPU; one level higher, the loop takes the CPU back at the reap's
 * next rescheduling point.
 */
void selfprotect_raise_loop(bool enabled)
{
	struct sched_param sp = {.sched_priority = 3};

	if (enabled && sched_getscheduler(0) == SCHED_FIFO)
		sched_setscheduler(0, SCHED_FIFO, &sp);
}

/* Touches stack pages now so that, once locked, the kill path never faults one in. */
static __attribute__((noinline)) void prefault_stack(void)
{
	char buf[STACK_PREFAULT_BYTES];

	prefault(buf, sizeof(buf));
}

void selfprotect_lock(int proc_fd, bool lock)
{
	int r = write_at(proc_fd, "self/oom_score_adj", "-1000");

	if (r < 0)
		log_warn_errno(r, "cannot set reapd's own oom_score_adj to -1000 (needs "
				  "CAP_SYS_RESOURCE); the kernel OOM killer may pick reapd");
	if (!lock)
		return;
	prefault_stack();
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
		log_warn_errno(-errno, "cannot lock reapd's memory (mlockall)");
}
