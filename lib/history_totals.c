// SPDX-License-Identifier: LGPL-2.1-or-later
/* Totals per group over a time range (lib/history_query.c says how a range is read). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "history_query.h"
#include "internal.h"

static const char *const upto_key[LECO_TIERS] = {NULL, "upto_1m", "upto_1h", "upto_1d"};

/* Tier bucket arithmetic without a recorder's configuration: raw buckets are never cut. */
static const struct leco_hconf tier_conf = {.interval = 1};

struct plan {
	int n;
	struct {
		int tier;
		int64_t a, b;
	} seg[2 * LECO_TIERS];
	int64_t upto[LECO_TIERS];
};

static int64_t ceil_tier(int k, int64_t t)
{
	int64_t f = leco_tier_floor(&tier_conf, k, t);

	return f == t ? t : leco_tier_next(&tier_conf, k, f);
}

/* [A, B) from tier k down: whole buckets of k below its horizon, the edges from finer tiers. */
static void cover(struct plan *p, int k, int64_t A, int64_t B)
{
	int64_t a, b;

	if (A >= B)
		return;
	if (k == LECO_TIER_RAW) {
		p->seg[p->n].tier = k, p->seg[p->n].a = A, p->seg[p->n++].b = B;
		return;
	}
	a = ceil_tier(k, A);
	b = leco_tier_floor(&tier_conf, k, B);
	if (b > p->upto[k])
		b = p->upto[k];
	if (a >= b) {
		cover(p, k - 1, A, B);
		return;
	}
	p->seg[p->n].tier = k, p->seg[p->n].a = a, p->seg[p->n++].b = b;
	cover(p, k - 1, A, a);
	cover(p, k - 1, b, B);
}

static int read_horizons(struct leco_history *h, struct plan *p)
{
	p->upto[LECO_TIER_RAW] = INT64_MAX;
	for (int k = LECO_TIER_1M; k < LECO_TIERS; k++) {
		int rc;

		p->upto[k] = INT64_MIN; /* not rolled up yet: nothing to read there */
		sqlite3_bind_text(h->meta, 1, upto_key[k], -1, SQLITE_STATIC);
		rc = sqlite3_step(h->meta);
		if (rc == SQLITE_ROW)
			p->upto[k] = sqlite3_column_int64(h->meta, 0);
		sqlite3_reset(h->meta);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return leco_hdb_fail(h->db, rc, "reading rollup horizons", h->msg,
					     sizeof(h->msg));
	}
	return 0;
}

/* ---- summing rows per id ------------------------------------------------- */

struct idkey {
	const struct leco_history *h;
	int64_t id;
};

static int agg_eq(const void *ctx, uint32_t e)
{
	const struct idkey *k = ctx;

	return k->h->agg[e].id == k->id;
}

static uint64_t agg_hash(const void *ctx, uint32_t e, int *live)
{
	*live = 1;
	return ((const struct leco_history *)ctx)->agg[e].h;
}

static struct leco_hagg *agg_get(struct leco_history *h, int64_t id)
{
	uint64_t hs = leco_hash(&id, sizeof(id), 0);
	struct idkey k = {h, id};
	uint32_t e = leco_hidx_find(&h->idx, hs, agg_eq, &k);

	if (e != UINT32_MAX)
		return &h->agg[e];
	if (leco_reserve((void **)&h->agg, &h->capagg, h->nagg + 1, sizeof(*h->agg)) ||
	    leco_hidx_add(&h->idx, hs, h->nagg, agg_hash, h))
		return NULL;
	h->agg[h->nagg] =
		(struct leco_hagg){.h = hs, .id = id, .first = INT64_MAX, .last = INT64_MIN};
	return &h->agg[h->nagg++];
}

/* The id a row is summed under. */
static int64_t row_id(int by, int tier, sqlite3_stmt *st)
{
	int64_t p;

	switch (by) {
	case LECO_HISTORY_BY_REMOTE:
	case LECO_HISTORY_BY_PORT:
		return sqlite3_column_int64(st, 2);
	case LECO_HISTORY_BY_PROTO: /* one group per name: tcp, udp, other (as 0) */
		p = sqlite3_column_int64(st, 3);
		return p == IPPROTO_TCP || p == IPPROTO_UDP ? p : 0;
	case LECO_HISTORY_BY_DAY:
		return leco_tier_floor(&tier_conf, LECO_TIER_1D, sqlite3_column_int64(st, 0));
	case LECO_HISTORY_BY_HOUR:
		return leco_tier_floor(&tier_conf, LECO_TIER_1H, sqlite3_column_int64(st, 0));
	default:
		return sqlite3_column_int64(st, 1);
	}
}

static int read_segment(struct leco_history *h, int by, int tier, int64_t a, int64_t b,
			int64_t until)
{
	/* by app, exe, unit, user, day or hour: the per-app table, where the tier has one */
	bool per_app = by <= LECO_HISTORY_BY_USER || by >= LECO_HISTORY_BY_DAY;
	sqlite3_stmt *st = per_app && h->seg_app[tier] ? h->seg_app[tier] : h->seg[tier];
	int64_t last_t = INT64_MIN, last_id = 0, end = 0;
	struct leco_hagg *g = NULL;
	int rc;

	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 0), id;

		/* rows come in time order: what depends on the bucket alone (its end, a day or hour
		 * key: local time, not cheap) is made once per bucket */
		if (t != last_t) {
			end = tier == LECO_TIER_RAW ? t + 1 : leco_tier_next(&tier_conf, tier, t);
			end = end < until ? end : until;
		}
		if (by >= LECO_HISTORY_BY_DAY && t == last_t)
			id = last_id;
		else
			id = row_id(by, tier, st);
		last_t = t, last_id = id;
		if ((!g || g->id != id) && !(g = agg_get(h, id))) {
			sqlite3_reset(st);
			snprintf(h->msg, sizeof(h->msg), "out of memory");
			return -ENOMEM;
		}
		g->rx += (uint64_t)sqlite3_column_int64(st, 4);
		g->tx += (uint64_t)sqlite3_column_int64(st, 5);
		g->conns += (uint64_t)sqlite3_column_int64(st, 6);
		g->failed += (uint64_t)sqlite3_column_int64(st, 7);
		g->blocked += (uint64_t)sqlite3_column_int64(st, 8);
		g->first = t < g->first ? t : g->first;
		g->last = end > g->last ? end : g->last;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return leco_hdb_fail(h->db, rc, "reading history", h->msg, sizeof(h->msg));
	return 0;
}

/* ---- ids to keys ----------------------------------------------------------- */

/* Key text and first/last seen of id `g` into key[], and the endpoint's name into rname[]
 * (RNAME_MAX bytes; "" but by remote); 0, or -errno. */
#define RNAME_MAX 256
static int key_of(struct leco_history *h, int by, const struct leco_hagg *g, char *key, size_t size,
		  int64_t *first, int64_t *last, char *rname)
{
	sqlite3_stmt *st = by <= LECO_HISTORY_BY_USER ? h->app : h->ep;
	static const int col[] = {[LECO_HISTORY_BY_APP] = 0,	[LECO_HISTORY_BY_EXE] = 1,
				  [LECO_HISTORY_BY_UNIT] = 2,	[LECO_HISTORY_BY_USER] = 3,
				  [LECO_HISTORY_BY_REMOTE] = 0, [LECO_HISTORY_BY_PORT] = 1};
	time_t tt = (time_t)g->id;
	struct tm tm;
	int rc, nc;

	*first = g->first, *last = g->last;
	rname[0] = 0;
	if (by == LECO_HISTORY_BY_PROTO) {
		snprintf(key, size, "%s", leco_proto_name((int)g->id));
		return 0;
	}
	if (by >= LECO_HISTORY_BY_DAY) {
		localtime_r(&tt, &tm);
		strftime(key, size, by == LECO_HISTORY_BY_DAY ? "%Y-%m-%d" : "%Y-%m-%d %H:00", &tm);
		return 0;
	}
	nc = by <= LECO_HISTORY_BY_USER ? 4 : 2;
	sqlite3_bind_int64(st, 1, g->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(key, size, "%s", (const char *)sqlite3_column_text(st, col[by]));
		*first = sqlite3_column_int64(st, nc);
		*last = sqlite3_column_int64(st, nc + 1);
		if (by == LECO_HISTORY_BY_REMOTE)
			snprintf(rname, RNAME_MAX, "%s", (const char *)sqlite3_column_text(st, 4));
	} else {
		snprintf(key, size, "?"); /* no such row (cannot happen in a consistent file) */
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return leco_hdb_fail(h->db, rc, "reading names", h->msg, sizeof(h->msg));
	return 0;
}

struct strkey {
	const struct leco_history *h;
	const char *key;
	uint64_t hs;
};

static int tot_eq(const void *ctx, uint32_t e)
{
	const struct strkey *k = ctx;

	return k->h->agg[e].h == k->hs && !strcmp(k->h->buf + (uintptr_t)k->h->tot[e].key, k->key);
}

/* Key entry e's name: `rname` when its endpoint (last seen at `last`) is the latest named one. */
static int name_key(struct leco_history *h, uint32_t e, const char *rname, int64_t last)
{
	int64_t off;

	if (h->tot[e].rname && (!rname[0] || last < h->agg[e].last))
		return 0;
	if ((off = leco_hq_str(h, rname)) < 0)
		return -ENOMEM;
	h->tot[e].rname = (const char *)(uintptr_t)(off + 1); /* 0: none yet */
	h->agg[e].last = rname[0] ? last : INT64_MIN;
	return 0;
}

/* Merge the per-id sums into per-key totals (several ids can share a key: apps by cmd, remote
 * addresses by port; a remote address is named by its latest endpoint with a name). */
static int merge_keys(struct leco_history *h, int by)
{
	uint32_t nid = h->nagg;
	char key[1024], rname[RNAME_MAX];
	int ret;

	if (!(h->tot = realloc(h->tot, (nid ? nid : 1) * sizeof(*h->tot))))
		return -ENOMEM;
	h->captot = nid;
	h->ntot = 0;
	leco_hidx_clear(&h->idx);
	/* agg[] entries are reused in place for the keys: entry i < ntot is key i */
	for (uint32_t i = 0; i < nid; i++) {
		struct leco_hagg g = h->agg[i];
		int64_t first, last, off;
		struct strkey k = {h, key, 0};
		uint32_t e;

		if ((ret = key_of(h, by, &g, key, sizeof(key), &first, &last, rname)))
			return ret;
		k.hs = leco_hash_str(key);
		e = leco_hidx_find(&h->idx, k.hs, tot_eq, &k);
		if (e == UINT32_MAX) {
			if ((off = leco_hq_str(h, key)) < 0)
				return -ENOMEM;
			e = (uint32_t)h->ntot++;
			h->agg[e] = (struct leco_hagg){.h = k.hs};
			h->tot[e] = (struct leco_history_total){.key = (const char *)(uintptr_t)off,
								.first_seen = first,
								.last_seen = last};
			if (leco_hidx_add(&h->idx, k.hs, e, agg_hash, h))
				return -ENOMEM;
		}
		struct leco_history_total *t = &h->tot[e];

		if (name_key(h, e, rname, last))
			return -ENOMEM;
		t->rx += g.rx, t->tx += g.tx, t->conns += g.conns;
		t->failed += g.failed, t->blocked += g.blocked;
		t->first_seen = first < t->first_seen ? first : t->first_seen;
		t->last_seen = last > t->last_seen ? last : t->last_seen;
	}
	return 0;
}

static int cmp_total(const void *a, const void *b)
{
	const struct leco_history_total *x = a, *y = b;
	uint64_t sx = x->rx + x->tx, sy = y->rx + y->tx;

	if (sx != sy)
		return sx < sy ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int totals(struct leco_history *h, const struct leco_history_query *q)
{
	int64_t until = q->until > 0 ? q->until : (int64_t)time(NULL);
	struct plan p = {0};
	int ret;

	if ((ret = read_horizons(h, &p)))
		return ret;
	/* hours cannot come out of days */
	cover(&p, q->by == LECO_HISTORY_BY_HOUR ? LECO_TIER_1H : LECO_TIER_1D, q->since, until);
	for (int i = 0; i < p.n; i++)
		if ((ret = read_segment(h, q->by, p.seg[i].tier, p.seg[i].a, p.seg[i].b, until)))
			return ret;
	if ((ret = merge_keys(h, q->by)))
		return ret;
	for (size_t i = 0; i < h->ntot; i++) {
		h->tot[i].key = h->buf + (uintptr_t)h->tot[i].key;
		h->tot[i].rname = h->buf + (uintptr_t)h->tot[i].rname - 1;
	}
	qsort(h->tot, h->ntot, sizeof(*h->tot), cmp_total);
	if (q->top && h->ntot > q->top)
		h->ntot = q->top;
	return 0;
}

LECO_API int leco_history_totals(struct leco_history *h, const struct leco_history_query *q)
{
	static const struct leco_opt_field fields[] = {
		LECO_OPT_FIELD(leco_history_query, since),
		LECO_OPT_FIELD(leco_history_query, until),
		LECO_OPT_FIELD(leco_history_query, by),
		LECO_OPT_FIELD(leco_history_query, top),
	};
	struct leco_history_query o;
	int ret;

	if (!h || !q)
		return -EINVAL;
	if (leco_opts_copy(&o, sizeof(o), q, fields, sizeof(fields) / sizeof(fields[0])) ||
	    !leco_history_by_name(o.by)) {
		snprintf(h->msg, sizeof(h->msg), "invalid query (unknown fields or group)");
		return -EINVAL;
	}
	h->nagg = 0;
	h->ntot = 0;
	h->used = 0;
	leco_hidx_clear(&h->idx);
	if ((ret = leco_hq_refresh(h)) || (ret = totals(h, &o))) {
		h->ntot = 0;
		if (ret == -ENOMEM)
			snprintf(h->msg, sizeof(h->msg), "out of memory");
		return ret;
	}
	h->msg[0] = 0;
	return h->ntot > INT32_MAX ? INT32_MAX : (int)h->ntot;
}

LECO_API const struct leco_history_total *leco_history_total(const struct leco_history *h, size_t i)
{
	return h && i < h->ntot ? &h->tot[i] : NULL;
}
