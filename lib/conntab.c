// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reader's own copy of the connection table: one entry per kernel record,
 * with what the previous poll saw (for rates and "changed"). Entries the
 * kernel no longer holds are dropped, except closed TCP connections: the ring
 * hands each of them to a reader once, so the table keeps them until they age
 * out (keep_ns after their last activity, at most keep_max of them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NONE UINT32_MAX

void leco_conntab_init(struct leco_conntab *t, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	t->free_head = NONE;
	t->max = max ? max : LECO_CONNS_MAX;
	t->keep_ns = 600 * LECO_NS;
	t->keep_max = LECO_RING_MAX;
}

void leco_conntab_free(struct leco_conntab *t)
{
	uint32_t max = t->max, keep_max = t->keep_max;
	uint64_t keep_ns = t->keep_ns;

	free(t->ents);
	free(t->buckets);
	leco_conntab_init(t, max);
	t->keep_ns = keep_ns;
	t->keep_max = keep_max;
}

void leco_conntab_begin(struct leco_conntab *t)
{
	t->gen++;
}

static uint32_t key_bucket(const struct leco_conntab *t, const struct leco_key *k)
{
	return (uint32_t)leco_hash(k, sizeof(*k), 0) & (t->nbuckets - 1);
}

static int rehash(struct leco_conntab *t, uint32_t nbuckets)
{
	uint32_t *b = malloc(nbuckets * sizeof(*b));

	if (!b)
		return -ENOMEM;
	memset(b, 0xff, nbuckets * sizeof(*b));
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nbuckets;
	for (uint32_t i = 0; i < t->nents; i++) {
		struct leco_ct_ent *e = &t->ents[i];

		if (!e->used)
			continue;
		uint32_t h = key_bucket(t, &e->key);

		e->next = t->buckets[h];
		t->buckets[h] = i;
	}
	return 0;
}

static int alloc_ent(struct leco_conntab *t, uint32_t *idx)
{
	if (t->free_head != NONE) {
		*idx = t->free_head;
		t->free_head = t->ents[*idx].next;
		return 0;
	}
	if (t->nents == t->cap_ents) {
		uint32_t cap = t->cap_ents ? t->cap_ents * 2 : 256;

		if (cap > t->max)
			cap = t->max;
		if (cap <= t->cap_ents)
			return -ENOSPC;
		struct leco_ct_ent *e = realloc(t->ents, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		t->ents = e;
		t->cap_ents = cap;
	}
	*idx = t->nents++;
	return 0;
}

static void remember_prev(struct leco_ct_ent *e)
{
	e->prev_rx = e->c.rx_bytes;
	e->prev_tx = e->c.tx_bytes;
	e->prev_last_ns = e->c.last_ns;
	e->prev_state = e->c.state;
}

int leco_conntab_put(struct leco_conntab *t, const struct leco_key *k, const struct leco_conn *c,
		     enum leco_ct_src src, uint64_t now_mono, int64_t now_real)
{
	bool closed = src == LECO_CT_CLOSED;
	uint32_t h, idx;
	struct leco_ct_ent *e;
	int ret;

	if (!t->nbuckets && (ret = rehash(t, 512)))
		return ret;
	h = key_bucket(t, k);
	for (idx = t->buckets[h]; idx != NONE; idx = t->ents[idx].next) {
		e = &t->ents[idx];
		if (memcmp(&e->key, k, sizeof(*k)))
			continue;
		/* a socket that connected again: its older connection does not win; and once
		 * closed, only a newer connection on that socket replaces the final record */
		if (c->first_ns < e->c.first_ns && (e->gen == t->gen || e->keep))
			return 0;
		if (e->keep && !closed && c->first_ns <= e->c.first_ns)
			return 0;
		if (e->gen != t->gen) { /* first sight in this snapshot */
			remember_prev(e);
			e->gen = t->gen;
		}
		/* made again (a socket that connected again, a UDP record after an eviction):
		 * its counts start over, all of them are new */
		if (c->first_ns != e->c.first_ns)
			e->prev_rx = e->prev_tx = 0;
		if (e->keep != closed)
			t->kept += closed ? 1 : -1;
		e->keep = closed;
		e->live = src == LECO_CT_LIVE;
		e->c = *c;
		return 0;
	}
	if (t->used >= t->max) {
		t->dropped++;
		return 0;
	}
	if ((ret = alloc_ent(t, &idx))) {
		t->dropped++;
		return ret == -ENOSPC ? 0 : ret;
	}
	e = &t->ents[idx];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->c = *c;
	e->used = true;
	e->keep = closed;
	e->live = src == LECO_CT_LIVE;
	t->kept += closed;
	e->gen = e->first_gen = t->gen;
	e->first_real_ns = leco_mono_to_real(c->first_ns, now_mono, now_real);
	e->next = t->buckets[h];
	t->buckets[h] = idx;
	t->used++;
	if (t->used > t->nbuckets && t->nbuckets < (1U << 24))
		rehash(t, t->nbuckets * 2); /* on failure chains just get longer */
	return 0;
}

static void drop_ent(struct leco_conntab *t, uint32_t *pp)
{
	struct leco_ct_ent *e = &t->ents[*pp];
	uint32_t idx = *pp;

	*pp = e->next;
	t->kept -= e->keep;
	e->used = false;
	e->next = t->free_head;
	t->free_head = idx;
	t->used--;
}

/* Over keep_max closed connections: the oldest go. Threshold by counting, no sort. */
static uint64_t keep_cutoff(const struct leco_conntab *t, uint64_t now)
{
	uint64_t lo = now > t->keep_ns ? now - t->keep_ns : 0, hi = now;

	if (t->kept <= t->keep_max)
		return lo;
	for (int round = 0; round < 64 && lo < hi; round++) {
		uint64_t mid = lo + (hi - lo) / 2;
		uint32_t newer = 0;

		for (uint32_t i = 0; i < t->nents; i++)
			newer += t->ents[i].used && t->ents[i].keep && t->ents[i].c.last_ns >= mid;
		if (newer > t->keep_max)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A live TCP entry last seen at generation live_cut or later stays: a snapshot that read only
 * what changed passes 0; one that read all of "live" its own generation; the end of a sweep
 * the generation it began in (what was in "live" all along was read in one of its steps, what
 * came or changed meanwhile through the changes ring) */
void leco_conntab_end(struct leco_conntab *t, uint64_t now, uint32_t live_cut)
{
	uint64_t cutoff = keep_cutoff(t, now);

	t->live = 0;
	for (uint32_t b = 0; b < t->nbuckets; b++) {
		uint32_t *pp = &t->buckets[b];

		while (*pp != NONE) {
			struct leco_ct_ent *e = &t->ents[*pp];

			if (e->keep ? e->c.last_ns < cutoff
				    : e->gen != t->gen && (!e->live || e->gen < live_cut)) {
				drop_ent(t, pp);
				continue;
			}
			if (e->gen != t->gen)
				remember_prev(e); /* unchanged since: no rate, not "changed" */
			t->live += e->live;
			pp = &e->next;
		}
	}
}
