/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The service manager's notification protocol (sd_notify), without
 * libsystemd: datagrams of "NAME=value" lines sent to $NOTIFY_SOCKET.  When
 * reapd was not started by systemd with Type=notify, nothing is sent.
 */

/*
 * Reads $NOTIFY_SOCKET, opens a socket for it and removes the variable from
 * the environment (children must not inherit it).  Returns 1 when there is
 * a service manager to tell, 0 when there is none, or -errno.
 */
int sdnotify_open(void);

/* Closes the socket. */
void sdnotify_close(void);

/*
 * Sends one message (e.g. "READY=1\nSTATUS=..."), formatted into a stack
 * buffer; never blocks.  Returns 0 (also when there is no manager) or -errno.
 */
int sdnotify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
