/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An open-addressing index from 64-bit hashes to entry numbers, for the history code's
 * in-memory tables (cursors, interned names, an interval's groups). The entries live in the
 * caller's array; the index holds entry number + 1 (0 = empty). No deletion: callers mark
 * entries dead and rebuild the index when they compact their array.
 */
#ifndef LECO_LIB_HISTORY_IDX_H
#define LECO_LIB_HISTORY_IDX_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct leco_hidx {
	uint32_t *slot;
	uint32_t mask; /* capacity - 1; capacity a power of two */
	uint32_t n;    /* entries indexed */
};

/* Entry `e` matches the key being looked for? */
typedef int (*leco_hidx_eq)(const void *ctx, uint32_t e);

static inline void leco_hidx_free(struct leco_hidx *x)
{
	free(x->slot);
	memset(x, 0, sizeof(*x));
}

static inline void leco_hidx_clear(struct leco_hidx *x)
{
	if (x->slot)
		memset(x->slot, 0, ((size_t)x->mask + 1) * sizeof(*x->slot));
	x->n = 0;
}

/* Entry number for hash h whose entry `eq` accepts, or UINT32_MAX. */
static inline uint32_t leco_hidx_find(const struct leco_hidx *x, uint64_t h, leco_hidx_eq eq,
				      const void *ctx)
{
	if (!x->slot)
		return UINT32_MAX;
	for (uint32_t i = (uint32_t)h & x->mask; x->slot[i]; i = (i + 1) & x->mask)
		if (eq(ctx, x->slot[i] - 1))
			return x->slot[i] - 1;
	return UINT32_MAX;
}

/* Entry e's hash, and whether it is live (indexed) at all. */
typedef uint64_t (*leco_hidx_hash)(const void *ctx, uint32_t e, int *live);

static inline void leco_hidx_put_slot(struct leco_hidx *x, uint64_t h, uint32_t e)
{
	uint32_t i = (uint32_t)h & x->mask;

	while (x->slot[i])
		i = (i + 1) & x->mask;
	x->slot[i] = e + 1;
	x->n++;
}

/* Room for `want` entries at most half full, then every live entry among 0..count-1; -ENOMEM. */
static inline int leco_hidx_rebuild(struct leco_hidx *x, uint32_t want, uint32_t count,
				    leco_hidx_hash hashes, const void *ctx)
{
	uint32_t cap = 64;
	uint32_t *s;

	while (cap < want * 2 && cap < (1U << 30))
		cap <<= 1;
	if (!(s = calloc(cap, sizeof(*s))))
		return -ENOMEM;
	free(x->slot);
	x->slot = s;
	x->mask = cap - 1;
	x->n = 0;
	for (uint32_t e = 0; e < count; e++) {
		int live = 0;
		uint64_t h = hashes(ctx, e, &live);

		if (live)
			leco_hidx_put_slot(x, h, e);
	}
	return 0;
}

/* Index entry e (appended: entries 0..e-1 are those indexed so far) under hash h, growing
 * (a rebuild over 0..e-1) when half full; -ENOMEM. */
static inline int leco_hidx_add(struct leco_hidx *x, uint64_t h, uint32_t e, leco_hidx_hash hashes,
				const void *ctx)
{
	if (!x->slot || (x->n + 1) * 2 > x->mask + 1) {
		int ret = leco_hidx_rebuild(x, (x->n + 1) * 2, e, hashes, ctx);

		if (ret)
			return ret;
	}
	leco_hidx_put_slot(x, h, e);
	return 0;
}

#endif /* LECO_LIB_HISTORY_IDX_H */
