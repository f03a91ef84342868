/* SPDX-License-Identifier: MIT */
#include "respawn.h"

#include <string.h>

void respawn_init(struct respawn *t)
{
	memset(t, 0, sizeof(*t));
}

static struct respawn_entry *find(struct respawn *t, uint64_t hash)
{
	for (size_t i = 0; i < RESPAWN_SLOTS; i++)
		if (t->e[i].hash == hash)
			return &t->e[i];
	return NULL;
}

/* A free slot, else the one noted longest ago that is not on hold. */
static struct respawn_entry *take_slot(struct respawn *t, uint64_t now_usec)
{
	struct respawn_entry *best = NULL;

	for (size_t i = 0; i < RESPAWN_SLOTS; i++) {
		struct respawn_entry *e = &t->e[i];

		if (e->hash == 0)
			return e;
		if (e->held_until_usec > now_usec)
			continue;
		if (!best || e->last_usec < best->last_usec)
			best = e;
	}
	/* Every slot on hold: the oldest hold gives way. */
	if (!best) {
		best = &t->e[0];
		for (size_t i = 1; i < RESPAWN_SLOTS; i++)
			if (t->e[i].held_until_usec < best->held_until_usec)
				best = &t->e[i];
	}
	return best;
}

bool respawn_note(struct respawn *t, uint64_t hash, uint64_t round, uint64_t target_kib,
		  uint64_t freed_kib, bool crowd, uint64_t now_usec, struct respawn_entry *ret)
{
	struct respawn_entry *e;

	if (hash == 0)
		return false;
	e = find(t, hash);
	if (!e) {
		e = take_slot(t, now_usec);
		*e = (struct respawn_entry){.hash = hash, .first_usec = now_usec};
	}
	if (now_usec - e->first_usec > RESPAWN_WINDOW_USEC) {
		uint64_t held = e->held_until_usec;

		*e = (struct respawn_entry){.hash = hash, .first_usec = now_usec,
					    .held_until_usec = held};
	}
	e->last_usec = now_usec;
	e->freed_kib += freed_kib;
	e->kills++;
	e->crowd |= crowd;
	if (e->rounds == 0 || e->last_round != round) {
		e->rounds++;
		e->last_round = round;
		e->needed_kib += target_kib;
	}
	/* Many instances killed a round are the memory itself (fork churn), not a respawn. */
	if (e->held_until_usec > now_usec || e->rounds < RESPAWN_ROUNDS || e->crowd ||
	    e->kills > e->rounds + 1 || e->freed_kib >= e->needed_kib)
		return false;
	e->held_until_usec = now_usec + RESPAWN_HOLD_USEC;
	t->holds++;
	if (ret)
		*ret = *e;
	return true;
}

bool respawn_held(const struct respawn *t, uint64_t hash, uint64_t now_usec)
{
	for (size_t i = 0; i < RESPAWN_SLOTS; i++)
		if (t->e[i].hash == hash && hash != 0)
			return t->e[i].held_until_usec > now_usec;
	return false;
}

bool respawn_note_child(struct respawn *t, pid_t ppid, uint64_t round, uint64_t freed_kib,
			uint64_t now_usec, struct churn_entry *ret)
{
	struct churn_entry *e = NULL, *oldest = &t->parents[0];

	if (ppid <= 1)
		return false;
	for (size_t i = 0; i < RESPAWN_SLOTS && !e; i++) {
		if (t->parents[i].ppid == ppid)
			e = &t->parents[i];
		else if (t->parents[i].last_usec < oldest->last_usec)
			oldest = &t->parents[i];
	}
	if (!e || now_usec - e->first_usec > RESPAWN_CHURN_USEC) {
		e = e ? e : oldest;
		*e = (struct churn_entry){.ppid = ppid, .first_usec = now_usec};
	}
	e->last_usec = now_usec;
	e->kills++;
	e->freed_kib += freed_kib;
	if (e->rounds == 0 || e->last_round != round) {
		e->rounds++;
		e->last_round = round;
	}
	if (e->churning || e->kills < RESPAWN_CHURN_KILLS || e->rounds < RESPAWN_CHURN_ROUNDS)
		return false;
	e->churning = true;
	t->churners++;
	if (ret)
		*ret = *e;
	return true;
}

uint64_t respawn_churn_kib(const struct respawn *t, pid_t pid, uint64_t now_usec)
{
	for (size_t i = 0; i < RESPAWN_SLOTS; i++) {
		const struct churn_entry *e = &t->parents[i];

		if (e->ppid == pid && pid > 1)
			return e->churning && now_usec - e->first_usec <= 2 * RESPAWN_CHURN_USEC
				       ? e->freed_kib
				       : 0;
	}
	return 0;
}
