/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * reapd's control socket (docs/control-protocol.md): short text requests,
 * one JSON reply per request, kill events pushed to subscribers.  A fixed
 * number of connections with fixed buffers; a client that cannot take its
 * reply at once is dropped, never waited for.  Idle connections that did not
 * subscribe are closed after CTL_IDLE_TIMEOUT_MS; a client refused because
 * the table is full is told so before it is closed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ctl_proto.h"
#include "jsonw.h"
#include "loop.h"

#define CTL_MAX_CLIENTS 32
/* Of those, kept for root: other users' connections cannot lock root out. */
#define CTL_ROOT_RESERVED 4
/* A connection that neither asks nor subscribes for this long is closed. */
#define CTL_IDLE_TIMEOUT_MS 10000

enum ctl_cmd {
	CTL_STATUS,
	CTL_VICTIMS,
	CTL_HISTORY,
	CTL_KILLCOUNT,
	CTL_PRIO,
	CTL_SUBSCRIBE,
	CTL_METRICS,
	CTL_RELOAD,
};

struct ctl_request {
	enum ctl_cmd cmd;
	long arg[2]; /* victims/history: N; killcount: MIN MAX; prio: PID ADJ */
};

/*
 * Parses one request (@len bytes, not NUL-terminated).  Fills defaults for
 * omitted optional arguments.  Returns 0, or -EINVAL with a one-line reason
 * in @err.
 */
int ctl_parse_request(const char *buf, size_t len, struct ctl_request *ret, char *err,
		      size_t err_len);

/*
 * Answers a request: writes the reply's fields after "ok": true into @w
 * (an object is open), or returns -errno with a reason in @err.  @peer is
 * who asked.
 */
typedef int (*ctl_handler_fn)(void *ctx, const struct ctl_request *req, const struct ucred *peer,
			      struct jsonw *w, char *err, size_t err_len);

struct ctl;

/*
 * Listens on @path (mode @mode) and serves requests from @loop with
 * @handler.  Returns 0, or -errno (see sock_listen()).
 */
int ctl_new(const char *path, mode_t mode, struct loop *loop, ctl_handler_fn handler, void *ctx,
	    struct ctl **ret);

/* Closes every connection and removes the socket. */
void ctl_free(struct ctl *c);

/* Sends @packet to every subscriber; subscribers that cannot take it are dropped. */
void ctl_broadcast(struct ctl *c, const char *packet, size_t len);

/* Returns the number of open connections. */
size_t ctl_clients(const struct ctl *c);
