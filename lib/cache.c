// SPDX-License-Identifier: LGPL-2.1-or-later
/* Bounded expiring string caches and a per-poll string arena. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

uint64_t leco_hash(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

uint64_t leco_hash_str(const char *s)
{
	return leco_hash(s, strlen(s), 0);
}

struct cache_ent {
	struct cache_ent *next;
	uint64_t key, ts;
	char *skey; /* NULL for numeric keys */
	char val[];
};

struct leco_cache {
	struct cache_ent **tab;
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
			*pp = e->next;
			ent_free(e);
			c->n--;
			return NULL;
		}
		if (c->bump)
			e->ts = now;
		return e->val;
	}
	return NULL;
}

/* Drop expired entries; if still full, drop the oldest one. */
static void make_room(struct leco_cache *c, uint64_t now)
{
	struct cache_ent **oldest = NULL;

	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cache_ent **pp = &c->tab[i], *e;

		while ((e = *pp)) {
			if (expired(c, e, now)) {
				*pp = e->next;
				ent_free(e);
				c->n--;
				continue;
			}
			if (!oldest || e->ts < (*oldest)->ts)
				oldest = pp;
			pp = &e->next;
		}
	}
	if (c->n >= c->cap && oldest) {
		struct cache_ent *e = *oldest;

		*oldest = e->next;
		ent_free(e);
		c->n--;
	}
}

int leco_cache_put(struct leco_cache *c, uint64_t key, const char *skey, const char *val,
		   uint64_t now)
{
	size_t b = slot_hash(key, skey) & (c->nbuckets - 1);
	struct cache_ent **pp = &c->tab[b], *e;
	size_t vlen = strlen(val);

	for (; (e = *pp); pp = &e->next) {
		if (e->key == key && !e->skey == !skey && (!skey || !strcmp(e->skey, skey))) {
			*pp = e->next;
			ent_free(e);
			c->n--;
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
	memcpy(e->val, val, vlen + 1);
	e->next = c->tab[b];
	c->tab[b] = e;
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
