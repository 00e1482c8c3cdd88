// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * History tiers and files (history_fixture.h): rollup boundaries and expiry with an injected
 * clock, local days across a daylight-saving change, the size cap, the v0 -> v1 migration,
 * files that are not ours; new pairs, first_ever in a live reader, time parsing.
 */
#include "history_fixture.h"

/* Expected bytes of the ramp below in [a, b): bucket T0 + 10 j holds 10 bytes (j < ticks). */
static uint64_t ramp(int64_t a, int64_t b, int ticks)
{
	uint64_t n = 0;

	for (int j = 0; j < ticks; j++)
		n += T0_REAL + 10 * j >= a && T0_REAL + 10 * j < b;
	return 10 * n;
}

static void test_rollup_boundaries(void)
{
	LECO_OPTS(leco_recorder_opts, o, .interval = 10, .keep_raw = 300, .keep_1m = 7200,
		  .keep_1h = 2 * 86400);
	const int ticks = 3 * 360; /* three hours of 10 s intervals, 10 bytes each */
	int64_t end = T0_REAL + 10 * ticks, H = 3600;
	struct leco_history_total t;
	struct leco_recorder *rec;

	fresh_db("rollup");
	rec = rec_open_opts(&o);
	conn_add(8, "ramp", 16, 443, 6, LECO_ST_ESTABLISHED);
	for (int i = 0; i < ticks; i++) {
		traffic(8, 10, 0);
		advance(10);
		CHECK(tick(rec) == 0);
	}
	/* raw: only the last 5 minutes (and whatever the minute rollup still needs) */
	CHECKF(sql_int("SELECT min(t) FROM samples_raw") >= end - 300 - 60, "raw from %lld",
	       (long long)sql_int("SELECT min(t) FROM samples_raw"));
	/* each complete minute holds its six intervals, exactly; no minute twice */
	CHECK_INTEQ(sql_int("SELECT count(*) FROM samples_1m WHERE rx != 60"), 0);
	CHECK(sql_int("SELECT count(*) FROM samples_1m") >= 110);
	CHECK_INTEQ(sql_int("SELECT count(*) FROM samples_1m WHERE t % 60 != 0"), 0);
	/* the hours before the last are complete: 360 intervals each */
	CHECK_INTEQ(sql_int("SELECT rx FROM samples_1h WHERE t = 1798761600"), 3600);
	CHECK_INTEQ(sql_int("SELECT rx FROM samples_1h WHERE t = 1798765200"), 3600);
	CHECK_INTEQ(sql_int("SELECT count(*) FROM samples_1h WHERE t % 3600 != 0"), 0);
	/* and per app, what long ranges by app read */
	CHECK_INTEQ(sql_int("SELECT rx FROM samples_1h_app WHERE t = 1798765200"), 3600);
	CHECK_INTEQ(sql_int("SELECT count(*) FROM samples_1h_app"),
		    sql_int("SELECT count(*) FROM samples_1h"));
	/* no day is complete yet */
	CHECK_INTEQ(sql_int("SELECT count(*) FROM samples_1d"), 0);
	/* the whole range, and ranges cut at each tier's edges, are exact */
	t = total_of(LECO_HISTORY_BY_APP, "ramp", T0_REAL, end);
	CHECK_INTEQ(t.rx, 10 * ticks);
	t = total_of(LECO_HISTORY_BY_APP, "ramp", T0_REAL + H + 120, end - 30);
	CHECK_INTEQ(t.rx, ramp(T0_REAL + H + 120, end - 30, ticks));
	/* the same range by remote reads the full tables: the same bytes */
	t = total_of(LECO_HISTORY_BY_REMOTE, "192.0.2.16", T0_REAL + H + 120, end - 30);
	CHECK_INTEQ(t.rx, ramp(T0_REAL + H + 120, end - 30, ticks));
	t = total_of(LECO_HISTORY_BY_APP, "ramp", end - 200, end - 100);
	CHECK_INTEQ(t.rx, 100);
	/* older than the raw tier keeps: rounded in to whole minutes */
	t = total_of(LECO_HISTORY_BY_APP, "ramp", T0_REAL + H + 125, T0_REAL + H + 600);
	CHECK_INTEQ(t.rx, ramp(T0_REAL + H + 180, T0_REAL + H + 600, ticks));
	/* by hour */
	t = total_of(LECO_HISTORY_BY_HOUR, "2027-01-01 01:00", T0_REAL, end);
	CHECK_INTEQ(t.rx, 3600);
	t = total_of(LECO_HISTORY_BY_HOUR, "2027-01-01 02:00", T0_REAL, end);
	CHECK_INTEQ(t.rx, 3600);
	t = total_of(LECO_HISTORY_BY_DAY, "2027-01-01", T0_REAL, end);
	CHECK_INTEQ(t.rx, 10 * ticks);
	/* another 3 hours with no traffic: the 1-minute rows of the first hour expire too */
	for (int i = 0; i < 3 * 360; i++) {
		advance(10);
		CHECK(tick(rec) == 0);
	}
	t = total_of(LECO_HISTORY_BY_APP, "ramp", T0_REAL, end);
	CHECK_INTEQ(t.rx, 10 * ticks);
	CHECK_INTEQ(sql_int("SELECT count(*) FROM samples_1m WHERE t < 1798772400"), 0);
	CHECK(status_of(rec).expired > 0);
	leco_recorder_free(rec);
	CHECK(integrity_ok());
}

/* Days are local days: across a change to summer time (Europe/Berlin, 2027-03-28) a day
 * has 23 hours, and its bucket starts at local midnight. */
static void test_local_days(void)
{
	LECO_OPTS(leco_recorder_opts, o, .interval = 600);
	struct leco_recorder *rec;
	struct leco_history_total t;
	int64_t start = 1806102000LL; /* 2027-03-27 00:00 CET = 2027-03-26 23:00 UTC */

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	fresh_db("days");
	sh->real_base = start;
	rec = rec_open_opts(&o);
	conn_add(9, "daily", 17, 443, 6, LECO_ST_ESTABLISHED);
	for (int i = 0; i < 4 * 24 * 6; i++) { /* 4 days of 10-minute intervals, 1 byte each */
		traffic(9, 1, 0);
		advance(600);
		CHECK(tick(rec) == 0);
	}
	CHECK_INTEQ(sql_int("SELECT rx FROM samples_1d WHERE t = 1806102000"), 144);
	CHECK_INTEQ(sql_int("SELECT rx FROM samples_1d WHERE t = 1806188400"), 138);
	CHECK_INTEQ(sql_int("SELECT count(*) FROM samples_1d WHERE t = 1806271200"), 1);
	CHECK_INTEQ(sql_int("SELECT rx FROM samples_1d_app WHERE t = 1806188400"), 138);
	t = total_of(LECO_HISTORY_BY_DAY, "2027-03-28", start, 0);
	CHECK_INTEQ(t.rx, 138);
	t = total_of(LECO_HISTORY_BY_DAY, "2027-03-29", start, 0);
	CHECK_INTEQ(t.rx, 144);
	t = total_of(LECO_HISTORY_BY_APP, "daily", start, 0);
	CHECK_INTEQ(t.rx, 4 * 24 * 6);
	leco_recorder_free(rec);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_size_cap(void)
{
	LECO_OPTS(leco_recorder_opts, o, .max_bytes = 512 * 1024);
	struct leco_recorder_status st;
	struct leco_recorder *rec;
	int64_t size, worst = 0;
	uint64_t cookie = 1000;

	fresh_db("cap");
	rec = rec_open_opts(&o);
	for (int i = 0; i < 600; i++) {
		/* 40 new endpoints every interval, each a short UDP exchange */
		sh->nconn = 0;
		for (int j = 0; j < 40; j++, cookie++) {
			struct leco_conn *c =
				conn_add(cookie, "scanner", (uint8_t)(cookie % 250),
					 (uint16_t)(1024 + cookie % 60000), 17, LECO_ST_ACTIVE);

			c->raddr[2] = (uint8_t)(cookie / 250);
			sh->keys[sh->nconn - 1].raddr[2] = c->raddr[2];
			c->tx_bytes = 64;
		}
		advance(10);
		CHECK(tick(rec) == 0);
		size = sql_int("PRAGMA page_count") * sql_int("PRAGMA page_size");
		worst = size > worst ? size : worst;
	}
	st = status_of(rec);
	CHECKF(worst <= 512 * 1024 + 512 * 1024 / 8, "file grew to %lld bytes", (long long)worst);
	CHECK(st.trimmed > 0);
	CHECK(st.evicted == 0);
	CHECK(total_of(LECO_HISTORY_BY_APP, "scanner", now_s() - 60, 0).tx > 0);
	leco_recorder_free(rec);
	CHECK(integrity_ok());
}

static void test_migration_v0(void)
{
	static const char v0[] =
		"CREATE TABLE samples (t INTEGER, exe TEXT, cmd TEXT, unit TEXT, user TEXT, "
		"raddr TEXT, rport INTEGER, proto INTEGER, dir INTEGER, rx INTEGER, tx INTEGER, "
		"conns INTEGER);";
	struct leco_history_total t;
	struct leco_recorder *rec;
	sqlite3 *d = NULL;
	char sql[512], msg[256];
	uint64_t rx = 0;

	fresh_db("v0");
	CHECK(sqlite3_open(db, &d) == SQLITE_OK);
	CHECK(leco_hdb_exec(d, v0, msg, sizeof(msg)) == 0);
	for (int i = 0; i < 500; i++) { /* three days of the prototype's rows, an hour apart */
		int64_t ts = T0_REAL - 3 * 86400 + i * 517;

		snprintf(sql, sizeof(sql),
			 "INSERT INTO samples VALUES (%lld, '/usr/bin/%s', '%s', '', 'alice', "
			 "'198.51.100.%d', 443, 6, 0, %d, 7, 1)",
			 (long long)ts, i % 3 ? "old" : "older", i % 3 ? "old" : "older", i % 7,
			 i + 1);
		CHECK(leco_hdb_exec(d, sql, msg, sizeof(msg)) == 0);
		rx += (uint64_t)(i % 3 ? i + 1 : 0);
	}
	sqlite3_close(d);
	rec = rec_open(); /* migrates */
	CHECK_INTEQ(sql_int("PRAGMA user_version"), 1);
	CHECK_INTEQ(sql_int("SELECT count(*) FROM sqlite_schema WHERE name = 'samples'"), 0);
	t = total_of(LECO_HISTORY_BY_APP, "old", T0_REAL - 4 * 86400, 0);
	CHECK_INTEQ(t.rx, rx);
	CHECK_INTEQ(t.conns, 333);
	for (int i = 0; i < 20; i++) { /* rollups work off the migrated rows */
		advance(10);
		CHECK(tick(rec) == 0);
	}
	CHECK(sql_int("SELECT count(*) FROM samples_1d") > 0);
	CHECK(sql_int("SELECT min(t) FROM samples_raw") >= T0_REAL - 48 * 3600 - 60);
	t = total_of(LECO_HISTORY_BY_APP, "old", T0_REAL - 4 * 86400, 0);
	CHECK_INTEQ(t.rx, rx);
	t = total_of(LECO_HISTORY_BY_USER, "alice", T0_REAL - 4 * 86400, 0);
	CHECK_INTEQ(t.tx, 7 * 500);
	leco_recorder_free(rec);
	CHECK(integrity_ok());
}

/* Files that are not a history database of ours: refused, named, left as they are. */
static void test_foreign_files(void)
{
	static const struct {
		const char *name, *sql, *text;
		int err;
		const char *msg;
	} rows[] = {
		{"text file", NULL, "hello, not a database, at least 512 bytes? no", -EBADMSG,
		 "not a database"},
		{"another schema", "CREATE TABLE foo (x INTEGER)", NULL, -EBADMSG,
		 "not a libleco history database"},
		{"newer version", "PRAGMA user_version = 7", NULL, -EPROTO, "newer"},
	};
	LECO_OPTS(leco_recorder_opts, o, .clock = &test_clock, .no_sync = true);
	struct leco_history *h = NULL;
	struct leco_error err;
	struct stat before, after;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct leco_recorder *rec = NULL;
		char msg[256];

		th_current = rows[i].name;
		fresh_db("foreign");
		if (rows[i].text) {
			FILE *f = fopen(db, "w");

			fputs(rows[i].text, f);
			fclose(f);
		} else {
			sqlite3 *d = NULL;

			sqlite3_open(db, &d);
			leco_hdb_exec(d, rows[i].sql, msg, sizeof(msg));
			sqlite3_close(d);
		}
		stat(db, &before);
		memset(&err, 0, sizeof(err));
		CHECK_INTEQ(leco_recorder_open(db, &o, &rec, &err), rows[i].err);
		CHECKF(strstr(err.msg, rows[i].msg) && strstr(err.msg, db), "%s", err.msg);
		CHECK(rec == NULL);
		stat(db, &after);
		CHECK(before.st_size == after.st_size && before.st_mtime == after.st_mtime);
	}
	th_current = "test_foreign_files";
	fresh_db("missing");
	memset(&err, 0, sizeof(err));
	CHECK_INTEQ(leco_history_open(db, &h, &err), -ENOENT);
	CHECKF(strstr(err.msg, "leco record") != NULL, "%s", err.msg);
}

static void test_new_pairs_and_first_ever(void)
{
	LECO_OPTS(leco_reader_opts, ro, .clock = &test_clock, .history_path = db, .raw = true,
		  .max_lines = 50, .pin_dir = "/nonexistent/leco-test-pins");
	struct leco_history *h = NULL;
	struct leco_recorder *rec;
	struct leco_reader *r = NULL;
	const struct leco_history_pair *p;
	char proc[300], cg[300], pw[300];
	int n, seen = 0;

	fresh_db("pairs");
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	snprintf(cg, sizeof(cg), "%s/cg", tmp);
	snprintf(pw, sizeof(pw), "%s/passwd", tmp);
	ro.proc_root = proc, ro.cgroup_root = cg, ro.passwd_path = pw;
	rec = rec_open();
	conn_add(20, "newbie", 20, 443, 6, LECO_ST_ESTABLISHED);
	traffic(20, 10, 10);
	advance(10);
	CHECK(tick(rec) == 0);
	CHECK(leco_history_open(db, &h, NULL) == 0);
	n = leco_history_new_pairs(h, T0_REAL - 10, 0, 0);
	CHECK_INTEQ(n, 1);
	if (n == 1 && (p = leco_history_pair(h, 0))) {
		CHECK_STREQ(p->app, "newbie");
		CHECK_STREQ(p->raddr, "192.0.2.20");
		CHECK_INTEQ(p->rport, 443);
		CHECK_INTEQ(p->proto, 6);
		CHECK_INTEQ(p->first_seen, sh->conns[0].first_ns / NS - 1000 + T0_REAL);
	}
	CHECK_INTEQ(leco_history_new_pairs(h, now_s() + 1, 0, 0), 0);
	leco_history_free(h);
	/* a live reader: the recorded connection was the first; a later one to the same place
	 * is not; one to a new place is */
	advance(5);
	conn_add(21, "newbie", 20, 443, 6, LECO_ST_ESTABLISHED);
	conn_add(22, "newbie", 21, 443, 6, LECO_ST_ESTABLISHED);
	CHECK(leco_reader_open(&ro, &r, NULL) == 0);
	CHECK(leco_reader_poll_records(r, sh->keys, sh->conns, sh->nconn) >= 3);
	for (size_t i = 0; i < leco_reader_count(r); i++) {
		const struct leco_line *l = leco_reader_line(r, i);

		seen++;
		if (l->cookie == 20 || l->cookie == 22)
			CHECKF(l->first_ever, "cookie %llu", (unsigned long long)l->cookie);
		else
			CHECKF(!l->first_ever, "cookie %llu", (unsigned long long)l->cookie);
	}
	CHECK_INTEQ(seen, 3);
	/* the every-connection walk says the same of each connection */
	seen = 0;
	CHECK_INTEQ(leco_reader_conn_count(r), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct leco_conn_info *ci = leco_reader_conn(r, i);

		if (!ci)
			continue;
		seen++;
		if (ci->cookie == 20 || ci->cookie == 22)
			CHECKF(ci->first_ever, "conn %llu", (unsigned long long)ci->cookie);
		else
			CHECKF(!ci->first_ever, "conn %llu", (unsigned long long)ci->cookie);
	}
	CHECK_INTEQ(seen, 3);
	leco_reader_free(r);
	leco_recorder_free(rec);
}

static void test_parse_time(void)
{
	static const struct {
		const char *in;
		int ret;
		int64_t want; /* seconds before now when < 1e6, else absolute */
	} rows[] = {
		{"2h", 0, 7200},
		{"30m", 0, 1800},
		{"7d", 0, 7 * 86400},
		{"1w", 0, 7 * 86400},
		{"90s", 0, 90},
		{"0d", 0, 0},
		{"2027-01-01", 0, T0_REAL},
		{"2027-01-01 12:30", 0, T0_REAL + 12 * 3600 + 1800},
		{"2027-01-01T12:30:15", 0, T0_REAL + 12 * 3600 + 1815},
		{"@1234567", 0, 1234567},
		{"", -EINVAL, 0},
		{"2", -EINVAL, 0},
		{"2x", -EINVAL, 0},
		{"-2h", -EINVAL, 0},
		{"+2h", -EINVAL, 0},
		{"2h ", -EINVAL, 0},
		{"h", -EINVAL, 0},
		{"2027-02-31", -EINVAL, 0},
		{"2027-13-01", -EINVAL, 0},
		{"2027-01-01 25:00", -EINVAL, 0},
		{"2027-01-01x", -EINVAL, 0},
		{"@", -EINVAL, 0},
		{"@-5", -EINVAL, 0},
	};
	int64_t now = T0_REAL + 86400;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t t = -1;
		int ret = leco_history_parse_time(rows[i].in, now, &t);

		th_current = rows[i].in;
		CHECK_INTEQ(ret, rows[i].ret);
		if (!ret)
			CHECK_INTEQ(t, rows[i].want < 1000000 ? now - rows[i].want : rows[i].want);
	}
	th_current = "test_parse_time";
	CHECK_STREQ(leco_history_by_name(LECO_HISTORY_BY_REMOTE), "remote");
	CHECK_INTEQ(leco_history_by_parse("hour"), LECO_HISTORY_BY_HOUR);
	CHECK_INTEQ(leco_history_by_parse("program"), -EINVAL);
}

int main(void)
{
	if (fixture_setup())
		return 1;
	RUN(test_rollup_boundaries);
	RUN(test_local_days);
	RUN(test_size_cap);
	RUN(test_migration_v0);
	RUN(test_foreign_files);
	RUN(test_new_pairs_and_first_ever);
	RUN(test_parse_time);
	fixture_teardown();
	return th_done();
}
