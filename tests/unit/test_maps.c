// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The map reader against maps this test creates and pins itself with the
 * bpf/leco.h layout (tests/mapset.h), in a private bpffs mounted on a temp dir
 * (root): layout check and refusal, batch read over several chunks and the
 * key-iteration fallback, the closed-connection ring (position, missed,
 * unwritten slots, kept closed connections), evictions, detached probes,
 * stats, read-only fds, reattach after the pins are replaced or removed,
 * accounting over changes-only reads of live TCP, and an unprivileged reader
 * (permission denied with its real cause, then read access through file
 * permissions only).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"
#include "mapset.h"

static char mnt[256], pins[300], procdir[300];
static bool mounted;

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * LECO_NS + (uint64_t)ts.tv_nsec;
}

static void record(struct leco_conn *c, uint64_t cookie, uint32_t i, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->cookie = cookie;
	c->first_ns = now - 5 * LECO_NS;
	c->last_ns = now - (uint64_t)(10000 - i) * 1000;
	c->rx_bytes = i;
	c->tx_bytes = 2 * i;
	c->family = 4;
	c->proto = 6;
	c->state = LECO_ST_ESTABLISHED;
	c->uid = 0;
	c->tgid = 4242;
	c->owner = LECO_OWNER_CONNECT;
	c->rport = (uint16_t)(1000 + i);
	c->lport = 40000;
	inet_pton(AF_INET, "127.0.0.1", c->raddr);
	inet_pton(AF_INET, "127.0.0.1", c->laddr);
	memcpy(c->comm, "python3", 8);
	memcpy(c->script, "tool.py", 8);
	c->flags = LECO_F_SCRIPT;
}

static void fill(struct mapset *m, uint32_t n, uint64_t cookie0)
{
	uint64_t now = mono_now();

	for (uint32_t i = 0; i < n; i++) {
		struct leco_key k = {.cookie = cookie0 + i};
		struct leco_conn c;

		record(&c, k.cookie, i, now);
		bpf_map_update_elem(m->conns, &k, &c, 0);
	}
	/* as many inserts as records: nothing evicted */
	mapset_stat(m, offsetof(struct leco_stats, conns_new), n);
}

static struct leco_reader *open_reader(const char *dir)
{
	struct leco_reader *r = NULL;
	struct leco_error err;

	LECO_OPTS(leco_reader_opts, o, .pin_dir = dir, .raw = true, .max_lines = 2000,
		  .proc_root = procdir, .cgroup_root = procdir);
	CHECKF(leco_reader_open(&o, &r, &err) == 0, "%s", err.msg);
	return r;
}

static void test_read(void)
{
	struct mapset m;
	struct leco_reader *r;

	CHECK(mapset_create(&m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 1024, 64, "") == 0);
	fill(&m, 600, 1000);
	CHECK_INTEQ(mapset_pin(&m, pins), 0);
	r = open_reader(pins);
	if (!r)
		return;
	/* 600 records: three batch chunks */
	CHECK_INTEQ(leco_reader_poll(r), 600);
	const struct leco_line *l = leco_reader_line(r, 0);

	CHECK_INTEQ(l->cookie, 1599); /* newest last_ns */
	CHECK_INTEQ(l->rx, 599);
	CHECK_INTEQ(l->tx, 1198);
	CHECK_INTEQ(l->rport, 1599);
	CHECK_STREQ(l->raddr, "127.0.0.1");
	CHECK_STREQ(l->cmd, "tool.py"); /* the kernel's script name: pid 4242 is not in our /proc */
	CHECK_STREQ(l->owner, "connect");
	CHECK_STREQ(l->comm, "python3");
	CHECK_INTEQ(l->state, LECO_STATE_ESTABLISHED);

	struct leco_status st = {.sz = sizeof(st)};

	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.state, LECO_READER_OK);
	CHECK_INTEQ(st.layout_version, LECO_LAYOUT_VERSION);
	{
		char want[32];

		snprintf(want, sizeof(want), "test-%u", LECO_LAYOUT_VERSION);
		CHECK_STREQ(st.version, want);
	}
	CHECK_INTEQ(st.conns_evicted, 0);
	CHECK_INTEQ(st.closed_max, 64);
	CHECK_INTEQ(st.hooks, 1);
	{
		const char *job, *hook, *lacks;

		CHECK_INTEQ(leco_reader_hook(r, 0, &job, &hook, &lacks), 0);
		CHECK_STREQ(job, "udp bytes");
		CHECK_STREQ(hook, "test hook");
		CHECK_STREQ(lacks, "test lack");
		CHECK_INTEQ(leco_reader_hook(r, 1, &job, &hook, &lacks), -ENOENT);
	}
	CHECK_INTEQ(st.conns, 600);
	CHECK_INTEQ(st.conns_max, 1024 + 64 + LECO_TCP_LIVE_MAX); /* conns + ring + live TCP */
	CHECK_INTEQ(st.stat_events, 10 * libbpf_num_possible_cpus());
	CHECK_INTEQ(st.stat_blocked, libbpf_num_possible_cpus());

	/* read-only fds: the reader cannot write even as root */
	struct leco_key k = {.cookie = 1};
	struct leco_conn c = {0};

	CHECK(bpf_map_update_elem(r->maps.conns_fd, &k, &c, 0) < 0);
	CHECK(errno == EPERM || errno == EACCES);

	/* changes between polls */
	CHECK_INTEQ(leco_reader_poll(r), 600);
	CHECK(!leco_reader_line(r, 0)->changed);
	k.cookie = 1000;
	CHECK(bpf_map_lookup_elem(m.conns, &k, &c) == 0);
	c.rx_bytes = 123456;
	c.last_ns += 10 * LECO_NS;
	bpf_map_update_elem(m.conns, &k, &c, 0);
	CHECK_INTEQ(leco_reader_poll(r), 600);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 1000);
	CHECK(leco_reader_line(r, 0)->changed);
	CHECK_INTEQ(leco_reader_line(r, 0)->rx, 123456);

	/* key iteration fallback reads the same */
	r->maps.batch_unsupported = true;
	CHECK_INTEQ(leco_reader_poll(r), 600);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 1000);
	CHECK_INTEQ(leco_reader_line(r, 599)->cookie, 1001);

	/* replaced pins (leco-load restart): the reader reattaches by itself */
	struct mapset m2;

	CHECK(mapset_create(&m2, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 1024, 64, "") == 0);
	fill(&m2, 5, 9000);
	CHECK_INTEQ(mapset_pin(&m2, pins), 0);
	CHECK_INTEQ(leco_reader_poll(r), 5);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 9004);
	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.reattaches, 1);

	/* removed: a state, the old lines stay; back: reattached */
	mapset_unpin(pins);
	CHECK_INTEQ(leco_reader_poll(r), -ENOENT);
	CHECK_INTEQ(leco_reader_count(r), 5);
	CHECK_INTEQ(r->state, LECO_READER_NO_PROBES);
	CHECK(strstr(leco_reader_errmsg(r), "probes not loaded") != NULL);
	CHECK_INTEQ(mapset_pin(&m, pins), 0);
	CHECK_INTEQ(leco_reader_poll(r), 600);
	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.reattaches, 2);
	CHECK_STREQ(leco_reader_errmsg(r), "");
	leco_reader_free(r);
	mapset_close(&m2);
	mapset_close(&m);
}

static void test_layout_mismatch(void)
{
	char dir[600], want[64];
	struct mapset m;
	struct leco_reader *r;

	snprintf(dir, sizeof(dir), "%s/v2", mnt);
	CHECK(mapset_create(&m, LECO_LAYOUT_VERSION + 1, sizeof(struct leco_conn), 64, 64, "") ==
	      0);
	fill(&m, 3, 1);
	CHECK_INTEQ(mapset_pin(&m, dir), 0);
	r = open_reader(dir);
	CHECK_INTEQ(leco_reader_poll(r), -EPROTO);
	CHECK_INTEQ(r->state, LECO_READER_BAD_LAYOUT);
	snprintf(want, sizeof(want), "another layout (version %u, this libleco reads %u)",
		 LECO_LAYOUT_VERSION + 1, LECO_LAYOUT_VERSION);
	CHECKF(strstr(leco_reader_errmsg(r), want), "%s", leco_reader_errmsg(r));
	CHECK_INTEQ(leco_reader_count(r), 0);
	leco_reader_free(r);
	mapset_close(&m);

	/* right version, wrong record size in the map itself */
	snprintf(dir, sizeof(dir), "%s/size", mnt);
	CHECK(mapset_create(&m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn) - 8, 64, 64, "") ==
	      0);
	CHECK_INTEQ(mapset_pin(&m, dir), 0);
	r = open_reader(dir);
	CHECK_INTEQ(leco_reader_poll(r), -EPROTO);
	snprintf(want, sizeof(want), "conns value size %zu", sizeof(struct leco_conn) - 8);
	CHECKF(strstr(leco_reader_errmsg(r), want) != NULL, "%s", leco_reader_errmsg(r));
	leco_reader_free(r);
	mapset_close(&m);
}

/* A reader as nobody: its poll result and message, through a pipe */
static int poll_as_nobody(char *msg, size_t msgsz)
{
	int fds[2], status = 0, n = -1000;
	ssize_t got;

	if (pipe(fds))
		return -1000;
	fflush(NULL);
	pid_t pid = fork();

	if (!pid) {
		struct leco_reader *r = NULL;
		char out[600];

		close(fds[0]);
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		LECO_OPTS(leco_reader_opts, o, .pin_dir = pins, .raw = true, .max_lines = 2000,
			  .proc_root = procdir, .cgroup_root = procdir);
		if (leco_reader_open(&o, &r, NULL))
			_exit(11);
		n = leco_reader_poll(r);
		snprintf(out, sizeof(out), "%d %d %s", n, r->state, leco_reader_errmsg(r));
		if (write(fds[1], out, strlen(out) + 1) < 0)
			_exit(12);
		_exit(0);
	}
	close(fds[1]);
	got = read(fds[0], msg, msgsz - 1);
	close(fds[0]);
	waitpid(pid, &status, 0);
	msg[got > 0 ? got : 0] = 0;
	if (got > 0)
		sscanf(msg, "%d", &n);
	return n;
}

/* As nobody: permission denied naming the real cause; then read access by file mode alone. */
static void test_unprivileged(void)
{
	static const struct {
		mode_t mode;
		gid_t gid;
		int want;
		const char *says;
	} rows[] = {
		{0600, 0, -EACCES, "(mode 0600, group root): the pins are for root only"},
		{0640, 4242, -EACCES, "you are not in group"},
		{0444, 0, 600, ""},
	};
	char p[600], msg[700];

	for (size_t row = 0; row < sizeof(rows) / sizeof(rows[0]); row++) {
		for (int i = 0; i < MAPSET_NPINS; i++) {
			snprintf(p, sizeof(p), "%s/%s", pins, mapset_pins[i]);
			if (access(p, F_OK))
				continue; /* pinned only with mapset_live() */
			CHECK(chown(p, 0, rows[row].gid) == 0 && chmod(p, rows[row].mode) == 0);
		}
		int n = poll_as_nobody(msg, sizeof(msg));

		CHECKF(n == rows[row].want && strstr(msg, rows[row].says), "row %zu: %s", row, msg);
		if (rows[row].want < 0)
			CHECKF(strstr(msg, "permission denied on") &&
				       atoi(strchr(msg, ' ') + 1) == LECO_READER_NO_ACCESS,
			       "row %zu: %s", row, msg);
	}
}

/* The closed-connection ring: read once, kept, position and missed counts, unwritten slots */
static void test_ring(void)
{
	char dir[600];
	struct mapset m;
	struct leco_reader *r;
	struct leco_status st = {.sz = sizeof(st)};
	struct leco_conn c;
	uint64_t now = mono_now();

	snprintf(dir, sizeof(dir), "%s/ring", mnt);
	CHECK(mapset_create(&m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 64, 64, "") == 0);
	for (uint32_t i = 0; i < 5; i++) {
		record(&c, 500 + i, i, now);
		c.state = LECO_ST_CLOSED;
		CHECK_INTEQ(mapset_push(&m, &c), 0);
	}
	/* closed 11 minutes ago: older than the 10 minutes a reader keeps closed ones */
	record(&c, 600, 0, now);
	c.last_ns = now - 660 * LECO_NS;
	mapset_push(&m, &c);
	CHECK_INTEQ(mapset_pin(&m, dir), 0);
	r = open_reader(dir);
	if (!r)
		return;
	CHECK_INTEQ(leco_reader_poll(r), 5);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 504);
	CHECK_INTEQ(leco_reader_line(r, 0)->state, LECO_STATE_CLOSED);
	/* read once, kept by the reader: still there, unchanged, no rate */
	CHECK_INTEQ(leco_reader_poll(r), 5);
	CHECK(!leco_reader_line(r, 0)->changed);
	CHECK(leco_reader_line(r, 0)->rx_rate == 0);
	CHECK_INTEQ(r->maps.ring.pos, 6);

	/* a close claimed but not written yet: the reader waits for it */
	uint64_t seq = mapset_claim(&m);

	record(&c, 700, 7, now);
	c.last_ns = now + 1;
	CHECK_INTEQ(leco_reader_poll(r), 5);
	CHECK_INTEQ(r->maps.ring.pos, 6);
	CHECK_INTEQ(mapset_write(&m, seq, &c), 0);
	CHECK_INTEQ(leco_reader_poll(r), 6);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 700);

	/* 74 more closes while the reader sleeps: 64 fit, 10 are missed, said so */
	for (uint32_t i = 0; i < 74; i++) {
		record(&c, 1000 + i, i, now);
		mapset_push(&m, &c);
	}
	/* the reader keeps at most ring_max closed ones: the newest */
	CHECK_INTEQ(leco_reader_poll(r), 64);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 700);
	CHECK_INTEQ(leco_reader_line(r, 63)->cookie, 1000 + 74 - 63);
	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.closed_total, 81);
	CHECK_INTEQ(st.closed_missed, 10);
	CHECK_INTEQ(st.closed_overwritten, 81 - 64);
	/* a new reader starts with what the ring holds, and missed nothing */
	struct leco_reader *r2 = open_reader(dir);

	CHECK_INTEQ(leco_reader_poll(r2), 64);
	CHECK_INTEQ(leco_reader_status(r2, &st), 0);
	CHECK_INTEQ(st.closed_missed, 0);
	leco_reader_free(r2);
	leco_reader_free(r);
	mapset_close(&m);
}

/* A names record of `name` for 127.0.0.`last`, by process 4242 (the records' owner) */
static struct leco_name name_rec(const char *name, uint8_t last, uint64_t now)
{
	struct leco_name r = {.tgid = 4242, .ns = now - 10 * LECO_NS, .naddr = 1};

	snprintf(r.name, sizeof(r.name), "%s", name);
	r.addr[0][10] = r.addr[0][11] = 0xff;
	r.addr[0][12] = 127, r.addr[0][15] = last;
	return r;
}

/* The names ring: whole records only (both marks), one being written waits, overwritten ones
 * and those a reader fell behind by are counted; a new reader starts with what it holds */
static void test_names_ring(void)
{
	char dir[600], nm[32];
	struct mapset m;
	struct leco_reader *r, *r2;
	struct leco_status st = {.sz = sizeof(st)};
	uint64_t now = mono_now(), seq;

	snprintf(dir, sizeof(dir), "%s/names", mnt);
	CHECK(mapset_create(&m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 64, 64,
			    "leco_gai leco_gai_ret") == 0);
	CHECK_INTEQ(mapset_names(&m, 16), 0);
	fill(&m, 2, 1); /* cookies 1, 2 from 127.0.0.1 ports 1000, 1001 by 4242 */
	seq = mapset_name_claim(&m);
	CHECK_INTEQ(mapset_name_write(&m, seq, name_rec("one.test", 1, now), seq + 1, seq + 1), 0);
	CHECK_INTEQ(mapset_pin(&m, dir), 0);
	r = open_reader(dir);
	if (!r)
		return;
	CHECK_INTEQ(leco_reader_poll(r), 2);
	CHECK_STREQ(leco_reader_line(r, 0)->rname, "one.test");
	CHECK_STREQ(leco_reader_line(r, 0)->rname_src, "self");
	/* claimed, then begun but not done: the reader waits at it */
	seq = mapset_name_claim(&m);
	CHECK_INTEQ(leco_reader_poll(r), 2);
	CHECK_INTEQ(r->maps.names.pos, 1);
	CHECK_INTEQ(mapset_name_write(&m, seq, name_rec("two.test", 1, now), 0, seq + 1), 0);
	CHECK_INTEQ(leco_reader_poll(r), 2);
	CHECK_INTEQ(r->maps.names.pos, 1);
	CHECK_STREQ(leco_reader_line(r, 0)->rname, "one.test");
	CHECK_INTEQ(mapset_name_write(&m, seq, name_rec("two.test", 1, now), seq + 1, seq + 1), 0);
	CHECK_INTEQ(leco_reader_poll(r), 2);
	CHECK_INTEQ(r->maps.names.pos, 2);
	CHECK_STREQ(leco_reader_line(r, 0)->rname, "two.test"); /* the latest of the process's */
	/* overwritten while the reader read (a newer sequence in the slot): counted, skipped */
	seq = mapset_name_claim(&m);
	CHECK_INTEQ(mapset_name_write(&m, seq, name_rec("lost.test", 9, now), seq + 17, seq + 17),
		    0);
	CHECK_INTEQ(leco_reader_poll(r), 2);
	CHECK_INTEQ(r->maps.names.pos, 3);
	CHECK_INTEQ(r->maps.names.missed, 1);
	/* a torn record (begun by a newer writer, done by the older one): skipped the same way */
	seq = mapset_name_claim(&m);
	CHECK_INTEQ(mapset_name_write(&m, seq, name_rec("torn.test", 9, now), seq + 1, seq + 17),
		    0);
	CHECK_INTEQ(leco_reader_poll(r), 2);
	CHECK_INTEQ(r->maps.names.missed, 2);
	/* 20 more while the reader sleeps: 16 fit, the rest are missed */
	for (int i = 0; i < 20; i++) {
		snprintf(nm, sizeof(nm), "n%d.test", i);
		seq = mapset_name_claim(&m);
		mapset_name_write(&m, seq, name_rec(nm, (uint8_t)(10 + i), now), seq + 1, seq + 1);
	}
	CHECK_INTEQ(leco_reader_poll(r), 2);
	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.names_max, 16);
	CHECK_INTEQ(st.names_total, 24);
	CHECK_INTEQ(st.names_overwritten, 24 - 16);
	CHECK_INTEQ(st.names_missed, 2 + 24 - 4 - 16); /* at 4; the ring holds the last 16 */
	CHECK_INTEQ(st.names_known, 2 + 16);
	CHECK_INTEQ(st.names_evicted, 0);
	/* a new reader: what the ring holds, nothing missed */
	r2 = open_reader(dir);
	CHECK_INTEQ(leco_reader_poll(r2), 2);
	CHECK_INTEQ(leco_reader_status(r2, &st), 0);
	CHECK_INTEQ(st.names_known, 16);
	CHECK_INTEQ(st.names_missed, 0);
	CHECK_STREQ(leco_reader_line(r2, 0)->rname, "");
	leco_reader_free(r2);
	leco_reader_free(r);
	mapset_unpin(dir);
	mapset_close(&m);
}

/* conns: nothing deletes, so inserts - present = evicted; detached probes are a state */
static void test_evicted_detached(void)
{
	char dir[600], p[700];
	struct mapset m, dummy;
	struct leco_reader *r;
	struct leco_status st = {.sz = sizeof(st)};

	snprintf(dir, sizeof(dir), "%s/ev", mnt);
	CHECK(mapset_create(&m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 64, 64,
			    "leco_state leco_send") == 0);
	CHECK(mapset_create(&dummy, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 4, 4, "") == 0);
	fill(&m, 20, 1);
	mapset_stat(&m, offsetof(struct leco_stats, conns_new), 27);
	CHECK_INTEQ(mapset_pin(&m, dir), 0);
	snprintf(p, sizeof(p), "%s/links", dir);
	mkdir(p, 0750);
	snprintf(p, sizeof(p), "%s/links/leco_state", dir);
	CHECK_INTEQ(bpf_obj_pin(dummy.info, p), 0);
	snprintf(p, sizeof(p), "%s/links/leco_send", dir);
	CHECK_INTEQ(bpf_obj_pin(dummy.stats, p), 0);
	r = open_reader(dir);
	CHECK_INTEQ(leco_reader_poll(r), 20);
	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.conns_evicted, 7);
	CHECK_INTEQ(st.state, LECO_READER_OK);
	/* one link gone: partly detached */
	unlink(p);
	CHECK_INTEQ(leco_reader_poll(r), 20);
	CHECK_INTEQ(r->state, LECO_READER_DETACHED);
	CHECKF(strstr(leco_reader_errmsg(r), "1 of 2 probes detached (leco_send missing)"), "%s",
	       leco_reader_errmsg(r));
	/* all gone (an --unload interrupted after the links): said so, data still read */
	snprintf(p, sizeof(p), "%s/links/leco_state", dir);
	unlink(p);
	CHECK_INTEQ(leco_reader_poll(r), 20);
	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.state, LECO_READER_DETACHED);
	CHECKF(!strcmp(leco_reader_errmsg(r), "maps pinned but nothing attached: run leco-load"),
	       "%s", leco_reader_errmsg(r));
	leco_reader_free(r);
	mapset_close(&m);
	mapset_close(&dummy);
}

/* The line of the connection to port `rport`, or NULL */
static const struct leco_line *line_to(struct leco_reader *r, uint16_t rport)
{
	for (size_t i = 0; i < leco_reader_count(r); i++)
		if (leco_reader_line(r, i)->rport == rport)
			return leco_reader_line(r, i);
	return NULL;
}

/* The record of TCP connection `cookie` to port `rport` with tx bytes now: it began when the
 * test did (the kernel stamps a connection's start once) */
static void live_rec(struct leco_conn *c, uint64_t cookie, uint16_t rport, uint64_t tx)
{
	static uint64_t t0;

	if (!t0)
		t0 = mono_now();
	record(c, cookie, 1, t0);
	c->last_ns = mono_now();
	c->rport = rport;
	c->tx_bytes = tx;
}

/* A live TCP record with tx bytes, to port `rport`: into the changes ring too (as the iterator
 * does), or, `quiet`, into "live" only */
static void live_set(struct mapset *m, uint64_t cookie, uint16_t rport, uint64_t tx, bool quiet)
{
	struct leco_key k = {.cookie = cookie};
	struct leco_conn c;

	live_rec(&c, cookie, rport, tx);
	if (quiet)
		CHECK(bpf_map_update_elem(m->live, &k, &c, 0) == 0);
	else
		CHECK(mapset_change(m, &c) == 0);
}

#define TX_OF(r, port) (line_to(r, port) ? (long long)line_to(r, port)->tx : -1)

/* Maps with a live TCP iterator's maps (a changes ring of 8) pinned under mnt/name (into `dir`),
 * two live connections (1 to port 101 with 10 B sent, 2 to 102 with 20 B), and a reader that
 * polled them once, reading all of "live"; NULL (maps closed) when that failed */
static struct leco_reader *live_two(struct mapset *m, char *dir, size_t dirsz, const char *name)
{
	struct leco_reader *r;

	snprintf(dir, dirsz, "%s/%s", mnt, name);
	CHECK(mapset_create(m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 64, 16, "tcp") == 0);
	if (mapset_live(m, 8)) {
		CHECKF(0, "mapset_live: %s", strerror(errno));
		mapset_close(m);
		return NULL;
	}
	CHECK_INTEQ(mapset_pin(m, dir), 0);
	live_set(m, 1, 101, 10, false);
	live_set(m, 2, 102, 20, false);
	r = open_reader(dir);
	CHECK(r && leco_reader_poll(r) >= 2);
	CHECK(r && r->live_all && TX_OF(r, 101) == 10 && TX_OF(r, 102) == 20);
	return r;
}

/*
 * Live TCP read by changes: the first poll reads all of "live"; later ones only the changes
 * ring, keeping what did not change; all of "live" again after a minute (a sweep), when the
 * changes ring overflowed for this reader, and after the closed ring did.
 */
static void test_live_changes(void)
{
	struct leco_key gone = {.cookie = 2};
	struct leco_reader *r;
	struct mapset m;
	struct leco_conn c;
	char dir[600];

	if (!(r = live_two(&m, dir, sizeof(dir), "changes")))
		return;
	/* 1 moves; 2 leaves "live" unannounced; 3 appears without a change: only 1's shows */
	live_set(&m, 1, 101, 30, false);
	CHECK(bpf_map_delete_elem(m.live, &gone) == 0);
	live_set(&m, 3, 103, 40, true);
	CHECK(leco_reader_poll(r) >= 2);
	CHECK(!r->live_all);
	CHECK_INTEQ(TX_OF(r, 101), 30);
	CHECK_INTEQ(TX_OF(r, 102), 20);
	CHECK_INTEQ(TX_OF(r, 103), -1);
	/* a minute later: a sweep of all of "live" (one step here), what is not there goes */
	r->live_all_mono -= 61 * LECO_NS;
	CHECK(leco_reader_poll(r) >= 2);
	CHECK(!r->live_all && !r->sweeping);
	CHECK_INTEQ(TX_OF(r, 102), -1);
	CHECK_INTEQ(TX_OF(r, 103), 40);
	/* more changes than the ring holds between two polls: all of "live" */
	for (uint64_t tx = 50; tx < 60; tx++)
		live_set(&m, 1, 101, tx, false);
	live_set(&m, 4, 104, 70, true);
	CHECK(leco_reader_poll(r) >= 3);
	CHECK(r->live_all);
	CHECK_INTEQ(TX_OF(r, 101), 59);
	CHECK_INTEQ(TX_OF(r, 104), 70);
	CHECK(leco_reader_poll(r) >= 3 && !r->live_all);
	/* the closed ring overflows for this reader: the poll after reads all of "live" */
	record(&c, 9000, 1, mono_now());
	for (int i = 0; i < 20; i++)
		CHECK(mapset_push(&m, &c) == 0);
	CHECK(leco_reader_poll(r) >= 3);
	CHECK(r->maps.ring.missed > 0);
	CHECK(leco_reader_poll(r) >= 3 && r->live_all);
	CHECK(leco_reader_poll(r) >= 3 && !r->live_all);
	leco_reader_free(r);
	mapset_unpin(dir);
	mapset_close(&m);
}

/* Are connections 1, 4 .. `last` in the table (the view) with the tx bytes live_sweep() gave? */
static bool sweep_kept(struct leco_reader *r, long long tx1, uint64_t last)
{
	bool ok = TX_OF(r, 101) == tx1;

	for (uint64_t k = 4; k <= last; k++)
		ok &= TX_OF(r, (uint16_t)(100 + k)) == (long long)(10 * k);
	return ok;
}

/* Polls until the sweep under way ends (at most `max`); how many it took */
static int sweep_end(struct leco_reader *r, int max)
{
	int polls = 0;

	while (r->sweeping && polls < max && leco_reader_poll(r) >= 0)
		polls++;
	return polls;
}

/*
 * The check once a minute is a sweep of "live", a step per poll (a record a step here): a
 * connection that left "live" unannounced stays in the table until the sweep ends, never
 * less; one in "live" all along, or that changed or came during it, stays; one that left
 * during it goes by the end of the next one. A whole read (the changes ring overflowed) ends
 * a sweep under way, and the next starts again a minute later.
 */
static void test_live_sweep(void)
{
	struct leco_reader *r;
	struct mapset m;
	char dir[600];
	int polls;

	if (!(r = live_two(&m, dir, sizeof(dir), "sweep")))
		return;
	for (uint64_t k = 3; k <= 8; k++)
		live_set(&m, k, (uint16_t)(100 + k), 10 * k, false);
	CHECK(leco_reader_poll(r) >= 8 && !r->live_all && !r->sweeping);
	r->sweep_min = 1;
	/* 2 leaves "live" unannounced; a minute later the sweep begins */
	CHECK(bpf_map_delete_elem(m.live, &(struct leco_key){.cookie = 2}) == 0);
	r->live_all_mono -= 61 * LECO_NS;
	CHECK(leco_reader_poll(r) >= 8 && r->sweeping && !r->live_all);
	/* during it: 3 leaves unannounced, 1 changes, 9 comes, 10 appears in "live" alone */
	CHECK(bpf_map_delete_elem(m.live, &(struct leco_key){.cookie = 3}) == 0);
	live_set(&m, 1, 101, 11, false);
	live_set(&m, 9, 109, 90, false);
	live_set(&m, 10, 110, 100, true);
	for (polls = 1; r->sweeping && polls < 40; polls++) {
		CHECK_INTEQ(TX_OF(r, 102), 20); /* never before the end */
		CHECK_INTEQ(TX_OF(r, 103), 30);
		CHECK(leco_reader_poll(r) >= 7);
		CHECK(sweep_kept(r, 11, 9));
	}
	CHECKF(!r->sweeping && polls >= 4, "the sweep took %d polls", polls);
	CHECK_INTEQ(TX_OF(r, 102), -1);
	/* the next sweep: 3 goes if the last one saw it before it left; 10 is there */
	r->live_all_mono -= 61 * LECO_NS;
	CHECK(leco_reader_poll(r) >= 7 && r->sweeping);
	polls = sweep_end(r, 40);
	CHECKF(!r->sweeping && polls >= 3, "the sweep took %d more polls", polls);
	CHECK_INTEQ(TX_OF(r, 103), -1);
	CHECK_INTEQ(TX_OF(r, 110), 100);
	CHECK(sweep_kept(r, 11, 9));
	/* 4 leaves unannounced during a sweep that a whole read ends: that read drops it */
	r->live_all_mono -= 61 * LECO_NS;
	CHECK(leco_reader_poll(r) >= 7 && r->sweeping);
	CHECK(bpf_map_delete_elem(m.live, &(struct leco_key){.cookie = 4}) == 0);
	CHECK(leco_reader_poll(r) >= 7 && r->sweeping);
	CHECK_INTEQ(TX_OF(r, 104), 40);
	for (uint64_t tx = 12; tx < 22; tx++)
		live_set(&m, 1, 101, tx, false);
	CHECK(leco_reader_poll(r) >= 6 && r->live_all && !r->sweeping);
	CHECK_INTEQ(TX_OF(r, 104), -1);
	CHECK_INTEQ(TX_OF(r, 101), 21);
	CHECK(leco_reader_poll(r) >= 6 && !r->live_all && !r->sweeping);
	leco_reader_free(r);
	mapset_unpin(dir);
	mapset_close(&m);
}

/* The group of remote port `port` (accounting by port), or NULL */
static const struct leco_group *port_group(struct leco_reader *r, uint16_t port)
{
	LECO_OPTS(leco_top_opts, o, .by = LECO_BY_PORT);
	const struct leco_group *g;
	char key[8];

	snprintf(key, sizeof(key), "%u", port);
	CHECK(leco_reader_top(r, &o) >= 0);
	for (size_t i = 0; (g = leco_reader_group(r, i)); i++)
		if (!strcmp(g->key, key))
			return g;
	return NULL;
}

#define GTX(r, port) (port_group(r, port) ? (long long)port_group(r, port)->tx : -1)

/*
 * Accounting over live TCP read by changes and the closed ring: a connection a changes-only
 * poll did not read keeps its entry and its bytes (its delta is 0: nothing negative, no
 * restart); its final record from the ring adds only what came after the last live count;
 * one that leaves the table keeps its bytes in its groups.
 */
static void test_live_accounting(void)
{
	struct leco_key gone = {.cookie = 2};
	const struct leco_group *t;
	struct leco_reader *r;
	struct mapset m;
	struct leco_conn c;
	char dir[600];

	if (!(r = live_two(&m, dir, sizeof(dir), "acct")))
		return;
	CHECK_INTEQ(leco_reader_top(r, NULL), 1); /* counting starts from the table as it is */
	live_set(&m, 1, 101, 30, false);
	live_set(&m, 2, 102, 25, false);
	CHECK(leco_reader_poll(r) >= 2 && !r->live_all);
	CHECK_INTEQ(GTX(r, 101), 20);
	CHECK_INTEQ(GTX(r, 102), 5);
	/* 2 leaves "live" unannounced; two changes-only polls read neither 2 nor anything */
	CHECK(bpf_map_delete_elem(m.live, &gone) == 0);
	for (int i = 0; i < 2; i++) {
		CHECK(leco_reader_poll(r) >= 2 && !r->live_all);
		CHECK_INTEQ(GTX(r, 101), 20);
		CHECK_INTEQ(GTX(r, 102), 5);
		CHECK((t = leco_reader_top_total(r)) && t->tx == 25 && t->tx_rate == 0 &&
		      t->conns == 2);
	}
	/* 1 closes: its final record (35) from the ring adds 5, not its 35 again */
	live_rec(&c, 1, 101, 35);
	c.state = LECO_ST_CLOSED;
	CHECK(bpf_map_delete_elem(m.live, &(struct leco_key){.cookie = 1}) == 0);
	CHECK_INTEQ(mapset_push(&m, &c), 0);
	CHECK(leco_reader_poll(r) >= 2);
	CHECK_INTEQ(GTX(r, 101), 25);
	/* all of "live" a minute later (a sweep of one step): 2 leaves the table, its bytes stay
	 * in its group */
	r->live_all_mono -= 61 * LECO_NS;
	CHECK(leco_reader_poll(r) >= 1 && !r->sweeping);
	CHECK_INTEQ(TX_OF(r, 102), -1);
	CHECK_INTEQ(GTX(r, 102), 5);
	CHECK((t = leco_reader_top_total(r)) && t->tx == 30 && t->conns == 0 &&
	      t->conns_total == 2);
	leco_reader_free(r);
	mapset_unpin(dir);
	mapset_close(&m);
}

int main(void)
{
	if (geteuid() != 0)
		th_skip("needs root (creates and pins BPF maps in a private bpffs)");
	snprintf(mnt, sizeof(mnt), "/tmp/leco-test-%d-bpffs-XXXXXX", (int)getpid());
	if (!mkdtemp(mnt))
		return 1;
	chmod(mnt, 0755);
	if (mount("bpf", mnt, "bpf", 0, "mode=0755")) {
		rmdir(mnt);
		th_skip("cannot mount a bpffs");
	}
	mounted = true;
	snprintf(pins, sizeof(pins), "%s/leco", mnt);
	snprintf(procdir, sizeof(procdir), "/tmp/leco-test-%d-empty", (int)getpid());
	mkdir(procdir, 0755);
	RUN(test_read);
	RUN(test_layout_mismatch);
	RUN(test_ring);
	RUN(test_live_changes);
	RUN(test_live_sweep);
	RUN(test_names_ring);
	RUN(test_live_accounting);
	RUN(test_evicted_detached);
	RUN(test_unprivileged);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	rmdir(procdir);
	return th_done();
}
