/* SPDX-License-Identifier: MIT */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"

#define N_BUCKETS (ADJ_MAX - ADJ_MIN + 1)

struct policy_work {
	size_t capacity;
	uint32_t *order;  /* eligible candidates, highest effective adj first */
	uint32_t *chosen; /* candidates picked by the bucket walk */
	uint32_t *avoided; /* candidates the walk passed over for their cgroup's preference */
	uint32_t counts[N_BUCKETS + 1];
};

static const char *const skip_names[SKIP_REASON_COUNT] = {
	[SKIP_NONE] = "eligible",
	[SKIP_INIT] = "init",
	[SKIP_SELF] = "self",
	[SKIP_KTHREAD] = "kthread",
	[SKIP_UNKILLABLE] = "unkillable",
	[SKIP_BELOW_MIN] = "below-min-adj",
	[SKIP_IGNORED] = "ignored",
	[SKIP_DYING] = "dying",
	[SKIP_PENDING] = "pending",
	[SKIP_GONE] = "gone",
	[SKIP_EMPTY] = "empty",
	[SKIP_LITTLE] = "frees-little",
	[SKIP_RESPAWN] = "respawning",
	[SKIP_OMITTED] = "omitted",
};

const char *cg_pref_name(enum cg_pref p)
{
	switch (p) {
	case CG_PREF_AVOID:
		return "avoid";
	case CG_PREF_OMIT:
		return "omit";
	case CG_PREF_NONE:
		break;
	}
	return "none";
}

const char *skip_reason_name(enum skip_reason r)
{
	return (unsigned)r < SKIP_REASON_COUNT ? skip_names[r] : "?";
}

bool policy_rules_empty(const struct policy_rules *rules)
{
	return rules->n_prefer == 0 && rules->n_avoid == 0 && rules->n_ignore == 0;
}

/* Returns 1 when one of @ms matches @s, 0 when none does, or -ENOBUFS. */
static int match_any(struct matcher *const *ms, size_t n, const char *s,
		     struct match_scratch *scratch)
{
	for (size_t i = 0; i < n; i++) {
		int r = matcher_match(ms[i], s, scratch);

		if (r != 0)
			return r;
	}
	return 0;
}

int policy_apply_rules(const struct policy_rules *rules, struct match_scratch *scratch,
		       struct candidate *c)
{
	int adj = c->adj, ignore, prefer = 0, avoid = 0;

	ignore = match_any(rules->ignore, rules->n_ignore, c->comm, scratch);
	/* -1000 is the kernel's "never kill"; a name rule must not undo it. */
	if (adj > ADJ_MIN) {
		prefer = match_any(rules->prefer, rules->n_prefer, c->comm, scratch);
		avoid = match_any(rules->avoid, rules->n_avoid, c->comm, scratch);
	}
	if (ignore < 0 || prefer < 0 || avoid < 0)
		return -ENOBUFS;
	if (ignore)
		c->skip = SKIP_IGNORED;
	if (prefer)
		adj += ADJ_PREFER_SHIFT;
	if (avoid)
		adj -= ADJ_PREFER_SHIFT;
	if (adj > ADJ_MAX)
		adj = ADJ_MAX;
	if (adj <= ADJ_MIN && c->adj > ADJ_MIN)
		adj = ADJ_MIN + 1;
	c->eff_adj = (int16_t)adj;
	return 0;
}

int policy_scan_floor(const struct policy_rules *rules, int min_adj)
{
	int floor = min_adj;

	if (rules && rules->n_prefer > 0)
		floor -= ADJ_PREFER_SHIFT;
	return floor > ADJ_MIN ? floor : ADJ_MIN + 1;
}

size_t policy_prepare(const struct policy_rules *rules, struct match_scratch *scratch,
		      int min_adj, struct candidate *cands, size_t n)
{
	bool named = rules && !policy_rules_empty(rules);
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		struct candidate c = cands[i];

		/* -ENOBUFS cannot happen once the scratch is reserved for @rules. */
		if (named && policy_apply_rules(rules, scratch, &c) < 0)
			continue;
		if (c.eff_adj < min_adj)
			continue;
		cands[kept++] = c;
	}
	return kept;
}

/* Returns the largest matcher_states() of @ms. */
static size_t max_states(struct matcher *const *ms, size_t n, size_t states)
{
	for (size_t i = 0; i < n; i++)
		if (matcher_states(ms[i]) > states)
			states = matcher_states(ms[i]);
	return states;
}

size_t policy_rules_states(const struct policy_rules *rules)
{
	size_t states = max_states(rules->prefer, rules->n_prefer, 0);

	states = max_states(rules->avoid, rules->n_avoid, states);
	return max_states(rules->ignore, rules->n_ignore, states);
}

/* Compiles @n patterns of @src anew into @dst.  Returns 0 or -errno (@dst then holds none). */
static int copy_list(struct matcher *const *src, size_t n, struct matcher **dst)
{
	for (size_t i = 0; i < n; i++) {
		int r = matcher_compile(matcher_pattern(src[i]), &dst[i], NULL, 0);

		if (r < 0) {
			while (i-- > 0)
				matcher_free(dst[i]);
			return r;
		}
	}
	return 0;
}

int policy_rules_copy(const struct policy_rules *src, struct policy_rules *ret)
{
	struct policy_rules copy = {
		.n_prefer = src->n_prefer, .n_avoid = src->n_avoid, .n_ignore = src->n_ignore,
	};
	int r;

	if ((r = copy_list(src->prefer, src->n_prefer, copy.prefer)) < 0)
		return r;
	if ((r = copy_list(src->avoid, src->n_avoid, copy.avoid)) < 0) {
		copy.n_avoid = copy.n_ignore = 0;
		policy_rules_free(&copy);
		return r;
	}
	if ((r = copy_list(src->ignore, src->n_ignore, copy.ignore)) < 0) {
		copy.n_ignore = 0;
		policy_rules_free(&copy);
		return r;
	}
	*ret = copy;
	return 0;
}

void policy_rules_free(struct policy_rules *rules)
{
	for (size_t i = 0; i < rules->n_prefer; i++)
		matcher_free(rules->prefer[i]);
	for (size_t i = 0; i < rules->n_avoid; i++)
		matcher_free(rules->avoid[i]);
	for (size_t i = 0; i < rules->n_ignore; i++)
		matcher_free(rules->ignore[i]);
	*rules = (struct policy_rules){0};
}

int policy_work_new(size_t capacity, struct policy_work **ret)
{
	struct policy_work *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->capacity = capacity;
	w->order = calloc(capacity ? capacity : 1, sizeof(*w->order));
	w->chosen = calloc(capacity ? capacity : 1, sizeof(*w->chosen));
	w->avoided = calloc(capacity ? capacity : 1, sizeof(*w->avoided));
	if (!w->order || !w->chosen || !w->avoided) {
		policy_work_free(w);
		return -ENOMEM;
	}
	prefault(w->order, capacity * sizeof(*w->order));
	prefault(w->chosen, capacity * sizeof(*w->chosen));
	prefault(w->avoided, capacity * sizeof(*w->avoided));
	*ret = w;
	return 0;
}

size_t policy_work_capacity(const struct policy_work *w)
{
	return w->capacity;
}

void policy_work_free(struct policy_work *w)
{
	if (!w)
		return;
	free(w->order);
	free(w->chosen);
	free(w->avoided);
	free(w);
}

typedef bool (*before_fn)(const struct candidate *cands, uint32_t a, uint32_t b);

/* True when @a should come before @b: larger first, then lower pid for a stable order. */
static bool bigger(const struct candidate *cands, uint32_t a, uint32_t b)
{
	if (cands[a].churner != cands[b].churner)
		return cands[a].churner;
	if (cands[a].size_kib != cands[b].size_kib)
		return cands[a].size_kib > cands[b].size_kib;
	return cands[a].pid < cands[b].pid;
}

static bool avoided(const struct candidate *c)
{
	return c->cg_pref == CG_PREF_AVOID;
}

/* The walk's order: avoided cgroups last, higher effective adj first, then larger. */
static bool walked_first(const struct candidate *cands, uint32_t a, uint32_t b)
{
	if (avoided(&cands[a]) != avoided(&cands[b]))
		return avoided(&cands[b]);
	if (cands[a].eff_adj != cands[b].eff_adj)
		return cands[a].eff_adj > cands[b].eff_adj;
	return bigger(cands, a, b);
}

static void sift_down(const struct candidate *cands, uint32_t *v, size_t root, size_t n,
		      before_fn before)
{
	for (;;) {
		size_t child = 2 * root + 1;
		uint32_t tmp;

		if (child >= n)
			return;
		/* A min-heap on "before" leaves the array sorted in "before" order. */
		if (child + 1 < n && before(cands, v[child], v[child + 1]))
			child++;
		if (!before(cands, v[root], v[child]))
			return;
		tmp = v[root];
		v[root] = v[child];
		v[child] = tmp;
		root = child;
	}
}

/* Sorts @v[0..n).  Heapsort: in place, O(n log n), no allocation (unlike qsort). */
static void sort_indices(const struct candidate *cands, uint32_t *v, size_t n, before_fn before)
{
	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(cands, v, i, n, before);
	for (size_t end = n - 1; end > 0; end--) {
		uint32_t tmp = v[0];
		v[0] = v[end];
		v[end] = tmp;
		sift_down(cands, v, 0, end, before);
	}
}

static void sort_by_size(const struct candidate *cands, uint32_t *v, size_t n)
{
	sort_indices(cands, v, n, bigger);
}

static bool eligible(const struct policy_params *p, const struct candidate *c)
{
	return c->skip == SKIP_NONE && c->pid > 1 && c->pid != p->self && c->adj > ADJ_MIN &&
	       c->eff_adj >= p->min_adj && c->eff_adj <= ADJ_MAX;
}

/* Counting sort of the eligible candidates into w->order, highest effective adj first. */
static size_t bucket_order(const struct policy_params *p, const struct candidate *cands, size_t n,
			   struct policy_work *w)
{
	uint32_t *counts = w->counts;
	size_t total = 0;

	for (size_t b = 0; b <= N_BUCKETS; b++)
		counts[b] = 0;
	for (size_t i = 0; i < n; i++)
		if (eligible(p, &cands[i]))
			counts[ADJ_MAX - cands[i].eff_adj]++;
	/* counts[k] becomes the start of bucket k (k = ADJ_MAX - adj). */
	for (size_t b = 0; b < N_BUCKETS; b++) {
		uint32_t c = counts[b];
		counts[b] = (uint32_t)total;
		total += c;
	}
	for (size_t i = 0; i < n; i++)
		if (eligible(p, &cands[i]))
			w->order[counts[ADJ_MAX - cands[i].eff_adj]++] = (uint32_t)i;
	return total;
}

/* Returns the length of the shortest prefix of @v whose sizes add up to @target (all if none). */
static size_t covering_prefix(const struct candidate *cands, const uint32_t *v, size_t n,
			      uint64_t target)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		sum += cands[v[i]].size_kib;
		if (sum >= target)
			return i + 1;
	}
	return n;
}

/*
 * Takes the loaded candidates of one bucket, @v[0..n) largest first, until
 * the target is covered: each is refined first, and kept only if its death
 * frees enough.  Compacts the kept ones to the front of @v, largest first,
 * adds their sizes to @found and returns their number.
 */
static size_t take_bucket(const struct policy_params *p, struct candidate *cands, uint32_t *v,
			  size_t n, void *ctx, struct policy_work *w, size_t *n_avoided,
			  uint64_t *found)
{
	size_t kept = 0;

	for (size_t i = 0; i < n && *found < p->target_kib; i++) {
		struct candidate *c = &cands[v[i]];

		/*
		 * Refining only ever lowers a size: one already too small is not
		 * worth the cost, unless it is a churner, taken whatever its size
		 * (the refiner also finds a preference the scan could not).
		 */
		if (p->refine && !c->refined && (c->size_kib >= POLICY_MIN_FREE_KIB || c->churner)) {
			if (p->refine(ctx, c) < 0 && c->skip == SKIP_NONE)
				c->skip = SKIP_GONE;
			c->refined = true;
		}
		if (c->skip != SKIP_NONE)
			continue;
		if (c->size_kib < POLICY_MIN_FREE_KIB && !c->churner) {
			c->skip = c->size_kib ? SKIP_LITTLE : SKIP_EMPTY;
			continue;
		}
		if (n_avoided && avoided(c)) {
			w->avoided[(*n_avoided)++] = v[i]; /* a last resort, in walk order */
			continue;
		}
		v[kept++] = v[i];
		*found += c->size_kib;
	}
	/* Refining may have shrunk some: largest first again. */
	sort_by_size(cands, v, kept);
	return kept;
}

/* Returns the sum of the sizes of @v[0..n). */
static uint64_t sum_sizes(const struct candidate *cands, const uint32_t *v, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += cands[v[i]].size_kib;
	return sum;
}

/*
 * Of @v[0..n) in walk order: the prefix that covers @target, then the same
 * set largest first, where fewer, larger victims may do.  Sorts that prefix
 * of @v in place and returns its new length.
 */
static size_t two_rounds(const struct candidate *cands, uint32_t *v, size_t n, uint64_t target)
{
	n = covering_prefix(cands, v, n, target);
	sort_by_size(cands, v, n);
	return covering_prefix(cands, v, n, target);
}

/*
 * The kill set when the others (w->chosen[0..n_main)) fall short and the
 * avoided ones taken after them (w->chosen[n_main..n_chosen)) are needed:
 * the fewest avoided, largest first, that make up for what the others lack,
 * then of the others only as many as the target still needs (the two rounds
 * of the plain case).  Built in w->avoided, which the walk no longer needs;
 * returns its length.
 */
static size_t last_resort(const struct policy_params *p, const struct candidate *cands,
			  struct policy_work *w, size_t n_main, size_t n_chosen)
{
	uint32_t *kill = w->avoided;
	size_t n_avoided = n_chosen - n_main, n_others = 0;
	uint64_t others = sum_sizes(cands, w->chosen, n_main), freed;

	memcpy(kill, w->chosen + n_main, n_avoided * sizeof(*kill));
	sort_by_size(cands, kill, n_avoided);
	n_avoided = covering_prefix(cands, kill, n_avoided, p->target_kib - others);
	freed = sum_sizes(cands, kill, n_avoided);
	if (freed < p->target_kib) {
		n_others = two_rounds(cands, w->chosen, n_main, p->target_kib - freed);
		memcpy(kill + n_avoided, w->chosen, n_others * sizeof(*kill));
	}
	return n_avoided + n_others;
}

/*
 * Walks @v[0..n) (indices in walk order) bucket by bucket, loading sizes
 * lazily, and appends what take_bucket() keeps to w->chosen from @n_chosen
 * on, until the target is covered; avoided candidates go to w->avoided when
 * @n_avoided is given, else they are taken like the others (the last
 * resort's walk, over w->avoided itself).  Returns the new count of chosen.
 */
static size_t walk(const struct policy_params *p, struct candidate *cands, const uint32_t *v,
		   size_t n, policy_load_fn load, void *ctx, struct policy_work *w,
		   size_t n_chosen, size_t *n_avoided, uint64_t *found)
{
	size_t pos = 0;

	while (pos < n && *found < p->target_kib) {
		int adj = cands[v[pos]].eff_adj;
		size_t first = n_chosen;

		for (; pos < n && cands[v[pos]].eff_adj == adj; pos++) {
			uint32_t idx = v[pos];
			struct candidate *c = &cands[idx];

			if (!c->loaded) {
				if (load(ctx, c) < 0) {
					if (c->skip == SKIP_NONE)
						c->skip = SKIP_GONE;
					continue;
				}
				c->loaded = true;
			}
			if (c->skip != SKIP_NONE)
				continue;
			if (c->size_kib == 0 && !c->churner) {
				c->skip = SKIP_EMPTY;
				continue;
			}
			w->chosen[n_chosen++] = idx;
		}
		sort_by_size(cands, w->chosen + first, n_chosen - first);
		n_chosen = first + take_bucket(p, cands, w->chosen + first, n_chosen - first, ctx, w,
					       n_avoided, found);
	}
	return n_chosen;
}

int policy_select(const struct policy_params *p, struct candidate *cands, size_t n,
		  policy_load_fn load, void *ctx, struct policy_work *w, uint32_t *ret_victims)
{
	size_t total, n_chosen, n_avoided = 0, n_main, n_kill;
	uint32_t *kill = w->chosen;
	uint64_t found = 0;

	if (n > w->capacity)
		return -E2BIG;
	if (p->target_kib == 0 || p->max_victims == 0)
		return 0;

	total = bucket_order(p, cands, n, w);
	/* The buckets from the least important down. */
	n_main = n_chosen = walk(p, cands, w->order, total, load, ctx, w, 0, &n_avoided, &found);
	/* Everything else is taken and short of the target: the last resort. */
	if (found < p->target_kib)
		n_chosen = walk(p, cands, w->avoided, n_avoided, load, ctx, w, n_chosen, NULL, &found);

	if (n_chosen == n_main) {
		n_kill = two_rounds(cands, kill, n_chosen, p->target_kib);
	} else {
		n_kill = last_resort(p, cands, w, n_main, n_chosen);
		kill = w->avoided;
	}
	if (n_kill > p->max_victims)
		n_kill = p->max_victims;
	for (size_t i = 0; i < n_kill; i++)
		ret_victims[i] = kill[i];
	return (int)n_kill;
}

void policy_rank(const struct candidate *cands, size_t n, uint32_t *ret_order)
{
	for (size_t i = 0; i < n; i++)
		ret_order[i] = (uint32_t)i;
	sort_indices(cands, ret_order, n, walked_first);
}
