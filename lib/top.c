// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the accounting (lib/account.c) hands out: the groups of one group-by,
 * sorted and cut (leco_reader_top), and every connection annotated
 * (leco_reader_conn), with the names of group-bys and sort keys.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "annotate.h"
#include "history.h"

static const char *const by_names[LECO_BY_COUNT] = {
	[LECO_BY_PROCESS] = "process", [LECO_BY_EXE] = "exe",	  [LECO_BY_PROGRAM] = "program",
	[LECO_BY_UNIT] = "unit",       [LECO_BY_USER] = "user",	  [LECO_BY_REMOTE] = "remote",
	[LECO_BY_PORT] = "port",       [LECO_BY_PROTO] = "proto",
};

static const char *const sort_names[] = {
	[LECO_SORT_RATE] = "rate",
	[LECO_SORT_RX_RATE] = "rx_rate",
	[LECO_SORT_TX_RATE] = "tx_rate",
	[LECO_SORT_RATE_AVG] = "rate_avg",
	[LECO_SORT_RX_RATE_AVG] = "rx_rate_avg",
	[LECO_SORT_TX_RATE_AVG] = "tx_rate_avg",
	[LECO_SORT_TOTAL] = "total",
	[LECO_SORT_RX] = "rx",
	[LECO_SORT_TX] = "tx",
	[LECO_SORT_CONNS] = "conns",
	[LECO_SORT_CONNS_TOTAL] = "conns_total",
	[LECO_SORT_FAILED] = "failed",
	[LECO_SORT_BLOCKED] = "blocked",
	[LECO_SORT_FIRST_SEEN] = "first_seen",
	[LECO_SORT_LAST_SEEN] = "last_seen",
};
#define SORT_COUNT ((int)(sizeof(sort_names) / sizeof(sort_names[0])))

LECO_API const char *leco_group_by_name(int by)
{
	return by >= 0 && by < LECO_BY_COUNT ? by_names[by] : NULL;
}

LECO_API int leco_group_by_from_name(const char *name)
{
	for (int i = 0; name && i < LECO_BY_COUNT; i++)
		if (!strcmp(name, by_names[i]))
			return i;
	return -EINVAL;
}

LECO_API const char *leco_sort_name(int sort)
{
	return sort >= 0 && sort < SORT_COUNT ? sort_names[sort] : NULL;
}

LECO_API int leco_sort_from_name(const char *name)
{
	for (int i = 0; name && i < SORT_COUNT; i++)
		if (!strcmp(name, sort_names[i]))
			return i;
	return -EINVAL;
}

/* ---- options ------------------------------------------------------------------------ */

static int copy_opts(struct leco_top_opts *o, const struct leco_top_opts *in)
{
#define F(f) LECO_OPT_FIELD(leco_top_opts, f)
	static const struct leco_opt_field fields[] = {F(by), F(sort), F(n), F(keep)};
#undef F

	if (leco_opts_copy(o, sizeof(*o), in, fields, sizeof(fields) / sizeof(fields[0])))
		return -EINVAL;
	if (o->by < 0 || o->by >= LECO_BY_COUNT || o->sort < 0 || o->sort >= SORT_COUNT)
		return -EINVAL;
	return 0;
}

/* ---- sorting -------------------------------------------------------------------------- */

static double sort_value(const struct acct_group *g, int sort)
{
	switch (sort) {
	case LECO_SORT_RX_RATE:
		return g->rx_rate;
	case LECO_SORT_TX_RATE:
		return g->tx_rate;
	case LECO_SORT_RATE_AVG:
		return g->rx_avg + g->tx_avg;
	case LECO_SORT_RX_RATE_AVG:
		return g->rx_avg;
	case LECO_SORT_TX_RATE_AVG:
		return g->tx_avg;
	case LECO_SORT_TOTAL:
		return (double)g->rx + (double)g->tx;
	case LECO_SORT_RX:
		return (double)g->rx;
	case LECO_SORT_TX:
		return (double)g->tx;
	case LECO_SORT_CONNS:
		return g->conns;
	case LECO_SORT_CONNS_TOTAL:
		return (double)g->conns_total;
	case LECO_SORT_FAILED:
		return (double)g->failed;
	case LECO_SORT_BLOCKED:
		return (double)g->blocked;
	case LECO_SORT_FIRST_SEEN:
		return (double)g->first_ns;
	case LECO_SORT_LAST_SEEN:
		return (double)g->last_ns;
	default:
		return g->rx_rate + g->tx_rate;
	}
}

/* A group to sort, with its values computed once. */
struct acct_rank {
	double value, total;
	uint32_t i;
};

/* Largest first; ties by total bytes, then by key, so that equal rows keep their places. */
static int cmp_ranks(const void *x, const void *y, void *ctx)
{
	const struct acct_rank *a = x, *b = y;
	const struct acct_group *ga = (const struct acct_group *)ctx + a->i,
				*gb = (const struct acct_group *)ctx + b->i;

	if (a->value != b->value)
		return a->value < b->value ? 1 : -1;
	if (a->total != b->total)
		return a->total < b->total ? 1 : -1;
	if (ga->unattributed != gb->unattributed)
		return ga->unattributed ? 1 : -1;
	return strcmp(ga->key, gb->key);
}

/* Keep the `k` first of `n` ranks (in cmp_ranks order) in r[0..k), unsorted: a heap whose top
 * is the last of those kept, replaced by any better one. O(n log k) for a few of many groups. */
static void select_first(struct acct_rank *r, size_t n, size_t k, const struct acct_group *g)
{
	for (size_t i = 0; i < n; i++) {
		size_t at;

		if (i < k) {
			at = i; /* sift up */
			while (at && cmp_ranks(&r[(at - 1) / 2], &r[at], (void *)g) < 0) {
				struct acct_rank t = r[at];

				r[at] = r[(at - 1) / 2];
				r[at = (at - 1) / 2] = t;
			}
			continue;
		}
		if (cmp_ranks(&r[i], &r[0], (void *)g) >= 0)
			continue;
		r[0] = r[i];
		for (at = 0;;) { /* sift down */
			size_t c = 2 * at + 1, m = at;

			if (c < k && cmp_ranks(&r[c], &r[m], (void *)g) > 0)
				m = c;
			if (c + 1 < k && cmp_ranks(&r[c + 1], &r[m], (void *)g) > 0)
				m = c + 1;
			if (m == at)
				break;
			struct acct_rank t = r[at];

			r[at] = r[m];
			r[m] = t;
			at = m;
		}
	}
}

/* ---- handing out ---------------------------------------------------------------------- */

static void group_out(const struct leco_reader *r, int by, const struct acct_group *g,
		      struct leco_group *o)
{
	memset(o, 0, sizeof(*o));
	o->by = by;
	o->key = g->key ? g->key : "";
	o->unattributed = g->unattributed;
	o->exited = g->exited;
	o->rx = g->rx, o->tx = g->tx;
	o->rx_rate = g->rx_rate, o->tx_rate = g->tx_rate;
	o->rx_rate_avg = g->rx_avg, o->tx_rate_avg = g->tx_avg;
	o->conns = g->conns;
	o->conns_total = g->conns_total;
	o->failed = g->failed, o->blocked = g->blocked;
	o->first_seen = leco_account_unix(r, g->first_ns);
	o->last_seen = leco_account_unix(r, g->last_ns);
	o->comm = o->cmd = o->user = o->unit = o->exe = o->rname = "";
	if (by == LECO_BY_REMOTE && g->attrs)
		o->rname = g->attrs;
	if (by != LECO_BY_PROCESS || !g->attrs)
		return;
	o->pid = g->tgid;
	o->uid = g->uid;
	o->start_time = g->start_time;
	o->comm = g->attrs;
	o->cmd = o->comm + strlen(o->comm) + 1;
	o->user = o->cmd + strlen(o->cmd) + 1;
	o->unit = o->user + strlen(o->user) + 1;
	o->exe = o->unit + strlen(o->unit) + 1;
}

LECO_API int leco_reader_top(struct leco_reader *r, const struct leco_top_opts *opts)
{
	struct leco_top_opts o;
	struct leco_account *a;
	struct acct_dim *d;
	size_t n = 0;
	int ret;

	if (!r || copy_opts(&o, opts))
		return -EINVAL;
	if ((ret = leco_account_start(r)) < 0)
		return ret;
	a = r->acct;
	a->keep_ns = (o.keep ? o.keep : 600) * LECO_NS;
	d = &a->dims[o.by];
	if (leco_reserve((void **)&a->order, &a->cap_order, d->used, sizeof(*a->order)))
		return -ENOMEM;
	for (uint32_t i = 0; i < d->n; i++)
		if (d->g[i].used)
			a->order[n++] =
				(struct acct_rank){sort_value(&d->g[i], o.sort),
						   sort_value(&d->g[i], LECO_SORT_TOTAL), i};
	if (o.n && o.n < n) {
		if (o.n < n / 8)
			select_first(a->order, n, o.n, d->g);
		qsort_r(a->order, o.n < n / 8 ? o.n : n, sizeof(*a->order), cmp_ranks, d->g);
		n = o.n;
	} else if (n > 1) { /* (no groups: no array either, and qsort wants one) */
		qsort_r(a->order, n, sizeof(*a->order), cmp_ranks, d->g);
	}
	if (leco_reserve((void **)&a->out, &a->cap_out, n, sizeof(*a->out)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		group_out(r, o.by, &d->g[a->order[i].i], &a->out[i]);
	a->nout = n;
	group_out(r, o.by, &a->total, &a->out_total);
	a->out_total.key = "total";
	return (int)n;
}

LECO_API const struct leco_group *leco_reader_group(const struct leco_reader *r, size_t i)
{
	return r && r->acct && i < r->acct->nout ? &r->acct->out[i] : NULL;
}

LECO_API const struct leco_group *leco_reader_top_total(const struct leco_reader *r)
{
	return r && r->acct && r->acct->out_total.key ? &r->acct->out_total : NULL;
}

/* ---- every connection ----------------------------------------------------------------- */

/* Annotate every connection of the table into a->conns (once per poll). */
static int conns_make(struct leco_reader *r, struct leco_account *a)
{
	struct leco_conntab *t = &r->tab;

	if (a->conns_gen == t->gen && a->conns_gen)
		return 0;
	a->nconns = 0;
	if (leco_reserve((void **)&a->conns, &a->cap_conns, t->used, sizeof(*a->conns)))
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nents && a->nconns < t->used; i++) {
		struct leco_conn_info *ci = &a->conns[a->nconns];
		const struct acct_group *g;

		if (!t->ents[i].used)
			continue;
		leco_annotate(r, &t->ents[i], ci);
		if ((g = leco_account_process(a, i)) && !g->unattributed) {
			ci->exited = g->exited;
			/* the group's: pid:start_time is its key (and a record without the
			 * start gets /proc's) */
			if (g->start_ns)
				ci->start_time = g->start_time;
		}
		ci->first_ever = leco_hmark_first_ever(r->hmark, &t->ents[i].key, ci, r->now_mono);
		a->nconns++;
	}
	a->conns_gen = t->gen;
	return 0;
}

LECO_API int leco_reader_conn_count(struct leco_reader *r)
{
	int ret;

	if (!r)
		return -EINVAL;
	if ((ret = leco_account_start(r)) < 0 || (ret = conns_make(r, r->acct)) < 0)
		return ret;
	return (int)r->acct->nconns;
}

LECO_API const struct leco_conn_info *leco_reader_conn(struct leco_reader *r, size_t i)
{
	if (!r || leco_reader_conn_count(r) < 0)
		return NULL;
	return i < r->acct->nconns ? &r->acct->conns[i] : NULL;
}
