/* SPDX-License-Identifier: MIT */
#include "killer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "sys.h"

#define ID_SLOT_BITS 12 /* capacity is at most 4096 */
#define ROUNDS_KEPT  16 /* rounds whose deaths are still being measured */
/*
 * --kill-timeout counts from the signal, which a reaper's worker sends: the
 * wait for its word (the signal and the reap done) is bounded by this many
 * kill timeouts from the submission, and at least by UNCONFIRMED_MIN_USEC
 * (the lab's zram phase, a guest stalled in reclaim: a worker at SCHED_FIFO
 * 2 sent the signal 1.25 s after the submission, the loop itself ran 350 ms
 * late).
 */
#define UNCONFIRMED_TIMEOUTS 5
#define UNCONFIRMED_MIN_USEC (5 * USEC_PER_SEC)

/*
 * What a round's deaths freed, measured: the domain's charged memory when
 * the round began, less what it holds as each victim is confirmed dead.
 * Victims of one round die together, so each is credited the drop not yet
 * credited to the others; the round's sum is the drop itself.
 */
struct round_acct {
	uint64_t seq;
	uint64_t base_kib;
	uint64_t credited_kib;
};

struct victim {
	struct killer *k;
	bool used;
	bool exited;
	bool result_in;
	bool timed_out;
	uint32_t id;
	/* What done() has already been told this victim freed (a timed-out victim's reap). */
	uint64_t told_kib;
	int pidfd;
	struct candidate cand;
	struct kill_round round;
	uint64_t round_seq;
	uint64_t submit_usec;
	uint64_t submit_realtime_usec;
	uint64_t exit_usec;
	/* The domain's charge when the pidfd turned readable, UINT64_MAX if unread. */
	uint64_t exit_charged_kib;
	struct reaper_result res;
	struct loop_watch watch;
	struct loop_timer timer;
};

struct killer {
	struct killer_config cfg;
	struct loop *loop;
	struct reaper *reaper;
	struct proctab *pt;
	const struct killer_ops *ops;
	void *ctx;
	struct victim *slots;
	uint32_t generation;
	struct killer_stats stats;
	struct loop_watch reaper_watch;
	bool warned_full;
	uint64_t round_seq;
	struct round_acct accts[ROUNDS_KEPT];
	killer_pending_fn pending_fn;
	void *pending_ctx;
	struct killer_victim_info *published; /* capacity, for pending_fn */
};

static void on_reaper_result(void *ctx, uint32_t events);
static void publish_pending(struct killer *k);

int killer_new(const struct killer_config *cfg, struct loop *loop, struct reaper *reaper,
	       struct proctab *pt, const struct killer_ops *ops, void *ctx, struct killer **ret)
{
	struct killer *k;
	int r;

	if (cfg->capacity == 0 || cfg->capacity > (1U << ID_SLOT_BITS))
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->slots = calloc(cfg->capacity, sizeof(*k->slots));
	if (!k->slots) {
		free(k);
		return -ENOMEM;
	}
	k->cfg = *cfg;
	k->loop = loop;
	k->reaper = reaper;
	k->pt = pt;
	k->ops = ops;
	k->ctx = ctx;
	for (size_t i = 0; i < cfg->capacity; i++)
		k->slots[i].pidfd = -1;
	if (reaper) {
		k->reaper_watch = (struct loop_watch){.fn = on_reaper_result, .ctx = k};
		r = loop_add(loop, reaper_fd(reaper), EPOLLIN, &k->reaper_watch);
		if (r < 0) {
			killer_free(k);
			return r;
		}
	}
	*ret = k;
	return 0;
}

static void release_slot(struct victim *v)
{
	struct killer *k = v->k;

	if (v->pidfd >= 0) {
		loop_del(k->loop, v->pidfd);
		v->pidfd = safe_close(v->pidfd);
	}
	loop_timer_disarm(k->loop, &v->timer);
	v->used = false;
}

static double mib(uint64_t kib)
{
	return (double)kib / 1024.0;
}

/* A duration to print: unknown or below zero (clocks read a hair apart) is 0, never "-0.0". */
static double ms_of(int64_t usec)
{
	return usec > 0 ? (double)usec / 1000.0 : 0.0;
}

void kill_event_from_candidate(const struct candidate *c, const struct kill_round *round,
			       struct kill_event *ret)
{
	*ret = (struct kill_event){
		.pid = c->pid,
		.comm = c->comm,
		.uid = c->uid,
		.oom_score_adj = c->adj,
		.effective_adj = c->eff_adj,
		.reason = kill_reason_name(round->reason),
		.size_kib = c->size_kib,
		.anon_kib = c->anon_kib,
		.target_kib = round->target_kib,
		.kill_to_exit_usec = -1,
		.reap_usec = -1,
		.scan_usec = round->scan_usec,
		.scanned = round->scanned,
		.shmem_kib = c->shmem_kib,
		.cgroup_preference = cg_pref_name((enum cg_pref)c->cg_pref),
		.cmd_hash = c->cmd_hash,
		.ppid = c->ppid,
	};
}

void kill_event_set_result(struct kill_event *ev, const struct reaper_result *res)
{
	ev->reaped = res->reaped;
	ev->reap_error = res->reap_error;
	ev->reap_usec = res->reaped ? (int64_t)res->reap_usec : -1;
	ev->reaped_kib = res->reaped_kib;
	ev->thawed = res->thawed;
	ev->boosted = res->boosted;
	ev->boost_threads = res->boost_threads;
	ev->boost_errors = res->boost_errors;
	ev->cpu_limit_lifted = res->cpu_moved;
	ev->cpu_limits = res->cpu_limits;
}

/* What the kill line says of a victim whose cgroup asked to be avoided: it was the last resort. */
static const char *last_resort_note(const struct candidate *c)
{
	return c->cg_pref == CG_PREF_AVOID ? "; last resort (its cgroup: ManagedOOMPreference=avoid)"
					   : "";
}

/* "; boosted 65 threads, out of cpu.max" when the boost did something, else "". */
static const char *boost_note(const struct reaper_result *res, char *buf, size_t len)
{
	buf[0] = '\0';
	if (res->boosted)
		snprintf(buf, len, "; boosted %u thread%s%s%s", res->boost_threads,
			 res->boost_threads == 1 ? "" : "s", res->cpu_moved ? ", out of " : "",
			 res->cpu_moved ? boost_limit_name(res->cpu_limits) : "");
	else if (res->cpu_moved)
		snprintf(buf, len, "; out of %s", boost_limit_name(res->cpu_limits));
	return buf;
}

static void fill_event(const struct victim *v, struct kill_event *ev)
{
	kill_event_from_candidate(&v->cand, &v->round, ev);
	ev->time_usec = v->submit_realtime_usec;
	ev->scope = v->k->cfg.scope_name;
	ev->round_seq = v->round_seq;
}

/* Reports a victim whose death was never confirmed (reapd is exiting). */
static void report_unconfirmed(struct victim *v)
{
	struct killer *k = v->k;
	struct kill_event ev;

	fill_event(v, &ev);
	if (v->result_in) {
		kill_event_set_result(&ev, &v->res);
		ev.freed_kib = v->res.reaped_kib;
	}
	k->ops->event(k->ctx, &ev);
	log_warn("pid %d (%s) was signalled but not yet seen to exit", (int)v->cand.pid,
		 v->cand.comm);
}

void killer_free(struct killer *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->cfg.capacity; i++) {
		if (k->slots[i].used) {
			report_unconfirmed(&k->slots[i]);
			release_slot(&k->slots[i]);
		}
	}
	if (k->reaper)
		loop_del(k->loop, reaper_fd(k->reaper));
	free(k->published);
	free(k->slots);
	free(k);
}

/* Measures what @v's death freed (see struct round_acct). */
static uint64_t measure_freed(struct killer *k, const struct victim *v)
{
	struct round_acct *a = &k->accts[v->round_seq % ROUNDS_KEPT];
	uint64_t now_kib = v->exit_charged_kib, drop, freed, cap;

	/*
	 * The charge is the one read at the death, not now: the reaper's
	 * boost and thaw finish after it, and what others allocate meanwhile
	 * must not count against the victim.
	 */
	if (!k->ops->charged || a->seq != v->round_seq || now_kib == UINT64_MAX)
		return 0;
	drop = a->base_kib > now_kib ? a->base_kib - now_kib : 0;
	freed = drop > a->credited_kib ? drop - a->credited_kib : 0;
	/*
	 * Victims dying together are uncharged before the first of them is
	 * seen dead: none is credited more than it held (its estimate, or what
	 * its reap unmapped), and the rest of the drop goes to the others.
	 */
	cap = v->cand.size_kib > v->res.reaped_kib ? v->cand.size_kib : v->res.reaped_kib;
	if (freed > cap)
		freed = cap;
	a->credited_kib += freed;
	return freed;
}

/* Emits the event and the log line of a victim that is dead and whose reaper result is in. */
static void finalize(struct victim *v)
{
	struct killer *k = v->k;
	struct kill_event ev;
	const struct reaper_result *res = &v->res;
	int64_t exit_usec = -1;
	uint64_t told;
	char note[64];

	fill_event(v, &ev);
	/* The signal went out at res->signal_usec; the realtime stamp is shifted to match. */
	ev.time_usec += res->signal_usec > v->submit_usec ? res->signal_usec - v->submit_usec : 0;
	if (v->exit_usec >= res->signal_usec)
		exit_usec = (int64_t)(v->exit_usec - res->signal_usec);
	ev.exited = true;
	ev.kill_to_exit_usec = exit_usec;
	kill_event_set_result(&ev, res);
	ev.freed_kib = measure_freed(k, v);

	k->stats.freed_kib += ev.freed_kib;
	if (res->reaped) {
		k->stats.reaped++;
		k->stats.reaped_kib += res->reaped_kib;
	}
	k->ops->event(k->ctx, &ev);

	if (res->reaped)
		log_info("killed pid %d (%s), uid %u, adj %d, %s: %.1f MiB; exited in %.1f ms, "
			 "freed %.1f MiB; reaped %.1f MiB in %.1f ms%s%s%s",
			 (int)v->cand.pid, v->cand.comm, (unsigned)v->cand.uid, v->cand.adj,
			 ev.reason, mib(v->cand.size_kib), ms_of(exit_usec),
			 mib(ev.freed_kib), mib(res->reaped_kib), (double)res->reap_usec / 1000.0,
			 res->thawed ? "; thawed" : "", boost_note(res, note, sizeof(note)),
			 last_resort_note(&v->cand));
	else
		log_info("killed pid %d (%s), uid %u, adj %d, %s: %.1f MiB; exited in %.1f ms, "
			 "freed %.1f MiB; not reaped (%s)%s%s%s",
			 (int)v->cand.pid, v->cand.comm, (unsigned)v->cand.uid, v->cand.adj,
			 ev.reason, mib(v->cand.size_kib), ms_of(exit_usec),
			 mib(ev.freed_kib),
			 !k->cfg.reap ? "--no-reap" : res->reap_error ? strerrorname_np(-res->reap_error)
								      : "not tried",
			 res->thawed ? "; thawed" : "", boost_note(res, note, sizeof(note)),
			 last_resort_note(&v->cand));
	if (res->signalled_by_caller)
		log_debug("pid %d was signalled by the loop itself: every reaper thread was busy",
			  (int)v->cand.pid);
	told = v->told_kib;
	release_slot(v);
	/* Only now is it no longer on its way back (on_its_way()). */
	publish_pending(k);
	k->ops->done(k->ctx, ev.freed_kib > told ? ev.freed_kib - told : 0);
}

static void on_victim_exit(void *ctx, uint32_t events)
{
	struct victim *v = ctx;

	(void)events;
	v->exit_usec = now_usec();
	v->exited = true;
	if (!v->k->ops->charged || v->k->ops->charged(v->k->ctx, &v->exit_charged_kib) < 0)
		v->exit_charged_kib = UINT64_MAX;
	/* A dead process's pidfd stays readable: stop watching it now. */
	loop_del(v->k->loop, v->pidfd);
	v->pidfd = safe_close(v->pidfd);
	loop_timer_disarm(v->k->loop, &v->timer);
	if (v->result_in)
		finalize(v);
}

/*
 * What a victim past --kill-timeout's reap gave back, not yet told: its
 * memory is free whether it exits soon or not (a process stuck in the
 * kernel on its way out, under pressure, can take seconds), and the next
 * round must count it.  Told once; its death, when it comes, tells the rest.
 */
static uint64_t tell_reaped(struct victim *v)
{
	uint64_t kib = v->result_in && v->res.reaped ? v->res.reaped_kib : 0;

	if (kib <= v->told_kib)
		return 0;
	kib -= v->told_kib;
	v->told_kib += kib;
	return kib;
}

static uint64_t kill_timeout_usec(const struct killer *k)
{
	return (uint64_t)k->cfg.kill_timeout_ms * USEC_PER_MSEC;
}

static void on_victim_timeout(void *ctx)
{
	struct victim *v = ctx;
	struct killer *k = v->k;
	uint64_t now = now_usec(), last;

	if (!v->result_in) {
		/*
		 * The worker has not reported: under pressure a worker can get
		 * the CPU only long after the submission (the lab's zram phase:
		 * the signal went out after the timeout had fired, and the next
		 * round killed an adj 0 bystander).  The victim stays on its way
		 * back for a timeout after the signal, or until the bound above.
		 */
		last = UNCONFIRMED_TIMEOUTS * kill_timeout_usec(k);
		last = v->submit_usec + (last > UNCONFIRMED_MIN_USEC ? last : UNCONFIRMED_MIN_USEC);
		if (now < last) {
			loop_timer_arm(k->loop, &v->timer,
				       now + kill_timeout_usec(k) < last ? now + kill_timeout_usec(k)
									 : last);
			return;
		}
	}
	v->timed_out = true;
	k->stats.timeouts++;
	publish_pending(k);
	log_warn("pid %d (%s) is not dead %u ms after SIGKILL; moving on (it will not be "
		 "chosen again)",
		 (int)v->cand.pid, v->cand.comm, k->cfg.kill_timeout_ms);
	k->ops->done(k->ctx, tell_reaped(v));
}


static struct victim *find_by_id(struct killer *k, uint32_t id)
{
	struct victim *v = &k->slots[id & ((1U << ID_SLOT_BITS) - 1)];

	if ((size_t)(v - k->slots) >= k->cfg.capacity || !v->used || v->id != id)
		return NULL;
	return v;
}

static void on_reaper_result(void *ctx, uint32_t events)
{
	struct killer *k = ctx;
	struct reaper_result res;
	uint64_t kib;

	(void)events;
	while (reaper_read_result(k->reaper, &res) == 0) {
		struct victim *v = find_by_id(k, res.id);

		if (!v)
			continue;
		v->res = res;
		v->result_in = true;
		/* Still alive: the wait for its death runs from the signal. */
		if (!v->exited && !v->timed_out && res.signal_error == 0)
			loop_timer_arm(k->loop, &v->timer, res.signal_usec + kill_timeout_usec(k));
		if (res.signal_error < 0) {
			/* ESRCH: it died on its own first; its pidfd will tell. Else it still lives. */
			if (res.signal_error != -ESRCH) {
				log_error_errno(res.signal_error, "cannot kill pid %d (%s)",
						(int)v->cand.pid, v->cand.comm);
				release_slot(v);
				publish_pending(k);
				k->ops->done(k->ctx, 0);
				continue;
			}
		}
		if (v->exited)
			finalize(v);
		else if (v->timed_out && (kib = tell_reaped(v)) > 0)
			k->ops->done(k->ctx, kib);
	}
}

static struct victim *free_slot(struct killer *k)
{
	for (size_t i = 0; i < k->cfg.capacity; i++)
		if (!k->slots[i].used)
			return &k->slots[i];
	return NULL;
}

static void report_dry_run(struct killer *k, const struct kill_round *round,
			   const struct candidate *c)
{
	struct victim v = {.k = k, .cand = *c, .round = *round};
	struct kill_event ev;

	v.submit_realtime_usec = realtime_usec();
	fill_event(&v, &ev);
	ev.dry_run = true;
	k->ops->event(k->ctx, &ev);
	log_info("dry run: would kill pid %d (%s), uid %u, adj %d, %s: %.1f MiB", (int)c->pid,
		 c->comm, (unsigned)c->uid, c->adj, ev.reason, mib(c->size_kib));
}

/* Pins, verifies and hands one victim to the reaper. Returns 1 when signalled, 0 when skipped. */
static int kill_one(struct killer *k, struct victim *v, const struct kill_round *round,
		    const struct candidate *c)
{
	struct reaper_request req;
	int pidfd, dup_fd, r;

	pidfd = sys_pidfd_open(c->pid);
	if (pidfd < 0)
		return 0; /* gone since the scan */
	/* The pidfd pins the process; if the start time still matches, it is the one we chose. */
	r = proctab_verify(k->pt, c);
	if (r < 0) {
		if (r == -ESTALE) {
			k->stats.skipped_reused++;
			log_warn("pid %d was reused since the scan; not killing it", (int)c->pid);
		}
		safe_close(pidfd);
		return 0;
	}
	/* The reaper gets its own fd, so closing ours on exit cannot race its syscalls. */
	dup_fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0) {
		safe_close(pidfd);
		return 0;
	}

	k->generation++;
	*v = (struct victim){
		.k = k,
		.used = true,
		.id = (k->generation << ID_SLOT_BITS) | (uint32_t)(v - k->slots),
		.pidfd = pidfd,
		.cand = *c,
		.round = *round,
		.round_seq = k->round_seq,
		.submit_usec = now_usec(),
		.submit_realtime_usec = realtime_usec(),
	};
	v->watch = (struct loop_watch){.fn = on_victim_exit, .ctx = v};
	loop_timer_init(&v->timer, on_victim_timeout, v);
	if (loop_add(k->loop, pidfd, EPOLLIN, &v->watch) < 0)
		v->pidfd = safe_close(pidfd); /* the timeout still bounds the wait */

	req = (struct reaper_request){.pidfd = dup_fd, .pid = c->pid, .id = v->id,
				      .anon_kib = c->anon_kib};
	r = reaper_submit(k->reaper, &req);
	if (r < 0) {
		if (r != -ESRCH)
			log_error_errno(r, "cannot kill pid %d (%s)", (int)c->pid, c->comm);
		release_slot(v);
		return 0;
	}
	loop_timer_arm(k->loop, &v->timer, v->submit_usec + kill_timeout_usec(k));
	k->stats.kills++;
	return 1;
}

int killer_kill(struct killer *k, const struct kill_round *round, const struct candidate *cands,
		const uint32_t *victims, size_t n)
{
	uint64_t base_kib = round->charged_kib;
	int done = 0;

	/*
	 * The base is read again just before the signals (one pread): what
	 * others allocate during the scan must not count against the victims.
	 */
	if (k->ops->charged && !k->cfg.dry_run)
		k->ops->charged(k->ctx, &base_kib);
	k->round_seq++;
	k->accts[k->round_seq % ROUNDS_KEPT] = (struct round_acct){
		.seq = k->round_seq, .base_kib = base_kib};
	for (size_t i = 0; i < n; i++) {
		const struct candidate *c = &cands[victims[i]];
		struct victim *v;

		if (k->cfg.dry_run) {
			report_dry_run(k, round, c);
			done++;
			continue;
		}
		v = free_slot(k);
		if (!v) {
			if (!k->warned_full)
				log_warn("%zu victims are still dying; not killing more until one exits",
					 k->cfg.capacity);
			k->warned_full = true;
			break;
		}
		k->warned_full = false;
		done += kill_one(k, v, round, c);
	}
	if (done > 0 && !k->cfg.dry_run)
		publish_pending(k);
	return done;
}

/* Sums the victims signalled but neither dead nor timed out; returns their number. */
/*
 * A victim is on its way back from its signal until finalize() hands its
 * measured memory to the round as credit; a dead one whose reaper result is
 * not in yet still counts, or a round in between would see neither (and kill
 * again while the kernel's counters still lag).
 */
static bool on_its_way(const struct victim *v)
{
	return v->used && !v->timed_out;
}

static size_t pending(const struct killer *k, uint64_t *ret_kib)
{
	size_t n = 0;
	uint64_t kib = 0;

	for (size_t i = 0; i < k->cfg.capacity; i++) {
		const struct victim *v = &k->slots[i];
		if (on_its_way(v)) {
			n++;
			kib += v->cand.size_kib;
		}
	}
	if (ret_kib)
		*ret_kib = kib;
	return n;
}

/* Tells the hook which victims are on their way back now (pending() changed). */
static void publish_pending(struct killer *k)
{
	size_t n = 0;

	if (!k->pending_fn)
		return;
	for (size_t i = 0; i < k->cfg.capacity; i++) {
		const struct victim *v = &k->slots[i];
		if (on_its_way(v))
			k->published[n++] = (struct killer_victim_info){
				.pid = v->cand.pid,
				.start_time = v->cand.start_time,
				.size_kib = v->cand.size_kib,
			};
	}
	k->pending_fn(k->pending_ctx, k->published, n);
}

int killer_set_pending_hook(struct killer *k, killer_pending_fn fn, void *ctx)
{
	if (fn && !k->published) {
		k->published = calloc(k->cfg.capacity, sizeof(*k->published));
		if (!k->published)
			return -ENOMEM;
	}
	k->pending_fn = fn;
	k->pending_ctx = ctx;
	publish_pending(k);
	return 0;
}

uint64_t killer_pending_kib(const struct killer *k)
{
	uint64_t kib;

	pending(k, &kib);
	return kib;
}

size_t killer_pending(const struct killer *k)
{
	return pending(k, NULL);
}

bool killer_is_victim(const struct killer *k, pid_t pid, uint64_t start_time)
{
	for (size_t i = 0; i < k->cfg.capacity; i++) {
		const struct victim *v = &k->slots[i];
		if (v->used && v->cand.pid == pid && v->cand.start_time == start_time)
			return true;
	}
	return false;
}

void killer_set_config(struct killer *k, unsigned kill_timeout_ms, bool dry_run)
{
	k->cfg.kill_timeout_ms = kill_timeout_ms;
	k->cfg.dry_run = dry_run;
}

const struct killer_stats *killer_stats(const struct killer *k)
{
	return &k->stats;
}
