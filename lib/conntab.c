// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reader's own copy of the connection table: one entry per kernel record,
 * with what the previous poll saw (for rates and "changed"). Bounded by the
 * map's capacity; entries the kernel no longer holds are dropped.
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
}

void leco_conntab_free(struct leco_conntab *t)
{
	free(t->ents);
	free(t->buckets);
	leco_conntab_init(t, t->max);
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

int leco_conntab_put(struct leco_conntab *t, const struct leco_key *k, const struct leco_conn *c,
		     uint64_t now_mono, int64_t now_real)
{
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
		if (e->gen != t->gen) { /* first sight in this snapshot */
			e->prev_rx = e->c.rx_bytes;
			e->prev_tx = e->c.tx_bytes;
			e->prev_last_ns = e->c.last_ns;
			e->prev_state = e->c.state;
			e->gen = t->gen;
		}
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
	e->gen = e->first_gen = t->gen;
	e->first_real_ns = leco_mono_to_real(c->first_ns, now_mono, now_real);
	e->next = t->buckets[h];
	t->buckets[h] = idx;
	t->used++;
	if (t->used > t->nbuckets && t->nbuckets < (1U << 24))
		rehash(t, t->nbuckets * 2); /* on failure chains just get longer */
	return 0;
}

void leco_conntab_end(struct leco_conntab *t)
{
	for (uint32_t b = 0; b < t->nbuckets; b++) {
		uint32_t *pp = &t->buckets[b];

		while (*pp != NONE) {
			struct leco_ct_ent *e = &t->ents[*pp];
			uint32_t idx = *pp;

			if (e->gen == t->gen) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			e->used = false;
			e->next = t->free_head;
			t->free_head = idx;
			t->used--;
		}
	}
}
