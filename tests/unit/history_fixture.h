/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fixture of the history tests (test_history.c, test_history_tiers.c): a "kernel" table
 * of records and an injected clock, both in memory shared with child processes; a recorder
 * on a fresh database in a temp dir with fixture /proc, cgroup and passwd; and ways to read
 * what it wrote.
 */
#ifndef LECO_TEST_HISTORY_FIXTURE_H
#define LECO_TEST_HISTORY_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "history.h"
#include "internal.h"

#define NS	 1000000000ULL
#define T0_REAL	 1798761600LL /* 2027-01-01 00:00:00 UTC */
#define MAX_CONN 64

static char tmp[256], db[300];

/* The "kernel" table and the clock, in memory shared with child processes (which record
 * and are killed). */
struct shared {
	uint64_t mono_now;
	int64_t real_base; /* unix seconds at mono 1000 s */
	size_t nconn;
	struct leco_key keys[MAX_CONN];
	struct leco_conn conns[MAX_CONN];
};
static struct shared *sh;

static uint64_t t_mono(void *ctx)
{
	return sh->mono_now;
}

static int64_t t_real(void *ctx)
{
	return sh->real_base * (int64_t)NS + (int64_t)sh->mono_now - 1000 * (int64_t)NS;
}

static const struct leco_clock test_clock = {NULL, t_mono, t_real};

/* unix seconds now, by the test clock */
static int64_t now_s(void)
{
	return t_real(NULL) / (int64_t)NS;
}

/* Advance the clock to the next tick just after an interval boundary. */
static void advance(int64_t secs)
{
	sh->mono_now += (uint64_t)secs * NS;
}

static struct leco_conn *conn_add(uint64_t cookie, const char *comm, uint8_t last_octet,
				  uint16_t rport, int proto, int state)
{
	struct leco_key *k = &sh->keys[sh->nconn];
	struct leco_conn *c = &sh->conns[sh->nconn++];

	memset(k, 0, sizeof(*k));
	memset(c, 0, sizeof(*c));
	k->cookie = c->cookie = cookie;
	c->first_ns = c->last_ns = sh->mono_now - NS / 2;
	c->tgid = 900000 + (uint32_t)cookie; /* no such process in the fixture /proc */
	c->uid = 1000;
	c->family = 4;
	c->proto = (uint8_t)proto;
	c->state = (uint8_t)state;
	c->laddr[0] = 10, c->laddr[3] = 1;
	c->raddr[0] = 192, c->raddr[1] = 0, c->raddr[2] = 2, c->raddr[3] = last_octet;
	c->lport = 40000 + (uint16_t)cookie;
	c->rport = rport;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	if (proto == 17) { /* UDP keys carry the peer */
		memcpy(k->raddr, c->raddr, 16);
		k->rport = rport;
	}
	return c;
}

static __attribute__((unused)) void conn_del(uint64_t cookie)
{
	for (size_t i = 0; i < sh->nconn; i++) {
		if (sh->keys[i].cookie == cookie) {
			sh->keys[i] = sh->keys[sh->nconn - 1];
			sh->conns[i] = sh->conns[sh->nconn - 1];
			sh->nconn--;
			return;
		}
	}
}

static struct leco_conn *conn_get(uint64_t cookie)
{
	for (size_t i = 0; i < sh->nconn; i++)
		if (sh->keys[i].cookie == cookie)
			return &sh->conns[i];
	return NULL;
}

static void traffic(uint64_t cookie, uint64_t rx, uint64_t tx)
{
	struct leco_conn *c = conn_get(cookie);

	c->rx_bytes += rx;
	c->tx_bytes += tx;
	c->last_ns = sh->mono_now - NS / 4;
}

static struct leco_recorder *rec_open_opts(struct leco_recorder_opts *o)
{
	struct leco_recorder *rec = NULL;
	struct leco_error err = {0};
	char proc[300], cg[300], pw[300];
	int ret;

	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	snprintf(cg, sizeof(cg), "%s/cg", tmp);
	snprintf(pw, sizeof(pw), "%s/passwd", tmp);
	o->proc_root = proc;
	o->cgroup_root = cg;
	o->passwd_path = pw;
	o->pin_dir = "/nonexistent/leco-test-pins";
	o->clock = &test_clock;
	o->no_sync = true;
	ret = leco_recorder_open(db, o, &rec, &err);
	CHECKF(ret == 0, "open: %d %s", ret, err.msg);
	return rec;
}

static struct leco_recorder *rec_open(void)
{
	LECO_OPTS(leco_recorder_opts, o);
	return rec_open_opts(&o);
}

static int tick(struct leco_recorder *rec)
{
	int ret = leco_recorder_tick_records(rec, sh->keys, sh->conns, sh->nconn);

	if (ret)
		fprintf(stderr, "tick: %d %s\n", ret, leco_recorder_errmsg(rec));
	return ret;
}

/* The totals of one key grouped by `by` over [since, until) (until 0: far future). */
static struct leco_history_total total_of(int by, const char *key, int64_t since, int64_t until)
{
	LECO_OPTS(leco_history_query, q, .since = since, .until = until ? until : now_s() + 86400,
		  .by = by);
	struct leco_history_total zero = {0};
	struct leco_history *h = NULL;
	int n = leco_history_open(db, &h, NULL);

	if (n < 0) {
		CHECKF(0, "history open: %d", n);
		return zero;
	}
	n = leco_history_totals(h, &q);
	CHECKF(n >= 0, "totals: %d %s", n, leco_history_errmsg(h));
	for (int i = 0; i < n; i++) {
		const struct leco_history_total *t = leco_history_total(h, (size_t)i);

		if (!strcmp(t->key, key)) {
			zero = *t;
			break;
		}
	}
	leco_history_free(h);
	return zero;
}

static __attribute__((unused)) int64_t sql_int(const char *sql)
{
	sqlite3 *d = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		leco_hdb_int(d, sql, &v);
	sqlite3_close(d);
	return v;
}

static bool integrity_ok(void)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(d, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(d);
	return ok;
}

static void fresh_db(const char *name)
{
	char side[400];

	snprintf(db, sizeof(db), "%s/%s.db", tmp, name);
	sh->real_base = T0_REAL;
	sh->mono_now = 1000 * NS;
	unlink(db);
	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
	sh->nconn = 0;
}

static struct leco_recorder_status status_of(struct leco_recorder *rec)
{
	struct leco_recorder_status st = {.sz = sizeof(st)};

	CHECK(leco_recorder_status(rec, &st) == 0);
	return st;
}

/* Set up the temp dir and shared memory; 0 or 1 (the exit status). */
static int fixture_setup(void)
{
	char path[400];
	FILE *f;

	setenv("TZ", "UTC", 1);
	tzset();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	sh->mono_now = 1000 * NS;
	sh->real_base = T0_REAL;
	snprintf(tmp, sizeof(tmp), "/tmp/leco-test-history-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/proc", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cg", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/passwd", tmp);
	f = fopen(path, "w");
	if (!f || fputs("alice:x:1000:1000::/home/alice:/bin/sh\n", f) < 0 || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

static void fixture_teardown(void)
{
	char cmd[300];

	if (getenv("LECO_TEST_KEEP")) {
		printf("kept %s\n", tmp);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", tmp);
}

#endif /* LECO_TEST_HISTORY_FIXTURE_H */
