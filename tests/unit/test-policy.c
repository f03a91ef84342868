/* SPDX-License-Identifier: MIT */
/* The victim policy, table-driven: buckets, min adj, target covering, the second
 * round, name rules and the prepare step, every never-kill rule, and that sizes are
 * loaded lazily. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "match.h"
#include "policy.h"

#define MAXP 16
#define MIB  1024ULL
#define SELF 4242

/* A process as the fake loader will report it. */
struct fake {
	pid_t pid;
	int adj;
	uint64_t size_mib;
	uint8_t skip_on_load; /* what /proc would reveal: kthread, zombie, ... */
	bool vanish;          /* gone by the time it is loaded */
	uint8_t skip_at_scan; /* set by the scan (ignored, pending) */
	uint8_t pref;         /* its cgroup's preference, set by the scan */
};

struct pcase {
	const char *name;
	int min_adj;
	uint64_t target_mib;
	size_t max_victims;
	struct fake procs[MAXP];
	pid_t expect[MAXP];      /* victims in kill order, 0-terminated */
	pid_t never_load[MAXP];  /* pids the walk must not load, 0-terminated */
};

struct refiner {
	int calls;
	pid_t refined[16];
};

struct loader {
	const struct pcase *pc;
	int calls;
	struct refiner *refiner;
};

static const struct fake *find_fake(const struct pcase *pc, pid_t pid)
{
	for (size_t i = 0; i < MAXP && pc->procs[i].pid; i++)
		if (pc->procs[i].pid == pid)
			return &pc->procs[i];
	return NULL;
}

static int fake_load(void *ctx, struct candidate *c)
{
	struct loader *l = ctx;
	const struct fake *f = find_fake(l->pc, c->pid);

	assert_non_null(f);
	assert_false(c->loaded); /* at most once per candidate */
	l->calls++;
	if (f->vanish)
		return -ESRCH;
	c->size_kib = f->size_mib * MIB;
	c->anon_kib = c->size_kib;
	c->skip = f->skip_on_load;
	snprintf(c->comm, sizeof(c->comm), "p%d", (int)c->pid);
	return 0;
}

#define AVOID 0, false, 0, CG_PREF_AVOID

static const struct pcase cases[] = {
	{"an avoided cgroup is passed over while the others cover", 0, 50, 16,
	 {{10, 900, 100, AVOID}, {11, 500, 100}, {12, 0, 100}},
	 {11}, {12}},
	{"avoided: the last resort, below every bucket", 0, 150, 16,
	 {{10, 900, 100, AVOID}, {11, 500, 100}, {12, 0, 100}},
	 {11, 12}, {0}},
	{"the others fall short: one large avoided one does it alone", 0, 250, 16,
	 {{10, 900, 100}, {11, 500, 100}, {12, 950, 1000, AVOID}},
	 {12}, {0}},
	{"the others fall short: the fewest avoided, then the others still needed", 0, 250, 16,
	 {{10, 900, 100}, {11, 900, 60, AVOID}, {12, 100, 200, AVOID}},
	 {12, 10}, {0}},
	{"nothing covers: every eligible one, the avoided included", 0, 10000, 16,
	 {{10, 900, 100}, {11, 800, 300, AVOID}, {12, 100, 200, AVOID}, {13, 0, 50}},
	 {11, 12, 10, 13}, {0}},
	{"highest bucket first", 0, 50, 16,
	 {{10, 900, 100}, {11, 500, 100}, {12, 0, 100}},
	 {10}, {11, 12}},
	{"largest first inside a bucket", 0, 50, 16,
	 {{10, 900, 10}, {11, 900, 300}, {12, 900, 20}},
	 {11}, {0}},
	{"cover the target across buckets", 0, 150, 16,
	 {{10, 900, 100}, {11, 500, 100}, {12, 0, 100}},
	 {10, 11}, {12}},
	{"second round: one large victim replaces small ones", 0, 1005, 16,
	 {{10, 900, 10}, {11, 900, 10}, {12, 500, 1000}, {13, 0, 5000}},
	 {12, 10}, {13}},
	{"min adj bounds the walk; all eligible if the target cannot be met", 500, 500, 16,
	 {{10, 900, 10}, {11, 499, 1000}, {12, 600, 20}},
	 {12, 10}, {11}},
	{"never: pid 1, self, adj -1000, ignored, pending at scan", 0, 100000, 16,
	 {{1, 1000, 900},
	  {SELF, 1000, 900},
	  {20, -1000, 900},
	  {21, 1000, 900, 0, false, SKIP_IGNORED},
	  {22, 1000, 900, 0, false, SKIP_PENDING},
	  {23, 100, 1}},
	 {23}, {1, SELF, 20, 21, 22}},
	{"never: kernel threads, dying, empty, vanished", 0, 100000, 16,
	 {{30, 1000, 900, SKIP_KTHREAD},
	  {31, 1000, 900, SKIP_DYING},
	  {32, 1000, 0},
	  {33, 1000, 900, 0, true},
	  {34, 0, 5}},
	 {34}, {0}},
	{"a vanished process is replaced by the next one", 0, 50, 16,
	 {{40, 900, 100, 0, true}, {41, 800, 100}, {42, 0, 100}},
	 {41}, {42}},
	{"at most max_victims", 0, 1000, 3,
	 {{50, 900, 10}, {51, 900, 11}, {52, 900, 12}, {53, 900, 13}, {54, 900, 14}},
	 {54, 53, 52}, {0}},
	{"equal sizes: lower pid first", 0, 10, 16,
	 {{61, 900, 10}, {60, 900, 10}},
	 {60}, {0}},
	{"nothing eligible", 0, 100, 16,
	 {{70, -1000, 100}, {71, -5, 100}},
	 {0}, {70, 71}},
};

static void run_case(const struct pcase *pc)
{
	struct candidate cands[MAXP];
	struct policy_work *w;
	struct loader l = {.pc = pc};
	struct policy_params p = {
		.min_adj = pc->min_adj,
		.target_kib = pc->target_mib * MIB,
		.max_victims = pc->max_victims,
		.self = SELF,
	};
	uint32_t victims[MAXP];
	size_t n = 0, n_expect = 0;
	int r;

	for (; n < MAXP && pc->procs[n].pid; n++)
		cands[n] = (struct candidate){.pid = pc->procs[n].pid,
					      .adj = (int16_t)pc->procs[n].adj,
					      .eff_adj = (int16_t)pc->procs[n].adj,
					      .skip = pc->procs[n].skip_at_scan,
					      .cg_pref = pc->procs[n].pref};
	while (n_expect < MAXP && pc->expect[n_expect])
		n_expect++;

	assert_int_equal(policy_work_new(MAXP, &w), 0);
	r = policy_select(&p, cands, n, fake_load, &l, w, victims);
	if (r != (int)n_expect)
		fail_msg("%s: %d victims, expected %zu", pc->name, r, n_expect);
	for (size_t i = 0; i < n_expect; i++)
		if (cands[victims[i]].pid != pc->expect[i])
			fail_msg("%s: victim %zu is pid %d, expected %d", pc->name, i,
				 (int)cands[victims[i]].pid, (int)pc->expect[i]);
	for (size_t i = 0; i < MAXP && pc->never_load[i]; i++)
		for (size_t j = 0; j < n; j++)
			if (cands[j].pid == pc->never_load[i] && cands[j].loaded)
				fail_msg("%s: pid %d was loaded", pc->name, (int)cands[j].pid);
	policy_work_free(w);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void test_lazy_loading_counts(void **state)
{
	/* 1 process at adj 1000 covers the target: the 0-bucket must never be read. */
	static const struct pcase pc = {"lazy", 0, 100, 16,
					{{2, 1000, 500}, {3, 0, 1}, {4, 0, 1}, {5, 0, 1}, {6, 0, 1}},
					{2}, {3, 4, 5, 6}};
	struct loader l = {.pc = &pc};
	struct candidate cands[5];
	struct policy_work *w;
	struct policy_params p = {.min_adj = 0, .target_kib = 100 * MIB, .max_victims = 4};
	uint32_t v[4];

	(void)state;
	for (int i = 0; i < 5; i++)
		cands[i] = (struct candidate){.pid = pc.procs[i].pid,
					      .adj = (int16_t)pc.procs[i].adj,
					      .eff_adj = (int16_t)pc.procs[i].adj};
	assert_int_equal(policy_work_new(8, &w), 0);
	assert_int_equal(policy_select(&p, cands, 5, fake_load, &l, w, v), 1);
	assert_int_equal(l.calls, 1);
	policy_work_free(w);
}

/* The refiner: pids 100-103 share 300 MiB copy-on-write, each really frees 0.5 MiB. */

static int fake_refine(void *ctx, struct candidate *c)
{
	struct refiner *rf = ((struct loader *)ctx)->refiner;

	assert_false(c->refined); /* at most once per candidate */
	rf->refined[rf->calls++] = c->pid;
	if (c->pid >= 100 && c->pid <= 103)
		c->size_kib = 512;
	return 0;
}

static void test_refine(void **state)
{
	/* The sharers look largest (300 MiB each) but free nothing; then 30 MiB at adj 200 and 100. */
	static const struct pcase pc = {"refine", 1, 40, 16,
					{{100, 900, 300}, {101, 900, 300}, {102, 900, 300},
					 {103, 900, 300}, {200, 200, 30}, {201, 100, 30},
					 {202, 100, 20}, {203, 0, 150}},
					{200, 201}, {203}};
	struct refiner rf = {0};
	struct loader l = {.pc = &pc, .refiner = &rf};
	struct candidate cands[8];
	struct policy_work *w;
	struct policy_params p = {.min_adj = 1, .target_kib = 40 * MIB, .max_victims = 16,
				  .refine = fake_refine};
	uint32_t v[16];

	(void)state;
	for (int i = 0; i < 8; i++)
		cands[i] = (struct candidate){.pid = pc.procs[i].pid,
					      .adj = (int16_t)pc.procs[i].adj,
					      .eff_adj = (int16_t)pc.procs[i].adj};
	assert_int_equal(policy_work_new(8, &w), 0);
	assert_int_equal(policy_select(&p, cands, 8, fake_load, &l, w, v), 2);
	assert_int_equal(cands[v[0]].pid, 200);
	assert_int_equal(cands[v[1]].pid, 201);
	/* Sharers frees-little; 202 (adj 100, smaller) never refined: 201 covered the target. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(cands[i].skip, SKIP_LITTLE);
	assert_int_equal(rf.calls, 6);
	assert_false(cands[6].refined);
	assert_false(cands[7].loaded);
	policy_work_free(w);
}

/* A refiner that finds cgroup preferences, as the system scope's: 400 avoided, 401 omitted. */
static int prefs_refine(void *ctx, struct candidate *c)
{
	(void)ctx;
	if (c->pid == 400)
		c->cg_pref = CG_PREF_AVOID;
	if (c->pid == 401) {
		c->cg_pref = CG_PREF_OMIT;
		c->skip = SKIP_OMITTED;
	}
	return 0;
}

/*
 * Preferences the refiner finds, for the candidates the walk takes: the
 * omitted one never, the avoided one passed over, then the last resort when
 * the others fall short (and of the others only what is still needed).
 */
static void test_refine_finds_preference(void **state)
{
	static const struct pcase pc = {"preferences", 0, 0, 16,
					{{400, 900, 100}, {401, 900, 200}, {402, 500, 100},
					 {403, 0, 30}},
					{0}, {0}};
	static const struct {
		uint64_t target_mib;
		pid_t want[3];
	} targets[] = {
		{50, {402}},
		{120, {402, 403}},
		{200, {400, 402}},
	};
	(void)state;
	for (size_t k = 0; k < sizeof(targets) / sizeof(targets[0]); k++) {
		struct loader l = {.pc = &pc};
		struct candidate cands[4];
		struct policy_work *w;
		struct policy_params p = {.min_adj = 0, .target_kib = targets[k].target_mib * MIB,
					  .max_victims = 16, .refine = prefs_refine};
		uint32_t v[16];
		int n = 0, r;

		for (int i = 0; i < 4; i++)
			cands[i] = (struct candidate){.pid = pc.procs[i].pid,
						      .adj = (int16_t)pc.procs[i].adj,
						      .eff_adj = (int16_t)pc.procs[i].adj};
		while (n < 3 && targets[k].want[n])
			n++;
		assert_int_equal(policy_work_new(4, &w), 0);
		r = policy_select(&p, cands, 4, fake_load, &l, w, v);
		if (r != n)
			fail_msg("target %llu MiB: %d victims, want %d",
				 (unsigned long long)targets[k].target_mib, r, n);
		for (int i = 0; i < n; i++)
			if (cands[v[i]].pid != targets[k].want[i])
				fail_msg("target %llu MiB: victim %d is %d, want %d",
					 (unsigned long long)targets[k].target_mib, i,
					 (int)cands[v[i]].pid, (int)targets[k].want[i]);
		assert_int_equal(cands[1].skip, SKIP_OMITTED);
		policy_work_free(w);
	}
}

/* A churning parent (own size 0.5 MiB) goes first in its bucket and counts only for itself. */
static void test_churner(void **state)
{
	static const struct pcase pc = {"churner", 0, 5, 16,
					{{300, 500, 0}, {301, 500, 2}, {302, 500, 2}, {303, 500, 2},
					 {304, 500, 2}, {305, 0, 100}},
					{300}, {305}};
	struct loader l = {.pc = &pc};
	struct candidate cands[6];
	struct policy_work *w;
	struct policy_params p = {.min_adj = 0, .target_kib = 5 * MIB, .max_victims = 16};
	uint32_t v[16];
	int n;

	(void)state;
	for (int i = 0; i < 6; i++)
		cands[i] = (struct candidate){.pid = pc.procs[i].pid,
					      .adj = (int16_t)pc.procs[i].adj,
					      .eff_adj = (int16_t)pc.procs[i].adj};
	/* The loader gives pid 300 no size at all; its flag is what a round's loader sets. */
	cands[0].churner = true;
	assert_int_equal(policy_work_new(8, &w), 0);
	n = policy_select(&p, cands, 6, fake_load, &l, w, v);
	/* The parent first, then enough children to cover 5 MiB: 3 of 2 MiB. */
	assert_int_equal(n, 4);
	assert_int_equal(cands[v[0]].pid, 300);
	for (int i = 1; i < n; i++)
		assert_int_equal(cands[v[i]].eff_adj, 500);
	assert_false(cands[5].loaded);
	policy_work_free(w);
}

static void test_zero_target_and_capacity(void **state)
{
	struct candidate c = {.pid = 9, .adj = 900, .eff_adj = 900};
	struct policy_work *w;
	struct policy_params p = {.min_adj = 0, .target_kib = 0, .max_victims = 4};
	struct loader l = {.pc = &cases[0]};
	uint32_t v[4];

	(void)state;
	assert_int_equal(policy_work_new(0, &w), 0);
	assert_int_equal(policy_select(&p, &c, 0, fake_load, &l, w, v), 0);
	assert_int_equal(policy_select(&p, &c, 1, fake_load, &l, w, v), -E2BIG);
	policy_work_free(w);
}

static struct matcher *compile(const char *pattern)
{
	struct matcher *m;

	assert_int_equal(matcher_compile(pattern, &m, NULL, 0), 0);
	return m;
}

static void test_rules(void **state)
{
	struct policy_rules rules = {0};
	struct match_scratch *sc;
	static const struct {
		const char *comm;
		int adj, eff;
		uint8_t skip;
	} t[] = {
		{"chrome", 500, 800, SKIP_NONE},   /* prefer: +300 */
		{"chrome", 900, 1000, SKIP_NONE},  /* clamped at 1000 */
		{"sshd", 0, -300, SKIP_NONE},      /* avoid: -300 */
		{"sshd", -800, -999, SKIP_NONE},   /* never shifted down to -1000 */
		{"chrome", -1000, -1000, SKIP_NONE}, /* -1000 is never shifted */
		{"chrome-sshd", 100, 100, SKIP_NONE}, /* both: no shift */
		{"Xorg", 0, 0, SKIP_IGNORED},
		{"bash", 200, 200, SKIP_NONE},
	};

	(void)state;
	rules.prefer[rules.n_prefer++] = compile("^chrome");
	rules.avoid[rules.n_avoid++] = compile("sshd$");
	rules.ignore[rules.n_ignore++] = compile("^(Xorg|gnome-shell)$");
	assert_false(policy_rules_empty(&rules));
	assert_int_equal(match_scratch_new(policy_rules_states(&rules), &sc), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct candidate c = {.pid = 100, .adj = (int16_t)t[i].adj};

		snprintf(c.comm, sizeof(c.comm), "%s", t[i].comm);
		assert_int_equal(policy_apply_rules(&rules, sc, &c), 0);
		if (c.eff_adj != t[i].eff || c.skip != t[i].skip)
			fail_msg("%s adj %d: eff %d skip %d, expected %d %d", t[i].comm, t[i].adj,
				 c.eff_adj, c.skip, t[i].eff, t[i].skip);
	}
	/* A scratch too small for the rules is refused, the candidate left alone. */
	match_scratch_free(sc);
	assert_int_equal(match_scratch_new(1, &sc), 0);
	{
		struct candidate c = {.pid = 100, .adj = 500, .eff_adj = 500, .comm = "chrome"};

		assert_int_equal(policy_apply_rules(&rules, sc, &c), -ENOBUFS);
		assert_int_equal(c.eff_adj, 500);
		assert_int_equal(c.skip, SKIP_NONE);
	}
	match_scratch_free(sc);
	matcher_free(rules.prefer[0]);
	matcher_free(rules.avoid[0]);
	matcher_free(rules.ignore[0]);
}

/*
 * The prepare step over a raw scan: rules applied, the effective adj held
 * to min_adj, the survivors kept in scan order.  Each row: the rules on or
 * off, a min_adj, and the pids expected (0 ends the list).
 */
static void test_prepare(void **state)
{
	static const struct {
		pid_t pid;
		int adj;
		const char *comm;
	} scan[] = {
		{10, 500, "chrome"},  /* prefer: 800 */
		{11, 0, "sshd"},      /* avoid: -300 */
		{12, 900, "Xorg"},    /* ignored, but kept (marked) */
		{13, 200, "bash"},
		{14, -999, "sshd"},   /* avoid, held at -999 */
		{15, 300, "chrome"},  /* prefer: 600 */
		{16, 1000, "chrome"}, /* prefer, clamped at 1000 */
	};
	static const struct {
		const char *name;
		bool rules;
		int min_adj;
		pid_t want[8];
		int want_eff[8];
	} t[] = {
		{"all, rules", true, ADJ_MIN + 1, {10, 11, 12, 13, 14, 15, 16},
		 {800, -300, 900, 200, -999, 600, 1000}},
		{"all, no rules", false, ADJ_MIN + 1, {10, 11, 12, 13, 14, 15, 16},
		 {500, 0, 900, 200, -999, 300, 1000}},
		{"min 0, rules", true, 0, {10, 12, 13, 15, 16}, {800, 900, 200, 600, 1000}},
		{"min 0, no rules", false, 0, {10, 11, 12, 13, 15, 16},
		 {500, 0, 900, 200, 300, 1000}},
		{"min 600, rules", true, 600, {10, 12, 15, 16}, {800, 900, 600, 1000}},
		{"min 600, no rules", false, 600, {12, 16}, {900, 1000}},
		{"min 1000, rules", true, 1000, {16}, {1000}},
	};
	struct policy_rules rules = {0};
	struct match_scratch *sc;

	(void)state;
	rules.prefer[rules.n_prefer++] = compile("^chrome$");
	rules.avoid[rules.n_avoid++] = compile("^sshd$");
	rules.ignore[rules.n_ignore++] = compile("^Xorg$");
	assert_int_equal(match_scratch_new(policy_rules_states(&rules), &sc), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct policy_rules *rr = t[i].rules ? &rules : NULL;
		struct candidate cands[sizeof(scan) / sizeof(scan[0])];
		size_t n = 0, want_n = 0;

		/* What a scan with the same rules would keep (policy_scan_floor()). */
		for (size_t k = 0; k < sizeof(scan) / sizeof(scan[0]); k++) {
			if (scan[k].adj < policy_scan_floor(rr, t[i].min_adj))
				continue;
			cands[n] = (struct candidate){.pid = scan[k].pid,
						      .adj = (int16_t)scan[k].adj,
						      .eff_adj = (int16_t)scan[k].adj};
			snprintf(cands[n++].comm, COMM_LEN, "%s", scan[k].comm);
		}
		n = policy_prepare(rr, sc, t[i].min_adj, cands, n);
		while (want_n < 8 && t[i].want[want_n])
			want_n++;
		if (n != want_n)
			fail_msg("%s: %zu kept, expected %zu", t[i].name, n, want_n);
		for (size_t k = 0; k < n; k++) {
			uint8_t skip = t[i].rules && cands[k].pid == 12 ? SKIP_IGNORED : SKIP_NONE;

			if (cands[k].pid != t[i].want[k] || cands[k].eff_adj != t[i].want_eff[k] ||
			    cands[k].skip != skip)
				fail_msg("%s: #%zu is pid %d eff %d skip %d, expected %d eff %d "
					 "skip %d", t[i].name, k, cands[k].pid, cands[k].eff_adj,
					 cands[k].skip, t[i].want[k], t[i].want_eff[k], skip);
		}
	}
	/* A scratch too small: the candidates it cannot match are dropped, never misjudged. */
	match_scratch_free(sc);
	assert_int_equal(match_scratch_new(1, &sc), 0);
	{
		struct candidate c = {.pid = 10, .adj = 500, .eff_adj = 500, .comm = "chrome"};

		assert_int_equal(policy_prepare(&rules, sc, ADJ_MIN + 1, &c, 1), 0);
	}
	match_scratch_free(sc);
	matcher_free(rules.prefer[0]);
	matcher_free(rules.avoid[0]);
	matcher_free(rules.ignore[0]);
}

/* The scan's floor: as low as --prefer can lift a process to min_adj, never -1000. */
static void test_scan_floor(void **state)
{
	struct policy_rules rules = {0};

	(void)state;
	assert_int_equal(policy_scan_floor(NULL, 500), 500);
	assert_int_equal(policy_scan_floor(&rules, 500), 500);
	assert_int_equal(policy_scan_floor(NULL, ADJ_MIN), ADJ_MIN + 1);
	rules.avoid[rules.n_avoid++] = compile("^sshd$");
	assert_int_equal(policy_scan_floor(&rules, 500), 500);
	rules.prefer[rules.n_prefer++] = compile("^chrome$");
	assert_int_equal(policy_scan_floor(&rules, 500), 200);
	assert_int_equal(policy_scan_floor(&rules, -800), ADJ_MIN + 1);
	matcher_free(rules.prefer[0]);
	matcher_free(rules.avoid[0]);
}

static void test_rules_change_the_choice(void **state)
{
	/* A preferred process at adj 300 goes before a plain one at 500. */
	static const struct pcase pc = {"prefer", 0, 10, 4, {{80, 500, 100}, {81, 300, 100}}};
	struct policy_rules rules = {0};
	struct candidate cands[2] = {{.pid = 80, .adj = 500}, {.pid = 81, .adj = 300}};
	struct loader l = {.pc = &pc};
	struct policy_work *w;
	struct policy_params p = {.min_adj = 0, .target_kib = 10 * MIB, .max_victims = 4};
	struct match_scratch *sc;
	uint32_t v[4];

	(void)state;
	rules.prefer[rules.n_prefer++] = compile("^browser$");
	snprintf(cands[0].comm, COMM_LEN, "editor");
	snprintf(cands[1].comm, COMM_LEN, "browser");
	assert_int_equal(match_scratch_new(policy_rules_states(&rules), &sc), 0);
	assert_int_equal(policy_apply_rules(&rules, sc, &cands[0]), 0);
	assert_int_equal(policy_apply_rules(&rules, sc, &cands[1]), 0);
	match_scratch_free(sc);
	cands[0].comm[0] = cands[1].comm[0] = '\0';
	assert_int_equal(policy_work_new(2, &w), 0);
	assert_int_equal(policy_select(&p, cands, 2, fake_load, &l, w, v), 1);
	assert_int_equal(cands[v[0]].pid, 81);
	policy_work_free(w);
	matcher_free(rules.prefer[0]);
}

/*
 * The loop and the watchdog apply the same rules on two threads at once.
 * Each thread must get the answers it would get alone (and ThreadSanitizer
 * must see no race): the matchers' compiled programs are shared, their
 * matching scratch is not.
 */
#define THREAD_ROUNDS 20000

static const struct {
	const char *comm;
	int adj, eff;
	uint8_t skip;
} thread_cases[] = {
	{"chrome", 500, 800, SKIP_NONE},
	{"sshd", 0, -300, SKIP_NONE},
	{"chrome-sshd", 100, 100, SKIP_NONE},
	{"Xorg", 0, 0, SKIP_IGNORED},
	{"bash", 200, 200, SKIP_NONE},
	{"xxxxxxxxxxxxxab", 200, 500, SKIP_NONE},
	{"abababababababa", 200, 200, SKIP_NONE},
};

struct rules_thread {
	const struct policy_rules *rules;
	struct match_scratch *scratch; /* the thread's own */
	pthread_t thread;
	unsigned long wrong;
};

static void *apply_rules_thread(void *arg)
{
	struct rules_thread *t = arg;

	for (int round = 0; round < THREAD_ROUNDS; round++) {
		for (size_t i = 0; i < sizeof(thread_cases) / sizeof(thread_cases[0]); i++) {
			struct candidate c = {.pid = 100, .adj = (int16_t)thread_cases[i].adj};

			snprintf(c.comm, sizeof(c.comm), "%s", thread_cases[i].comm);
			if (policy_apply_rules(t->rules, t->scratch, &c) < 0 ||
			    c.eff_adj != thread_cases[i].eff || c.skip != thread_cases[i].skip)
				t->wrong++;
		}
	}
	return NULL;
}

static void test_rules_two_threads(void **state)
{
	struct policy_rules rules = {0};
	struct rules_thread t[2];

	(void)state;
	rules.prefer[rules.n_prefer++] = compile("^chrome");
	rules.prefer[rules.n_prefer++] = compile("(x|y)*x{3,}ab$");
	rules.avoid[rules.n_avoid++] = compile("sshd$");
	rules.ignore[rules.n_ignore++] = compile("^(Xorg|gnome-shell)$");
	for (int i = 0; i < 2; i++) {
		t[i] = (struct rules_thread){.rules = &rules};
		assert_int_equal(match_scratch_new(policy_rules_states(&rules), &t[i].scratch), 0);
		assert_int_equal(pthread_create(&t[i].thread, NULL, apply_rules_thread, &t[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i].thread, NULL);
		match_scratch_free(t[i].scratch);
	}
	for (size_t i = 0; i < rules.n_prefer; i++)
		matcher_free(rules.prefer[i]);
	matcher_free(rules.avoid[0]);
	matcher_free(rules.ignore[0]);
	if (t[0].wrong || t[1].wrong)
		fail_msg("wrong answers with two threads: %lu and %lu of %d", t[0].wrong, t[1].wrong,
			 THREAD_ROUNDS * (int)(sizeof(thread_cases) / sizeof(thread_cases[0])));
}

static void test_skip_names(void **state)
{
	(void)state;
	for (int r = 0; r < SKIP_REASON_COUNT; r++)
		assert_string_not_equal(skip_reason_name((enum skip_reason)r), "?");
	assert_string_equal(skip_reason_name(SKIP_REASON_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_lazy_loading_counts),
		cmocka_unit_test(test_refine),
		cmocka_unit_test(test_refine_finds_preference),
		cmocka_unit_test(test_churner),
		cmocka_unit_test(test_zero_target_and_capacity),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_scan_floor),
		cmocka_unit_test(test_rules_change_the_choice),
		cmocka_unit_test(test_rules_two_threads),
		cmocka_unit_test(test_skip_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
