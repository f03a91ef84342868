/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The control protocol's constants (docs/control-protocol.md), shared by
 * reapd (ctl.c) and reapctl, as lmkd_proto.h is for the lmkd endpoint.
 * Header only: reapctl links nothing from src/.
 */

/* Where reapd listens and reapctl connects unless told otherwise. */
#define CTL_DEFAULT_PATH "/run/reapd/control"

/* The longest request and reply, in bytes (one SOCK_SEQPACKET packet each). */
#define CTL_REQUEST_MAX 255
#define CTL_REPLY_MAX   65536

/* The bounds of an oom_score_adj (killcount MIN MAX, prio ADJ). */
#define CTL_ADJ_MIN (-1000)
#define CTL_ADJ_MAX 1000

/* The largest pid a prio request names (the kernel's PID_MAX_LIMIT). */
#define CTL_PID_MAX 0x3fffffff

/* The largest N of "victims N" and "history N". */
#define CTL_VICTIMS_MAX 200
#define CTL_HISTORY_MAX 64
