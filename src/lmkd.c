/* SPDX-License-Identifier: MIT */
#include "lmkd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "sock.h"
#include "sys.h"

struct conn {
	struct lmkd *l;
	int fd;
	bool subscribed;
	uid_t uid; /* the peer at accept (SO_PEERCRED) */
	uint32_t generation; /* tells a record's owner from a later user of the same slot */
	struct loop_watch watch;
};

struct record {
	struct lmkd *l;
	bool used;
	pid_t pid;
	uid_t uid;
	int adj;
	int type;
	int pidfd;
	size_t conn;
	uint32_t conn_generation;
	struct loop_watch watch;
};

struct lmkd {
	struct lmkd_config cfg;
	char *path;
	int listen_fd;
	struct loop *loop;
	const struct lmkd_ops *ops;
	void *ctx;
	struct loop_watch listen_watch;
	struct conn conns[LMKD_MAX_CONN];
	uint32_t generation;
	struct record *records;
	size_t n_records;
};

static void remove_record(struct record *rec)
{
	struct lmkd *l = rec->l;

	loop_del(l->loop, rec->pidfd);
	rec->pidfd = safe_close(rec->pidfd);
	rec->used = false;
	l->n_records--;
}

static bool owned_by(const struct record *rec, const struct conn *c)
{
	return rec->conn == (size_t)(c - rec->l->conns) && rec->conn_generation == c->generation;
}

static struct record *find_record(struct lmkd *l, pid_t pid)
{
	for (size_t i = 0; i < l->cfg.max_records; i++)
		if (l->records[i].used && l->records[i].pid == pid)
			return &l->records[i];
	return NULL;
}

static void close_conn(struct conn *c)
{
	struct lmkd *l = c->l;

	if (c->fd < 0)
		return;
	/* A record belongs to the connection that made it. */
	for (size_t i = 0; i < l->cfg.max_records; i++)
		if (l->records[i].used && owned_by(&l->records[i], c))
			remove_record(&l->records[i]);
	loop_del(l->loop, c->fd);
	c->fd = safe_close(c->fd);
	c->subscribed = false;
}

/* The registered process died: its pidfd became readable. */
static void on_record_exit(void *ctx, uint32_t events)
{
	(void)events;
	remove_record(ctx);
}

static struct record *new_record(struct lmkd *l, struct conn *c, const struct lmkd_procprio *p)
{
	struct record *rec = NULL;
	int pidfd;

	for (size_t i = 0; i < l->cfg.max_records && !rec; i++)
		if (!l->records[i].used)
			rec = &l->records[i];
	if (!rec) {
		log_warn("lmkd: %zu processes registered already; not tracking pid %d",
			 l->cfg.max_records, (int)p->pid);
		return NULL;
	}
	pidfd = sys_pidfd_open(p->pid);
	if (pidfd < 0)
		return NULL;
	*rec = (struct record){.l = l, .used = true, .pid = p->pid, .pidfd = pidfd,
			       .conn = (size_t)(c - l->conns), .conn_generation = c->generation};
	rec->watch = (struct loop_watch){.fn = on_record_exit, .ctx = rec};
	if (loop_add(l->loop, pidfd, EPOLLIN, &rec->watch) < 0) {
		safe_close(pidfd);
		rec->used = false;
		return NULL;
	}
	l->n_records++;
	return rec;
}

static const struct procfs_scope system_scope = {.kind = PROCFS_SCOPE_SYSTEM, .rel = "/"};

static void procprio(struct lmkd *l, struct conn *c, const struct ucred *cred,
		     const struct lmkd_procprio *p)
{
	const struct procfs_scope *scope = l->cfg.scope ? l->cfg.scope : &system_scope;
	struct record *rec = find_record(l, p->pid);
	struct procfs_target t;
	int r;

	if (rec && !owned_by(rec, c)) {
		log_warn("lmkd: pid %d is registered by another connection; ignored", (int)p->pid);
		return;
	}
	/* As lmkd, a refused record gets no reply: it is logged and ignored. */
	r = procfs_prio_check(l->cfg.proc_fd, scope, l->cfg.self, cred->uid, p->pid, p->adj, &t);
	if (r < 0) {
		log_warn("lmkd: uid %u (pid %d) may not set pid %d to adj %d: %s",
			 (unsigned)cred->uid, (int)cred->pid, (int)p->pid, p->adj,
			 procfs_prio_error(r));
		return;
	}
	r = procfs_write_adj(t.dirfd, p->adj);
	safe_close(t.dirfd);
	if (r < 0) {
		log_warn("lmkd: cannot set pid %d to adj %d: %s", (int)p->pid, p->adj,
			 procfs_prio_error(r));
		return;
	}
	log_info("lmkd: uid %u (pid %d) set pid %d's oom_score_adj from %d to %d",
		 (unsigned)cred->uid, (int)cred->pid, (int)p->pid, t.adj, p->adj);
	if (!rec && !(rec = new_record(l, c, p)))
		return;
	rec->uid = p->uid;
	rec->adj = p->adj;
	rec->type = p->type;
}

static void reply(struct conn *c, int cmd, const int32_t *vals, size_t n)
{
	unsigned char buf[LMKD_PACKET_MAX];
	size_t len = lmkd_encode(buf, cmd, vals, n);

	if (len && sock_send(c->fd, buf, len) < 0)
		close_conn(c);
}

static void handle(struct lmkd *l, struct conn *c, const struct ucred *cred,
		   const struct lmkd_packet *p)
{
	int32_t v[1];

	switch (p->cmd) {
	case LMK_TARGET:
		if (cred->uid != 0) {
			log_warn("lmkd: uid %u may not set minfree levels", (unsigned)cred->uid);
			return;
		}
		/* The daemon logs what it refused or clamped; lmkd sends no reply either way. */
		l->ops->targets(l->ctx, p->target.levels, p->target.n);
		break;
	case LMK_PROCPRIO:
	case LMK_PROCS_PRIO:
		for (size_t i = 0; i < p->prio.n; i++)
			procprio(l, c, cred, &p->prio.recs[i]);
		break;
	case LMK_PROCREMOVE: {
		struct record *rec = find_record(l, p->remove_pid);

		if (rec && owned_by(rec, c))
			remove_record(rec);
		break;
	}
	case LMK_PROCPURGE:
		for (size_t i = 0; i < l->cfg.max_records; i++)
			if (l->records[i].used && owned_by(&l->records[i], c))
				remove_record(&l->records[i]);
		break;
	case LMK_GETKILLCNT:
		v[0] = (int32_t)l->ops->killcount(l->ctx, p->killcnt.min_adj, p->killcnt.max_adj);
		reply(c, LMK_GETKILLCNT, v, 1);
		break;
	case LMK_SUBSCRIBE:
		if (p->event_type == LMK_ASYNC_EVENT_KILL)
			c->subscribed = true;
		break;
	case LMK_UPDATE_PROPS:
		v[0] = cred->uid == 0 && l->ops->reload(l->ctx) == 0 ? 0 : -1;
		reply(c, LMK_UPDATE_PROPS, v, 1);
		break;
	}
}

static void on_conn(void *ctx, uint32_t events)
{
	struct conn *c = ctx;
	struct lmkd *l = c->l;

	while (c->fd >= 0) {
		unsigned char buf[LMKD_PACKET_MAX + 4];
		struct lmkd_packet p;
		struct ucred cred;
		ssize_t n = sock_recv(c->fd, buf, sizeof(buf), &cred);
		int r;

		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			close_conn(c);
			return;
		}
		r = lmkd_parse(buf, n > (ssize_t)sizeof(buf) ? sizeof(buf) : (size_t)n, &p);
		if (r == -EOPNOTSUPP) {
			uint32_t cmd;

			memcpy(&cmd, buf, sizeof(cmd));
			log_debug("lmkd: ignoring command %d, as lmkd ignores unknown ones",
				  (int)ntohl(cmd));
			continue;
		}
		if (r < 0) {
			/* A malformed packet means the stream cannot be trusted: as lmkd, drop it. */
			log_warn("lmkd: malformed packet (%zd bytes); closing the connection", n);
			close_conn(c);
			return;
		}
		handle(l, c, &cred, &p);
	}
	(void)events;
}

/* Root may drop any connection; another user only their own. */
static bool may_drop_all(const struct lmkd *l, uid_t uid)
{
	if (uid == 0)
		return true;
	for (size_t i = 0; i < LMKD_MAX_CONN; i++)
		if (l->conns[i].fd >= 0 && l->conns[i].uid != uid)
			return false;
	return true;
}

static void on_listen(void *ctx, uint32_t events)
{
	struct lmkd *l = ctx;
	struct conn *c = NULL;
	int fd;

	(void)events;
	while ((fd = sock_accept(l->listen_fd)) >= 0) {
		struct ucred peer = {.uid = (uid_t)-1};

		sock_peer_cred(fd, &peer);
		for (size_t i = 0; i < LMKD_MAX_CONN && !c; i++)
			if (l->conns[i].fd < 0)
				c = &l->conns[i];
		if (!c && !may_drop_all(l, peer.uid)) {
			/* Else any user who can connect could cut off root's process manager. */
			log_warn("lmkd: a 4th connection, of uid %u, may not drop other users' "
				 "connections; refused", (unsigned)peer.uid);
			close(fd);
			continue;
		}
		if (!c) {
			/*
			 * As lmkd: more than the maximum means stale connections; drop
			 * them all (their clients reconnect) and take the new one.
			 */
			log_warn("lmkd: a 4th connection; dropping the other %d", LMKD_MAX_CONN);
			for (size_t i = 0; i < LMKD_MAX_CONN; i++)
				close_conn(&l->conns[i]);
			c = &l->conns[0];
		}
		/* Credentials ride along with every packet (SO_PASSCRED, from the listener), so each one is checked. */
		*c = (struct conn){.l = l, .fd = fd, .uid = peer.uid, .generation = ++l->generation};
		c->watch = (struct loop_watch){.fn = on_conn, .ctx = c};
		if (loop_add(l->loop, fd, EPOLLIN, &c->watch) < 0)
			c->fd = safe_close(fd);
		c = NULL;
	}
}

int lmkd_new(const struct lmkd_config *cfg, struct loop *loop, const struct lmkd_ops *ops,
	     void *ctx, struct lmkd **ret)
{
	struct lmkd *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	l->cfg = *cfg;
	l->loop = loop;
	l->ops = ops;
	l->ctx = ctx;
	l->listen_fd = -1;
	for (size_t i = 0; i < LMKD_MAX_CONN; i++)
		l->conns[i] = (struct conn){.l = l, .fd = -1};
	l->path = strdup(cfg->path);
	l->records = calloc(cfg->max_records ? cfg->max_records : 1, sizeof(*l->records));
	if (!l->path || !l->records) {
		lmkd_free(l);
		return -ENOMEM;
	}
	l->cfg.path = l->path;
	l->listen_fd = sock_listen(cfg->path, cfg->mode);
	if (l->listen_fd < 0) {
		r = l->listen_fd;
		free(l->path);
		l->path = NULL;
		lmkd_free(l);
		return r;
	}
	/*
	 * Set on the listener, so every accepted socket has it from accept(2) on.
	 * Set only after accept, a packet the client sent in between came with
	 * no credentials and read as uid 65534: its LMK_PROCPRIO was refused (seen
	 * in the lab, on Debian's 6.1 under TCG).  Before accept the kernel
	 * attaches them anyway.
	 */
	if (setsockopt(l->listen_fd, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)) < 0) {
		r = -errno;
		lmkd_free(l);
		return r;
	}
	l->listen_watch = (struct loop_watch){.fn = on_listen, .ctx = l};
	if ((r = loop_add(loop, l->listen_fd, EPOLLIN, &l->listen_watch)) < 0) {
		lmkd_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void lmkd_free(struct lmkd *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < LMKD_MAX_CONN; i++)
		close_conn(&l->conns[i]);
	for (size_t i = 0; l->records && i < l->cfg.max_records; i++)
		if (l->records[i].used)
			remove_record(&l->records[i]);
	if (l->listen_fd >= 0) {
		loop_del(l->loop, l->listen_fd);
		safe_close(l->listen_fd);
	}
	if (l->path)
		sock_unlink(l->path);
	free(l->path);
	free(l->records);
	free(l);
}

void lmkd_notify_kill(struct lmkd *l, pid_t pid, uid_t uid, uint64_t rss_kib)
{
	int32_t v[3] = {pid, (int32_t)uid, rss_kib > INT32_MAX ? INT32_MAX : (int32_t)rss_kib};

	for (size_t i = 0; i < LMKD_MAX_CONN; i++)
		if (l->conns[i].fd >= 0 && l->conns[i].subscribed)
			reply(&l->conns[i], LMK_PROCKILL, v, 3);
}

size_t lmkd_registered(const struct lmkd *l)
{
	return l->n_records;
}

size_t lmkd_connections(const struct lmkd *l)
{
	size_t n = 0;

	for (size_t i = 0; i < LMKD_MAX_CONN; i++)
		n += l->conns[i].fd >= 0;
	return n;
}

int lmkd_record_adj(const struct lmkd *l, pid_t pid)
{
	for (size_t i = 0; i < l->cfg.max_records; i++)
		if (l->records[i].used && l->records[i].pid == pid)
			return l->records[i].adj;
	return -ENOENT;
}
