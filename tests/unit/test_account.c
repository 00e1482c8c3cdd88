// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Accounting (lib/account.c, lib/top.c) on fixture tables: synthetic records
 * fed through the real pipeline (leco_reader_poll_records) under an injected
 * clock, with a fixture /proc (stat files carry the process start), cgroup
 * tree and passwd. Pid reuse, an exited process, rollups by unit and user, the
 * unattributed group, rates across missed polls, connections leaving the
 * table, the process start the probes record, a record made again, sorting
 * and cutting, the every-connection walk, the names of remote addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#define FAKE_CLOCK_BOOT_S 2000000 /* "boot" was 2,000,000 s ago */
#include "fake_clock.h"
#include "harness.h"

static char tmp[256];

/* A snapshot being built: up to 16 records. */
struct snap {
	struct leco_key k[16];
	struct leco_conn c[16];
	size_t n;
};

/* Record `cookie` of process `pid` (0: no owner) that began `age` seconds ago. */
static struct leco_conn *rec(struct snap *s, uint64_t cookie, uint32_t pid, const char *comm,
			     uint32_t uid, double age)
{
	struct leco_key *k = &s->k[s->n];
	struct leco_conn *c = &s->c[s->n++];

	memset(k, 0, sizeof(*k));
	memset(c, 0, sizeof(*c));
	k->cookie = c->cookie = cookie;
	c->tgid = pid;
	c->uid = uid;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	c->family = 4;
	c->proto = 6;
	c->state = LECO_ST_ESTABLISHED;
	c->lport = 40000;
	c->rport = 443;
	inet_pton(AF_INET, "10.0.0.2", c->laddr);
	inet_pton(AF_INET, "10.9.0.1", c->raddr);
	c->first_ns = t_mono - (uint64_t)(age * LECO_NS);
	c->last_ns = t_mono;
	return c;
}

static struct leco_conn *find(struct snap *s, uint64_t cookie)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].cookie == cookie)
			return &s->c[i];
	return NULL;
}

/* Fixture /proc/PID: comm, and stat whose field 22 says it started `age` seconds ago. */
static void process(uint32_t pid, const char *comm, double age)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/%u", tmp, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/%u/comm", tmp, pid);
	if ((f = fopen(path, "w"))) {
		fprintf(f, "%s\n", comm);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/proc/%u/stat", tmp, pid);
	if ((f = fopen(path, "w"))) {
		/* a comm with ") (" in it: the start is read after the last ')' */
		fprintf(f, "%u (%s) x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n", pid,
			comm, (unsigned long long)((t_mono / LECO_NS - (uint64_t)age) * 100));
		fclose(f);
	}
}

/* The start a process that started `age` s ago has: whole seconds, as process() writes it */
static uint64_t started(double age)
{
	return (t_mono / LECO_NS - (uint64_t)age) * LECO_NS;
}

static void process_gone(uint32_t pid)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/proc/%u'", tmp, pid);
	CHECK(system(cmd) == 0);
}

static struct leco_reader *reader(void)
{
	char passwd[512], proc[512], cg[512];
	struct leco_reader *r = NULL;
	struct leco_error err;

	snprintf(passwd, sizeof(passwd), "%s/passwd", tmp);
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	snprintf(cg, sizeof(cg), "%s/cg", tmp);
	LECO_OPTS(leco_reader_opts, o, .pin_dir = "/nonexistent/leco", .proc_root = proc,
		  .cgroup_root = cg, .passwd_path = passwd, .clock = &clk, .raw = true);
	CHECKF(leco_reader_open(&o, &r, &err) == 0, "open: %s", err.msg);
	return r;
}

static int poll_snap(struct leco_reader *r, struct snap *s)
{
	return leco_reader_poll_records(r, s->k, s->c, s->n);
}

/* Groups by `by`, sorted by `sort`; returns the count. */
static int top(struct leco_reader *r, int by, int sort)
{
	LECO_OPTS(leco_top_opts, o, .by = by, .sort = sort);

	return leco_reader_top(r, &o);
}

static const struct leco_group *group(struct leco_reader *r, const char *key)
{
	const struct leco_group *g;

	for (size_t i = 0; (g = leco_reader_group(r, i)); i++)
		if (!strcmp(g->key, key))
			return g;
	return NULL;
}

static const struct leco_group *group_of_pid(struct leco_reader *r, uint32_t pid, bool exited)
{
	const struct leco_group *g;

	for (size_t i = 0; (g = leco_reader_group(r, i)); i++)
		if (g->pid == pid && g->exited == exited)
			return g;
	return NULL;
}

static bool near(double got, double want)
{
	return got > want * 0.999 - 1e-9 && got < want * 1.001 + 1e-9;
}

/* Two processes one after the other under the same pid: two groups, never one. */
static void test_pid_reuse(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0};
	const struct leco_group *old, *young;

	process(200, "curl", 30);
	rec(&s, 1, 200, "curl", 0, 20)->tx_bytes = 0;
	CHECK_INTEQ(poll_snap(r, &s), 1);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_TOTAL), 1);
	advance(1);
	find(&s, 1)->tx_bytes = 1000;
	poll_snap(r, &s);
	/* curl exits; 11 s later a new process gets pid 200 and makes its own connection */
	advance(11);
	process(200, "curl", 5);
	rec(&s, 2, 200, "curl", 2, 2)->tx_bytes = 700;
	find(&s, 1)->state = LECO_ST_CLOSED;
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_TX), 2);
	old = group_of_pid(r, 200, true);
	young = group_of_pid(r, 200, false);
	CHECK(old && young);
	if (!old || !young)
		goto out;
	CHECK_INTEQ(old->tx, 1000);
	CHECK_INTEQ(young->tx, 700);
	CHECK_INTEQ(old->start_time, t_real / (int64_t)LECO_NS - 42);
	CHECK_INTEQ(young->start_time, t_real / (int64_t)LECO_NS - 5);
	CHECK(strcmp(old->key, young->key) != 0);
	char key[48];

	snprintf(key, sizeof(key), "200:%lld", (long long)(t_real / (int64_t)LECO_NS - 5));
	CHECK_STREQ(young->key, key);
	CHECK_STREQ(old->cmd, "curl");
	CHECK_INTEQ(old->conns, 0);
	CHECK_INTEQ(young->conns, 1);
	/* by program they are one */
	CHECK_INTEQ(top(r, LECO_BY_PROGRAM, LECO_SORT_TX), 1);
	CHECK_INTEQ(group(r, "curl") ? group(r, "curl")->tx : 0, 1700);
	CHECK_INTEQ(group(r, "curl") ? group(r, "curl")->conns_total : 0, 2);
out:
	leco_reader_free(r);
}

/* A process that exits stays, marked, with its bytes, until its group ages out; the bytes stay
 * in the total after that. */
static void test_exited(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0}, none = {0};
	const struct leco_group *g;
	const struct leco_conn_info *ci;

	process(300, "wget", 10);
	rec(&s, 1, 300, "wget", 0, 1);
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_RATE), 1);
	CHECK_INTEQ(leco_reader_conn_count(r), 1);
	CHECK((ci = leco_reader_conn(r, 0)) && !ci->exited &&
	      ci->start_time == t_real / (int64_t)LECO_NS - 10);
	advance(1);
	find(&s, 1)->rx_bytes = 5000;
	find(&s, 1)->state = LECO_ST_CLOSED;
	poll_snap(r, &s);
	process_gone(300);
	advance(2);
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_RATE), 1);
	CHECK((g = leco_reader_group(r, 0)) && g->exited && g->rx == 5000 && g->pid == 300);
	CHECK((ci = leco_reader_conn(r, 0)) && ci->exited && ci->pid == 300);
	/* the connection leaves the table: the group keeps its bytes until it ages out */
	advance(1);
	poll_snap(r, &none);
	CHECK_INTEQ(leco_reader_conn_count(r), 0);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_RATE), 1);
	CHECK((g = leco_reader_group(r, 0)) && g->exited && g->rx == 5000 && g->conns == 0);
	advance(601);
	poll_snap(r, &none);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_RATE), 0);
	CHECK((g = leco_reader_top_total(r)) && g->rx == 5000 && g->conns_total == 1);
	leco_reader_free(r);
}

/* A cgroup directory of the fixture tree, made if missing; its inode is the cgroup id. */
static uint64_t cgroup(const char *rel)
{
	char path[600], cmd[700];
	struct stat st;

	snprintf(path, sizeof(path), "%s/cg/%s", tmp, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	CHECK(system(cmd) == 0);
	return stat(path, &st) ? 0 : st.st_ino;
}

/* Sums by unit and by user over several processes are exact; every group-by at once. */
static void test_rollup_unit_user(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0};
	uint64_t tmux = cgroup("user.slice/tmux-spawn-1234.scope");
	uint64_t foo = cgroup("user.slice/app-flatpak-org.foo-99.scope");
	const struct leco_group *g;
	struct leco_conn *c;

	process(401, "ssh", 50);
	process(402, "curl", 50);
	process(403, "foo", 50);
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_UNIT, LECO_SORT_TOTAL), 0);
	advance(1);
	(c = rec(&s, 1, 401, "ssh", 1000, 1))->cgroup_id = tmux, c->rx_bytes = 100, c->tx_bytes = 1;
	(c = rec(&s, 2, 402, "curl", 1000, 1))->cgroup_id = tmux, c->rx_bytes = 200;
	(c = rec(&s, 3, 402, "curl", 1000, 1))->cgroup_id = tmux, c->rx_bytes = 300;
	(c = rec(&s, 4, 403, "foo", 0, 1))->cgroup_id = foo, c->rx_bytes = 4000;
	c->proto = 17, c->state = LECO_ST_ACTIVE, c->rport = 53;
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_UNIT, LECO_SORT_TOTAL), 2);
	CHECK((g = leco_reader_group(r, 0)) && !strcmp(g->key, "app-flatpak-org.foo+") &&
	      g->rx == 4000);
	CHECK((g = group(r, "tmux-spawn-1234")) && g->rx == 600 && g->tx == 1 && g->conns == 3 &&
	      g->conns_total == 3 && g->pid == 0 && !strcmp(g->cmd, ""));
	CHECK_INTEQ(top(r, LECO_BY_USER, LECO_SORT_RX), 2);
	CHECK((g = group(r, "alice")) && g->rx == 600);
	CHECK((g = group(r, "root")) && g->rx == 4000);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_CONNS), 3);
	CHECK((g = leco_reader_group(r, 0)) && g->pid == 402 && g->conns == 2 &&
	      !strcmp(g->unit, "tmux-spawn-1234") && !strcmp(g->user, "alice"));
	CHECK_INTEQ(top(r, LECO_BY_PROTO, LECO_SORT_RX), 2);
	CHECK((g = group(r, "udp")) && g->rx == 4000);
	CHECK_INTEQ(top(r, LECO_BY_PORT, LECO_SORT_RX), 2);
	CHECK((g = group(r, "53")) && g->rx == 4000);
	CHECK((g = group(r, "443")) && g->rx == 600);
	CHECK_INTEQ(top(r, LECO_BY_REMOTE, LECO_SORT_RX), 1);
	CHECK((g = group(r, "10.9.0.1")) && g->rx == 4600);
	CHECK((g = leco_reader_top_total(r)) && g->rx == 4600 && g->conns == 4);
	leco_reader_free(r);
}

/* Connections with no known owner: one group, bytes counted, other group-bys unaffected. */
static void test_unattributed(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0};
	const struct leco_group *g;

	process(501, "nginx", 50);
	poll_snap(r, &s);
	top(r, LECO_BY_PROCESS, LECO_SORT_RX);
	advance(1);
	rec(&s, 1, 0, "", 0, 1)->rx_bytes = 111;
	rec(&s, 2, 0, "", 0, 1)->rx_bytes = 222;
	rec(&s, 3, 501, "nginx", 33, 1)->rx_bytes = 50;
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_RX), 2);
	CHECK((g = leco_reader_group(r, 0)) && g->unattributed && !strcmp(g->key, "unattributed") &&
	      g->rx == 333 && g->pid == 0 && !g->exited && g->conns == 2);
	for (int by = LECO_BY_EXE; by <= LECO_BY_USER; by++) {
		CHECK_INTEQ(top(r, by, LECO_SORT_RX), 2);
		CHECKF((g = group(r, "unattributed")) && g->unattributed && g->rx == 333, "by %s",
		       leco_group_by_name(by));
	}
	CHECK_INTEQ(top(r, LECO_BY_REMOTE, LECO_SORT_RX), 1);
	CHECK((g = leco_reader_group(r, 0)) && !g->unattributed && g->rx == 383);
	leco_reader_free(r);
}

/* Rates: bytes over the real time since the last update, whatever happened in between. */
static void test_rates_missed_poll(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0};
	const struct leco_group *g;
	struct leco_conn *c;

	process(600, "iperf3", 100);
	c = rec(&s, 1, 600, "iperf3", 0, 50);
	c->tx_bytes = 1000000; /* before the accounting started: not counted */
	poll_snap(r, &s);
	top(r, LECO_BY_PROCESS, LECO_SORT_RATE);
	advance(0.5);
	c->tx_bytes += 1000;
	poll_snap(r, &s);
	top(r, LECO_BY_PROCESS, LECO_SORT_RATE);
	CHECK((g = leco_reader_group(r, 0)) && near(g->tx_rate, 2000) && g->tx == 1000);
	/* a failed poll (no probes), then a good one: 4000 B over 2 s */
	advance(1);
	CHECK_INTEQ(leco_reader_poll(r), -ENOENT);
	advance(1);
	c->tx_bytes += 4000;
	poll_snap(r, &s);
	top(r, LECO_BY_PROCESS, LECO_SORT_RATE);
	CHECK((g = leco_reader_group(r, 0)) && g->tx == 5000);
	CHECKF(g && near(g->tx_rate, 2000), "tx_rate %f, want 2000", g ? g->tx_rate : -1);
	/* a skipped poll: 3 s, 9000 B */
	advance(3);
	c->tx_bytes += 9000;
	poll_snap(r, &s);
	top(r, LECO_BY_PROCESS, LECO_SORT_RATE);
	CHECK((g = leco_reader_group(r, 0)) && near(g->tx_rate, 3000) && g->tx == 14000);
	/* the smoothed rate follows: below the last rate, above zero */
	CHECK(g && g->tx_rate_avg > 1000 && g->tx_rate_avg < 3000);
	CHECK((g = leco_reader_top_total(r)) && near(g->tx_rate, 3000) && g->tx == 14000);
	leco_reader_free(r);
}

/* Closed connections that leave the table keep counting; a late-seen connection's bytes count
 * in full but its rate spreads over its life. */
static void test_retired(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0}, later = {0};
	const struct leco_group *g;

	process(700, "apt", 100);
	poll_snap(r, &s);
	top(r, LECO_BY_PROGRAM, LECO_SORT_RX);
	advance(1);
	rec(&s, 1, 700, "apt", 0, 1)->rx_bytes = 1000;
	rec(&s, 2, 700, "apt", 0, 1)->rx_bytes = 2000;
	poll_snap(r, &s);
	advance(1);
	find(&s, 1)->rx_bytes = 1500;
	find(&s, 1)->state = LECO_ST_CLOSED;
	find(&s, 2)->state = LECO_ST_FAILED;
	find(&s, 2)->err = ECONNREFUSED;
	poll_snap(r, &s);
	advance(1);
	/* both leave the table; one older connection is seen for the first time: 10 s old,
	 * 10,000 B: all its bytes count, its rate is 1,000 B/s */
	rec(&later, 3, 700, "apt", 0, 10)->rx_bytes = 10000;
	poll_snap(r, &later);
	CHECK_INTEQ(top(r, LECO_BY_PROGRAM, LECO_SORT_RX), 1);
	CHECK((g = leco_reader_group(r, 0)) && g->rx == 13500 && g->conns == 1 &&
	      g->conns_total == 3 && g->failed == 1);
	CHECKF(g && near(g->rx_rate, 1000), "rx_rate %f", g ? g->rx_rate : -1);
	/* a count that restarted (record evicted and made again) adds all of it */
	advance(1);
	later.c[0].rx_bytes = 400;
	poll_snap(r, &later);
	top(r, LECO_BY_PROGRAM, LECO_SORT_RX);
	CHECK((g = leco_reader_group(r, 0)) && g->rx == 13900);
	leco_reader_free(r);
}

/* The probes record the owner's start with the owner: a process is its pid and that start, also
 * when /proc never showed it (it exited before the first poll) or hides it; a line carries it
 * too. /proc only says whether that process still runs. */
static void test_recorded_start(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0};
	const struct leco_group *g;
	const struct leco_conn_info *ci;
	int64_t now_s;
	char key[48], path[600];

	snprintf(path, sizeof(path), "%s/proc/1003", tmp); /* there, but its stat unreadable */
	mkdir(path, 0755);
	poll_snap(r, &s);
	top(r, LECO_BY_PROCESS, LECO_SORT_TX);
	advance(1);
	now_s = t_real / (int64_t)LECO_NS;
	process(1001, "node", 30);
	rec(&s, 1, 1001, "node", 0, 5)->start_ns = started(30);
	rec(&s, 2, 1002, "curl", 0, 5)->start_ns = started(7);
	rec(&s, 3, 1003, "ssh", 0, 5)->start_ns = started(9);
	for (size_t i = 0; i < s.n; i++)
		s.c[i].tx_bytes = 100 * (i + 1);
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_TX), 3);
	snprintf(key, sizeof(key), "1002:%lld", (long long)(now_s - 7));
	CHECK((g = group(r, key)) && g->exited && g->start_time == now_s - 7 && g->tx == 200);
	snprintf(key, sizeof(key), "1001:%lld", (long long)(now_s - 30));
	CHECK((g = group(r, key)) && !g->exited && g->tx == 100);
	snprintf(key, sizeof(key), "1003:%lld", (long long)(now_s - 9));
	CHECK((g = group(r, key)) && !g->exited && g->tx == 300);
	for (size_t i = 0; (ci = leco_reader_conn(r, i)); i++) {
		int age = ci->pid == 1001 ? 30 : ci->pid == 1002 ? 7 : 9;

		CHECKF(ci->start_time == now_s - age && ci->start_ns == started(age) &&
			       ci->exited == (ci->pid == 1002),
		       "pid %u start_time %lld exited %d", ci->pid, (long long)ci->start_time,
		       ci->exited);
	}
	CHECK_INTEQ(leco_reader_count(r), 3);
	for (size_t i = 0; i < leco_reader_count(r); i++)
		CHECK(leco_reader_line(r, i)->start_time == now_s - 30 ||
		      leco_reader_line(r, i)->start_time == now_s - 7 ||
		      leco_reader_line(r, i)->start_time == now_s - 9);
	/* node exits, a new process gets pid 1001 and connects: two processes; the old one has
	 * exited once /proc is checked again */
	process(1001, "node", 0);
	rec(&s, 4, 1001, "node", 0, 0)->start_ns = started(0);
	advance(11);
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_PROCESS, LECO_SORT_TX), 4);
	CHECK((g = group_of_pid(r, 1001, true)) && g->start_time == now_s - 30);
	CHECK((g = group_of_pid(r, 1001, false)) && g->start_time == now_s && g->tx == 0);
	leco_reader_free(r);
}

/* A record made again under the same key (a socket that connected again, a UDP record after an
 * eviction: a newer first activity) counts from 0: all of its bytes are new, even when it
 * has more than the record before it had. */
static void test_made_again(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0};
	const struct leco_group *g;
	const struct leco_conn_info *ci;
	struct leco_conn *c;

	process(1100, "dig", 100);
	poll_snap(r, &s);
	top(r, LECO_BY_PROGRAM, LECO_SORT_RX);
	advance(1);
	c = rec(&s, 1, 1100, "dig", 0, 1);
	c->rx_bytes = 100, c->proto = 17, c->state = LECO_ST_ACTIVE;
	poll_snap(r, &s);
	advance(1);
	c->first_ns = t_mono - LECO_NS / 2, c->rx_bytes = 300, c->flags |= LECO_F_RESTARTED;
	poll_snap(r, &s);
	CHECK_INTEQ(top(r, LECO_BY_PROGRAM, LECO_SORT_RX), 1);
	CHECK((g = leco_reader_group(r, 0)) && g->rx == 400 && g->conns_total == 1);
	CHECK((ci = leco_reader_conn(r, 0)) && ci->rx_delta == 300 && ci->restarted);
	leco_reader_free(r);
}

/* Sorting by each key, cutting at n, options and names. */
static void test_sort_cut_names(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0};
	const struct leco_group *g;

	for (uint32_t p = 801; p <= 804; p++)
		process(p, "w", 100);
	poll_snap(r, &s);
	top(r, LECO_BY_PROCESS, LECO_SORT_RATE);
	advance(1);
	for (uint32_t p = 801; p <= 804; p++) {
		struct leco_conn *c = rec(&s, p, p, "w", 0, 1);

		c->rx_bytes = p * 10;
		c->tx_bytes = 100000 - p * 10;
	}
	poll_snap(r, &s);
	LECO_OPTS(leco_top_opts, o, .by = LECO_BY_PROCESS, .sort = LECO_SORT_RX, .n = 2);
	CHECK_INTEQ(leco_reader_top(r, &o), 2);
	CHECK((g = leco_reader_group(r, 0)) && g->pid == 804);
	CHECK((g = leco_reader_group(r, 1)) && g->pid == 803);
	CHECK(leco_reader_group(r, 2) == NULL);
	o.sort = LECO_SORT_TX_RATE;
	CHECK_INTEQ(leco_reader_top(r, &o), 2);
	CHECK((g = leco_reader_group(r, 0)) && g->pid == 801 && near(g->tx_rate, 100000 - 8010));
	o.by = 99;
	CHECK_INTEQ(leco_reader_top(r, &o), -EINVAL);
	o.by = LECO_BY_USER;
	o.sort = -1;
	CHECK_INTEQ(leco_reader_top(r, &o), -EINVAL);
	CHECK_INTEQ(leco_reader_top(r, NULL), 4); /* defaults: by process, by rate */
	CHECK_INTEQ(leco_reader_top(NULL, NULL), -EINVAL);
	for (int i = 0; i < 8; i++)
		CHECK_INTEQ(leco_group_by_from_name(leco_group_by_name(i)), i);
	for (int i = 0; i <= LECO_SORT_LAST_SEEN; i++)
		CHECK_INTEQ(leco_sort_from_name(leco_sort_name(i)), i);
	CHECK_INTEQ(leco_group_by_from_name("pid"), -EINVAL);
	CHECK_INTEQ(leco_sort_from_name(NULL), -EINVAL);
	CHECK(leco_group_by_name(8) == NULL && leco_sort_name(-1) == NULL);
	leco_reader_free(r);
}

/* The every-connection walk: all of the table, annotated, including what the view hides. */
static void test_conns_walk(void)
{
	struct leco_reader *r = reader();
	struct snap s = {0};
	const struct leco_conn_info *ci;
	size_t seen = 0;

	process(900, "python3", 100);
	for (uint64_t i = 1; i <= 12; i++) /* the same line twelve times: one slot in the view */
		rec(&s, i, 900, "python3", 1000, 5)->state = LECO_ST_CLOSED;
	rec(&s, 13, 0, "", 0, 5)->state = LECO_ST_FAILED;
	CHECK_INTEQ(poll_snap(r, &s), 2);
	CHECK_INTEQ(leco_reader_conn_count(r), 13);
	for (size_t i = 0; (ci = leco_reader_conn(r, i)); i++) {
		seen |= 1UL << ci->cookie;
		if (ci->cookie == 13) {
			CHECK(ci->pid == 0 && !ci->exited && ci->start_time == 0);
			continue;
		}
		CHECK(ci->pid == 900 && !strcmp(ci->user, "alice") && !strcmp(ci->cmd, "python3"));
		CHECK(!ci->exited && ci->start_time == t_real / (int64_t)LECO_NS - 100);
		CHECK(!strcmp(ci->raddr, "10.9.0.1") && ci->rport == 443);
	}
	CHECK_INTEQ(seen, 0x3ffe);
	CHECK(leco_reader_conn(r, 13) == NULL);
	leco_reader_free(r);
}

/* rname (lib/names.c) in the walk and in remote groups: the name the owning process resolved,
 * one another process resolved (borrowed), none */
static void test_remote_names(void)
{
	struct leco_reader *r = reader();
	struct leco_name n = {.tgid = 900, .ns = t_mono - 10 * LECO_NS, .naddr = 1};
	struct snap s = {0};
	const struct leco_conn_info *ci;
	const struct leco_group *g;

	process(900, "curl", 100);
	process(901, "wget", 100);
	snprintf(n.name, sizeof(n.name), "example.test");
	n.addr[0][10] = n.addr[0][11] = 0xff; /* IPv4 mapped, as the probe writes it */
	inet_pton(AF_INET, "10.9.0.1", n.addr[0] + 12);
	CHECK_INTEQ(leco_names_add(r->names, &n), 0);
	rec(&s, 1, 900, "curl", 1000, 5);
	rec(&s, 2, 901, "wget", 1000, 5);
	inet_pton(AF_INET, "10.9.0.3", rec(&s, 3, 901, "wget", 1000, 5)->raddr);
	CHECK(poll_snap(r, &s) >= 0);
	CHECK_INTEQ(leco_reader_conn_count(r), 3);
	for (size_t i = 0; (ci = leco_reader_conn(r, i)); i++) {
		const char *want = ci->cookie == 3 ? "" : "example.test";
		const char *src = ci->cookie == 1 ? "self" : ci->cookie == 2 ? "other" : "";

		CHECKF(!strcmp(ci->rname, want) && !strcmp(ci->rname_src, src),
		       "cookie %llu: '%s' '%s'", (unsigned long long)ci->cookie, ci->rname,
		       ci->rname_src);
	}
	CHECK_INTEQ(top(r, LECO_BY_REMOTE, LECO_SORT_RX), 2);
	CHECK((g = group(r, "10.9.0.1")) && g->conns_total == 2);
	CHECKF(g && !strcmp(g->rname, "example.test"), "'%s'", g ? g->rname : "(no group)");
	CHECK((g = group(r, "10.9.0.3")) && !strcmp(g->rname, ""));
	CHECK(top(r, LECO_BY_PROCESS, LECO_SORT_RX) == 2 &&
	      !strcmp(leco_reader_group(r, 0)->rname, ""));
	leco_reader_free(r);
}

static void setup(void)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "mkdir -p '%s/proc' '%s/cg'", tmp, tmp);
	if (system(path))
		exit(1);
	snprintf(path, sizeof(path), "%s/passwd", tmp);
	f = fopen(path, "w");
	fputs("root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n", f);
	fclose(f);
}

int main(void)
{
	char cmd[600];

	snprintf(tmp, sizeof(tmp), "%s/leco-account-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 1;
	setup();
	RUN(test_pid_reuse);
	RUN(test_exited);
	RUN(test_rollup_unit_user);
	RUN(test_unattributed);
	RUN(test_rates_missed_poll);
	RUN(test_retired);
	RUN(test_recorded_start);
	RUN(test_made_again);
	RUN(test_sort_cut_names);
	RUN(test_conns_walk);
	RUN(test_remote_names);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return th_done();
}
