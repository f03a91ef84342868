/* SPDX-License-Identifier: MIT */
/* Replies to control requests (docs/control-protocol.md), and the lmkd endpoint's hooks. */
#include "ctl_answer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "config-version.h"
#include "holdline.h"
#include "log.h"
#include "parse.h"
#include "sys.h"

static const char *domain_kind_name(enum domain_kind k)
{
	switch (k) {
	case DOMAIN_CGROUP_V1:
		return "cgroup-v1";
	case DOMAIN_CGROUP_V2:
		return "cgroup-v2";
	default:
		return "system";
	}
}

static void put_threshold(struct jsonw *w, const char *key, const struct threshold *t)
{
	char buf[32];

	if (t->is_percent)
		snprintf(buf, sizeof(buf), "%u.%02u%%", t->percent_x100 / 100, t->percent_x100 % 100);
	else
		snprintf(buf, sizeof(buf), "%lluK", (unsigned long long)(t->bytes / 1024));
	jsonw_kv_string(w, key, buf);
}

static void put_patterns(struct jsonw *w, const char *key, struct matcher *const *m, size_t n)
{
	jsonw_key(w, key);
	jsonw_array_begin(w);
	for (size_t i = 0; i < n; i++)
		jsonw_string(w, matcher_pattern(m[i]));
	jsonw_array_end(w);
}

static void put_config(struct ctl_answer *a, struct jsonw *w)
{
	const struct config *c = a->cfg;

	jsonw_key(w, "config");
	jsonw_object_begin(w);
	jsonw_key(w, "file");
	if (c->config_path)
		jsonw_string(w, c->config_path);
	else
		jsonw_null(w);
	put_threshold(w, "mem_min", &c->mem_min);
	put_threshold(w, "swap_min", &c->swap_min);
	jsonw_kv_uint(w, "target_kib", c->target_kib);
	jsonw_kv_int(w, "min_adj", c->min_adj);
	put_patterns(w, "prefer", c->rules.prefer, c->rules.n_prefer);
	put_patterns(w, "avoid", c->rules.avoid, c->rules.n_avoid);
	put_patterns(w, "ignore", c->rules.ignore, c->rules.n_ignore);
	jsonw_kv_uint(w, "reaper_threads", c->reaper_threads);
	jsonw_kv_uint(w, "kill_timeout_ms", c->kill_timeout_ms);
	jsonw_kv_uint(w, "max_victims", c->max_victims);
	jsonw_kv_bool(w, "dry_run", c->dry_run);
	jsonw_kv_bool(w, "no_reap", c->no_reap);
	jsonw_kv_bool(w, "no_boost", c->no_boost);
	jsonw_object_end(w);
}

static void put_psi_line(struct jsonw *w, const char *key, const struct psi_line *l)
{
	jsonw_key(w, key);
	jsonw_object_begin(w);
	jsonw_key(w, "avg10");
	jsonw_hundredths(w, l->avg10);
	jsonw_key(w, "avg60");
	jsonw_hundredths(w, l->avg60);
	jsonw_key(w, "avg300");
	jsonw_hundredths(w, l->avg300);
	jsonw_kv_uint(w, "total_us", l->total_usec);
	jsonw_object_end(w);
}

static void put_pressure(struct ctl_answer *a, struct jsonw *w)
{
	char path[4096], buf[512];
	struct psi_stats ps;

	jsonw_key(w, "pressure");
	if (domain_pressure_path(a->domain, a->cfg->proc_root, path, sizeof(path)) < 0 ||
	    read_at(AT_FDCWD, path, buf, sizeof(buf)) < 0 || parse_psi(buf, &ps) < 0) {
		jsonw_null(w);
		return;
	}
	jsonw_object_begin(w);
	put_psi_line(w, "some", &ps.some);
	if (ps.has_full)
		put_psi_line(w, "full", &ps.full);
	jsonw_object_end(w);
}

static void put_lmkd(struct ctl_answer *a, struct jsonw *w)
{
	jsonw_key(w, "lmkd");
	if (!a->lmkd) {
		jsonw_null(w);
		return;
	}
	jsonw_object_begin(w);
	jsonw_kv_uint(w, "connections", lmkd_connections(a->lmkd));
	jsonw_kv_uint(w, "registered", lmkd_registered(a->lmkd));
	jsonw_key(w, "minfree");
	jsonw_array_begin(w);
	for (size_t i = 0; i < a->params->n_levels; i++) {
		jsonw_array_begin(w);
		jsonw_uint(w, a->params->levels[i].minfree_kib / 4);
		jsonw_int(w, a->params->levels[i].adj);
		jsonw_array_end(w);
	}
	jsonw_array_end(w);
	jsonw_object_end(w);
}

/* The thrashing figures as the loop last measured them, beside their limits. */
static void put_thrashing(struct ctl_answer *a, struct jsonw *w)
{
	const struct thrash *t = round_thrash(a->round);

	jsonw_key(w, "thrashing");
	jsonw_object_begin(w);
	jsonw_kv_bool(w, "measured", t->valid); /* false: no refault counters (cgroup v1) */
	jsonw_kv_uint(w, "percent", t->pct);
	jsonw_kv_uint(w, "limit_percent", t->cur_limit_pct);
	jsonw_kv_uint(w, "base_limit_percent", t->limit_pct);
	jsonw_kv_bool(w, "direct_reclaim", t->direct_reclaim);
	jsonw_object_end(w);
}

/* Swap as the decision counts it: utilisation, and what zram's RAM can still hold. */
static void put_swap(struct ctl_answer *a, const struct mem_state *m, struct jsonw *w)
{
	jsonw_key(w, "swap");
	jsonw_object_begin(w);
	jsonw_kv_uint(w, "total_kib", m->swap_total_kib);
	jsonw_kv_uint(w, "free_kib", m->swap_free_kib);
	jsonw_kv_uint(w, "counted_free_kib", swap_free_counted_kib(m));
	jsonw_kv_uint(w, "util_percent", swap_util_pct(m));
	jsonw_kv_uint(w, "util_max_percent", a->params->swap_util_max_pct); /* 0: off */
	jsonw_kv_bool(w, "zram", m->have_zram);
	if (m->have_zram) {
		jsonw_kv_uint(w, "zram_stored_kib", m->zram_stored_kib);
		jsonw_kv_uint(w, "zram_ram_kib", m->zram_ram_kib);
	}
	jsonw_object_end(w);
}

/* --hold-line: whether memory.high is held now, and how often it was. */
static void put_hold_line(struct ctl_answer *a, struct jsonw *w)
{
	struct holdline *h = round_holdline(a->round);
	struct holdline_stats st = {0};

	if (h)
		holdline_stats(h, &st);
	jsonw_key(w, "hold_line");
	jsonw_object_begin(w);
	jsonw_kv_bool(w, "enabled", h != NULL);
	jsonw_kv_bool(w, "held", st.held);
	jsonw_kv_uint(w, "held_bytes", st.held_bytes);
	jsonw_kv_uint(w, "holds", st.holds);
	jsonw_kv_uint(w, "releases", st.releases);
	jsonw_kv_int(w, "last_error", st.last_error);
	jsonw_object_end(w);
}

static int answer_status(struct ctl_answer *a, struct jsonw *w)
{
	const struct killer_stats *ks = killer_stats(a->killer);
	struct mem_state m;
	struct decision dec;
	int r = domain_read(a->domain, &m);

	if (r < 0)
		return r;
	decide_marks(a->params, &m, &dec);
	jsonw_kv_string(w, "version", REAPD_VERSION);
	jsonw_kv_int(w, "pid", a->self);
	jsonw_kv_uint(w, "uptime_s", (now_usec() - a->start_usec) / USEC_PER_SEC);
	jsonw_kv_string(w, "scope", domain_name(a->domain));
	jsonw_kv_string(w, "domain", domain_kind_name(domain_kind(a->domain)));
	jsonw_key(w, "memory");
	jsonw_object_begin(w);
	jsonw_kv_uint(w, "total_kib", m.total_kib);
	jsonw_kv_uint(w, "available_kib", m.avail_kib);
	jsonw_kv_uint(w, "swap_total_kib", m.swap_total_kib);
	jsonw_kv_uint(w, "swap_free_kib", m.swap_free_kib);
	jsonw_kv_uint(w, "mem_min_kib", dec.mem_min_kib);
	jsonw_kv_uint(w, "mem_low_kib", dec.mem_low_kib);
	jsonw_kv_uint(w, "swap_min_kib", dec.swap_min_kib);
	jsonw_kv_uint(w, "shmem_kib", m.shmem_kib);
	/* Shared memory that fills the domain while no kill can free enough (0: none). */
	jsonw_kv_uint(w, "unfreeable_kib", round_unfreeable_kib(a->round));
	jsonw_kv_bool(w, "nothing_to_kill", round_nothing_to_kill(a->round));
	jsonw_object_end(w);
	put_thrashing(a, w);
	put_swap(a, &m, w);
	put_hold_line(a, w);
	put_pressure(a, w);
	jsonw_key(w, "pending");
	jsonw_object_begin(w);
	jsonw_kv_uint(w, "victims", killer_pending(a->killer));
	jsonw_kv_uint(w, "kib", killer_pending_kib(a->killer));
	jsonw_object_end(w);
	jsonw_key(w, "kills");
	jsonw_object_begin(w);
	jsonw_kv_uint(w, "total", ks->kills);
	jsonw_kv_uint(w, "reaped", ks->reaped);
	jsonw_kv_uint(w, "timeouts", ks->timeouts);
	jsonw_object_end(w);
	put_config(a, w);
	put_lmkd(a, w);
	return 0;
}

static const char *why(const struct candidate *c, bool chosen)
{
	if (chosen)
		return "would kill";
	return c->skip == SKIP_NONE ? "eligible" : skip_reason_name((enum skip_reason)c->skip);
}

static void put_candidate(struct jsonw *w, const struct candidate *c, bool chosen)
{
	jsonw_object_begin(w);
	jsonw_kv_int(w, "pid", c->pid);
	jsonw_kv_string(w, "comm", c->comm);
	jsonw_kv_uint(w, "uid", c->uid);
	jsonw_kv_int(w, "oom_score_adj", c->adj);
	jsonw_kv_int(w, "effective_adj", c->eff_adj);
	jsonw_kv_uint(w, "size_kib", c->size_kib);
	jsonw_kv_uint(w, "anon_kib", c->anon_kib);
	jsonw_kv_string(w, "cgroup_preference", cg_pref_name((enum cg_pref)c->cg_pref));
	jsonw_kv_bool(w, "would_kill", chosen);
	jsonw_kv_string(w, "why", why(c, chosen));
	jsonw_object_end(w);
}

static int answer_victims(struct ctl_answer *a, size_t limit, struct jsonw *w)
{
	struct round_preview p;
	int r = round_preview(a->round, limit, &p);

	if (r < 0)
		return r;
	jsonw_kv_string(w, "reason", kill_reason_name(p.dec.reason));
	jsonw_kv_int(w, "min_adj", p.dec.min_adj);
	jsonw_kv_uint(w, "target_kib", p.dec.target_kib);
	jsonw_kv_uint(w, "scanned", p.scanned);
	jsonw_key(w, "candidates");
	jsonw_array_begin(w);
	for (size_t i = 0; i < p.n && i < limit; i++) {
		uint32_t idx = p.order[i];
		bool is_chosen = false;

		for (size_t v = 0; v < p.chosen; v++)
			is_chosen |= p.victims[v] == idx;
		put_candidate(w, &p.cands[idx], is_chosen);
	}
	jsonw_array_end(w);
	return 0;
}

static void answer_history(struct ctl_answer *a, size_t limit, struct jsonw *w)
{
	size_t len = metrics_history_len(a->metrics);
	size_t first = len > limit ? len - limit : 0;

	jsonw_key(w, "kills");
	jsonw_array_begin(w);
	for (size_t i = first; i < len; i++) {
		jsonw_object_begin(w);
		events_put_fields(w, metrics_history_at(a->metrics, i));
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
}

/*
 * The kernel's rule (procfs_adj_change_allowed()): anyone may make their own
 * process more killable; only root more.  And only inside the scope, never
 * pid 1 or reapd itself.
 */
static int answer_prio(struct ctl_answer *a, const struct ctl_request *req,
		       const struct ucred *peer, struct jsonw *w, char *err, size_t err_len)
{
	pid_t pid = (pid_t)req->arg[0];
	int adj = (int)req->arg[1];
	struct procfs_target t;
	int r = procfs_prio_check(a->proc_fd, a->scope, a->self, peer->uid, pid, adj, &t);

	if (r == 0) {
		r = procfs_write_adj(t.dirfd, adj);
		safe_close(t.dirfd);
	}
	if (r == -EPERM)
		snprintf(err, err_len, "permission denied: pid %d belongs to uid %u", (int)pid,
			 (unsigned)t.owner);
	else if (r == -EACCES)
		snprintf(err, err_len, "permission denied: only root may lower oom_score_adj "
				       "(%d to %d)", t.adj, adj);
	else if (r == -EXDEV)
		snprintf(err, err_len, "pid %d is not inside reapd's scope (%s)", (int)pid,
			 domain_name(a->domain));
	else if (r < 0)
		snprintf(err, err_len, "pid %d: %s", (int)pid, procfs_prio_error(r));
	if (r < 0) {
		log_debug("control: uid %u (pid %d) may not set pid %d to adj %d: %s",
			  (unsigned)peer->uid, (int)peer->pid, (int)pid, adj, err);
		return r;
	}
	log_info("control: uid %u (pid %d) set pid %d's oom_score_adj from %d to %d",
		 (unsigned)peer->uid, (int)peer->pid, (int)pid, t.adj, adj);
	jsonw_kv_int(w, "pid", pid);
	jsonw_kv_int(w, "oom_score_adj", adj);
	jsonw_kv_int(w, "previous", t.adj);
	return 0;
}

static int answer_metrics(struct ctl_answer *a, struct jsonw *w)
{
	int r = report_format_metrics(a->report);

	if (r < 0)
		return r;
	jsonw_kv_string(w, "metrics", report_metrics_text(a->report));
	return 0;
}

int ctl_answer(void *ctx, const struct ctl_request *req, const struct ucred *peer,
	       struct jsonw *w, char *err, size_t err_len)
{
	struct ctl_answer *a = ctx;
	int r = 0;

	switch (req->cmd) {
	case CTL_STATUS:
		r = answer_status(a, w);
		break;
	case CTL_VICTIMS:
		r = answer_victims(a, (size_t)req->arg[0], w);
		break;
	case CTL_HISTORY:
		answer_history(a, (size_t)req->arg[0], w);
		break;
	case CTL_KILLCOUNT:
		jsonw_kv_int(w, "min_adj", req->arg[0]);
		jsonw_kv_int(w, "max_adj", req->arg[1]);
		jsonw_kv_uint(w, "count", metrics_killcount(a->metrics, (int)req->arg[0],
							    (int)req->arg[1]));
		break;
	case CTL_PRIO:
		return answer_prio(a, req, peer, w, err, err_len);
	case CTL_METRICS:
		r = answer_metrics(a, w);
		break;
	case CTL_RELOAD:
		if (peer->uid != 0) {
			snprintf(err, err_len, "permission denied: only root may reload");
			return -EPERM;
		}
		if ((r = a->reload(a->reload_ctx, err, err_len)) < 0)
			return r;
		jsonw_kv_bool(w, "reloaded", true);
		jsonw_key(w, "config");
		if (a->cfg->config_path)
			jsonw_string(w, a->cfg->config_path);
		else
			jsonw_null(w);
		break;
	case CTL_SUBSCRIBE:
		break; /* handled by the control socket itself */
	}
	if (r < 0 && !err[0])
		snprintf(err, err_len, "%s", strerror(-r));
	return r;
}

static uint64_t lmkd_killcount(void *ctx, int min_adj, int max_adj)
{
	struct ctl_answer *a = ctx;

	return metrics_killcount(a->metrics, min_adj, max_adj);
}

static int lmkd_reload(void *ctx)
{
	struct ctl_answer *a = ctx;
	char err[256];

	return a->reload(a->reload_ctx, err, sizeof(err));
}

/*
 * A level is a request from a process manager, not an order: its minfree must
 * fit the domain, and its adj never goes below --min-adj (decide() holds that
 * floor too, also after a reload raises it).
 */
static int lmkd_targets(void *ctx, const struct lmkd_target *levels, size_t n)
{
	struct ctl_answer *a = ctx;
	int pairs[LMKD_MAX_TARGETS][2];
	struct mem_state m = *round_mem(a->round);

	domain_read(a->domain, &m);
	for (size_t i = 0; i < n; i++) {
		uint64_t kib = (uint64_t)levels[i].minfree_pages * 4;

		if (kib > m.total_kib) {
			log_warn("lmkd: minfree level %d pages (%llu KiB) is larger than %s "
				 "(%llu KiB); levels refused, the old ones kept",
				 levels[i].minfree_pages, (unsigned long long)kib,
				 domain_name(a->domain), (unsigned long long)m.total_kib);
			return -ERANGE;
		}
	}
	for (size_t i = 0; i < n; i++) {
		pairs[i][0] = levels[i].minfree_pages;
		pairs[i][1] = levels[i].adj;
		if (levels[i].adj < a->params->min_adj) {
			log_warn("lmkd: minfree level %d pages asks for adj %d, below --min-adj %d; "
				 "raised to %d", levels[i].minfree_pages, levels[i].adj,
				 a->params->min_adj, a->params->min_adj);
			pairs[i][1] = a->params->min_adj;
		}
	}
	decide_set_levels(a->params, (const int(*)[2])pairs, n);
	log_info("lmkd: %zu minfree level%s set", n, n == 1 ? "" : "s");
	round_evaluate(a->round, 0);
	return 0;
}

const struct lmkd_ops ctl_answer_lmkd_ops = {
	.killcount = lmkd_killcount,
	.reload = lmkd_reload,
	.targets = lmkd_targets,
};
