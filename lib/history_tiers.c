// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tiers: raw intervals -> 1-minute -> 1-hour -> 1-day buckets.
 *
 * A tier's horizon (meta upto_1m, upto_1h, upto_1d) says up to where the finer tier has been
 * rolled into it: every bucket before it is complete and summed. Each interval rolls at most
 * one batch of source rows per tier, inside the interval's transaction, so a horizon and the
 * rows it covers commit together (a crash never rolls a bucket twice) and a backlog (after
 * downtime, a migration) is worked off a batch at a time without stalling the recorder.
 * Rows are deleted by age only once the next tier holds them. Days are local days (the
 * recorder's time zone), starting at the hour of local midnight.
 *
 * The size cap: when the file is over it, free pages go back first (incremental vacuum); if
 * the data itself is over, the oldest history goes, all tiers alike, a day at a time, and
 * with it the pairs, apps and endpoints no row can name any more.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "history.h"

static const char *const upto_key[LECO_TIERS] = {NULL, "upto_1m", "upto_1h", "upto_1d"};

/* Q_*_APP: the same for the per-app tables of the 1-hour and 1-day tiers */
enum { Q_FIRST, Q_NTH, Q_ROLL, Q_DEL, Q_MIN, Q_TRIM, Q_ROLL_APP, Q_DEL_APP, Q_TRIM_APP, Q_COUNT };

struct leco_tiers {
	sqlite3 *db;
	struct leco_hconf c;
	sqlite3_stmt *q[LECO_TIERS][Q_COUNT];
	sqlite3_stmt *gc[3];
	sqlite3_stmt *mget, *mset; /* meta */
};

static int64_t floor_to(int64_t t, int64_t len)
{
	int64_t r = t % len;

	return r < 0 ? t - r - len : t - r;
}

/* Local midnight of the day containing t, as unix time. */
static int64_t local_midnight(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return floor_to(t, 86400);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int64_t leco_tier_next(const struct leco_hconf *c, int tier, int64_t start)
{
	switch (tier) {
	case LECO_TIER_RAW:
		return start + c->interval;
	case LECO_TIER_1M:
		return start + 60;
	case LECO_TIER_1H:
		return start + 3600;
	default: /* the next local midnight is 23..25 h after this one */
		return floor_to(local_midnight(start + 30 * 3600), 3600);
	}
}

int64_t leco_tier_floor(const struct leco_hconf *c, int tier, int64_t t)
{
	int64_t d, n;

	switch (tier) {
	case LECO_TIER_RAW:
		return floor_to(t, c->interval);
	case LECO_TIER_1M:
		return floor_to(t, 60);
	case LECO_TIER_1H:
		return floor_to(t, 3600);
	default:
		d = floor_to(local_midnight(t), 3600);
		n = leco_tier_next(c, LECO_TIER_1D, d);
		return t >= n ? n : d;
	}
}

#define SUMS "sum(rx), sum(tx), sum(conns), sum(failed), sum(blocked)"
#define ADD                                                                              \
	"rx = rx + excluded.rx, tx = tx + excluded.tx, conns = conns + excluded.conns, " \
	"failed = failed + excluded.failed, blocked = blocked + excluded.blocked"

/* The statements of tier k (rollup ones read tier k-1). */
static int prepare_tier(struct leco_tiers *t, int k, char *msg, size_t msgsz)
{
	const char *tab = leco_tier_table[k], *src = k ? leco_tier_table[k - 1] : NULL;
	static const char *const bucket[LECO_TIERS] = {NULL, "t / 60 * 60", "t / 3600 * 3600",
						       "?3"};
	char sql[LECO_TIERS][Q_COUNT][512] = {{{0}}};
	int ret;

	if (src) {
		snprintf(sql[k][Q_FIRST], 512, "SELECT min(t) FROM %s WHERE t >= ?1 AND t < ?2",
			 src);
		snprintf(sql[k][Q_NTH], 512,
			 "SELECT t FROM %s WHERE t >= ?1 AND t < ?2 ORDER BY t LIMIT 1 OFFSET ?3",
			 src);
		snprintf(sql[k][Q_ROLL], 512,
			 "INSERT INTO %s SELECT %s, app, endpoint, proto, dir, " SUMS " FROM %s "
			 "WHERE t >= ?1 AND t < ?2 GROUP BY 1, app, endpoint, proto, dir "
			 "ON CONFLICT DO UPDATE SET " ADD,
			 tab, bucket[k], src);
	}
	snprintf(sql[k][Q_DEL], 512,
		 "DELETE FROM %s WHERE t < ?1 AND t <= coalesce((SELECT t FROM %s WHERE t < ?1 "
		 "ORDER BY t LIMIT 1 OFFSET ?2), ?1)",
		 tab, tab);
	snprintf(sql[k][Q_MIN], 512, "SELECT min(t) FROM %s", tab);
	snprintf(sql[k][Q_TRIM], 512, "DELETE FROM %s WHERE t < ?1", tab);
	if (leco_tier_app_table[k]) {
		const char *app = leco_tier_app_table[k];
		const char *asrc = leco_tier_app_table[k - 1] ? leco_tier_app_table[k - 1] : src;

		snprintf(sql[k][Q_ROLL_APP], 512,
			 "INSERT INTO %s SELECT %s, app, " SUMS " FROM %s WHERE t >= ?1 AND "
			 "t < ?2 GROUP BY 1, app ON CONFLICT DO UPDATE SET " ADD,
			 app, bucket[k], asrc);
		snprintf(sql[k][Q_DEL_APP], 512, "DELETE FROM %s WHERE t < ?1", app);
		snprintf(sql[k][Q_TRIM_APP], 512, "DELETE FROM %s WHERE t < ?1", app);
	}
	for (int q = 0; q < Q_COUNT; q++)
		if (sql[k][q][0] &&
		    (ret = leco_hdb_prepare(t->db, sql[k][q], &t->q[k][q], msg, msgsz)))
			return ret;
	return 0;
}

int leco_tiers_new(sqlite3 *db, const struct leco_hconf *c, struct leco_tiers **out, char *msg,
		   size_t msgsz)
{
	static const char *const gc[3] = {
		"DELETE FROM pairs WHERE last_seen < ?1",
		"DELETE FROM endpoints WHERE last_seen < ?1 AND NOT EXISTS "
		"(SELECT 1 FROM pairs WHERE endpoint = endpoints.id)",
		"DELETE FROM apps WHERE last_seen < ?1 AND NOT EXISTS "
		"(SELECT 1 FROM pairs WHERE app = apps.id)",
	};
	struct leco_tiers *t = calloc(1, sizeof(*t));
	int ret = 0;

	if (!t)
		return -ENOMEM;
	t->db = db;
	t->c = *c;
	for (int k = 0; k < LECO_TIERS && !ret; k++)
		ret = prepare_tier(t, k, msg, msgsz);
	for (int i = 0; i < 3 && !ret; i++)
		ret = leco_hdb_prepare(db, gc[i], &t->gc[i], msg, msgsz);
	if (!ret)
		ret = leco_hdb_prepare(db, "SELECT value FROM meta WHERE key = ?1", &t->mget, msg,
				       msgsz);
	if (!ret)
		ret = leco_hdb_prepare(db,
				       "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
				       &t->mset, msg, msgsz);
	if (ret) {
		leco_tiers_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void leco_tiers_free(struct leco_tiers *t)
{
	if (!t)
		return;
	for (int k = 0; k < LECO_TIERS; k++)
		for (int q = 0; q < Q_COUNT; q++)
			sqlite3_finalize(t->q[k][q]);
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(t->gc[i]);
	sqlite3_finalize(t->mget);
	sqlite3_finalize(t->mset);
	free(t);
}

/* Bind the statement's (up to three) integer parameters. */
static void bind3(sqlite3_stmt *st, int64_t a, int64_t b, int64_t c)
{
	int64_t v[3] = {a, b, c};
	int n = sqlite3_bind_parameter_count(st);

	for (int i = 0; i < n && i < 3; i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
}

/* Run a one-value query with up to three integer arguments; *found says if it had a value. */
static int query1(struct leco_tiers *t, sqlite3_stmt *st, int64_t a, int64_t b, int64_t c,
		  int64_t *val, bool *found)
{
	int rc;

	bind3(st, a, b, c);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (*found)
		*val = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rc;
}

/* Run a statement with up to three integer arguments; rows changed, or -errno with msg. */
static int64_t run3(struct leco_tiers *t, sqlite3_stmt *st, int64_t a, int64_t b, int64_t c,
		    const char *what, char *msg, size_t msgsz)
{
	int ret;

	bind3(st, a, b, c);
	if ((ret = leco_hdb_step_done(t->db, st, what, msg, msgsz)))
		return ret;
	return sqlite3_changes64(t->db);
}

/* A rollup horizon: meta(key), INT64_MIN when not set yet. 0 or -errno with msg. */
static int horizon(struct leco_tiers *t, const char *key, int64_t *val, char *msg, size_t msgsz)
{
	int rc;

	*val = INT64_MIN;
	sqlite3_bind_text(t->mget, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(t->mget);
	if (rc == SQLITE_ROW)
		*val = sqlite3_column_int64(t->mget, 0);
	sqlite3_reset(t->mget);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return leco_hdb_fail(t->db, rc, "reading a rollup horizon", msg, msgsz);
	return 0;
}

static int set_meta(struct leco_tiers *t, const char *key, int64_t val, char *msg, size_t msgsz)
{
	sqlite3_bind_text(t->mset, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(t->mset, 2, val);
	return leco_hdb_step_done(t->db, t->mset, "writing meta", msg, msgsz);
}

/* Where this batch of tier k's rollup ends: at `limit`, or earlier at a bucket boundary after
 * about batch_rows source rows (at least one bucket). */
static int batch_end(struct leco_tiers *t, int k, int64_t from, int64_t limit, int64_t *end)
{
	int64_t nth = 0;
	bool more;
	int rc = query1(t, t->q[k][Q_NTH], from, limit, t->c.batch_rows, &nth, &more);

	*end = limit;
	if (rc || !more)
		return rc;
	*end = leco_tier_floor(&t->c, k, nth);
	if (*end <= from)
		*end = leco_tier_next(&t->c, k, from);
	return 0;
}

/* Roll [a, b) of tier k-1 into tier k (and its per-app table); rows written, or -errno. */
static int64_t roll_range(struct leco_tiers *t, int k, int64_t a, int64_t b, char *msg,
			  size_t msgsz)
{
	int64_t n = run3(t, t->q[k][Q_ROLL], a, b, a, "rolling up", msg, msgsz), m;

	if (n >= 0 && t->q[k][Q_ROLL_APP] &&
	    (m = run3(t, t->q[k][Q_ROLL_APP], a, b, a, "rolling up per app", msg, msgsz)) < 0)
		return m;
	return n;
}

/* Roll tier k-1 into tier k, one batch. The source is complete before `complete`. */
static int roll(struct leco_tiers *t, int k, int64_t complete, struct leco_tiers_stats *st,
		char *msg, size_t msgsz)
{
	int64_t upto = 0, first = 0, limit = leco_tier_floor(&t->c, k, complete), end, n;
	bool found;
	int rc;

	if ((rc = horizon(t, upto_key[k], &upto, msg, msgsz)))
		return rc;
	if ((rc = query1(t, t->q[k][Q_FIRST], upto == INT64_MIN ? INT64_MIN : upto, limit, 0,
			 &first, &found)))
		return leco_hdb_fail(t->db, rc, "rollup", msg, msgsz);
	if (!found) /* nothing to roll before the limit: the horizon moves up to it */
		return upto != INT64_MIN && upto >= limit
			       ? 0
			       : set_meta(t, upto_key[k], limit, msg, msgsz);
	/* skip the empty stretch (downtime) in one go */
	if (upto == INT64_MIN || leco_tier_floor(&t->c, k, first) > upto)
		upto = leco_tier_floor(&t->c, k, first);
	if ((rc = batch_end(t, k, upto, limit, &end)))
		return leco_hdb_fail(t->db, rc, "rollup", msg, msgsz);
	if (k == LECO_TIER_1D) { /* local days: one statement per day */
		for (int64_t d = upto; d < end; d = leco_tier_next(&t->c, k, d)) {
			if ((n = roll_range(t, k, d, leco_tier_next(&t->c, k, d), msg, msgsz)) < 0)
				return (int)n;
			st->rolled[k] += (uint64_t)n;
		}
	} else {
		if ((n = roll_range(t, k, upto, end, msg, msgsz)) < 0)
			return (int)n;
		st->rolled[k] += (uint64_t)n;
	}
	return set_meta(t, upto_key[k], end, msg, msgsz);
}

/* Delete one batch of tier k's rows older than its retention (and already rolled up). */
static int expire(struct leco_tiers *t, int k, int64_t now, struct leco_tiers_stats *st, char *msg,
		  size_t msgsz)
{
	int64_t cut, upto, n;

	if (t->c.keep[k] <= 0)
		return 0;
	cut = now - t->c.keep[k];
	if (k + 1 < LECO_TIERS) {
		int ret = horizon(t, upto_key[k + 1], &upto, msg, msgsz);

		if (ret)
			return ret;
		if (upto < cut)
			cut = upto;
	}
	n = run3(t, t->q[k][Q_DEL], cut, t->c.batch_rows, 0, "deleting old rows", msg, msgsz);
	if (n < 0)
		return (int)n;
	st->expired[k] += (uint64_t)n;
	/* per app: far fewer rows, all at once */
	if (t->q[k][Q_DEL_APP] &&
	    (n = run3(t, t->q[k][Q_DEL_APP], cut, 0, 0, "deleting old rows", msg, msgsz)) < 0)
		return (int)n;
	return 0;
}

int leco_tiers_step(struct leco_tiers *t, int64_t now, int64_t current, struct leco_tiers_stats *st,
		    char *msg, size_t msgsz)
{
	int64_t complete = current;
	int ret;

	for (int k = LECO_TIER_1M; k < LECO_TIERS; k++) {
		if ((ret = roll(t, k, complete, st, msg, msgsz)))
			return ret;
		/* the next tier may use what this one holds completely */
		if ((ret = horizon(t, upto_key[k], &complete, msg, msgsz)))
			return ret;
	}
	for (int k = 0; k < LECO_TIERS; k++)
		if ((ret = expire(t, k, now, st, msg, msgsz)))
			return ret;
	return 0;
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
	int64_t v = -1;

	return leco_hdb_int(db, sql, &v) == SQLITE_OK ? v : -1;
}

/* The oldest history goes: every tier, then what no row names any more. 0/2 or -errno. */
static int trim_oldest(struct leco_tiers *t, struct leco_tiers_stats *st, char *msg, size_t msgsz)
{
	int64_t oldest = INT64_MAX, newest = INT64_MIN, v, cut, n, gone = 0;
	bool found;
	int rc;

	for (int k = 0; k < LECO_TIERS; k++) {
		if ((rc = query1(t, t->q[k][Q_MIN], 0, 0, 0, &v, &found)))
			return leco_hdb_fail(t->db, rc, "size cap", msg, msgsz);
		if (found && v < oldest)
			oldest = v;
		if (found && v > newest)
			newest = v;
	}
	if (oldest == INT64_MAX)
		return 0; /* no rows: pairs and names alone are over the cap */
	/* a sixteenth of the time the history spans (the raw tier starts latest), at least a
	 * minute */
	cut = oldest + ((newest - oldest) / 16 > 60 ? (newest - oldest) / 16 : 60);
	if ((rc = leco_hdb_exec(t->db, "BEGIN IMMEDIATE", msg, msgsz)))
		return rc;
	for (int k = 0; k < LECO_TIERS; k++) {
		if ((n = run3(t, t->q[k][Q_TRIM], cut, 0, 0, "size cap", msg, msgsz)) < 0)
			goto fail;
		st->trimmed += (uint64_t)n;
		if (t->q[k][Q_TRIM_APP] &&
		    (n = run3(t, t->q[k][Q_TRIM_APP], cut, 0, 0, "size cap", msg, msgsz)) < 0)
			goto fail;
	}
	for (int i = 0; i < 3; i++) {
		if ((n = run3(t, t->gc[i], cut, 0, 0, "size cap", msg, msgsz)) < 0)
			goto fail;
		gone += i ? n : 0;
	}
	if ((n = set_meta(t, "trimmed_before", cut, msg, msgsz)) ||
	    (n = leco_hdb_exec(t->db, "COMMIT", msg, msgsz)))
		goto fail;
	st->trimmed_before = cut;
	return gone ? 2 : 0;
fail:
	sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL); /* no result to read */
	return (int)n;
}

int leco_tiers_cap(struct leco_tiers *t, struct leco_tiers_stats *st, char *msg, size_t msgsz)
{
	int64_t psize = pragma_int(t->db, "PRAGMA page_size");
	int64_t pages = pragma_int(t->db, "PRAGMA page_count");
	int64_t freep = pragma_int(t->db, "PRAGMA freelist_count");
	int64_t cap = (int64_t)t->c.max_bytes, used;
	int ret = 0;
	char sql[64];

	if (psize <= 0 || pages < 0 || freep < 0)
		return leco_hdb_fail(t->db, SQLITE_ERROR, "size cap", msg, msgsz);
	if (!cap || pages * psize <= cap)
		return 0;
	used = (pages - freep) * psize;
	/* over the cap with the data itself: drop the oldest, leaving room for a while */
	if (used > cap - cap / 20 && (ret = trim_oldest(t, st, msg, msgsz)) < 0)
		return ret;
	snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%lld)",
		 (long long)(pragma_int(t->db, "PRAGMA freelist_count")));
	if (leco_hdb_exec(t->db, sql, msg, msgsz) < 0)
		return leco_hdb_fail(t->db, SQLITE_ERROR, "incremental vacuum", msg, msgsz);
	return ret ? ret : 1;
}
