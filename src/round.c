/* SPDX-License-Identifier: MIT */
#include "round.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "holdline.h"
#include "log.h"
#include "sys.h"
#include "thrash.h"
#include "watermark.h"

#define MAX_POLL_USEC     (2500 * USEC_PER_MSEC)
#define FOLLOW_POLL_USEC  (100 * USEC_PER_MSEC)
#define FOLLOW_USEC       (3 * USEC_PER_SEC)
/* MemAvailable lags a kill by up to ~10 s while per-CPU free lists drain. */
#define CREDIT_USEC       (10 * USEC_PER_SEC)
#define NOTHING_WARN_USEC (60 * USEC_PER_SEC)
/*
 * Nothing to kill: a rescan on a pressure event or a new process at most
 * this often (a scan of 5,000 processes costs ~35 ms on a busy 2-core VM)...
 */
#define BACKOFF_MIN_USEC  (5 * USEC_PER_SEC)
/* ...and in any case this often. */
#define BACKOFF_MAX_USEC  (30 * USEC_PER_SEC)
/* ...or at once when available memory falls by this (or 1/32 of the domain). */
#define BACKOFF_STEP_KIB  (4 * 1024)
#define BACKOFF_POLL_USEC (50 * USEC_PER_MSEC)
#define SHORT_NOTE_USEC   (60 * USEC_PER_SEC)

struct round {
	const struct config *cfg;
	const struct decide_params *params;
	struct loop *loop;
	struct domain *domain;
	struct metrics *metrics;
	struct respawn *respawn;
	struct sources *sources;
	const struct round_killer *killer;
	void *killer_ctx;
	pid_t self;
	int loadavg_fd; /* /proc/loadavg: its last field is the newest pid */

	struct proctab *pt;
	/* The loop's, for matching the config's name rules (round_reserve_rules()). */
	struct match_scratch *scratch;
	struct policy_work *work;
	uint32_t *victims; /* cfg->max_victims */
	uint32_t *rank;    /* proctab capacity, for the preview */

	struct loop_timer poll_timer;
	struct loop_timer death_timer; /* zero delay: re-evaluation after deaths */
	unsigned death_fired;          /* the signals the merged deaths raise */

	struct mem_state mem; /* as last read */
	struct watermark_rate rate;
	struct thrash thrash;
	uint64_t swaps_checked_usec; /* when /proc/swaps was last read */
	struct holdline *hold;       /* NULL: memory.high left alone */
	uint64_t follow_until_usec;
	/* The current run of "full" triggers, one per window, and its last one (0: none). */
	uint64_t full_since_usec, full_last_usec;
	uint64_t quiet_until_usec; /* dry run: do not report the same victims every poll */
	uint64_t nothing_warned_usec;
	bool unwalked_warned; /* the last scan's unwalked cgroups were logged */
	uint64_t credit_kib;
	uint64_t credit_base_kib;
	uint64_t credit_until_usec;
	/* Below the mark with nothing to kill: rounds wait for a change (backoff_holds()). */
	struct {
		bool active;
		uint64_t scan_usec; /* when the fruitless round ran */
		uint64_t avail_kib;
		uint64_t last_pid; /* the newest pid on the machine then */
		int min_adj;
	} backoff;
	uint64_t unfreeable_kib; /* shared memory blocking the current episode (0: none) */
	uint64_t short_noted_usec;      /* when what is in the way was last logged */
	uint64_t short_noted_shmem_kib; /* and the shared memory then */
};

/*
 * Set while the loop is on the path from a pressure event to the signal, and
 * the rounds of kills that path has run: exported for the zero-allocation
 * test, whose preloaded allocator counts what happens inside (see
 * tests/helpers/allocwatch.c).  Nothing in reapd reads them; only the two
 * helpers below write them.
 */
volatile int reapd_kill_path;
volatile unsigned long reapd_kill_path_rounds;

static void kill_path_enter(void)
{
	reapd_kill_path = 1;
}

static void kill_path_leave(void)
{
	reapd_kill_path = 0;
}

/* The memory of victims that MemAvailable does not show yet (system domain). */
static uint64_t lag_credit(struct round *r, const struct mem_state *m, uint64_t now)
{
	uint64_t risen;

	if (r->credit_kib == 0)
		return 0;
	if (now > r->credit_until_usec) {
		r->credit_kib = 0;
		return 0;
	}
	risen = m->avail_kib > r->credit_base_kib ? m->avail_kib - r->credit_base_kib : 0;
	return r->credit_kib > risen ? r->credit_kib - risen : 0;
}

/* The policy's loader: proctab_load(), our own victims marked pending, churn counted. */
static int load_candidate(void *ctx, struct candidate *c)
{
	struct round *r = ctx;
	int e = proctab_load(r->pt, c);

	if (e == 0 && c->skip == SKIP_NONE &&
	    r->killer->is_victim(r->killer_ctx, c->pid, c->start_time))
		c->skip = SKIP_PENDING;
	/*
	 * A parent refilling what its children's deaths free: its death stops
	 * that.  It is taken first, but counted (and credited while it dies)
	 * only for its own memory, so the round still takes enough children.
	 */
	if (e == 0 && c->skip == SKIP_NONE)
		c->churner = respawn_churn_kib(r->respawn, c->pid, now_usec()) > 0;
	return e;
}

/* The policy's refiner: proctab_refine(), and command lines on hold marked respawning. */
static int refine_candidate(void *ctx, struct candidate *c)
{
	struct round *r = ctx;
	int e = proctab_refine(r->pt, c);

	if (e == 0 && c->skip == SKIP_NONE && respawn_held(r->respawn, c->cmd_hash, now_usec()))
		c->skip = SKIP_RESPAWN;
	return e;
}

/* Grows the scan tables after a round that did not fit (allocates: never before the kill). */
static void grow_tables(struct round *r)
{
	struct policy_work *w;
	uint32_t *rank;

	if (proctab_grow(r->pt) < 0 || policy_work_new(proctab_capacity(r->pt), &w) < 0) {
		log_warn("cannot grow the process table past %zu entries", proctab_capacity(r->pt));
		return;
	}
	rank = calloc(proctab_capacity(r->pt), sizeof(*rank));
	if (!rank) {
		policy_work_free(w);
		return;
	}
	policy_work_free(r->work);
	r->work = w;
	free(r->rank);
	r->rank = rank;
	log_info("process table grown to %zu entries", proctab_capacity(r->pt));
}

/*
 * A scan could not walk every cgroup of the scope: their processes were not
 * candidates.  Says so once (until a scan walks them all again), and takes
 * the walk deeper when depth was the reason (allocates: never before the kill).
 */
static void note_unwalked(struct round *r)
{
	size_t unwalked = proctab_unwalked(r->pt), depth = proctab_depth(r->pt);
	bool too_deep = proctab_too_deep(r->pt);

	if (unwalked == 0) {
		r->unwalked_warned = false;
		return;
	}
	if (!r->unwalked_warned)
		log_warn("%zu cgroups below %s could not be walked (%s); their processes were "
			 "not candidates",
			 unwalked, domain_name(r->domain),
			 too_deep ? "deeper than the walk went" : "fd limit or unreadable");
	r->unwalked_warned = true;
	if (too_deep && proctab_grow_depth(r->pt) == 0)
		log_info("cgroup walk now goes %zu levels deep (was %zu)", proctab_depth(r->pt),
			 depth);
}

/*
 * Scans the scope and prepares the table for the policy: the config's name
 * rules applied, candidates below @min_adj dropped.  Returns the number of
 * candidates, or -errno.
 */
static int scan(struct round *r, int min_adj, struct candidate **ret)
{
	const struct policy_rules *rules = &r->cfg->rules;
	int n = proctab_scan(r->pt, policy_scan_floor(rules, min_adj), !policy_rules_empty(rules),
			     ret);

	if (n < 0)
		return n;
	return (int)policy_prepare(rules, r->scratch, min_adj, *ret, (size_t)n);
}

/* Builds the scan tables, sized so a scan of the scope fits with room to spare. */
static int setup_tables(struct round *r, const struct round_config *rc)
{
	struct proctab_config pc = {
		.proc_root = rc->cfg->proc_root,
		.scope_dirfd = domain_dirfd(rc->domain),
		.self = rc->self,
		.capacity = rc->initial_capacity,
		.unified = rc->unified,
	};
	struct candidate *cands;
	int e;

	e = proctab_new(&pc, &r->pt);
	if (e < 0)
		return e;
	/* The config is replaced in place on reload, so its rules stay where they are. */
	if ((e = match_scratch_new(policy_rules_states(&rc->cfg->rules), &r->scratch)) < 0)
		return e;
	/* A first scan warms the table; grow until the scope fits twice over, at any depth. */
	for (;;) {
		if ((e = scan(r, ADJ_MIN + 1, &cands)) < 0)
			return e;
		if (proctab_too_deep(r->pt) && proctab_grow_depth(r->pt) == 0)
			continue;
		if (!proctab_overflowed(r->pt) && (size_t)e * 2 <= proctab_capacity(r->pt))
			break;
		if ((e = proctab_grow(r->pt)) < 0)
			return e;
	}
	note_unwalked(r);
	e = policy_work_new(proctab_capacity(r->pt), &r->work);
	if (e < 0)
		return e;
	r->victims = calloc(rc->cfg->max_victims, sizeof(*r->victims));
	r->rank = calloc(proctab_capacity(r->pt), sizeof(*r->rank));
	return r->victims && r->rank ? 0 : -ENOMEM;
}

static void on_poll(void *ctx)
{
	round_evaluate(ctx, 0);
}

static void on_deaths(void *ctx)
{
	struct round *r = ctx;
	unsigned fired = r->death_fired;

	r->death_fired = 0;
	round_evaluate(r, fired);
}

int round_new(const struct round_config *rc, struct round **ret)
{
	struct round *r = calloc(1, sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	*r = (struct round){.cfg = rc->cfg, .params = rc->params, .loop = rc->loop,
			    .domain = rc->domain, .metrics = rc->metrics, .respawn = rc->respawn,
			    .self = rc->self, .loadavg_fd = -1, .hold = rc->hold};
	r->loadavg_fd = open_at(rc->proc_fd, "loadavg", O_RDONLY);
	loop_timer_init(&r->poll_timer, on_poll, r);
	loop_timer_init(&r->death_timer, on_deaths, r);
	thrash_init(&r->thrash, r->cfg->thrashing_limit_pct, r->cfg->thrashing_decay_pct);
	domain_read(r->domain, &r->mem);
	r->swaps_checked_usec = now_usec();
	if ((e = setup_tables(r, rc)) < 0) {
		round_free(r);
		return e;
	}
	*ret = r;
	return 0;
}

void round_free(struct round *r)
{
	if (!r)
		return;
	loop_timer_disarm(r->loop, &r->poll_timer);
	loop_timer_disarm(r->loop, &r->death_timer);
	proctab_free(r->pt);
	match_scratch_free(r->scratch);
	policy_work_free(r->work);
	free(r->victims);
	free(r->rank);
	safe_close(r->loadavg_fd);
	free(r);
}

void round_set_killer(struct round *r, const struct round_killer *ops, void *ctx)
{
	r->killer = ops;
	r->killer_ctx = ctx;
}

void round_set_sources(struct round *r, struct sources *s)
{
	r->sources = s;
}

int round_reserve_rules(struct round *r, const struct policy_rules *rules)
{
	return match_scratch_reserve(&r->scratch, policy_rules_states(rules));
}

struct proctab *round_proctab(struct round *r)
{
	return r->pt;
}

void round_set_victims(struct round *r, uint32_t *victims)
{
	free(r->victims);
	r->victims = victims;
}

const struct mem_state *round_mem(const struct round *r)
{
	return &r->mem;
}

struct holdline *round_holdline(const struct round *r)
{
	return r->hold;
}

const struct thrash *round_thrash(const struct round *r)
{
	return &r->thrash;
}

uint64_t round_unfreeable_kib(const struct round *r)
{
	return r->unfreeable_kib;
}

bool round_nothing_to_kill(const struct round *r)
{
	return r->backoff.active;
}

static void warn_nothing_left(struct round *r, const struct decision *dec,
			      const struct mem_state *m, uint64_t now)
{
	if (r->nothing_warned_usec && now - r->nothing_warned_usec < NOTHING_WARN_USEC)
		return;
	log_warn("%s: %llu MiB available, need %llu MiB more, but no process at adj >= %d is "
		 "left whose death frees memory; waiting for a change",
		 kill_reason_name(dec->reason), (unsigned long long)(m->avail_kib / 1024),
		 (unsigned long long)(dec->target_kib / 1024), dec->min_adj);
	r->nothing_warned_usec = now;
}

/*
 * A round that cannot cover its target: say what is in the way, once while
 * it stays the same, so an admin sees memory no kill frees instead of a
 * kill chain.
 */
static void note_short(struct round *r, const struct decision *dec, const struct mem_state *m,
		       uint64_t found_kib)
{
	uint64_t now = now_usec(), was = r->short_noted_shmem_kib;

	if (found_kib >= dec->target_kib) {
		r->unfreeable_kib = 0;
		return;
	}
	r->unfreeable_kib = m->shmem_kib;
	/* Once, while the picture stays the same: not again within a minute unless shmem moved by 1/4. */
	if (r->short_noted_usec && now - r->short_noted_usec < SHORT_NOTE_USEC &&
	    m->shmem_kib <= was + was / 4 && m->shmem_kib + was / 4 >= was)
		return;
	r->short_noted_usec = now;
	r->short_noted_shmem_kib = m->shmem_kib;
	log_warn("%s in %s: need %llu MiB, the processes at adj >= %d free %llu MiB; the rest is "
		 "memory no allowed kill frees (%llu MiB of it shared memory: tmpfs, shm, memfd)",
		 kill_reason_name(dec->reason), domain_name(r->domain),
		 (unsigned long long)(dec->target_kib / 1024), dec->min_adj,
		 (unsigned long long)(found_kib / 1024), (unsigned long long)(m->shmem_kib / 1024));
}

/* Reads the newest pid on the machine (the last field of /proc/loadavg), 0 if unknown. */
static uint64_t newest_pid(struct round *r)
{
	char buf[128], *last;
	uint64_t pid = 0;

	if (r->loadavg_fd < 0 || pread_str(r->loadavg_fd, buf, sizeof(buf)) < 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	last = strrchr(buf, ' ');
	if (last)
		pid = strtoull(last + 1, NULL, 10);
	return pid;
}

/*
 * Below the mark with nothing to kill, another scan finds the same nothing:
 * rounds wait for a change.  A victim's death, available memory falling by
 * a step, a reason that reaches lower adj, or the slow timer rescan at once;
 * a pressure event or a new process on the machine rescans at most every
 * BACKOFF_MIN_USEC.
 */
static bool backoff_holds(struct round *r, const struct decision *dec, const struct mem_state *m,
			  unsigned fired, uint64_t now)
{
	uint64_t step = m->total_kib / 32 > BACKOFF_STEP_KIB ? m->total_kib / 32 : BACKOFF_STEP_KIB;
	uint64_t since = now - r->backoff.scan_usec;

	if (!r->backoff.active)
		return false;
	if ((fired & PRESSURE_AFTER_KILL) || since >= BACKOFF_MAX_USEC ||
	    m->avail_kib + step <= r->backoff.avail_kib || dec->min_adj < r->backoff.min_adj)
		return false;
	if (since >= BACKOFF_MIN_USEC &&
	    ((fired & ~(unsigned)PRESSURE_AFTER_KILL) || newest_pid(r) != r->backoff.last_pid))
		return false;
	return true;
}

static void enter_backoff(struct round *r, const struct decision *dec, const struct mem_state *m,
			  uint64_t now)
{
	r->backoff.active = true;
	r->backoff.scan_usec = now;
	/* Nothing left to kill: throttling the allocators would only stall them. */
	if (r->hold && r->killer->pending(r->killer_ctx) == 0)
		holdline_release(r->hold);
	r->backoff.avail_kib = m->avail_kib;
	r->backoff.min_adj = dec->min_adj;
	r->backoff.last_pid = newest_pid(r);
}

/*
 * Scans and selects for @dec: the victims in r->victims, their number in
 * @ret_chosen.  Returns the number of processes scanned, or -errno.
 */
static int select_victims(struct round *r, const struct decision *dec, struct candidate **ret,
			  int *ret_chosen)
{
	struct policy_params pp = {
		.min_adj = dec->min_adj,
		.target_kib = dec->target_kib,
		.max_victims = r->cfg->max_victims,
		.self = r->self,
		.refine = refine_candidate,
	};
	int n = scan(r, dec->min_adj, ret);

	if (n < 0)
		return n;
	*ret_chosen = policy_select(&pp, *ret, (size_t)n, load_candidate, r, r->work, r->victims);
	return n;
}

/* Adds zram's figures to a round's log line, in @buf; "" without zram. */
static const char *zram_note(const struct mem_state *m, char buf[static 128])
{
	if (!m->have_zram)
		return "";
	snprintf(buf, 128, ", zram holds %llu KiB in %llu KiB of RAM (the kernel's free swap %llu KiB)",
		 (unsigned long long)m->zram_stored_kib, (unsigned long long)m->zram_ram_kib,
		 (unsigned long long)m->swap_free_kib);
	return buf;
}

static void run_round(struct round *r, const struct decision *dec, const struct mem_state *m,
		      uint64_t now)
{
	const struct config *cfg = r->cfg;
	struct candidate *cands;
	struct kill_round round = {.reason = dec->reason, .target_kib = dec->target_kib,
				   .charged_kib = m->charged_kib};
	uint64_t found_kib = 0;
	/* The thrashing figure the decision saw (a kill lowers the limit). */
	uint64_t thrash_pct = r->thrash.pct;
	unsigned thrash_limit = r->thrash.cur_limit_pct;
	char zram[128];
	int n, chosen = 0;

	/* A stall that lasts must last again after a kill before it kills again. */
	r->full_since_usec = now;
	n = select_victims(r, dec, &cands, &chosen);
	if (n < 0) {
		log_warn_errno(n, "cannot scan processes");
		return;
	}
	round.scan_usec = now_usec() - now;
	round.scanned = proctab_seen(r->pt);
	for (int i = 0; i < chosen; i++)
		found_kib += cands[r->victims[i]].size_kib;
	/* A round cut short by --max-victims is not short of candidates: the next one goes on. */
	if (chosen > 0 && (size_t)chosen >= cfg->max_victims)
		found_kib = dec->target_kib;
	if (chosen <= 0) {
		kill_path_leave();
		warn_nothing_left(r, dec, m, now);
		note_short(r, dec, m, found_kib);
		enter_backoff(r, dec, m, now);
	} else {
		r->backoff.active = false;
		if (r->credit_kib == 0)
			r->credit_base_kib = m->avail_kib;
		/*
		 * The kernel throttles the allocators under memory.high while
		 * the victims die, rather than OOM-killing at memory.max.
		 */
		if (r->hold && !cfg->dry_run)
			holdline_hold(r->hold, domain_limit_bytes(r->domain));
		r->killer->kill(r->killer_ctx, &round, cands, r->victims, (size_t)chosen);
		reapd_kill_path_rounds++;
		thrash_killed(&r->thrash, dec->reason == REASON_THRASHING);
		kill_path_leave(); /* the signals are out; what follows may take its time */
		if (r->metrics)
			metrics_round(r->metrics, round.scan_usec);
		note_short(r, dec, m, found_kib);
		if (cfg->dry_run)
			r->quiet_until_usec = now + USEC_PER_SEC +
					      (uint64_t)cfg->kill_timeout_ms * USEC_PER_MSEC;
	}
	/* The state the decision saw, against its marks: what a test compares a kill with. */
	log_debug("round %s: avail %llu KiB (mark %llu), swap free %llu of %llu KiB (mark %llu), "
		  "target %llu KiB, min adj %d: %zu processes, %d candidates, %d chosen in %.3f ms; "
		  "thrashing %llu %% (limit %u %%)%s; swap util %u %%%s",
		  kill_reason_name(dec->reason), (unsigned long long)m->avail_kib,
		  (unsigned long long)dec->mem_min_kib, (unsigned long long)swap_free_counted_kib(m),
		  (unsigned long long)m->swap_total_kib, (unsigned long long)dec->swap_min_kib,
		  (unsigned long long)dec->target_kib, dec->min_adj, round.scanned, n, chosen,
		  (double)round.scan_usec / 1000.0, (unsigned long long)thrash_pct, thrash_limit,
		  m->direct_reclaim ? ", direct reclaim" : "", swap_util_pct(m), zram_note(m, zram));
	if (proctab_overflowed(r->pt))
		grow_tables(r);
	note_unwalked(r);
}

/* The mark the poll interval aims at: --mem-min, or a higher minfree level. */
static uint64_t poll_mark(const struct round *r, const struct decision *dec)
{
	uint64_t mark = dec->mem_min_kib;

	for (size_t i = 0; i < r->params->n_levels; i++)
		if (r->params->levels[i].minfree_kib > mark)
			mark = r->params->levels[i].minfree_kib;
	return mark;
}

static void schedule_poll(struct round *r, const struct decision *dec, uint64_t rate, uint64_t now)
{
	uint64_t mark_kib = poll_mark(r, dec), interval;

	/* A minfree level kills on memory alone; low_mem waits for swap to be short too. */
	if (mark_kib == dec->mem_min_kib)
		interval = watermark_interval_swap_usec(r->mem.avail_kib, mark_kib,
							r->mem.swap_total_kib,
							swap_free_counted_kib(&r->mem),
							dec->swap_min_kib, rate, MAX_POLL_USEC);
	else
		interval = watermark_interval_usec(r->mem.avail_kib, mark_kib, rate, MAX_POLL_USEC);

	if (now < r->follow_until_usec && interval > FOLLOW_POLL_USEC)
		interval = FOLLOW_POLL_USEC;
	/* Nothing to kill: a look every BACKOFF_POLL_USEC still sees memory fall by a step. */
	if (r->backoff.active && interval < BACKOFF_POLL_USEC)
		interval = BACKOFF_POLL_USEC;
	loop_timer_arm(r->loop, &r->poll_timer, now + interval);
}

/* Reads the domain into r->mem. Returns 0, or -errno after ending the loop or re-arming the poll. */
static int read_domain(struct round *r, uint64_t now)
{
	int e = domain_read(r->domain, &r->mem);

	if (e == -ENODEV || e == -ENOENT) {
		log_error("the scope %s is gone (cgroup removed); exiting", domain_name(r->domain));
		loop_exit(r->loop, 1);
		return e;
	}
	if (e < 0) {
		log_warn_errno(e, "cannot read the memory state of %s", domain_name(r->domain));
		loop_timer_arm(r->loop, &r->poll_timer, now + MAX_POLL_USEC);
	}
	return e;
}

/*
 * Swap devices switched on or off: seen when the swap size changes, and
 * every SWAPS_CHECK_USEC otherwise (one device replaced by another of the
 * same size).  Listing them may open files, so it runs after the round,
 * never between a pressure event and the signal: the next read counts them.
 */
#define SWAPS_CHECK_USEC (10 * USEC_PER_SEC)

static void check_swaps(struct round *r, uint64_t now)
{
	bool changed;
	int e;

	if (!domain_swaps_stale(r->domain) && now - r->swaps_checked_usec < SWAPS_CHECK_USEC)
		return;
	r->swaps_checked_usec = now;
	if ((e = domain_refresh_swaps(r->domain, &changed)) < 0)
		log_warn_errno(e, "cannot list the swap devices");
}

/* Feeds the counters just read to the thrash state; marks @m with its verdict. */
static void update_thrash(struct round *r, struct mem_state *m, uint64_t now)
{
	/* A reload may change the limits; the new ones hold from the next window. */
	r->thrash.limit_pct = r->cfg->thrashing_limit_pct;
	r->thrash.decay_pct = r->cfg->thrashing_decay_pct;
	thrash_update(&r->thrash, m->have_vm ? &m->vm : NULL, now / USEC_PER_MSEC);
	m->thrashing = thrash_over(&r->thrash);
	m->direct_reclaim = r->thrash.direct_reclaim;
}

void round_evaluate(struct round *r, unsigned fired)
{
	struct decision dec;
	uint64_t now = now_usec(), rate, in_flight;

	kill_path_enter();
	if (read_domain(r, now) < 0) {
		kill_path_leave();
		return;
	}
	rate = watermark_rate_update(&r->rate, r->mem.avail_kib, now);
	update_thrash(r, &r->mem, now);
	if (r->sources && sources_thresholds_stale(r->sources)) {
		/* Re-registering thresholds (the limit changed) is set-up, not the kill path. */
		kill_path_leave();
		sources_rearm_thresholds(r->sources, r->params, &r->mem);
		kill_path_enter();
	}

	in_flight = r->killer->pending_kib(r->killer_ctx) + lag_credit(r, &r->mem, now);
	if (!decide(r->params, &r->mem, fired, in_flight, &dec)) {
		r->backoff.active = false;
		/* The round is over: its victims dead, memory back above the marks. */
		if (r->hold && r->killer->pending(r->killer_ctx) == 0)
			holdline_release(r->hold);
		if (in_flight == 0)
			note_short(r, &dec, &r->mem, dec.target_kib);
		if (fired & ~(unsigned)PRESSURE_AFTER_KILL)
			log_debug("pressure signal 0x%x, %llu KiB available: no kill", fired,
				  (unsigned long long)r->mem.avail_kib);
	} else if (now >= r->quiet_until_usec && !backoff_holds(r, &dec, &r->mem, fired, now)) {
		run_round(r, &dec, &r->mem, now);
	}
	schedule_poll(r, &dec, rate, now_usec());
	kill_path_leave();
	check_swaps(r, now);
}

/*
 * A "full" trigger fires at most once per window; while the stall lasts it
 * fires in every window.  Returns PRESSURE_PSI_SUSTAINED once such a run has
 * gone on for --psi-sustain (a gap of three windows ends it).
 */
static unsigned full_run(struct round *r, uint64_t now)
{
	uint64_t gap = 3ULL * r->cfg->psi_window_ms * USEC_PER_MSEC;

	if (!r->full_last_usec || now - r->full_last_usec > gap)
		r->full_since_usec = now;
	r->full_last_usec = now;
	if (r->cfg->psi_sustain_ms &&
	    now - r->full_since_usec >= (uint64_t)r->cfg->psi_sustain_ms * USEC_PER_MSEC)
		return PRESSURE_PSI_SUSTAINED;
	return 0;
}

void round_pressure(struct round *r, unsigned signal, bool real)
{
	if (real)
		r->follow_until_usec = now_usec() + FOLLOW_USEC;
	if (real && (signal & PRESSURE_PSI_FULL))
		signal |= full_run(r, now_usec());
	round_evaluate(r, signal);
}

void round_victim_done(struct round *r, uint64_t freed_kib)
{
	if (domain_kind(r->domain) == DOMAIN_SYSTEM && freed_kib) {
		r->credit_kib += freed_kib;
		r->credit_until_usec = now_usec() + CREDIT_USEC;
	}
	if (r->killer->pending(r->killer_ctx) == 0)
		r->death_fired |= PRESSURE_AFTER_KILL;
	/* Deadline 0: runs once the current handler returns, in this very loop pass. */
	loop_timer_arm(r->loop, &r->death_timer, 0);
}

/*
 * The round that would run now; with no pressure, a low_mem round as if
 * available memory had just reached --mem-min.
 */
static void round_now(struct round *r, const struct mem_state *m, struct decision *ret)
{
	uint64_t in_flight = r->killer->pending_kib(r->killer_ctx) + lag_credit(r, m, now_usec());
	struct mem_state at_mark = *m;

	if (decide(r->params, m, 0, in_flight, ret))
		return;
	at_mark.avail_kib = ret->mem_min_kib ? ret->mem_min_kib - 1 : 0;
	if (!decide(r->params, &at_mark, 0, 0, ret))
		*ret = (struct decision){.reason = REASON_NONE, .min_adj = r->params->min_adj};
	ret->reason = REASON_NONE;
}

int round_preview(struct round *r, size_t limit, struct round_preview *ret)
{
	struct policy_params pp = {.max_victims = r->cfg->max_victims, .self = r->self,
				   .refine = refine_candidate};
	struct candidate *cands;
	struct decision dec;
	struct mem_state m;
	int n, chosen, e;

	if ((e = domain_read(r->domain, &m)) < 0)
		return e;
	m.thrashing = r->mem.thrashing; /* measured over a window: as the loop last saw it */
	m.direct_reclaim = r->mem.direct_reclaim;
	round_now(r, &m, &dec);
	n = scan(r, ADJ_MIN + 1, &cands);
	if (n < 0)
		return n;
	/* Load whole buckets, from the top, until @limit rows are known: not every process. */
	policy_rank(cands, (size_t)n, r->rank);
	for (size_t i = 0; i < (size_t)n; i++) {
		struct candidate *c = &cands[r->rank[i]];

		if (i >= limit && c->eff_adj != cands[r->rank[i - 1]].eff_adj)
			break;
		if (load_candidate(r, c) < 0 && c->skip == SKIP_NONE)
			c->skip = SKIP_GONE;
		else
			proctab_system_pref(r->pt, c); /* the walk would find it only if it took it */
		c->loaded = true;
		if (c->skip == SKIP_NONE && c->eff_adj < dec.min_adj)
			c->skip = SKIP_BELOW_MIN;
	}
	pp.min_adj = dec.min_adj;
	pp.target_kib = dec.target_kib;
	chosen = policy_select(&pp, cands, (size_t)n, load_candidate, r, r->work, r->victims);
	policy_rank(cands, (size_t)n, r->rank);
	*ret = (struct round_preview){.dec = dec, .cands = cands, .order = r->rank, .n = (size_t)n,
				      .victims = r->victims,
				      .chosen = chosen > 0 ? (size_t)chosen : 0,
				      .scanned = proctab_seen(r->pt)};
	return 0;
}
