// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The history writer's transaction (lib/history_store.c has the why): an interval's groups,
 * pairs and last-seen times, the cursors that moved, the counters, one rollup and expiry step,
 * then COMMIT. Only when it went through do the pending cursor values become the cursors; a
 * failure rolls everything back and detaches the database, and the next interval counts the
 * same bytes again from the cursors of the last commit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_store.h"

static void bind_peer(sqlite3_stmt *st, int i, const uint8_t peer[18])
{
	static const uint8_t zero[18];

	/* TCP keys have no peer: an empty blob */
	sqlite3_bind_blob(st, i, peer, memcmp(peer, zero, 18) ? 18 : 0, SQLITE_STATIC);
}

/* Cursors still in the table but not in this snapshot have left it (evicted, unless they
 * ended first); UDP ones are forgotten (lib/history_store.h: C_NOCLOSE). */
static int mark_gone(struct leco_hstore *s)
{
	for (uint32_t i = 0; i < s->ncur; i++) {
		struct cursor *c = &s->cur[i];
		struct pending *p;

		if (c->state != CUR_COMMITTED || c->gone || c->seen == s->gen)
			continue;
		if (!(p = leco_hstore_pend(s, i)))
			return -ENOMEM;
		p->gone = (uint32_t)s->now;
		p->del = (c->flags & C_NOCLOSE) != 0;
		if (!(c->flags & (C_FINAL | C_NOCLOSE)))
			s->tick_evicted++;
	}
	return 0;
}

static int cmp_gone(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Keep the newest max_gone cursors of connections gone from the table. */
static int gc_gone(struct leco_hstore *s)
{
	uint32_t n = 0, *when, cut;

	for (uint32_t i = 0; i < s->ncur; i++)
		n += s->cur[i].state == CUR_COMMITTED && s->cur[i].gone;
	if (n <= s->max_gone + s->max_gone / 8)
		return 0; /* a margin, so that this runs now and then, not every interval */
	if (!(when = malloc(n * sizeof(*when))))
		return -ENOMEM;
	n = 0;
	for (uint32_t i = 0; i < s->ncur; i++)
		if (s->cur[i].state == CUR_COMMITTED && s->cur[i].gone)
			when[n++] = s->cur[i].gone;
	qsort(when, n, sizeof(*when), cmp_gone);
	cut = when[n - s->max_gone];
	free(when);
	for (uint32_t i = 0; i < s->ncur; i++) {
		struct cursor *c = &s->cur[i];
		struct pending *p;

		if (c->state != CUR_COMMITTED || !c->gone || c->gone >= cut || c->pend >= 0)
			continue;
		if (!(p = leco_hstore_pend(s, i)))
			return -ENOMEM;
		p->del = true;
	}
	return 0;
}

static int step(struct leco_hstore *s, sqlite3_stmt *st, const char *what)
{
	char msg[512];
	int ret = leco_hdb_step_done(s->db, st, what, msg, sizeof(msg));

	if (ret)
		leco_hstore_tick_fail(s, ret, msg);
	return ret;
}

static int write_groups(struct leco_hstore *s)
{
	sqlite3_stmt *sa = s->st[S_SAMPLE], *pa = s->st[S_PAIR];

	for (uint32_t i = 0; i < s->ngrp; i++) {
		const struct group *g = &s->grp[i];
		sqlite3_stmt *seen[2] = {s->st[S_APP_SEEN], s->st[S_EP_SEEN]};
		int64_t v[10] = {s->bucket,
				 g->app,
				 g->ep,
				 g->proto,
				 g->dir,
				 (int64_t)g->rx,
				 (int64_t)g->tx,
				 (int64_t)g->conns,
				 (int64_t)g->failed,
				 (int64_t)g->blocked};

		for (int j = 0; j < 10; j++)
			sqlite3_bind_int64(sa, j + 1, v[j]);
		if (step(s, sa, "writing samples"))
			return s->tick_err;
		int64_t pv[5] = {g->app, g->ep, g->proto, g->first, g->last};

		for (int j = 0; j < 5; j++)
			sqlite3_bind_int64(pa, j + 1, pv[j]);
		if (step(s, pa, "writing pairs"))
			return s->tick_err;
		for (int j = 0; j < 2; j++) {
			sqlite3_bind_int64(seen[j], 1, j ? g->ep : g->app);
			sqlite3_bind_int64(seen[j], 2, g->first);
			sqlite3_bind_int64(seen[j], 3, g->last);
			if (step(s, seen[j], "writing last seen"))
				return s->tick_err;
		}
	}
	return 0;
}

/* One cursor row as it will be after this commit (pending values if any). */
static int put_cursor(struct leco_hstore *s, const struct cursor *c, const struct pending *p)
{
	sqlite3_stmt *st = s->st[p && p->del ? S_CUR_DEL : S_CUR_PUT];

	sqlite3_bind_int64(st, 1, (int64_t)c->cookie);
	bind_peer(st, 2, c->peer);
	if (!p || !p->del) {
		sqlite3_bind_int64(st, 3, (int64_t)(p ? p->first_ns : c->first_ns));
		sqlite3_bind_int64(st, 4, (int64_t)(p ? p->rx : c->rx));
		sqlite3_bind_int64(st, 5, (int64_t)(p ? p->tx : c->tx));
		sqlite3_bind_int(st, 6, p ? p->flags : c->flags);
		sqlite3_bind_int64(st, 7, p ? p->gone : c->gone);
	}
	return step(s, st, "writing cursors");
}

static int write_cursors(struct leco_hstore *s)
{
	if (!s->rewrite_all) {
		for (uint32_t i = 0; i < s->npend; i++)
			if (put_cursor(s, &s->cur[s->pend[i].cur], &s->pend[i]))
				return s->tick_err;
		return 0;
	}
	if (step(s, s->st[S_CUR_CLEAR], "writing cursors"))
		return s->tick_err;
	for (uint32_t i = 0; i < s->ncur; i++) {
		const struct cursor *c = &s->cur[i];
		const struct pending *p = c->pend >= 0 ? &s->pend[c->pend] : NULL;

		if (c->state == CUR_DEAD || (c->state == CUR_NEW && !p) || (p && p->del))
			continue;
		if (put_cursor(s, c, p))
			return s->tick_err;
	}
	return 0;
}

/* meta(key) = val, or += val when `add` */
static int write_meta(struct leco_hstore *s, const char *key, int64_t val, bool add)
{
	sqlite3_stmt *st = s->st[add ? S_META_ADD : S_META];

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, val);
	return step(s, st, "writing meta");
}

/* Everything of the interval, inside its transaction. */
static int write_all(struct leco_hstore *s, bool complete)
{
	char msg[512];
	int ret;

	if ((complete && mark_gone(s)) || gc_gone(s)) {
		leco_hstore_tick_fail(s, -ENOMEM, "out of memory");
		return s->tick_err;
	}
	if (write_groups(s) || write_cursors(s) || write_meta(s, "boot", s->boot, false) ||
	    write_meta(s, "last_bucket", s->bucket, false) || write_meta(s, "intervals", 1, true) ||
	    write_meta(s, "evicted", (int64_t)s->tick_evicted, true) ||
	    write_meta(s, "reappeared", (int64_t)s->tick_reappeared, true))
		return s->tick_err;
	if ((ret = leco_tiers_step(s->tiers, s->now, s->bucket, &s->cnt.tiers, msg, sizeof(msg))))
		leco_hstore_tick_fail(s, ret, msg);
	return s->tick_err;
}

/* The commit went through: pending values become the cursors. */
static void apply(struct leco_hstore *s)
{
	for (uint32_t i = 0; i < s->npend; i++) {
		const struct pending *p = &s->pend[i];
		struct cursor *c = &s->cur[p->cur];

		c->pend = -1;
		if (p->del) {
			c->state = CUR_DEAD;
			s->ndead++;
			continue;
		}
		c->first_ns = p->first_ns, c->rx = p->rx, c->tx = p->tx;
		c->flags = p->flags, c->gone = p->gone;
		c->state = CUR_COMMITTED;
	}
	s->npend = 0;
	s->rewrite_all = false;
	s->last_bucket = s->bucket;
	s->cnt.commits++;
	s->cnt.evicted += s->tick_evicted;
	s->cnt.reappeared += s->tick_reappeared;
	s->cnt.last_commit = s->now;
	leco_hstore_compact(s);
}

/* The commit failed: cursors stay as committed, new ones go, names are looked up again. */
static void discard(struct leco_hstore *s)
{
	for (uint32_t i = 0; i < s->npend; i++)
		s->cur[s->pend[i].cur].pend = -1;
	for (uint32_t i = 0; i < s->ncur; i++) {
		if (s->cur[i].state == CUR_NEW) {
			s->cur[i].state = CUR_DEAD;
			s->ndead++;
		}
	}
	s->npend = 0;
	s->cnt.failures++;
	leco_hnames_clear(&s->apps);
	leco_hnames_clear(&s->eps);
	leco_hstore_compact(s);
}

int leco_hstore_commit(struct leco_hstore *s, bool complete, char *msg, size_t msgsz)
{
	int ret;

	s->cnt.intervals++;
	s->cnt.conns = s->tick_conns;
	if (!s->tick_err && !write_all(s, complete))
		step(s, s->st[S_COMMIT], "committing the interval");
	if (s->tick_err) {
		snprintf(msg, msgsz, "%s", s->tick_msg);
		ret = s->tick_err;
		if (s->db && !sqlite3_get_autocommit(s->db))
			sqlite3_step(s->st[S_ROLLBACK]), sqlite3_reset(s->st[S_ROLLBACK]);
		discard(s);
		leco_hstore_detach(s); /* reopened by the next interval (lib/recorder.c) */
		return ret;
	}
	apply(s);
	ret = leco_tiers_cap(s->tiers, &s->cnt.tiers, msg, msgsz);
	if (ret == 2) {
		leco_hnames_clear(&s->apps);
		leco_hnames_clear(&s->eps);
	}
	if (ret < 0) { /* the interval is committed; the cap is tried again next time */
		leco_hstore_detach(s);
		return ret;
	}
	return 0;
}

void leco_hstore_counts(const struct leco_hstore *s, struct leco_hstore_counts *out)
{
	uint32_t n = 0;

	*out = s->cnt;
	for (uint32_t i = 0; i < s->ncur; i++)
		n += s->cur[i].state == CUR_COMMITTED;
	out->cursors = n;
}
