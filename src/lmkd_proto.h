/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The wire format of Android lmkd's control socket: each packet is an array
 * of 32-bit integers in network byte order, [cmd, args...], at most 52 bytes.
 * Parsing and encoding only; no I/O.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LMKD_PACKET_MAX  52 /* 13 ints: LMK_TARGET with 6 pairs */
#define LMKD_MAX_TARGETS 6
#define LMKD_MAX_PROCS   3 /* records in one LMK_PROCS_PRIO */

enum lmk_cmd {
	LMK_TARGET = 0,
	LMK_PROCPRIO = 1,
	LMK_PROCREMOVE = 2,
	LMK_PROCPURGE = 3,
	LMK_GETKILLCNT = 4,
	LMK_SUBSCRIBE = 5,
	LMK_PROCKILL = 6,
	LMK_UPDATE_PROPS = 7,
	LMK_STAT_KILL_OCCURRED = 8,
	LMK_START_MONITORING = 9,
	LMK_BOOT_COMPLETED = 10,
	LMK_PROCS_PRIO = 11,
};

enum lmk_proc_type {
	LMK_PROC_APP = 0,
	LMK_PROC_SERVICE = 1,
};

#define LMK_ASYNC_EVENT_KILL 0
#define LMK_ASYNC_EVENT_STAT 1

struct lmkd_procprio {
	pid_t pid;
	uid_t uid;
	int adj;
	int type;
};

struct lmkd_target {
	int minfree_pages;
	int adj;
};

struct lmkd_packet {
	int cmd;
	union {
		struct {
			size_t n;
			struct lmkd_target levels[LMKD_MAX_TARGETS];
		} target;
		struct {
			size_t n; /* 1 for LMK_PROCPRIO */
			struct lmkd_procprio recs[LMKD_MAX_PROCS];
		} prio;
		pid_t remove_pid;
		struct {
			int min_adj, max_adj;
		} killcnt;
		int event_type;
	};
};

/*
 * Parses a packet of @len bytes.  Returns 0; -EBADMSG when the length does
 * not fit the command (short, long, not a multiple of 4); -ERANGE when a
 * value is out of range (pid <= 0, adj outside [-1000, 1000], unknown type or
 * event); -EOPNOTSUPP for commands reapd ignores (later lmkd versions', or
 * LMK_PROCKILL, which only reapd sends).  @ret is written only on success.
 */
int lmkd_parse(const void *buf, size_t len, struct lmkd_packet *ret);

/*
 * Encodes [@cmd, @vals...] into @buf (room for LMKD_PACKET_MAX bytes).
 * Returns the packet's length in bytes, or 0 when @n is too large.
 */
size_t lmkd_encode(void *buf, int cmd, const int32_t *vals, size_t n);
