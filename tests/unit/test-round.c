/* SPDX-License-Identifier: MIT */
/*
 * The round against a fake killer and a fake domain: a copy of the fixture
 * procfs (FIXTURES/proc) whose meminfo the test rewrites.  Checks when a
 * round runs, that our pending victims are never chosen again, that deaths
 * re-evaluate from the loop (merged, never nested inside the killer), the
 * back-off when nothing is left, and the preview `reapctl victims` shows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "decide.h"
#include "domain.h"
#include "loop.h"
#include "respawn.h"
#include "round.h"
#include "sys.h"

#define MAX_KILLED 64

struct fake_killer {
	int kills;           /* kill() calls */
	int in_kill;         /* set while inside kill(): nothing may re-enter */
	int nested;          /* evaluations that started inside kill() */
	size_t pending;
	bool all_pending;    /* every process counts as our victim */
	pid_t killed[MAX_KILLED];
	size_t n_killed;
	struct round *round; /* to report a death from inside kill() */
	bool die_inside;
};

struct fixture {
	char dir[64];
	struct config cfg;
	struct decide_params params;
	struct respawn respawn;
	struct loop *loop;
	struct domain *domain;
	struct round *round;
	struct fake_killer fk;
	int proc_fd;
};

static int fake_kill(void *ctx, const struct kill_round *round, const struct candidate *cands,
		     const uint32_t *victims, size_t n)
{
	struct fake_killer *fk = ctx;

	(void)round;
	fk->nested += fk->in_kill;
	fk->in_kill = 1;
	fk->kills++;
	for (size_t i = 0; i < n && fk->n_killed < MAX_KILLED; i++)
		fk->killed[fk->n_killed++] = cands[victims[i]].pid;
	if (fk->die_inside)
		round_victim_done(fk->round, 1024); /* as the killer's done callback would */
	fk->in_kill = 0;
	return (int)n;
}

static size_t fake_pending(void *ctx)
{
	return ((struct fake_killer *)ctx)->pending;
}

static uint64_t fake_pending_kib(void *ctx)
{
	(void)ctx;
	return 0;
}

static bool fake_is_victim(void *ctx, pid_t pid, uint64_t start_time)
{
	struct fake_killer *fk = ctx;

	(void)start_time;
	if (fk->all_pending)
		return true;
	for (size_t i = 0; i < fk->n_killed; i++)
		if (fk->killed[i] == pid)
			return true;
	return false;
}

static const struct round_killer fake_ops = {
	.kill = fake_kill,
	.pending = fake_pending,
	.pending_kib = fake_pending_kib,
	.is_victim = fake_is_victim,
};

/* Rewrites the fake domain's MemAvailable and swap (in place: the domain keeps its fd). */
static void set_mem(struct fixture *f, unsigned long kib, unsigned long swap_total_kib,
		    unsigned long swap_free_kib)
{
	char path[128], text[256];
	int fd, n;

	snprintf(path, sizeof(path), "%s/meminfo", f->dir);
	n = snprintf(text, sizeof(text),
		     "MemTotal:       16318480 kB\nMemFree:        %lu kB\nMemAvailable:   %lu kB\n"
		     "Inactive(file):  0 kB\nShmem:          1024 kB\nSwapTotal:      %lu kB\n"
		     "SwapFree:       %lu kB\n",
		     kib, kib, swap_total_kib, swap_free_kib);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, (size_t)n), n);
	close(fd);
}

static void set_avail(struct fixture *f, unsigned long kib)
{
	set_mem(f, kib, 0, 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char cmd[512];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/reapd-test-round-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* The refiner reads command lines, which the fixture tree does not have. */
	snprintf(cmd, sizeof(cmd),
		 "cp -a %s/proc/. %s/ && for p in %s/[0-9]*; do cp $p/comm $p/cmdline; done",
		 FIXTURES, f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	set_avail(f, 8 * 1024 * 1024);

	config_init(&f->cfg);
	f->cfg.proc_root = f->dir;
	f->cfg.mem_min = (struct threshold){.bytes = 1024ULL * 1024 * 1024};
	f->params.mem_min = f->cfg.mem_min;
	f->params.swap_min = (struct threshold){.is_percent = true, .percent_x100 = 0};
	f->params.min_adj = 0;
	f->params.psi_some_min_adj = 200;
	respawn_init(&f->respawn);
	assert_int_equal(loop_new(&f->loop), 0);
	assert_int_equal(domain_open(f->dir, NULL, &f->domain), 0);
	f->proc_fd = open(f->dir, O_RDONLY | O_DIRECTORY);
	assert_true(f->proc_fd >= 0);

	struct round_config rc = {
		.cfg = &f->cfg, .params = &f->params, .loop = f->loop, .domain = f->domain,
		.respawn = &f->respawn, .proc_fd = f->proc_fd, .self = getpid(),
		.initial_capacity = 8,
	};
	assert_int_equal(round_new(&rc, &f->round), 0);
	f->fk.round = f->round;
	round_set_killer(f->round, &fake_ops, &f->fk);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	round_free(f->round);
	domain_free(f->domain);
	loop_free(f->loop);
	close(f->proc_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_no_pressure_no_round(void **state)
{
	struct fixture *f = *state;

	round_evaluate(f->round, 0);
	assert_int_equal(f->fk.kills, 0);
	assert_false(round_nothing_to_kill(f->round));
	assert_int_equal(round_mem(f->round)->avail_kib, 8 * 1024 * 1024);
}

static void test_low_memory_kills_top_bucket(void **state)
{
	struct fixture *f = *state;

	set_avail(f, 512 * 1024);
	round_evaluate(f->round, 0);
	assert_int_equal(f->fk.kills, 1);
	assert_true(f->fk.n_killed > 0);
	/* The top buckets: 2700 (adj 1000, 520 MiB) and 2600 (adj 900, 1 GiB) cover 768 MiB. */
	for (size_t i = 0; i < f->fk.n_killed; i++)
		assert_true(f->fk.killed[i] == 2700 || f->fk.killed[i] == 2600);
}

static void test_pending_victims_not_chosen_again(void **state)
{
	struct fixture *f = *state;
	size_t first;

	set_avail(f, 512 * 1024);
	round_evaluate(f->round, 0);
	first = f->fk.n_killed;
	assert_true(first > 0);
	round_evaluate(f->round, PRESSURE_AFTER_KILL);
	for (size_t i = first; i < f->fk.n_killed; i++)
		for (size_t j = 0; j < first; j++)
			assert_int_not_equal(f->fk.killed[i], f->fk.killed[j]);
}

static void test_deaths_merge_into_one_evaluation(void **state)
{
	struct fixture *f = *state;

	set_avail(f, 512 * 1024);
	round_evaluate(f->round, 0);
	assert_int_equal(f->fk.kills, 1);
	/* Two deaths in one loop pass: nothing runs before the loop does, then once. */
	f->fk.pending = 0;
	round_victim_done(f->round, 0);
	round_victim_done(f->round, 0);
	assert_int_equal(f->fk.kills, 1);
	assert_true(loop_iterate(f->loop, 0) >= 0);
	assert_int_equal(f->fk.kills, 2);
}

static void test_death_inside_kill_does_not_nest(void **state)
{
	struct fixture *f = *state;

	set_avail(f, 512 * 1024);
	f->fk.die_inside = true;
	round_evaluate(f->round, 0);
	assert_int_equal(f->fk.kills, 1);
	assert_int_equal(f->fk.nested, 0);
	f->fk.die_inside = false;
	assert_true(loop_iterate(f->loop, 0) >= 0);
	assert_int_equal(f->fk.kills, 2);
	assert_int_equal(f->fk.nested, 0);
}

static void test_nothing_to_kill_backs_off(void **state)
{
	struct fixture *f = *state;

	set_avail(f, 512 * 1024);
	f->fk.all_pending = true;
	round_evaluate(f->round, 0);
	assert_int_equal(f->fk.kills, 0);
	assert_true(round_nothing_to_kill(f->round));
	/* A poll right after finds the same nothing: no rescan. */
	round_evaluate(f->round, 0);
	assert_true(round_nothing_to_kill(f->round));
	/* Memory back above the mark ends the back-off. */
	set_avail(f, 8 * 1024 * 1024);
	round_evaluate(f->round, 0);
	assert_false(round_nothing_to_kill(f->round));
}

static void test_preview_ranks_and_kills_nothing(void **state)
{
	struct fixture *f = *state;
	struct round_preview p;

	/* No pressure: as if at --mem-min, so the listing is not empty. */
	assert_int_equal(round_preview(f->round, 32, &p), 0);
	assert_int_equal(f->fk.kills, 0);
	assert_int_equal(p.dec.reason, REASON_NONE);
	assert_true(p.n > 0);
	assert_true(p.chosen > 0);
	assert_int_equal(p.cands[p.victims[0]].pid, 2700);
	for (size_t i = 1; i < p.n; i++)
		assert_true(p.cands[p.order[i - 1]].eff_adj >= p.cands[p.order[i]].eff_adj);
}

/*
 * While swap is free, one "full" trigger does not kill; triggers in every
 * window for --psi-sustain do, and after that kill the run starts over.  A
 * gap of three windows ends a run.
 */
static void test_full_stall_that_lasts(void **state)
{
	struct fixture *f = *state;

	/*
	 * Only bounds a slow machine cannot break: a sleep may last longer than
	 * asked, never shorter (60 ms sleeps took over 200 ms in the lab's slow
	 * fresh guest).  Window 1 s: a gap of 3 s ends a run; 500 ms sustain.
	 */
	uint64_t start;

	f->cfg.psi_window_ms = 1000;
	f->cfg.psi_sustain_ms = 500;
	f->params.swap_min = (struct threshold){.is_percent = true, .percent_x100 = 1000};
	/* Below twice mem-min (2 GiB), above it; 3 of 4 GiB of swap free. */
	set_mem(f, 1536 * 1024, 4096 * 1024, 3072 * 1024);
	round_pressure(f->round, PRESSURE_PSI_FULL, true);
	assert_int_equal(f->fk.kills, 0);
	usleep(3100 * 1000); /* a gap: the run starts over */
	start = now_usec();
	round_pressure(f->round, PRESSURE_PSI_FULL, true);
	assert_int_equal(f->fk.kills, 0);
	/* Triggers 20 ms apart until one 500 ms or more into the run kills. */
	while (f->fk.kills == 0 && now_usec() - start < 60 * USEC_PER_SEC) {
		usleep(20 * 1000);
		round_pressure(f->round, PRESSURE_PSI_FULL, true);
		/* None sooner than --psi-sustain into the run. */
		if (f->fk.kills)
			assert_true(now_usec() - start >= 500 * USEC_PER_MSEC);
	}
	assert_int_equal(f->fk.kills, 1);
	/* Right after the kill the run has started over. */
	start = now_usec();
	round_pressure(f->round, PRESSURE_PSI_FULL, true);
	if (now_usec() - start < 500 * USEC_PER_MSEC)
		assert_int_equal(f->fk.kills, 1);
	/* Not a stall that lasts: one trigger alone never kills while swap is free. */
	f->cfg.psi_sustain_ms = 0;
	usleep(3100 * 1000);
	round_pressure(f->round, PRESSURE_PSI_FULL, true);
	assert_int_equal(f->fk.kills, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_pressure_no_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_memory_kills_top_bucket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_victims_not_chosen_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deaths_merge_into_one_evaluation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_death_inside_kill_does_not_nest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_kill_backs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_stall_that_lasts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preview_ranks_and_kills_nothing, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
