// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Read-only history: totals per group over a time range, and the pairs first seen in one.
 *
 * A range is cut into segments, each read from one tier: the coarsest tier whose whole buckets
 * lie inside the range and below its rollup horizon takes the middle, the next finer tier the
 * edges, down to the raw intervals, which take what is left. So the answer is exact to the raw
 * interval where the raw rows are still kept, and a year reads a year of days rather than of
 * hours. Rows are summed in C per app or endpoint id (SQLite's GROUP BY sorts), and the ids
 * turned into keys at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "hash.h"
#include "history.h"
#include "history_idx.h"
#include "history_query.h"
#include "internal.h"

static const char *const by_names[] = {
	[LECO_HISTORY_BY_APP] = "app",	     [LECO_HISTORY_BY_EXE] = "exe",
	[LECO_HISTORY_BY_UNIT] = "unit",     [LECO_HISTORY_BY_USER] = "user",
	[LECO_HISTORY_BY_REMOTE] = "remote", [LECO_HISTORY_BY_PORT] = "port",
	[LECO_HISTORY_BY_PROTO] = "proto",   [LECO_HISTORY_BY_DAY] = "day",
	[LECO_HISTORY_BY_HOUR] = "hour",
};
#define NBY ((int)(sizeof(by_names) / sizeof(by_names[0])))

LECO_API const char *leco_history_by_name(int by)
{
	return by >= 0 && by < NBY ? by_names[by] : NULL;
}

LECO_API int leco_history_by_parse(const char *name)
{
	for (int i = 0; name && i < NBY; i++)
		if (!strcmp(name, by_names[i]))
			return i;
	return -EINVAL;
}

/* ---- opening ------------------------------------------------------------- */

static int open_db(struct leco_history *h)
{
	static const char *const seg_sql =
		"SELECT t, app, endpoint, proto, rx, tx, conns, failed, blocked FROM %s "
		"WHERE t >= ?1 AND t < ?2";
	static const char *const seg_app_sql =
		"SELECT t, app, 0, 0, rx, tx, conns, failed, blocked FROM %s "
		"WHERE t >= ?1 AND t < ?2";
	char sql[256];
	struct stat st;
	int ret;

	if ((ret = leco_hdb_open_read(h->path, &h->db, h->msg, sizeof(h->msg))))
		return ret;
	for (int k = 0; k < LECO_TIERS && !ret; k++) {
		snprintf(sql, sizeof(sql), seg_sql, leco_tier_table[k]);
		ret = leco_hdb_prepare(h->db, sql, &h->seg[k], h->msg, sizeof(h->msg));
		if (ret || !leco_tier_app_table[k])
			continue;
		snprintf(sql, sizeof(sql), seg_app_sql, leco_tier_app_table[k]);
		ret = leco_hdb_prepare(h->db, sql, &h->seg_app[k], h->msg, sizeof(h->msg));
	}
	if (!ret)
		ret = leco_hdb_prepare(h->db, "SELECT value FROM meta WHERE key = ?1", &h->meta,
				       h->msg, sizeof(h->msg));
	if (!ret)
		ret = leco_hdb_prepare(h->db,
				       "SELECT cmd, exe, unit, user, first_seen, last_seen "
				       "FROM apps WHERE id = ?1",
				       &h->app, h->msg, sizeof(h->msg));
	if (!ret)
		ret = leco_hdb_prepare(h->db,
				       "SELECT raddr, rport, first_seen, last_seen, rname "
				       "FROM endpoints WHERE id = ?1",
				       &h->ep, h->msg, sizeof(h->msg));
	if (!ret)
		ret = leco_hdb_prepare(h->db, leco_hq_pairs_sql, &h->pairs, h->msg, sizeof(h->msg));
	if (ret)
		return ret;
	if (!stat(h->path, &st))
		h->dev = st.st_dev, h->ino = st.st_ino;
	return 0;
}

static void close_db(struct leco_history *h)
{
	for (int k = 0; k < LECO_TIERS; k++) {
		sqlite3_finalize(h->seg[k]);
		sqlite3_finalize(h->seg_app[k]);
	}
	sqlite3_finalize(h->meta);
	sqlite3_finalize(h->app);
	sqlite3_finalize(h->ep);
	sqlite3_finalize(h->pairs);
	memset(h->seg, 0, sizeof(h->seg));
	memset(h->seg_app, 0, sizeof(h->seg_app));
	h->meta = h->app = h->ep = h->pairs = NULL;
	sqlite3_close(h->db);
	h->db = NULL;
}

/* Open again when the file at the path is another one (deleted and made anew, replaced). */
int leco_hq_refresh(struct leco_history *h)
{
	struct stat st;

	if (h->db && !stat(h->path, &st) && st.st_dev == h->dev && st.st_ino == h->ino)
		return 0;
	close_db(h);
	return open_db(h);
}

LECO_API int leco_history_open(const char *db_path, struct leco_history **out,
			       struct leco_error *err)
{
	struct leco_history *h;
	int ret;

	if (!db_path || !*db_path || !out)
		return leco_error_set(err, -EINVAL, "no database path given");
	if (!(h = calloc(1, sizeof(*h))) || !(h->path = strdup(db_path))) {
		free(h);
		return -ENOMEM;
	}
	if ((ret = open_db(h))) {
		leco_error_set(err, ret, h->msg);
		leco_history_free(h);
		return ret;
	}
	*out = h;
	return 0;
}

LECO_API void leco_history_free(struct leco_history *h)
{
	if (!h)
		return;
	close_db(h);
	leco_hidx_free(&h->idx);
	free(h->agg);
	free(h->tot);
	free(h->pair);
	free(h->buf);
	free(h->path);
	free(h);
}

LECO_API const char *leco_history_errmsg(const struct leco_history *h)
{
	return h ? h->msg : "";
}

/* ---- time ---------------------------------------------------------------- */

/* "2026-11-01[( |T)HH:MM[:SS]]" in local time. */
static int parse_date(const char *s, int64_t *t)
{
	struct tm tm = {0};
	int n = 0, y, mo, d, h = 0, mi = 0, se = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	s += n;
	if (*s == ' ' || *s == 'T') {
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -EINVAL;
		s += 1 + n;
		if (*s == ':') {
			if (sscanf(s + 1, "%2d%n", &se, &n) != 1 || n != 2)
				return -EINVAL;
			s += 3;
		}
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return -EINVAL;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = se, tm.tm_isdst = -1;
	*t = (int64_t)mktime(&tm);
	return tm.tm_mday == d ? 0 : -EINVAL; /* 2026-02-31 is not a day */
}

LECO_API int leco_history_parse_time(const char *s, int64_t now, int64_t *t)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	char *end;
	long long v;

	if (!s || !*s || !t)
		return -EINVAL;
	if (s[0] == '@') {
		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || *end || v < 0)
			return -EINVAL;
		*t = v;
		return 0;
	}
	if (strchr(s, '-'))
		return parse_date(s, t);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0 || v > 100LL * 366 * 86400 || !end[0] || end[1] ||
	    s[0] == '+' || s[0] == ' ')
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*end == units[i].unit) {
			*t = now - v * units[i].secs;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- strings and new pairs ----------------------------------------------- */

int64_t leco_hq_str(struct leco_history *h, const char *s)
{
	size_t len = strlen(s ? s : "") + 1;
	int64_t off = (int64_t)h->used;

	if (leco_reserve((void **)&h->buf, &h->capbuf, h->used + len, 1))
		return -ENOMEM;
	memcpy(h->buf + h->used, s ? s : "", len);
	h->used += len;
	return off;
}

const char leco_hq_pairs_sql[] =
	"SELECT a.cmd, a.exe, a.unit, a.user, e.raddr, e.rport, p.proto, p.first_seen, "
	"p.last_seen, e.rname FROM pairs p JOIN apps a ON a.id = p.app JOIN endpoints e ON "
	"e.id = p.endpoint WHERE p.first_seen >= ?1 AND p.first_seen < ?2 "
	"ORDER BY p.first_seen, a.cmd, e.raddr, e.rport LIMIT ?3";

/* One row of the pairs query into h->pair[h->npair] (strings as offsets for now). */
static int pair_row(struct leco_history *h, sqlite3_stmt *st)
{
	struct leco_history_pair *p;
	int64_t off[6];

	if (leco_reserve((void **)&h->pair, &h->cappair, h->npair + 1, sizeof(*h->pair)))
		return -ENOMEM;
	for (int i = 0; i < 6; i++)
		if ((off[i] = leco_hq_str(
			     h, (const char *)sqlite3_column_text(st, i < 5 ? i : 9))) < 0)
			return -ENOMEM;
	p = &h->pair[h->npair++];
	p->app = (const char *)(uintptr_t)off[0], p->exe = (const char *)(uintptr_t)off[1];
	p->unit = (const char *)(uintptr_t)off[2], p->user = (const char *)(uintptr_t)off[3];
	p->raddr = (const char *)(uintptr_t)off[4], p->rname = (const char *)(uintptr_t)off[5];
	p->rport = (uint16_t)sqlite3_column_int(st, 5);
	p->proto = sqlite3_column_int(st, 6);
	p->first_seen = sqlite3_column_int64(st, 7);
	p->last_seen = sqlite3_column_int64(st, 8);
	return 0;
}

LECO_API int leco_history_new_pairs(struct leco_history *h, int64_t since, int64_t until,
				    unsigned int top)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!h)
		return -EINVAL;
	h->npair = h->used = 0;
	if ((ret = leco_hq_refresh(h)))
		return ret;
	st = h->pairs;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until > 0 ? until : INT64_MAX);
	sqlite3_bind_int64(st, 3, top ? (int64_t)top : -1);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ret = pair_row(h, st);
	sqlite3_reset(st);
	if (ret) {
		snprintf(h->msg, sizeof(h->msg), "out of memory");
		h->npair = 0;
		return ret;
	}
	if (rc != SQLITE_DONE) {
		h->npair = 0;
		return leco_hdb_fail(h->db, rc, "reading new pairs", h->msg, sizeof(h->msg));
	}
	for (size_t i = 0; i < h->npair; i++) {
		struct leco_history_pair *p = &h->pair[i];

		p->app = h->buf + (uintptr_t)p->app, p->exe = h->buf + (uintptr_t)p->exe;
		p->unit = h->buf + (uintptr_t)p->unit, p->user = h->buf + (uintptr_t)p->user;
		p->raddr = h->buf + (uintptr_t)p->raddr, p->rname = h->buf + (uintptr_t)p->rname;
	}
	h->msg[0] = 0;
	return h->npair > INT32_MAX ? INT32_MAX : (int)h->npair;
}

LECO_API const struct leco_history_pair *leco_history_pair(const struct leco_history *h, size_t i)
{
	return h && i < h->npair ? &h->pair[i] : NULL;
}
