// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Names of remote addresses: what the C library's resolver answered the
 * programs on this machine (the names job, bpf/names.bpf.c), never a lookup of
 * our own. Each reader reads the pinned names ring from its own position, as
 * it reads the closed ring, into its own index of (address, process, name,
 * time), bounded and expiring, and names a connection from it:
 *
 *   self   the name its own process (pid and process start) resolved to this
 *          address, the latest one resolved before the connection began (else
 *          the latest), however long ago while the index keeps it;
 *   other  else the name another process resolved to it, the latest before
 *          the connection began within an hour of its start (else the
 *          earliest after, within the hour): a borrowed name;
 *   none   "" otherwise.
 *
 * The index keeps a name for a day after it was last resolved, at most
 * LECO_NAMES_INDEX_MAX entries (the least recently resolved go first,
 * counted) and at most NAMES_PER_ADDR per address (the same).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NAMES_KEEP_NS	(24ULL * 3600 * LECO_NS) /* the index forgets a name after */
#define NAMES_BORROW_NS (3600ULL * LECO_NS)	 /* another process's name, within */
#define NAMES_SLACK_NS	LECO_NS /* resolved "before" a start: up to this after it too */
#define NAMES_PER_ADDR	16

struct nent {
	struct nent *next;	    /* bucket chain */
	struct nent *older, *newer; /* by time of the last resolution */
	uint64_t ns, start_ns;	    /* resolved (CLOCK_MONOTONIC); the resolver's start */
	uint32_t tgid;
	uint8_t addr[16]; /* IPv6, IPv4 mapped */
	char name[];	  /* sanitized */
};

struct leco_names {
	struct nent **tab;
	struct nent *oldest, *newest;
	size_t nbuckets, n, cap;
	uint64_t evicted; /* pushed out by a full index or a crowded address */
};

struct leco_names *leco_names_new(size_t cap)
{
	struct leco_names *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->nbuckets = 16;
	while (x->nbuckets < cap)
		x->nbuckets <<= 1;
	x->tab = calloc(x->nbuckets, sizeof(*x->tab));
	if (!x->tab) {
		free(x);
		return NULL;
	}
	x->cap = cap;
	return x;
}

void leco_names_free(struct leco_names *x)
{
	if (!x)
		return;
	for (struct nent *e = x->oldest, *nx; e; e = nx) {
		nx = e->newer;
		free(e);
	}
	free(x->tab);
	free(x);
}

size_t leco_names_count(const struct leco_names *x)
{
	return x ? x->n : 0;
}

uint64_t leco_names_evicted(const struct leco_names *x)
{
	return x ? x->evicted : 0;
}

static size_t bucket(const struct leco_names *x, const uint8_t addr[16])
{
	return (size_t)leco_hash(addr, 16, 0x6e616d6573) & (x->nbuckets - 1);
}

static void age_unlink(struct leco_names *x, struct nent *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		x->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		x->newest = e->older;
	e->older = e->newer = NULL;
}

static void age_append(struct leco_names *x, struct nent *e)
{
	e->older = x->newest;
	e->newer = NULL;
	if (x->newest)
		x->newest->newer = e;
	else
		x->oldest = e;
	x->newest = e;
}

static void drop(struct leco_names *x, struct nent *e)
{
	struct nent **pp = &x->tab[bucket(x, e->addr)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	age_unlink(x, e);
	free(e);
	x->n--;
}

/* The oldest entry of an address with more than NAMES_PER_ADDR, or NULL */
static struct nent *crowded(struct leco_names *x, const uint8_t addr[16])
{
	struct nent *old = NULL;
	unsigned int k = 0;

	for (struct nent *e = x->tab[bucket(x, addr)]; e; e = e->next) {
		if (memcmp(e->addr, addr, 16))
			continue;
		k++;
		if (!old || e->ns < old->ns)
			old = e;
	}
	return k >= NAMES_PER_ADDR ? old : NULL;
}

/* One (address, process, name) resolved at `ns`: refreshed if known, else added */
static int add(struct leco_names *x, const uint8_t addr[16], const struct leco_name *r,
	       const char *name)
{
	size_t b = bucket(x, addr), len = strlen(name);
	struct nent *e;

	for (e = x->tab[b]; e; e = e->next) {
		if (!memcmp(e->addr, addr, 16) && e->tgid == r->tgid &&
		    e->start_ns == r->start_ns && !strcmp(e->name, name)) {
			if (r->ns > e->ns)
				e->ns = r->ns;
			age_unlink(x, e);
			age_append(x, e);
			return 0;
		}
	}
	if ((e = crowded(x, addr)) || (x->n >= x->cap && (e = x->oldest))) {
		drop(x, e);
		x->evicted++;
	}
	if (!(e = malloc(sizeof(*e) + len + 1)))
		return -ENOMEM;
	e->ns = r->ns;
	e->start_ns = r->start_ns;
	e->tgid = r->tgid;
	memcpy(e->addr, addr, 16);
	memcpy(e->name, name, len + 1);
	e->next = x->tab[b];
	x->tab[b] = e;
	age_append(x, e);
	x->n++;
	return 0;
}

/* A record of the ring into the index (its name sanitized: a program chose it) */
static int add_record(void *ctx, const struct leco_name *r)
{
	static const uint8_t zero[16];
	struct leco_names *x = ctx;
	char name[LECO_NAME_LEN * 3 + 4];
	int ret;

	leco_sanitize(name, sizeof(name), r->name, strnlen(r->name, sizeof(r->name)));
	if (!name[0])
		return 0;
	for (unsigned int i = 0; i < r->naddr && i < LECO_NAME_ADDRS; i++)
		if (memcmp(r->addr[i], zero, 16) && (ret = add(x, r->addr[i], r, name)) < 0)
			return ret;
	return 0;
}

int leco_names_read(struct leco_names *x, struct leco_maps *m, uint64_t now)
{
	int ret = leco_maps_read_names(m, add_record, x);

	while (x->oldest && now > x->oldest->ns && now - x->oldest->ns > NAMES_KEEP_NS)
		drop(x, x->oldest);
	return ret;
}

int leco_names_add(struct leco_names *x, const struct leco_name *r)
{
	return add_record(x, r);
}

/* Is a (resolved at ns) better than b for a connection that began at `start`? Resolved
 * before the start beats after it; among those before, the latest; after, the earliest. */
static bool better(const struct nent *a, const struct nent *b, uint64_t start)
{
	bool a_before = a->ns <= start + NAMES_SLACK_NS, b_before;

	if (!b)
		return true;
	b_before = b->ns <= start + NAMES_SLACK_NS;
	if (a_before != b_before)
		return a_before;
	return a_before ? a->ns > b->ns : a->ns < b->ns;
}

static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

const char *leco_names_lookup(const struct leco_names *x, const uint8_t raddr[16], int family,
			      uint32_t tgid, uint64_t start_ns, uint64_t first_ns, bool *borrowed)
{
	const struct nent *self = NULL, *other = NULL;
	uint8_t addr[16] = {0};

	if (!x || !x->n)
		return NULL;
	if (family == 4) { /* IPv4 in the first 4 bytes: as the ring keeps it, mapped */
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, raddr, 4);
	} else {
		memcpy(addr, raddr, 16);
	}
	for (const struct nent *e = x->tab[bucket(x, addr)]; e; e = e->next) {
		if (memcmp(e->addr, addr, 16))
			continue;
		if (tgid && e->tgid == tgid &&
		    (!start_ns || !e->start_ns || e->start_ns == start_ns)) {
			if (better(e, self, first_ns))
				self = e;
		} else if (distance(e->ns, first_ns) <= NAMES_BORROW_NS &&
			   better(e, other, first_ns)) {
			other = e;
		}
	}
	*borrowed = !self && other;
	return self ? self->name : other ? other->name : NULL;
}

/* ---- the ring (lib/maps.c opens it) ---- */

/* One chunk of the names ring: a record is whole when both its marks are the sequence wanted
 * (struct leco_name); `done` behind it: claimed, not written yet (read it next time) */
static int names_chunk(struct leco_maps *m, uint64_t head, leco_names_cb cb, void *ctx, bool *stop)
{
	struct leco_ring *g = &m->names;
	uint32_t idx = (uint32_t)(g->pos % g->max), n = leco_ring_span(g, head, LECO_NAMES_CHUNK);
	int ret;

	if ((ret = leco_ring_slots(g, idx, &n, m->nbuf, sizeof(*m->nbuf), 0)) < 0)
		return ret;
	*stop = !n;
	for (uint32_t i = 0; i < n; i++) {
		const struct leco_name *r = &m->nbuf[i];
		uint64_t want = g->pos + 1;

		if (r->done > want || r->begun > want) {
			g->missed++; /* overwritten */
		} else if (r->done < want || r->begun != want) {
			*stop = true;
			break;
		} else if ((ret = cb(ctx, r)) < 0) {
			return ret;
		}
		g->pos++;
	}
	return 0;
}

int leco_maps_read_names(struct leco_maps *m, leco_names_cb cb, void *ctx)
{
	struct leco_ring_head h;
	bool stop = false;
	int ret;

	if (m->names.fd < 0)
		return 0;
	if ((ret = leco_ring_begin(&m->names, &h)))
		return ret;
	while (m->names.pos < h.next && !stop)
		if ((ret = names_chunk(m, h.next, cb, ctx, &stop)) < 0)
			return ret;
	return 0;
}
