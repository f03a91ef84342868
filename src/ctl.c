/* SPDX-License-Identifier: MIT */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "sock.h"
#include "sys.h"

struct client {
	struct ctl *ctl;
	int fd;
	bool subscribed;
	bool root; /* the peer is uid 0 (SO_PEERCRED at accept) */
	struct loop_watch watch;
	struct loop_timer idle; /* armed while not subscribed */
};

struct ctl {
	char *path;
	int listen_fd;
	struct loop *loop;
	ctl_handler_fn handler;
	void *ctx;
	struct loop_watch listen_watch;
	struct client clients[CTL_MAX_CLIENTS];
	char request[CTL_REQUEST_MAX + 2];
	char reply[CTL_REPLY_MAX];
};

static const struct {
	const char *name;
	enum ctl_cmd cmd;
	int min_args, max_args;
	const char *usage;
} commands[] = {
	{"status", CTL_STATUS, 0, 0, "status"},
	{"victims", CTL_VICTIMS, 0, 1, "victims [N]"},
	{"history", CTL_HISTORY, 0, 1, "history [N]"},
	{"killcount", CTL_KILLCOUNT, 0, 2, "killcount [MIN MAX]"},
	{"prio", CTL_PRIO, 2, 2, "prio PID ADJ"},
	{"subscribe", CTL_SUBSCRIBE, 0, 0, "subscribe"},
	{"metrics", CTL_METRICS, 0, 0, "metrics"},
	{"reload", CTL_RELOAD, 0, 0, "reload"},
};

/* Range of each argument, per command: {min, max} for arg 0 and arg 1. */
static int check_args(const struct ctl_request *r, int nargs, char *err, size_t n)
{
	static const struct {
		const char *what;
		long min, max;
	} limits[][2] = {
		[CTL_VICTIMS] = {{"N", 1, CTL_VICTIMS_MAX}},
		[CTL_HISTORY] = {{"N", 1, CTL_HISTORY_MAX}},
		[CTL_KILLCOUNT] = {{"MIN", CTL_ADJ_MIN, CTL_ADJ_MAX}, {"MAX", CTL_ADJ_MIN, CTL_ADJ_MAX}},
		[CTL_PRIO] = {{"PID", 1, CTL_PID_MAX}, {"ADJ", CTL_ADJ_MIN, CTL_ADJ_MAX}},
	};

	for (int i = 0; i < nargs; i++) {
		if (r->arg[i] < limits[r->cmd][i].min || r->arg[i] > limits[r->cmd][i].max) {
			snprintf(err, n, "%s must be from %ld to %ld", limits[r->cmd][i].what,
				 limits[r->cmd][i].min, limits[r->cmd][i].max);
			return -EINVAL;
		}
	}
	if (r->cmd == CTL_KILLCOUNT && nargs == 1) {
		snprintf(err, n, "usage: killcount [MIN MAX]");
		return -EINVAL;
	}
	if (r->cmd == CTL_KILLCOUNT && r->arg[0] > r->arg[1]) {
		snprintf(err, n, "MIN must not be above MAX");
		return -EINVAL;
	}
	return 0;
}

static void set_defaults(struct ctl_request *r)
{
	switch (r->cmd) {
	case CTL_VICTIMS:
	case CTL_HISTORY:
		r->arg[0] = 20;
		break;
	case CTL_KILLCOUNT:
		r->arg[0] = CTL_ADJ_MIN;
		r->arg[1] = CTL_ADJ_MAX;
		break;
	default:
		break;
	}
}

int ctl_parse_request(const char *buf, size_t len, struct ctl_request *ret, char *err,
		      size_t err_len)
{
	char line[CTL_REQUEST_MAX + 1], *words[4], *save = NULL;
	struct ctl_request r = {0};
	int nwords = 0;

	if (len > CTL_REQUEST_MAX) {
		snprintf(err, err_len, "request longer than %d bytes", CTL_REQUEST_MAX);
		return -EINVAL;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || memchr(buf, '\0', len)) {
		snprintf(err, err_len, "empty or binary request");
		return -EINVAL;
	}
	memcpy(line, buf, len);
	line[len] = '\0';
	for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (nwords == 4) {
			snprintf(err, err_len, "too many arguments");
			return -EINVAL;
		}
		words[nwords++] = w;
	}
	if (nwords == 0) {
		snprintf(err, err_len, "empty request");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		int nargs = nwords - 1;

		if (strcmp(words[0], commands[i].name) != 0)
			continue;
		if (nargs < commands[i].min_args || nargs > commands[i].max_args) {
			snprintf(err, err_len, "usage: %s", commands[i].usage);
			return -EINVAL;
		}
		r.cmd = commands[i].cmd;
		set_defaults(&r);
		for (int a = 0; a < nargs; a++) {
			if (parse_int_range(words[a + 1], -CTL_PID_MAX, CTL_PID_MAX, &r.arg[a]) < 0) {
				snprintf(err, err_len, "not a number: '%.32s'", words[a + 1]);
				return -EINVAL;
			}
		}
		if (check_args(&r, nargs, err, err_len) < 0)
			return -EINVAL;
		*ret = r;
		return 0;
	}
	snprintf(err, err_len, "unknown command '%.32s'", words[0]);
	return -EINVAL;
}

static void arm_idle(struct client *cl);

static void drop(struct client *cl)
{
	if (cl->fd < 0)
		return;
	loop_timer_disarm(cl->ctl->loop, &cl->idle);
	loop_del(cl->ctl->loop, cl->fd);
	cl->fd = safe_close(cl->fd);
	cl->subscribed = false;
}

/* Builds the reply to one request packet in c->reply. Returns its length. */
static size_t answer(struct ctl *c, struct client *cl, size_t len)
{
	struct ctl_request req;
	struct ucred peer;
	struct jsonw w;
	char err[160] = "";
	int r, n;

	r = ctl_parse_request(c->request, len, &req, err, sizeof(err));
	if (r == 0 && (r = sock_peer_cred(cl->fd, &peer)) < 0)
		snprintf(err, sizeof(err), "cannot read peer credentials");
	if (r == 0) {
		jsonw_init(&w, c->reply, sizeof(c->reply));
		jsonw_object_begin(&w);
		jsonw_kv_bool(&w, "ok", true);
		if (req.cmd == CTL_SUBSCRIBE) {
			/* A subscriber waits for events, maybe for hours: never idle. */
			cl->subscribed = true;
			loop_timer_disarm(c->loop, &cl->idle);
			jsonw_kv_bool(&w, "subscribed", true);
		} else {
			r = c->handler(c->ctx, &req, &peer, &w, err, sizeof(err));
		}
		jsonw_object_end(&w);
		if (r == 0 && (n = jsonw_finish(&w)) >= 0)
			return (size_t)n;
		if (r == 0)
			snprintf(err, sizeof(err), "reply too large");
	}
	jsonw_init(&w, c->reply, sizeof(c->reply));
	jsonw_object_begin(&w);
	jsonw_kv_bool(&w, "ok", false);
	jsonw_kv_string(&w, "error", err[0] ? err : "request failed");
	jsonw_object_end(&w);
	n = jsonw_finish(&w);
	return n > 0 ? (size_t)n : 0;
}

static void on_client(void *ctx, uint32_t events)
{
	struct client *cl = ctx;
	struct ctl *c = cl->ctl;

	for (;;) {
		ssize_t n = sock_recv(cl->fd, c->request, sizeof(c->request) - 1, NULL);
		size_t len;

		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			drop(cl);
			return;
		}
		/* An oversized request was cut to the buffer: the parser refuses it by length. */
		len = answer(c, cl, (size_t)n);
		if (len == 0 || sock_send(cl->fd, c->reply, len) < 0) {
			/* A client that cannot take its reply now is not waited for. */
			drop(cl);
			return;
		}
		if (!cl->subscribed)
			arm_idle(cl);
	}
	if (events & (EPOLLHUP | EPOLLERR))
		drop(cl);
}

static void arm_idle(struct client *cl)
{
	loop_timer_arm(cl->ctl->loop, &cl->idle, now_usec() + CTL_IDLE_TIMEOUT_MS * USEC_PER_MSEC);
}

static void on_idle(void *ctx)
{
	struct client *cl = ctx;

	log_debug("control: closing a connection idle for %d s", CTL_IDLE_TIMEOUT_MS / 1000);
	drop(cl);
}

/* Tells a client why it is not served, in the protocol's format, and closes it. */
static void refuse(int fd, bool root)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf),
			 "{\"ok\":false,\"busy\":true,\"error\":\"too many connections (%d open%s); "
			 "try again later\"}",
			 root ? CTL_MAX_CLIENTS : CTL_MAX_CLIENTS - CTL_ROOT_RESERVED,
			 root ? "" : ", the rest kept for root");

	sock_send(fd, buf, (size_t)n);
	close(fd);
}

/*
 * A free slot for a peer: root may take any; others leave CTL_ROOT_RESERVED
 * free, so no number of their idle connections locks root out.
 */
static struct client *free_slot(struct ctl *c, bool root)
{
	struct client *free_cl = NULL;
	size_t others = 0;

	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd < 0) {
			if (!free_cl)
				free_cl = &c->clients[i];
		} else if (!c->clients[i].root) {
			others++;
		}
	}
	if (!root && others >= CTL_MAX_CLIENTS - CTL_ROOT_RESERVED)
		return NULL;
	return free_cl;
}

static void on_listen(void *ctx, uint32_t events)
{
	struct ctl *c = ctx;
	int fd;

	(void)events;
	while ((fd = sock_accept(c->listen_fd)) >= 0) {
		struct ucred peer = {.uid = (uid_t)-1};
		bool root = sock_peer_cred(fd, &peer) == 0 && peer.uid == 0;
		struct client *cl = free_slot(c, root);

		if (!cl) {
			log_debug("control: table full; refusing a connection of uid %u",
				  (unsigned)peer.uid);
			refuse(fd, root);
			continue;
		}
		*cl = (struct client){.ctl = c, .fd = fd, .root = root};
		cl->watch = (struct loop_watch){.fn = on_client, .ctx = cl};
		loop_timer_init(&cl->idle, on_idle, cl);
		if (loop_add(c->loop, fd, EPOLLIN, &cl->watch) < 0) {
			cl->fd = safe_close(fd);
			continue;
		}
		arm_idle(cl);
	}
}

int ctl_new(const char *path, mode_t mode, struct loop *loop, ctl_handler_fn handler, void *ctx,
	    struct ctl **ret)
{
	struct ctl *c = calloc(1, sizeof(*c));
	int r;

	if (!c || !(c->path = strdup(path))) {
		free(c);
		return -ENOMEM;
	}
	c->loop = loop;
	c->handler = handler;
	c->ctx = ctx;
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	c->listen_fd = sock_listen(path, mode);
	if (c->listen_fd < 0) {
		r = c->listen_fd;
		free(c->path);
		free(c);
		return r;
	}
	c->listen_watch = (struct loop_watch){.fn = on_listen, .ctx = c};
	r = loop_add(loop, c->listen_fd, EPOLLIN, &c->listen_watch);
	if (r < 0) {
		ctl_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		drop(&c->clients[i]);
	loop_del(c->loop, c->listen_fd);
	safe_close(c->listen_fd);
	sock_unlink(c->path);
	free(c->path);
	free(c);
}

void ctl_broadcast(struct ctl *c, const char *packet, size_t len)
{
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct client *cl = &c->clients[i];

		if (cl->fd >= 0 && cl->subscribed && sock_send(cl->fd, packet, len) < 0) {
			log_debug("control: dropping a subscriber that cannot keep up");
			drop(cl);
		}
	}
}

size_t ctl_clients(const struct ctl *c)
{
	size_t n = 0;

	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		n += c->clients[i].fd >= 0;
	return n;
}
