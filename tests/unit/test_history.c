// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The history store on records the test makes, with an injected clock (history_fixture.h):
 * exact counts across restarts (clean, and a child killed with SIGKILL anywhere in its loop),
 * connections that closed while no recorder ran, evictions, re-created records, failed and
 * blocked connections, one writer per file; the endpoints' names (rname).
 */
#include <arpa/inet.h>

#include "fields.h"
#include "history_fixture.h"

static void test_counts_and_restart(void)
{
	struct leco_recorder *rec;
	struct leco_history_total t;

	fresh_db("counts");
	rec = rec_open();
	conn_add(1, "curl", 10, 443, 6, LECO_ST_ESTABLISHED);
	traffic(1, 1000, 200);
	advance(10);
	CHECK(tick(rec) == 0);
	t = total_of(LECO_HISTORY_BY_APP, "curl", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 1000);
	CHECK_INTEQ(t.tx, 200);
	CHECK_INTEQ(t.conns, 1);
	traffic(1, 500, 0);
	advance(10);
	CHECK(tick(rec) == 0);
	leco_recorder_free(rec); /* a clean stop */
	traffic(1, 7, 3);
	rec = rec_open();
	advance(10);
	CHECK(tick(rec) == 0);
	advance(10);
	CHECK(tick(rec) == 0); /* nothing new */
	t = total_of(LECO_HISTORY_BY_APP, "curl", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 1507);
	CHECK_INTEQ(t.tx, 203);
	CHECK_INTEQ(t.conns, 1);
	t = total_of(LECO_HISTORY_BY_REMOTE, "192.0.2.10", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 1507);
	t = total_of(LECO_HISTORY_BY_PORT, "443", T0_REAL - 100, 0);
	CHECK_INTEQ(t.tx, 203);
	t = total_of(LECO_HISTORY_BY_PROTO, "tcp", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 1507);
	t = total_of(LECO_HISTORY_BY_USER, "alice", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 1507);
	CHECK_INTEQ(status_of(rec).evicted, 0);
	leco_recorder_free(rec);
	CHECK(integrity_ok());
}

static void test_closed_while_down(void)
{
	struct leco_recorder *rec;
	struct leco_history_total t;
	struct leco_conn saved;

	fresh_db("closed");
	rec = rec_open();
	conn_add(2, "wget", 11, 80, 6, LECO_ST_ESTABLISHED);
	traffic(2, 100, 10);
	advance(10);
	CHECK(tick(rec) == 0);
	leco_recorder_free(rec);
	/* while no recorder runs: more bytes, then the connection closes */
	traffic(2, 50, 5);
	conn_get(2)->state = LECO_ST_CLOSED;
	advance(600);
	rec = rec_open();
	advance(10);
	CHECK(tick(rec) == 0);
	advance(10);
	CHECK(tick(rec) == 0);
	t = total_of(LECO_HISTORY_BY_APP, "wget", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 150);
	CHECK_INTEQ(t.tx, 15);
	CHECK_INTEQ(t.conns, 1);
	/* it ages out of the table (closed: not an eviction) ... */
	saved = *conn_get(2);
	conn_del(2);
	advance(10);
	CHECK(tick(rec) == 0);
	CHECK_INTEQ(status_of(rec).evicted, 0);
	leco_recorder_free(rec);
	/* ... and a later reader is shown it again (a ring of closed connections): once only */
	rec = rec_open();
	sh->conns[sh->nconn] = saved;
	sh->keys[sh->nconn].cookie = 2;
	sh->nconn++;
	advance(10);
	CHECK(tick(rec) == 0);
	CHECK_INTEQ(status_of(rec).reappeared, 1);
	t = total_of(LECO_HISTORY_BY_APP, "wget", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 150);
	CHECK_INTEQ(t.conns, 1);
	leco_recorder_free(rec);
	CHECK(integrity_ok());
}

/* A child records in a loop while its table grows; it is killed with SIGKILL at some
 * point (maybe inside a commit). Whatever it committed, the next recorder makes the total
 * exact. */
static void test_killed_recorder(void)
{
	for (int round = 0; round < 6; round++) {
		struct leco_history_total t;
		struct leco_recorder *rec;
		pid_t pid;
		int status;
		int fds[2];
		char c;

		fresh_db("killed");
		conn_add(3, "kill9", 12, 443, 6, LECO_ST_ESTABLISHED);
		if (pipe(fds))
			return;
		pid = fork();
		if (pid == 0) {
			struct leco_recorder *r = rec_open();

			close(fds[0]);
			for (unsigned i = 0;; i++) {
				traffic(3, 100, 1);
				advance(10);
				tick(r);
				if (i == 3 && write(fds[1], "x", 1) != 1)
					_exit(1);
			}
		}
		close(fds[1]);
		CHECK(read(fds[0], &c, 1) == 1); /* it has committed a few intervals */
		close(fds[0]);
		usleep((useconds_t)(round * 1700)); /* anywhere in its loop */
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		rec = rec_open(); /* its lock went with it */
		traffic(3, 5, 5);
		advance(10);
		CHECK(tick(rec) == 0);
		t = total_of(LECO_HISTORY_BY_APP, "kill9", T0_REAL - 100, 0);
		CHECKF(t.rx == sh->conns[0].rx_bytes && t.tx == sh->conns[0].tx_bytes,
		       "round %d: recorded %llu/%llu, kernel %llu/%llu", round,
		       (unsigned long long)t.rx, (unsigned long long)t.tx,
		       (unsigned long long)sh->conns[0].rx_bytes,
		       (unsigned long long)sh->conns[0].tx_bytes);
		CHECK_INTEQ(t.conns, 1);
		leco_recorder_free(rec);
		CHECK(integrity_ok());
	}
}

static void test_evicted_and_recreated(void)
{
	struct leco_recorder *rec;
	struct leco_history_total t;
	struct leco_conn *u;

	fresh_db("evict");
	rec = rec_open();
	conn_add(4, "evictme", 13, 443, 6, LECO_ST_ESTABLISHED);
	traffic(4, 10, 10);
	u = conn_add(5, "dns", 53, 53, 17, LECO_ST_ACTIVE);
	u->rx_bytes = 100, u->tx_bytes = 40;
	advance(10);
	CHECK(tick(rec) == 0);
	conn_del(4); /* gone while established: evicted */
	/* the UDP record is evicted and made again by new traffic: counts start over */
	u = conn_get(5);
	u->first_ns = sh->mono_now + NS / 4;
	u->rx_bytes = 30, u->tx_bytes = 12;
	advance(10);
	CHECK(tick(rec) == 0);
	CHECK_INTEQ(status_of(rec).evicted, 1);
	t = total_of(LECO_HISTORY_BY_APP, "dns", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 130);
	CHECK_INTEQ(t.tx, 52);
	CHECK_INTEQ(t.conns, 1);
	t = total_of(LECO_HISTORY_BY_PROTO, "udp", T0_REAL - 100, 0);
	CHECK_INTEQ(t.rx, 130);
	leco_recorder_free(rec);
}

static void test_failed_blocked(void)
{
	struct leco_recorder *rec;
	struct leco_history_total t;

	fresh_db("failed");
	rec = rec_open();
	conn_add(6, "failer", 14, 8080, 6, LECO_ST_CONNECTING);
	advance(10);
	CHECK(tick(rec) == 0);
	t = total_of(LECO_HISTORY_BY_APP, "failer", T0_REAL - 100, 0);
	CHECK_INTEQ(t.conns, 1);
	CHECK_INTEQ(t.failed, 0);
	conn_get(6)->state = LECO_ST_FAILED;
	conn_get(6)->err = ECONNREFUSED;
	for (int i = 0; i < 2; i++) {
		advance(10);
		CHECK(tick(rec) == 0);
	}
	conn_add(7, "failer", 15, 53, 17, LECO_ST_BLOCKED);
	advance(10);
	CHECK(tick(rec) == 0);
	t = total_of(LECO_HISTORY_BY_APP, "failer", T0_REAL - 100, 0);
	CHECK_INTEQ(t.conns, 2);
	CHECK_INTEQ(t.failed, 1);
	CHECK_INTEQ(t.blocked, 1);
	CHECK_INTEQ(t.rx + t.tx, 0);
	leco_recorder_free(rec);
}

static void test_one_writer(void)
{
	LECO_OPTS(leco_recorder_opts, o, .clock = &test_clock, .no_sync = true);
	struct leco_recorder *a, *b = NULL;
	struct leco_error err = {0};

	fresh_db("one");
	a = rec_open();
	CHECK_INTEQ(leco_recorder_open(db, &o, &b, &err), -EBUSY);
	CHECKF(strstr(err.msg, "another leco record") != NULL, "%s", err.msg);
	CHECK(b == NULL);
	leco_recorder_free(a);
}

/* A name (lib/names.c) for 192.0.2.<last_octet>, resolved 10 s ago by another process, into
 * the index of the recorder's reader. */
static void name_add(struct leco_recorder *rec, const char *name, uint8_t last_octet)
{
	struct leco_name n = {.tgid = 4242, .ns = sh->mono_now - 10 * NS, .naddr = 1};

	snprintf(n.name, sizeof(n.name), "%s", name);
	n.addr[0][10] = n.addr[0][11] = 0xff; /* IPv4 mapped, as the probe writes it */
	n.addr[0][12] = 192, n.addr[0][14] = 2, n.addr[0][15] = last_octet;
	CHECK_INTEQ(leco_names_add(leco_recorder_reader(rec)->names, &n), 0);
}

static void field_cb(void *ctx, const char *name, const struct leco_field_value *v)
{
	if (!strcmp(name, "rname"))
		*(const char **)ctx = v->s;
}

/* The rname of the remote group `addr` (NULL: no such group), by the field list that `leco
 * report --json`, Lua and /api/history write; and of its one new pair. */
static const char *remote_name(const char *addr, const char **pair_name)
{
	static char name[LECO_NAME_LEN], pname[LECO_NAME_LEN];
	LECO_OPTS(leco_history_query, q, .since = T0_REAL - 100, .until = now_s() + 86400,
		  .by = LECO_HISTORY_BY_REMOTE);
	const struct leco_history_total *t;
	const struct leco_history_pair *p;
	struct leco_history *h = NULL;
	const char *v = NULL, *found = NULL;
	int n;

	CHECK_INTEQ(leco_history_open(db, &h, NULL), 0);
	n = leco_history_totals(h, &q);
	for (int i = 0; i < n; i++)
		if (!strcmp((t = leco_history_total(h, (size_t)i))->key, addr)) {
			leco_fields_each(leco_history_total_fields,
					 LECO_NFIELDS(leco_history_total_fields), t, 0, field_cb,
					 &v);
			CHECKF(v == t->rname, "rname field of %s", addr);
			snprintf(name, sizeof(name), "%s", t->rname);
			found = name;
		}
	q.by = LECO_HISTORY_BY_APP; /* the other groupings have no name */
	n = leco_history_totals(h, &q);
	for (int i = 0; i < n; i++)
		CHECK(!strcmp(leco_history_total(h, (size_t)i)->rname, ""));
	CHECK_INTEQ(leco_history_new_pairs(h, T0_REAL - 100, 0, 0), 1);
	if ((p = leco_history_pair(h, 0))) {
		leco_fields_each(leco_history_pair_fields, LECO_NFIELDS(leco_history_pair_fields),
				 p, 0, field_cb, &v);
		snprintf(pname, sizeof(pname), "%s", v ? v : "(none)");
	}
	*pair_name = pname;
	leco_history_free(h);
	return found;
}

/* One tick with `rx` more bytes on connection `cookie`; then 192.0.2.20 is named `want` in its
 * remote group and its pair (`what`: the step, for the message). */
static void tick_named(struct leco_recorder *rec, uint64_t cookie, uint64_t rx, const char *want,
		       const char *what)
{
	const char *pn, *nm;

	traffic(cookie, rx, 0);
	advance(10);
	CHECK(tick(rec) == 0);
	nm = remote_name("192.0.2.20", &pn);
	CHECKF(nm && !strcmp(nm, want), "%s: '%s'", what, nm ? nm : "(no group)");
	CHECKF(!strcmp(pn, want), "%s, the pair: '%s'", what, pn);
}

/* The endpoint keeps the latest name a connection to it had: a connection without one (a
 * recorder started after the lookup) does not erase it; a new name replaces it. */
static void test_endpoint_names(void)
{
	struct leco_recorder *rec;

	fresh_db("names");
	rec = rec_open();
	name_add(rec, "www.example.test", 20);
	conn_add(1, "curl", 20, 443, 6, LECO_ST_ESTABLISHED);
	tick_named(rec, 1, 1000, "www.example.test", "named");
	leco_recorder_free(rec);

	rec = rec_open(); /* its names index is empty: the connections have no rname now */
	conn_add(2, "curl", 20, 443, 6, LECO_ST_ESTABLISHED);
	traffic(1, 10, 0);
	tick_named(rec, 2, 10, "www.example.test", "kept");
	CHECK_INTEQ(total_of(LECO_HISTORY_BY_REMOTE, "192.0.2.20", T0_REAL - 100, 0).rx, 1020);

	name_add(rec, "cdn.example.test", 20);
	tick_named(rec, 2, 10, "cdn.example.test", "the latest");
	tick_named(rec, 2, 10, "cdn.example.test", "known already (no UPDATE)");
	CHECK_INTEQ(sql_int("SELECT count(*) FROM endpoints WHERE rname <> ''"), 1);
	leco_recorder_free(rec);
	CHECK(integrity_ok());
}

int main(void)
{
	if (fixture_setup())
		return 1;
	RUN(test_counts_and_restart);
	RUN(test_closed_while_down);
	RUN(test_killed_recorder);
	RUN(test_evicted_and_recreated);
	RUN(test_failed_blocked);
	RUN(test_one_writer);
	RUN(test_endpoint_names);
	fixture_teardown();
	return th_done();
}
