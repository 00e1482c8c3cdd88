// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The history store on records the test makes, with an injected clock (history_fixture.h):
 * exact counts across restarts (clean, and a child killed with SIGKILL anywhere in its loop),
 * connections that closed while no recorder ran, evictions, re-created records, failed and
 * blocked connections, one writer per file.
 */
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
	fixture_teardown();
	return th_done();
}
