// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The history writer's interval: nothing lost, nothing counted twice.
 *
 * Every connection (key: socket cookie + UDP peer, as in the kernel table) has a cursor: the
 * rx/tx it had when the last committed interval counted it, its first_ns (a record made again
 * after an eviction starts its counts from zero), whether its opening, failure and block were
 * counted, and when it left the table. An interval counts what each connection has beyond its
 * cursor and moves the cursors in the same transaction as the rows it writes: if the commit
 * fails (disk full, read-only, the file gone) or the process dies, the next interval counts the
 * same bytes again from the last committed cursors, once. A restarted recorder loads them.
 *
 * Cursors of connections that left the table are kept (the newest max_gone of them): a reader
 * started later may be shown such a connection again (closed connections kept in a ring by the
 * kernel) and must not count it twice. A connection that leaves the table before it reached a
 * final state (closed, failed, blocked) was evicted: its last bytes may be lost; counted.
 * Cursors are bound to the boot (cookies start over after a reboot).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "history_store.h"
#include "internal.h"

const char *const leco_hstore_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAMPLE] = "INSERT INTO samples_raw VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
		     "ON CONFLICT DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx, "
		     "conns = conns + excluded.conns, failed = failed + excluded.failed, "
		     "blocked = blocked + excluded.blocked",
	[S_PAIR] = "INSERT INTO pairs VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET "
		   "first_seen = min(first_seen, excluded.first_seen), "
		   "last_seen = max(last_seen, excluded.last_seen)",
	[S_APP_SEEN] = "UPDATE apps SET first_seen = min(first_seen, ?2), "
		       "last_seen = max(last_seen, ?3) WHERE id = ?1",
	[S_EP_SEEN] = "UPDATE endpoints SET first_seen = min(first_seen, ?2), "
		      "last_seen = max(last_seen, ?3) WHERE id = ?1",
	[S_CUR_PUT] = "INSERT OR REPLACE INTO cursors VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_CUR_DEL] = "DELETE FROM cursors WHERE cookie = ?1 AND peer = ?2",
	[S_CUR_CLEAR] = "DELETE FROM cursors",
	[S_META] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
	[S_META_ADD] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
		       "ON CONFLICT DO UPDATE SET value = value + excluded.value",
};

/* ---- in-memory tables ---------------------------------------------------- */

struct ckey {
	const struct leco_hstore *s;
	uint64_t cookie, h;
	const uint8_t *peer;
};

static int cur_eq(const void *ctx, uint32_t e)
{
	const struct ckey *k = ctx;
	const struct cursor *c = &k->s->cur[e];

	return c->h == k->h && c->cookie == k->cookie && !memcmp(c->peer, k->peer, 18) &&
	       c->state != CUR_DEAD;
}

static uint64_t cur_hash(const void *ctx, uint32_t e, int *live)
{
	const struct leco_hstore *s = ctx;

	*live = s->cur[e].state != CUR_DEAD;
	return s->cur[e].h;
}

static uint64_t key_hash(uint64_t cookie, const uint8_t peer[18])
{
	uint8_t b[26];

	memcpy(b, &cookie, 8);
	memcpy(b + 8, peer, 18);
	return leco_hash(b, sizeof(b), 0);
}

/* A new cursor (not committed yet); its index, or -ENOMEM. */
static int64_t cur_add(struct leco_hstore *s, uint64_t cookie, const uint8_t peer[18], uint64_t h)
{
	struct cursor *c;

	if (leco_reserve((void **)&s->cur, &s->capcur, s->ncur + 1, sizeof(*s->cur)) ||
	    leco_hidx_add(&s->cidx, h, s->ncur, cur_hash, s))
		return -ENOMEM;
	c = &s->cur[s->ncur];
	memset(c, 0, sizeof(*c));
	c->cookie = cookie;
	memcpy(c->peer, peer, 18);
	c->h = h;
	c->pend = -1;
	c->state = CUR_NEW;
	return s->ncur++;
}

/* Drop dead cursors from the array (when many), and reindex. */
void leco_hstore_compact(struct leco_hstore *s)
{
	uint32_t j = 0;

	if (s->ndead < 1024 || s->ndead * 2 < s->ncur)
		return;
	for (uint32_t i = 0; i < s->ncur; i++)
		if (s->cur[i].state != CUR_DEAD)
			s->cur[j++] = s->cur[i];
	s->ncur = j;
	s->ndead = 0;
	if (leco_hidx_rebuild(&s->cidx, j + 64, j, cur_hash, s))
		leco_hidx_free(&s->cidx); /* found again by the next rebuild, when memory is back */
}

struct pending *leco_hstore_pend(struct leco_hstore *s, uint32_t ci)
{
	struct cursor *c = &s->cur[ci];
	struct pending *p;

	if (c->pend >= 0)
		return &s->pend[c->pend];
	if (leco_reserve((void **)&s->pend, &s->cappend, s->npend + 1, sizeof(*s->pend)))
		return NULL;
	p = &s->pend[s->npend];
	*p = (struct pending){.cur = ci,
			      .first_ns = c->first_ns,
			      .rx = c->rx,
			      .tx = c->tx,
			      .gone = c->gone,
			      .flags = c->flags};
	c->pend = (int32_t)s->npend++;
	return p;
}

struct gkey {
	const struct leco_hstore *s;
	const struct group *g;
};

static int grp_eq(const void *ctx, uint32_t e)
{
	const struct gkey *k = ctx;
	const struct group *a = &k->s->grp[e], *b = k->g;

	return a->h == b->h && a->app == b->app && a->ep == b->ep && a->proto == b->proto &&
	       a->dir == b->dir;
}

static uint64_t grp_hash(const void *ctx, uint32_t e, int *live)
{
	*live = 1;
	return ((const struct leco_hstore *)ctx)->grp[e].h;
}

/* Add one connection's counts to its group of this interval. */
static int grp_add(struct leco_hstore *s, const struct group *add)
{
	struct gkey k = {s, add};
	uint32_t e = leco_hidx_find(&s->gidx, add->h, grp_eq, &k);
	struct group *g;

	if (e == UINT32_MAX) {
		if (leco_reserve((void **)&s->grp, &s->capgrp, s->ngrp + 1, sizeof(*s->grp)) ||
		    leco_hidx_add(&s->gidx, add->h, s->ngrp, grp_hash, s))
			return -ENOMEM;
		s->grp[s->ngrp++] = *add;
		return 0;
	}
	g = &s->grp[e];
	g->rx += add->rx, g->tx += add->tx, g->conns += add->conns;
	g->failed += add->failed, g->blocked += add->blocked;
	g->first = add->first < g->first ? add->first : g->first;
	g->last = add->last > g->last ? add->last : g->last;
	return 0;
}

/* ---- life cycle ---------------------------------------------------------- */

int leco_hstore_new(const struct leco_hconf *conf, const char *boot_id, struct leco_hstore **out)
{
	struct leco_hstore *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->conf = *conf;
	if (!s->conf.interval)
		s->conf.interval = LECO_HISTORY_INTERVAL_S;
	if (!s->conf.batch_rows)
		s->conf.batch_rows = 20000;
	s->max_gone = conf->max_gone ? conf->max_gone : 2 * LECO_CONNS_MAX;
	s->boot = (int64_t)(leco_hash_str(boot_id ? boot_id : "") >> 1);
	*out = s;
	return 0;
}

void leco_hstore_detach(struct leco_hstore *s)
{
	if (!s || !s->db)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	memset(s->st, 0, sizeof(s->st));
	sqlite3_finalize(s->apps.get), sqlite3_finalize(s->apps.add);
	sqlite3_finalize(s->eps.get), sqlite3_finalize(s->eps.add), sqlite3_finalize(s->eps.set);
	s->apps.get = s->apps.add = s->eps.get = s->eps.add = s->eps.set = NULL;
	leco_hnames_clear(&s->apps);
	leco_hnames_clear(&s->eps);
	leco_tiers_free(s->tiers);
	s->tiers = NULL;
	sqlite3_close(s->db);
	s->db = NULL;
}

void leco_hstore_free(struct leco_hstore *s)
{
	if (!s)
		return;
	leco_hstore_detach(s);
	leco_hnames_free(&s->apps);
	leco_hnames_free(&s->eps);
	leco_hidx_free(&s->cidx);
	leco_hidx_free(&s->gidx);
	free(s->cur);
	free(s->pend);
	free(s->grp);
	free(s);
}

bool leco_hstore_attached(const struct leco_hstore *s)
{
	return s && s->db;
}

sqlite3 *leco_hstore_db(struct leco_hstore *s)
{
	return s ? s->db : NULL;
}

static int prepare_all(struct leco_hstore *s, char *msg, size_t msgsz)
{
	static const char *const names_sql[5] = {
		"SELECT id FROM apps WHERE exe = ?1 AND cmd = ?2 AND unit = ?3 AND user = ?4",
		"INSERT INTO apps (exe, cmd, unit, user, first_seen, last_seen) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
		"SELECT id FROM endpoints WHERE raddr = ?1 AND rport = ?2",
		"INSERT INTO endpoints (raddr, rport, first_seen, last_seen) "
		"VALUES (?1, ?2, ?3, ?4) RETURNING id",
		/* the latest name: an unnamed connection never sets it back to "" */
		"UPDATE endpoints SET rname = ?2 WHERE id = ?1 AND rname <> ?2 AND ?2 <> ''",
	};
	sqlite3_stmt **nst[5] = {&s->apps.get, &s->apps.add, &s->eps.get, &s->eps.add, &s->eps.set};
	int ret;

	for (int i = 0; i < S_COUNT; i++)
		if ((ret = leco_hdb_prepare(s->db, leco_hstore_sql[i], &s->st[i], msg, msgsz)))
			return ret;
	for (int i = 0; i < 5; i++)
		if ((ret = leco_hdb_prepare(s->db, names_sql[i], nst[i], msg, msgsz)))
			return ret;
	return leco_tiers_new(s->db, &s->conf, &s->tiers, msg, msgsz);
}

/* The cursors of the database, into memory (first attach of this store, same boot). */
static int load_cursors(struct leco_hstore *s, char *msg, size_t msgsz)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db,
				    "SELECT cookie, peer, first_ns, rx, tx, flags, gone "
				    "FROM cursors",
				    -1, &st, NULL);

	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t peer[18] = {0};
		uint64_t cookie = (uint64_t)sqlite3_column_int64(st, 0);
		int plen = sqlite3_column_bytes(st, 1);
		int64_t i;

		if (plen == 18)
			memcpy(peer, sqlite3_column_blob(st, 1), 18);
		if ((i = cur_add(s, cookie, peer, key_hash(cookie, peer))) < 0) {
			sqlite3_finalize(st);
			snprintf(msg, msgsz, "loading cursors: out of memory");
			return -ENOMEM;
		}
		s->cur[i].first_ns = (uint64_t)sqlite3_column_int64(st, 2);
		s->cur[i].rx = (uint64_t)sqlite3_column_int64(st, 3);
		s->cur[i].tx = (uint64_t)sqlite3_column_int64(st, 4);
		s->cur[i].flags = (uint8_t)sqlite3_column_int(st, 5);
		s->cur[i].gone = (uint32_t)sqlite3_column_int64(st, 6);
		s->cur[i].state = CUR_COMMITTED;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : leco_hdb_fail(s->db, rc, "loading cursors", msg, msgsz);
}

int leco_hstore_attach(struct leco_hstore *s, sqlite3 *db, bool same, char *msg, size_t msgsz)
{
	int64_t boot = 0, last = INT64_MIN;
	int ret;

	leco_hstore_detach(s);
	s->db = db;
	if ((ret = prepare_all(s, msg, msgsz)) || (ret = leco_hdb_meta_get(db, "boot", 0, &boot)) ||
	    (ret = leco_hdb_meta_get(db, "last_bucket", INT64_MIN, &last))) {
		if (ret && !msg[0])
			leco_hdb_fail(db, SQLITE_ERROR, "reading meta", msg, msgsz);
		leco_hstore_detach(s);
		return ret;
	}
	if (last > s->last_bucket)
		s->last_bucket = last;
	/* the first database of this process, same boot: what it counted is the truth; another
	 * file gets this process's cursors, whole, with the next commit */
	s->rewrite_all = !same || !s->loaded;
	if (!s->loaded && boot == s->boot) {
		if ((ret = load_cursors(s, msg, msgsz))) {
			leco_hstore_detach(s);
			return ret;
		}
		s->rewrite_all = false;
	}
	s->loaded = true;
	return 0;
}

/* ---- one interval --------------------------------------------------------- */

void leco_hstore_tick_fail(struct leco_hstore *s, int err, const char *msg)
{
	if (s->tick_err)
		return; /* the first failure is the one to report */
	s->tick_err = err ? err : -EIO;
	snprintf(s->tick_msg, sizeof(s->tick_msg), "%s", msg);
}

void leco_hstore_begin(struct leco_hstore *s, int64_t now)
{
	int64_t half = s->conf.interval / 2, b;
	char msg[512];
	int ret;

	s->gen++;
	s->now = now;
	s->npend = s->ngrp = 0;
	s->tick_evicted = s->tick_reappeared = s->tick_conns = 0;
	leco_hidx_clear(&s->gidx);
	s->tick_err = 0;
	s->tick_msg[0] = 0;
	/* the interval that ends at the tick nearest to now; never before one already written
	 * (the wall clock may step back) */
	b = leco_tier_floor(&s->conf, LECO_TIER_RAW, now - half);
	s->bucket = b > s->last_bucket ? b : s->last_bucket;
	if (!s->db) {
		leco_hstore_tick_fail(s, -ENODEV, "no database open");
		return;
	}
	if ((ret = leco_hdb_step_done(s->db, s->st[S_BEGIN], "starting the interval", msg,
				      sizeof(msg))))
		leco_hstore_tick_fail(s, ret, msg);
}

/* Intern the connection's app and endpoint (with the endpoint's name, when it has one) and add
 * its counts to its group. */
static int record(struct leco_hstore *s, const struct leco_hconn *hc, const struct group *counts)
{
	const char *app[4] = {hc->exe, hc->cmd, hc->unit, hc->user};
	struct group g = *counts;
	char msg[512];
	int rc;

	g.app = leco_hnames_get(&s->apps, s->db, app, 4, NULL, hc->first_seen, hc->last_seen);
	g.ep = g.app > 0 ? leco_hnames_get(&s->eps, s->db, &hc->raddr, 1, &hc->rport,
					   hc->first_seen, hc->last_seen)
			 : g.app;
	if (g.ep > 0 && hc->rname && hc->rname[0] &&
	    (rc = leco_hnames_set(&s->eps, g.ep, hc->rname)))
		g.ep = rc;
	if (g.app < 0 || g.ep < 0) {
		int ret = leco_hdb_fail(s->db, (int)-(g.app < 0 ? g.app : g.ep), "interning names",
					msg, sizeof(msg));

		leco_hstore_tick_fail(s, ret, msg);
		return ret;
	}
	g.proto = hc->proto, g.dir = hc->dir;
	g.first = hc->first_seen, g.last = hc->last_seen;
	g.h = leco_hash(&g.app, sizeof(g.app) * 2 + sizeof(g.proto) * 2, 0);
	if (grp_add(s, &g)) {
		leco_hstore_tick_fail(s, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static bool final_state(int state)
{
	return state == LECO_ST_CLOSED || state == LECO_ST_FAILED || state == LECO_ST_BLOCKED;
}

int leco_hstore_conn(struct leco_hstore *s, const struct leco_key *key, const struct leco_conn *c,
		     leco_hconn_fn fill, void *ctx, void *ent)
{
	uint8_t peer[18];
	uint64_t h, brx = 0, btx = 0;
	uint8_t flags = 0, nflags;
	struct group counts = {0};
	struct leco_hconn hc;
	struct pending *p;
	struct ckey k;
	int64_t ci;

	if (s->tick_err)
		return s->tick_err;
	memcpy(peer, key->raddr, 16);
	memcpy(peer + 16, &key->rport, 2);
	h = key_hash(key->cookie, peer);
	k = (struct ckey){s, key->cookie, h, peer};
	ci = leco_hidx_find(&s->cidx, h, cur_eq, &k);
	s->tick_conns++;
	if (ci != UINT32_MAX) {
		struct cursor *cu = &s->cur[ci];

		cu->seen = s->gen;
		flags = cu->flags;
		/* a record made again (evicted, then new traffic) counts from zero */
		if (cu->first_ns == c->first_ns && c->rx_bytes >= cu->rx && c->tx_bytes >= cu->tx)
			brx = cu->rx, btx = cu->tx;
		if (cu->gone)
			s->tick_reappeared++;
	} else {
		ci = UINT32_MAX;
	}
	nflags = flags | C_OPENED;
	nflags |= c->state == LECO_ST_FAILED ? C_FAILED : 0;
	nflags |= c->state == LECO_ST_BLOCKED ? C_BLOCKED : 0;
	nflags = (nflags & ~C_FINAL) | (final_state(c->state) ? C_FINAL : 0);
	nflags |= c->proto == IPPROTO_UDP ? C_NOCLOSE : 0;
	counts.rx = c->rx_bytes - brx, counts.tx = c->tx_bytes - btx;
	counts.conns = !(flags & C_OPENED), counts.failed = (nflags & ~flags & C_FAILED) != 0;
	counts.blocked = (nflags & ~flags & C_BLOCKED) != 0;
	if (ci != UINT32_MAX && nflags == flags && !counts.rx && !counts.tx && !s->cur[ci].gone &&
	    s->cur[ci].first_ns == c->first_ns)
		return 0; /* nothing new: the common case, no annotation, no row */
	if (ci == UINT32_MAX && (ci = cur_add(s, key->cookie, peer, h)) < 0) {
		leco_hstore_tick_fail(s, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	s->cur[ci].seen = s->gen;
	if (!(p = leco_hstore_pend(s, (uint32_t)ci))) {
		leco_hstore_tick_fail(s, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	*p = (struct pending){.cur = (uint32_t)ci,
			      .first_ns = c->first_ns,
			      .rx = c->rx_bytes,
			      .tx = c->tx_bytes,
			      .flags = nflags};
	if (!counts.rx && !counts.tx && !counts.conns && !counts.failed && !counts.blocked)
		return 0; /* only the cursor moves (state, reappearance) */
	fill(ctx, ent, &hc);
	return record(s, &hc, &counts);
}
