/* SPDX-License-Identifier: MIT */
#include "sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "cgevent.h"
#include "log.h"
#include "memevents.h"
#include "psi.h"
#include "source.h"

#define MAX_SOURCES 6

struct source_slot {
	struct sources *set;
	struct source *src;
	struct loop_watch watch;
	bool watched;
};

struct sources {
	struct loop *loop;
	struct domain *domain;
	struct metrics *metrics;
	sources_event_fn fn;
	void *ctx;
	struct source_slot slots[MAX_SOURCES];
	size_t n;
	uint64_t threshold_limit_bytes; /* limit the v1 usage thresholds were set for */
};

int sources_new(struct loop *loop, struct domain *domain, struct metrics *metrics,
		sources_event_fn fn, void *ctx, struct sources **ret)
{
	struct sources *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	*s = (struct sources){.loop = loop, .domain = domain, .metrics = metrics, .fn = fn,
			      .ctx = ctx};
	*ret = s;
	return 0;
}

void sources_free(struct sources *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		source_free(s->slots[i].src);
	free(s);
}

static void on_source(void *ctx, uint32_t events)
{
	struct source_slot *slot = ctx;
	struct sources *s = slot->set;
	int r = source_read_event(slot->src);

	if (r < 0 || (events & (EPOLLERR | EPOLLHUP) && slot->src->ops->poll_events != EPOLLPRI)) {
		/* A source that errors keeps the fd ready: drop it rather than spin. */
		log_warn_errno(r < 0 ? r : -EIO, "%s source failed; relying on polling",
			       slot->src->ops->name);
		loop_del(s->loop, source_fd(slot->src));
		slot->watched = false;
		s->fn(s->ctx, 0, false);
		return;
	}
	if (r == 0)
		return;
	metrics_pressure_event(s->metrics, slot->src->ops->name);
	s->fn(s->ctx, slot->src->signal, true);
}

/* Adds @src to the loop. Returns 0 or -errno (the source is freed on failure). */
static int add_source(struct sources *s, struct source *src)
{
	struct source_slot *slot;
	int r;

	if (s->n >= MAX_SOURCES) {
		source_free(src);
		return -ENOSPC;
	}
	slot = &s->slots[s->n];
	*slot = (struct source_slot){.set = s, .src = src};
	slot->watch = (struct loop_watch){.fn = on_source, .ctx = slot};
	r = loop_add(s->loop, source_fd(src), src->ops->poll_events, &slot->watch);
	if (r < 0) {
		source_free(src);
		return r;
	}
	slot->watched = true;
	s->n++;
	return 0;
}

void sources_remove(struct sources *s, const char *name)
{
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct source_slot *slot = &s->slots[i];

		if (slot->watched)
			loop_del(s->loop, source_fd(slot->src));
		if (strcmp(slot->src->ops->name, name) == 0) {
			source_free(slot->src);
			continue;
		}
		/* Slots move: re-add with the watch at its new address. */
		s->slots[j] = *slot;
		s->slots[j].watch.ctx = &s->slots[j];
		if (s->slots[j].watched &&
		    loop_add(s->loop, source_fd(slot->src), slot->src->ops->poll_events,
			     &s->slots[j].watch) < 0)
			s->slots[j].watched = false;
		j++;
	}
	s->n = j;
}

bool sources_thresholds_stale(const struct sources *s)
{
	return domain_kind(s->domain) == DOMAIN_CGROUP_V1 &&
	       domain_limit_bytes(s->domain) != s->threshold_limit_bytes;
}

void sources_invalidate_thresholds(struct sources *s)
{
	s->threshold_limit_bytes = (uint64_t)-1;
}

void sources_rearm_thresholds(struct sources *s, const struct decide_params *p,
			      const struct mem_state *m)
{
	uint64_t limit = domain_limit_bytes(s->domain), marks[2];
	struct decision dec;
	struct source *src;

	sources_remove(s, "threshold");
	s->threshold_limit_bytes = limit;
	if (limit == 0)
		return;
	decide_marks(p, m, &dec);
	marks[0] = dec.mem_low_kib * 1024;
	marks[1] = dec.mem_min_kib * 1024;
	for (int i = 0; i < 2; i++) {
		int r;

		if (marks[i] == 0 || marks[i] >= limit)
			continue;
		r = cg_event_threshold_open(domain_dirfd(s->domain), limit - marks[i], &src);
		if (r == 0)
			r = add_source(s, src);
		if (r < 0) {
			log_warn_errno(r, "cannot set a usage threshold on %s; polling instead",
				       domain_name(s->domain));
			return;
		}
	}
}

void sources_open_psi(struct sources *s, const struct config *cfg, char *desc, size_t len)
{
	char path[4096];
	size_t pos = 0;

	desc[0] = '\0';
	if (domain_pressure_path(s->domain, cfg->proc_root, path, sizeof(path)) < 0)
		return;
	const struct {
		const char *name;
		bool full;
		unsigned stall_ms;
		unsigned signal;
	} triggers[] = {
		{"some", false, cfg->psi_some_ms, PRESSURE_PSI_SOME},
		{"full", true, cfg->psi_full_ms, PRESSURE_PSI_FULL},
		{"critical full", true, cfg->psi_critical_ms, PRESSURE_PSI_CRITICAL},
	};

	for (size_t i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++) {
		unsigned stall = triggers[i].stall_ms;
		struct source *src;
		int r;

		if (stall == 0)
			continue;
		if (stall > cfg->psi_window_ms)
			stall = cfg->psi_window_ms;
		r = psi_source_open(path, triggers[i].full, stall, cfg->psi_window_ms, &src);
		if (r < 0) {
			log_warn_errno(r, "cannot set a PSI trigger on %s; polling instead", path);
			return;
		}
		src->signal = triggers[i].signal;
		pos += (size_t)snprintf(desc + pos, len - pos, "%s%s %u ms/%u ms", pos ? ", " : "",
					triggers[i].name, psi_source_stall_ms(src),
					psi_source_window_ms(src));
		if (pos >= len)
			pos = len - 1;
		if (add_source(s, src) < 0)
			return;
	}
}

void sources_open_all(struct sources *s, const struct config *cfg, const struct decide_params *p,
		      const struct mem_state *m)
{
	char psi[128];
	struct source *src;
	int r;

	sources_open_psi(s, cfg, psi, sizeof(psi));
	switch (domain_kind(s->domain)) {
	case DOMAIN_CGROUP_V1:
		r = cg_event_vmpressure_open(domain_dirfd(s->domain), "critical", "local", &src);
		if (r == 0)
			r = add_source(s, src);
		if (r < 0)
			log_warn_errno(r, "cannot watch vmpressure of %s", domain_name(s->domain));
		sources_rearm_thresholds(s, p, m);
		break;
	case DOMAIN_CGROUP_V2:
		r = memevents_source_open(domain_dirfd(s->domain), &src);
		if (r == 0)
			r = add_source(s, src);
		if (r < 0)
			log_warn_errno(r, "cannot watch memory.events of %s",
				       domain_name(s->domain));
		break;
	case DOMAIN_SYSTEM:
		break;
	}
	log_info("psi: %s; %zu kernel notification sources", psi[0] ? psi : "off", s->n);
}
