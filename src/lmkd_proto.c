/* SPDX-License-Identifier: MIT */
#include "lmkd_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define ADJ_LO (-1000)
#define ADJ_HI 1000

static int32_t get(const unsigned char *buf, size_t i)
{
	uint32_t v;

	memcpy(&v, buf + 4 * i, 4);
	return (int32_t)ntohl(v);
}

static int parse_procprio(const unsigned char *buf, size_t first, size_t nfields,
			  struct lmkd_procprio *ret)
{
	struct lmkd_procprio p = {
		.pid = get(buf, first),
		.uid = (uid_t)get(buf, first + 1),
		.adj = get(buf, first + 2),
		.type = nfields > 3 ? get(buf, first + 3) : LMK_PROC_APP,
	};

	if (p.pid <= 0 || p.adj < ADJ_LO || p.adj > ADJ_HI ||
	    (p.type != LMK_PROC_APP && p.type != LMK_PROC_SERVICE))
		return -ERANGE;
	*ret = p;
	return 0;
}

static int parse_target(const unsigned char *buf, size_t nargs, struct lmkd_packet *p)
{
	if (nargs % 2 != 0 || nargs / 2 > LMKD_MAX_TARGETS)
		return -EBADMSG;
	p->target.n = nargs / 2;
	for (size_t i = 0; i < p->target.n; i++) {
		struct lmkd_target *t = &p->target.levels[i];

		t->minfree_pages = get(buf, 1 + 2 * i);
		t->adj = get(buf, 2 + 2 * i);
		if (t->minfree_pages < 0 || t->adj < ADJ_LO || t->adj > ADJ_HI)
			return -ERANGE;
	}
	return 0;
}

static int parse_procs_prio(const unsigned char *buf, size_t nargs, struct lmkd_packet *p)
{
	if (nargs == 0 || nargs % 4 != 0 || nargs / 4 > LMKD_MAX_PROCS)
		return -EBADMSG;
	p->prio.n = nargs / 4;
	for (size_t i = 0; i < p->prio.n; i++)
		if (parse_procprio(buf, 1 + 4 * i, 4, &p->prio.recs[i]) < 0)
			return -ERANGE;
	return 0;
}

/* Checks that a command with fixed arguments got exactly @want of them. */
static int want(size_t nargs, size_t lo, size_t hi)
{
	return nargs >= lo && nargs <= hi ? 0 : -EBADMSG;
}

int lmkd_parse(const void *data, size_t len, struct lmkd_packet *ret)
{
	const unsigned char *buf = data;
	struct lmkd_packet p = {0};
	size_t nargs;
	int r;

	if (len < 4 || len > LMKD_PACKET_MAX || len % 4 != 0)
		return -EBADMSG;
	nargs = len / 4 - 1;
	p.cmd = get(buf, 0);
	switch (p.cmd) {
	case LMK_TARGET:
		r = parse_target(buf, nargs, &p);
		break;
	case LMK_PROCPRIO:
		r = want(nargs, 3, 4);
		if (r == 0) {
			p.prio.n = 1;
			r = parse_procprio(buf, 1, nargs, &p.prio.recs[0]);
		}
		break;
	case LMK_PROCREMOVE:
		r = want(nargs, 1, 1);
		p.remove_pid = r == 0 ? get(buf, 1) : 0;
		if (r == 0 && p.remove_pid <= 0)
			r = -ERANGE;
		break;
	case LMK_PROCPURGE:
	case LMK_UPDATE_PROPS:
		r = want(nargs, 0, 0);
		break;
	case LMK_GETKILLCNT:
		r = want(nargs, 2, 2);
		if (r == 0) {
			p.killcnt.min_adj = get(buf, 1);
			p.killcnt.max_adj = get(buf, 2);
		}
		break;
	case LMK_SUBSCRIBE:
		r = want(nargs, 1, 1);
		p.event_type = r == 0 ? get(buf, 1) : 0;
		if (r == 0 && p.event_type != LMK_ASYNC_EVENT_KILL &&
		    p.event_type != LMK_ASYNC_EVENT_STAT)
			r = -ERANGE;
		break;
	case LMK_PROCS_PRIO:
		r = parse_procs_prio(buf, nargs, &p);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

size_t lmkd_encode(void *buf, int cmd, const int32_t *vals, size_t n)
{
	unsigned char *out = buf;
	uint32_t v;

	if ((n + 1) * 4 > LMKD_PACKET_MAX)
		return 0;
	v = htonl((uint32_t)cmd);
	memcpy(out, &v, 4);
	for (size_t i = 0; i < n; i++) {
		v = htonl((uint32_t)vals[i]);
		memcpy(out + 4 * (i + 1), &v, 4);
	}
	return (n + 1) * 4;
}
