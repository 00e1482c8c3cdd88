// SPDX-License-Identifier: LGPL-2.1-or-later
/* Bounded expiring string caches and a per-poll string arena. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct cache_ent {
	struct cache_ent *next;		 /* bucket chain */
	struct cache_ent *older, *newer; /* age list, by insertion (or last hit when bumping) */
	size_t bucket;
	uint64_t key, ts;
	char *skey; /* NULL for numeric keys */
	char val[];
};

struct leco_cache {
	struct cache_ent **tab;
	struct cache_ent *oldest, *newest;
	size_t nbuckets, n, cap;
	uint64_t ttl_ns;
	bool bump;
};

struct leco_cache *leco_cache_new(size_t cap, uint64_t ttl_ns, bool bump)
{
	struct leco_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nbuckets = 16;
	while (c->nbuckets < cap)
		c->nbuckets <<= 1;
	c->tab = calloc(c->nbuckets, sizeof(*c->tab));
	if (!c->tab) {
		free(c);
		return NULL;
	}
	c->cap = cap;
	c->ttl_ns = ttl_ns;
	c->bump = bump;
	return c;
}

static void ent_free(struct cache_ent *e)
{
	free(e->skey);
	free(e);
}

static void age_unlink(struct leco_cache *c, struct cache_ent *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
}

static void age_append(struct leco_cache *c, struct cache_ent *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
}

/* Unlink `e` (found at *pp in its bucket chain) and free it. */
static void ent_remove(struct leco_cache *c, struct cache_ent **pp, struct cache_ent *e)
{
	*pp = e->next;
	age_unlink(c, e);
	ent_free(e);
	c->n--;
}

void leco_cache_clear(struct leco_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cache_ent *e = c->tab[i], *nx;

		for (; e; e = nx) {
			nx = e->next;
			ent_free(e);
		}
		c->tab[i] = NULL;
	}
	c->oldest = c->newest = NULL;
	c->n = 0;
}

void leco_cache_free(struct leco_cache *c)
{
	if (!c)
		return;
	leco_cache_clear(c);
	free(c->tab);
	free(c);
}

size_t leco_cache_count(const struct leco_cache *c)
{
	return c ? c->n : 0;
}

static uint64_t slot_hash(uint64_t key, const char *skey)
{
	return skey ? leco_hash(skey, strlen(skey), key) : leco_hash(&key, sizeof(key), 0);
}

static bool expired(const struct leco_cache *c, const struct cache_ent *e, uint64_t now)
{
	return c->ttl_ns && now > e->ts && now - e->ts > c->ttl_ns;
}

const char *leco_cache_get(struct leco_cache *c, uint64_t key, const char *skey, uint64_t now)
{
	struct cache_ent **pp = &c->tab[slot_hash(key, skey) & (c->nbuckets - 1)], *e;

	for (; (e = *pp); pp = &e->next) {
		if (e->key != key || !e->skey != !skey || (skey && strcmp(e->skey, skey)))
			continue;
		if (expired(c, e, now)) {
			ent_remove(c, pp, e);
			return NULL;
		}
		if (c->bump) {
			e->ts = now;
			age_unlink(c, e);
			age_append(c, e);
		}
		return e->val;
	}
	return NULL;
}

/* Remove `e` through its bucket chain (short: there are at least as many buckets as entries). */
static void ent_evict(struct leco_cache *c, struct cache_ent *e)
{
	struct cache_ent **pp = &c->tab[e->bucket];

	while (*pp != e)
		pp = &(*pp)->next;
	ent_remove(c, pp, e);
}

/*
 * Drop expired entries from the old end; if still full, drop the oldest one. The age list keeps
 * this O(1) per put: scanning every bucket here made a full cache cost O(cap) per insertion.
 */
static void make_room(struct leco_cache *c, uint64_t now)
{
	while (c->oldest && expired(c, c->oldest, now))
		ent_evict(c, c->oldest);
	if (c->n >= c->cap && c->oldest)
		ent_evict(c, c->oldest);
}

int leco_cache_put(struct leco_cache *c, uint64_t key, const char *skey, const char *val,
		   uint64_t now)
{
	size_t b = slot_hash(key, skey) & (c->nbuckets - 1);
	struct cache_ent **pp = &c->tab[b], *e;
	size_t vlen = strlen(val);

	for (; (e = *pp); pp = &e->next) {
		if (e->key == key && !e->skey == !skey && (!skey || !strcmp(e->skey, skey))) {
			ent_remove(c, pp, e);
			break;
		}
	}
	if (c->n >= c->cap)
		make_room(c, now);
	e = malloc(sizeof(*e) + vlen + 1);
	if (!e)
		return -ENOMEM;
	e->skey = NULL;
	if (skey && !(e->skey = strdup(skey))) {
		free(e);
		return -ENOMEM;
	}
	e->key = key;
	e->ts = now;
	e->bucket = b;
	memcpy(e->val, val, vlen + 1);
	e->next = c->tab[b];
	c->tab[b] = e;
	age_append(c, e);
	c->n++;
	return 0;
}

struct leco_arena_chunk {
	struct leco_arena_chunk *next;
	size_t size, used;
	char data[];
};

const char *leco_arena_strdup(struct leco_arena *a, const char *s)
{
	size_t len = strlen(s) + 1;
	struct leco_arena_chunk *ch = a->head;

	if (!ch || ch->size - ch->used < len) {
		size_t size = len > 16384 ? len : 16384;

		ch = malloc(sizeof(*ch) + size);
		if (!ch)
			return NULL;
		ch->size = size;
		ch->used = 0;
		ch->next = a->head;
		a->head = ch;
	}
	char *p = ch->data + ch->used;

	memcpy(p, s, len);
	ch->used += len;
	a->used_total += len;
	return p;
}

void leco_arena_reset(struct leco_arena *a)
{
	/* keep the newest chunk for reuse, free the rest */
	struct leco_arena_chunk *ch = a->head, *nx;

	if (!ch)
		return;
	for (nx = ch->next; nx;) {
		struct leco_arena_chunk *t = nx->next;

		free(nx);
		nx = t;
	}
	ch->next = NULL;
	ch->used = 0;
	a->used_total = 0;
}

void leco_arena_free(struct leco_arena *a)
{
	struct leco_arena_chunk *ch = a->head, *nx;

	for (; ch; ch = nx) {
		nx = ch->next;
		free(ch);
	}
	a->head = NULL;
	a->used_total = 0;
}
