// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The view, fed with records directly (no maps) under an injected clock and
 * fixture /proc, cgroup tree and passwd: order, slots by group, cap, dropped
 * lines, age/alpha/new/changed, rates, time field, config reload; and the
 * annotate step under it: every connection, what is kept per connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "annotate.h"
#include "fake_clock.h"
#include "harness.h"

static char tmp[256];

static void conn(struct leco_key *k, struct leco_conn *c, uint64_t cookie, const char *raddr,
		 uint16_t rport, uint32_t uid, const char *comm, double ago_first, double ago_last)
{
	memset(k, 0, sizeof(*k));
	memset(c, 0, sizeof(*c));
	k->cookie = c->cookie = cookie;
	inet_pton(AF_INET, raddr, c->raddr);
	inet_pton(AF_INET, "10.0.0.2", c->laddr);
	c->family = 4;
	c->proto = 6;
	c->rport = rport;
	c->lport = 40000;
	c->uid = uid;
	c->tgid = 0;
	c->state = LECO_ST_ESTABLISHED;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	c->first_ns = t_mono - (uint64_t)(ago_first * LECO_NS);
	c->last_ns = t_mono - (uint64_t)(ago_last * LECO_NS);
}

static struct leco_reader *open_reader(const char *config_text, const char *config_path, bool raw)
{
	char passwd[512], proc[512], cg[512];
	struct leco_reader *r = NULL;
	struct leco_error err;

	snprintf(passwd, sizeof(passwd), "%s/passwd", tmp);
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	snprintf(cg, sizeof(cg), "%s/cg", tmp);
	LECO_OPTS(leco_reader_opts, o, .pin_dir = "/nonexistent/leco", .config_text = config_text,
		  .config_path = config_path, .proc_root = proc, .cgroup_root = cg,
		  .passwd_path = passwd, .clock = &clk, .raw = raw);
	int ret = leco_reader_open(&o, &r, &err);

	CHECKF(ret == 0, "open: %d %s", ret, err.msg);
	return r;
}

static void test_order_and_fields(void)
{
	struct leco_key k[3];
	struct leco_conn c[3];
	struct leco_reader *r = open_reader(NULL, NULL, false);
	const struct leco_line *l;

	if (!r)
		return;
	conn(&k[0], &c[0], 1, "10.2.0.1", 443, 1000, "curl", 100, 50);
	conn(&k[1], &c[1], 2, "10.2.0.9", 22, 0, "ssh", 30, 1);
	conn(&k[2], &c[2], 3, "::ffff:1.2.3.4", 80, 4242, "wget", 86400 * 2, 10);
	c[2].family = 6;
	inet_pton(AF_INET6, "::ffff:1.2.3.4", c[2].raddr);
	c[1].rx_bytes = 3565158;
	c[1].tx_bytes = 58;
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 3), 3);
	CHECK_INTEQ(leco_reader_count(r), 3);
	/* newest activity first */
	l = leco_reader_line(r, 0);
	CHECK_INTEQ(l->cookie, 2);
	CHECK_STREQ(l->text, "18:32 :: root :: ssh :: 10.2.0.9 22 :: v 3.4M / 58B ^");
	CHECK_STREQ(l->raw, l->text);
	CHECK_STREQ(l->group, l->raw);
	CHECK_STREQ(l->user, "root");
	CHECK_INTEQ(l->rx, 3565158);
	CHECK(l->age > 0.99 && l->age < 1.01);
	CHECK(l->is_new == false); /* first activity 30 s ago, new-time 10 s */
	CHECK(l->changed);
	CHECK_INTEQ(l->first_seen, 1767378760 - 30);
	CHECK_INTEQ(l->last_seen, 1767378760 - 1);
	CHECK_STREQ(l->cgroup, "");
	CHECK_STREQ(l->unit, "");
	l = leco_reader_line(r, 1);
	CHECK_INTEQ(l->cookie, 3);
	CHECK_STREQ(l->text, "  -2d :: 4242 :: wget :: 1.2.3.4 80 :: ");
	CHECK_INTEQ(l->family, 4);
	CHECK_STREQ(l->raddr, "1.2.3.4");
	l = leco_reader_line(r, 2);
	CHECK_STREQ(l->text, "18:31 :: alice :: curl :: 10.2.0.1 443 :: ");
	CHECK(leco_reader_line(r, 3) == NULL);

	/* second poll: nothing changed -> not changed; bytes -> changed with a rate */
	advance(2);
	c[1].rx_bytes += 2000;
	c[1].last_ns = t_mono;
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 3), 3);
	l = leco_reader_line(r, 0);
	CHECK_INTEQ(l->cookie, 2);
	CHECK(l->changed);
	CHECK(l->rx_rate > 999 && l->rx_rate < 1001);
	CHECK(l->tx_rate == 0);
	CHECK(!leco_reader_line(r, 1)->changed);
	CHECK(!leco_reader_line(r, 2)->changed);

	/* a connection gone from the table leaves the view; a new one is new */
	struct leco_key k2[2] = {k[0], k[1]};
	struct leco_conn c2[2] = {c[0], c[1]};

	advance(1);
	conn(&k2[0], &c2[0], 7, "10.9.9.9", 5000, 1000, "python3", 1, 0.5);
	c2[0].proto = 17;
	c2[0].state = LECO_ST_ACTIVE;
	CHECK_INTEQ(leco_reader_poll_records(r, k2, c2, 2), 2);
	l = leco_reader_line(r, 0);
	CHECK_INTEQ(l->cookie, 7);
	CHECK(l->is_new);
	CHECK(l->changed);
	CHECK_STREQ(l->proto == 17 ? "udp" : "tcp", "udp");
	CHECK_STREQ(leco_reader_errmsg(r), "");
	leco_reader_free(r);
}

static void test_annotated(void)
{
	char path[600];
	struct leco_key k[2];
	struct leco_conn c[2];
	struct stat st;
	struct leco_reader *r = open_reader(NULL, NULL, false);

	if (!r)
		return;
	snprintf(path, sizeof(path), "%s/cg/user.slice/tmux-spawn-822f3728-aaaa.scope", tmp);
	stat(path, &st);
	conn(&k[0], &c[0], 11, "10.2.0.1", 53, 1000, "python3", 5, 5);
	c[0].tgid = 100;
	c[0].proto = 17;
	c[0].state = LECO_ST_BLOCKED;
	c[0].err = EPERM;
	c[0].cgroup_id = st.st_ino;
	conn(&k[1], &c[1], 12, "10.0.0.5", 51000, 0, "a :: b\n", 6, 6);
	c[1].dir = LECO_DIR_IN;
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 2), 2);
	const struct leco_line *l = leco_reader_line(r, 0);

	CHECK_STREQ(l->text, "18:32 :: alice :: foo.py [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp "
			     "blocked :: ");
	CHECK_STREQ(l->cmd, "foo.py");
	CHECK_STREQ(l->comm, "python3");
	CHECK_STREQ(l->exe, "/usr/bin/python3.11");
	CHECK_STREQ(l->cgroup, "user.slice/tmux-spawn-822f3728-aaaa.scope");
	CHECK_STREQ(l->unit, "tmux-spawn-822f3728+");
	CHECK_INTEQ(l->state, LECO_STATE_BLOCKED);
	CHECK_INTEQ(l->err, EPERM);
	l = leco_reader_line(r, 1);
	CHECK_STREQ(l->text, "18:32 :: root :: a - b :: <- 10.0.0.5 51000 :: ");
	CHECK_INTEQ(l->dir, LECO_DIRECTION_IN);
	leco_reader_free(r);
}

static void test_rules_slots_cap(void)
{
	static const char ini[] = "[format]\n"
				  "conn-traffic-min = 0\n"
				  "[view]\n"
				  "max-lines = 3\n"
				  "[rx-group]\n"
				  ".*:: curl ::.* = curl-group\n"
				  ".*:: hidden ::.* =\n"
				  "[rx-proc]\n"
				  "^(\\s*\\S+ ::) root :: = $1\n";
	struct leco_key k[6];
	struct leco_conn c[6];
	struct leco_reader *r = open_reader(ini, NULL, false);

	if (!r)
		return;
	conn(&k[0], &c[0], 1, "10.0.0.1", 1, 1000, "curl", 10, 9);
	conn(&k[1], &c[1], 2, "10.0.0.2", 2, 1000, "curl", 10, 3); /* newest curl owns the slot */
	conn(&k[2], &c[2], 3, "10.0.0.3", 3, 1000, "hidden", 10, 1);
	conn(&k[3], &c[3], 4, "10.0.0.4", 4, 0, "ssh", 10, 4);
	conn(&k[4], &c[4], 5, "10.0.0.5", 5, 1000, "a", 10, 5);
	conn(&k[5], &c[5], 6, "10.0.0.6", 6, 1000, "b", 10, 6); /* beyond the cap */
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 6), 3);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 2);
	CHECK_STREQ(leco_reader_line(r, 0)->group, "curl-group");
	CHECK_STREQ(leco_reader_line(r, 0)->text,
		    "18:32 :: alice :: curl :: 10.0.0.2 2 :: v 0B / 0B ^");
	CHECK_INTEQ(leco_reader_line(r, 1)->cookie, 4);
	CHECK_STREQ(leco_reader_line(r, 1)->text, "18:32 :: ssh :: 10.0.0.4 4 :: v 0B / 0B ^");
	CHECK_STREQ(leco_reader_line(r, 1)->raw,
		    "18:32 :: root :: ssh :: 10.0.0.4 4 :: v 0B / 0B ^");
	CHECK_INTEQ(leco_reader_line(r, 2)->cookie, 5);
	/* the older curl takes over its slot when it becomes the newest */
	advance(1);
	c[0].last_ns = t_mono;
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 6), 3);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 1);
	CHECK_STREQ(leco_reader_line(r, 0)->group, "curl-group");
	leco_reader_free(r);

	/* raw mode: no rules at all */
	r = open_reader(ini, NULL, true);
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 6), 3);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 1);
	CHECK_INTEQ(leco_reader_line(r, 1)->cookie, 3); /* "hidden" is not dropped */
	CHECK_STREQ(leco_reader_line(r, 1)->group, leco_reader_line(r, 1)->raw);
	leco_reader_free(r);
}

static void test_fade(void)
{
	static const char ini[] = "[text]\nline-fade-time = 100\nline-fade-curve = 0,100 100,0\n";
	struct leco_key k[3];
	struct leco_conn c[3];
	struct leco_reader *r = open_reader(ini, NULL, false);

	if (!r)
		return;
	conn(&k[0], &c[0], 1, "10.0.0.1", 1, 0, "a", 10, 0);
	conn(&k[1], &c[1], 2, "10.0.0.2", 2, 0, "b", 60, 50);
	conn(&k[2], &c[2], 3, "10.0.0.3", 3, 0, "c", 300, 200);
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 3), 3);
	const struct leco_line *a = leco_reader_line(r, 0), *b = leco_reader_line(r, 1),
			       *cc = leco_reader_line(r, 2);

	CHECKF(a->alpha > 0.99, "%f", a->alpha);
	CHECKF(b->alpha > 0.3 && b->alpha < 0.7, "%f", b->alpha);
	CHECKF(cc->alpha < 0.01, "%f", cc->alpha);
	CHECK(a->alpha >= b->alpha && b->alpha >= cc->alpha);
	leco_reader_free(r);
}

static void test_config_reload(void)
{
	char path[600];
	FILE *f;
	struct leco_key k[1];
	struct leco_conn c[1];

	snprintf(path, sizeof(path), "%s/leco.ini", tmp);
	f = fopen(path, "w");
	fputs("[rx-proc]\nssh = SSH\n", f);
	fclose(f);
	struct leco_reader *r = open_reader(NULL, path, false);

	if (!r)
		return;
	conn(&k[0], &c[0], 1, "10.0.0.1", 22, 0, "ssh", 10, 0);
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 1), 1);
	CHECK(strstr(leco_reader_line(r, 0)->text, ":: SSH ::") != NULL);
	/* a broken config: the last good rules stay, the state and message say why */
	f = fopen(path, "w");
	fputs("[rx-proc]\n(unclosed = x\n", f);
	fclose(f);
	advance(1);
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 1), 1);
	CHECK(strstr(leco_reader_line(r, 0)->text, ":: SSH ::") != NULL);
	CHECK(!leco_reader_line(r, 0)->changed); /* same bytes, same text */
	CHECK_INTEQ(r->state, LECO_READER_CONFIG);
	CHECKF(strstr(leco_reader_errmsg(r), "leco.ini:2") != NULL, "%s", leco_reader_errmsg(r));
	/* fixed: picked up */
	f = fopen(path, "w");
	fputs("[rx-proc]\nssh = Secure-Shell\n\n", f);
	fclose(f);
	advance(1);
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 1), 1);
	CHECK(strstr(leco_reader_line(r, 0)->text, ":: Secure-Shell ::") != NULL);
	/* leco.h: "changed: new, or its text/state/bytes changed": the text did */
	CHECK(leco_reader_line(r, 0)->changed);
	advance(1);
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 1), 1);
	CHECK(!leco_reader_line(r, 0)->changed);
	CHECK_INTEQ(r->state, LECO_READER_OK);
	CHECK_STREQ(leco_reader_errmsg(r), "");
	leco_reader_free(r);

	/* open fails on a bad initial config, with the place */
	struct leco_reader *r2 = NULL;
	struct leco_error err;

	LECO_OPTS(leco_reader_opts, o, .config_text = "[rx-proc]\n(x = y\n");
	CHECK(leco_reader_open(&o, &r2, &err) == -EINVAL);
	CHECK(r2 == NULL);
	CHECK(err.msg[0] != 0);
}

static void test_opts(void)
{
	struct leco_reader *r = NULL;
	struct leco_error err;
	struct {
		struct leco_reader_opts o;
		char extra[8];
	} big;

	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.extra[3] = 1;
	CHECK_INTEQ(leco_reader_open(&big.o, &r, &err), -EINVAL);
	CHECK(r == NULL);
	CHECK(strstr(err.msg, "unknown fields") != NULL);
	big.extra[3] = 0;
	/* a size that ends inside a field: refused, the partial pointer never copied */
	big.o.sz = offsetof(struct leco_reader_opts, config_path) + 3;
	big.o.config_path = "/nonexistent.ini";
	CHECK_INTEQ(leco_reader_open(&big.o, &r, &err), -EINVAL);
	CHECK(r == NULL);
	CHECK(strstr(err.msg, "ends inside a field") != NULL);
	/* an older, shorter struct ending on a field boundary: the rest defaults */
	big.o.sz = offsetof(struct leco_reader_opts, config_path);
	big.o.pin_dir = "/nonexistent";
	CHECK_INTEQ(leco_reader_open(&big.o, &r, &err), 0);
	CHECK_INTEQ(leco_reader_poll(r), -ENOENT);
	leco_reader_free(r);
	r = NULL;
	big.o.config_path = NULL;
	big.o.sz = sizeof(big);
	big.o.pin_dir = "/nonexistent";
	CHECK_INTEQ(leco_reader_open(&big.o, &r, &err), 0);
	/* probes missing: a state and a message, not a crash */
	CHECK_INTEQ(leco_reader_poll(r), -ENOENT);
	CHECK(strstr(leco_reader_errmsg(r), "/nonexistent does not exist") != NULL);
	struct leco_status st = {.sz = sizeof(st)};

	CHECK_INTEQ(leco_reader_status(r, &st), -ENOENT);
	CHECK_INTEQ(st.state, LECO_READER_NO_PROBES);
	CHECK_INTEQ(st.polls, 1);
	leco_reader_free(r);
	leco_reader_free(NULL);
	LECO_OPTS(leco_reader_opts, o2, .config_path = "/x", .config_text = "");
	CHECK_INTEQ(leco_reader_open(&o2, &r, &err), -EINVAL);
	CHECK_INTEQ(leco_reader_open(NULL, NULL, &err), -EINVAL);
}

/* Valid UTF-8 without control characters, and the field structure intact. */
static bool clean(const char *s)
{
	char copy[4096];

	if (!s)
		return false;
	leco_sanitize_line(copy, sizeof(copy), s, strlen(s));
	return !strcmp(copy, s);
}

/* Random bytes in every record field: the poll path never fails and never emits junk. */
/* A poll that fails (probes not loaded) reads no bytes: the next rate spans the time since the
 * last snapshot that did, not since the failed poll. */
static void test_rate_after_failed_poll(void)
{
	struct leco_key k;
	struct leco_conn c;
	struct leco_reader *r = open_reader(NULL, NULL, true);
	const struct leco_line *l;

	if (!r)
		return;
	conn(&k, &c, 1, "10.2.0.1", 443, 1000, "curl", 10, 1);
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	advance(1);
	CHECK_INTEQ(leco_reader_poll(r), -ENOENT); /* pin_dir does not exist */
	advance(1);
	c.rx_bytes += 2000;
	c.last_ns = t_mono;
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	l = leco_reader_line(r, 0);
	CHECKF(l->rx_rate > 999 && l->rx_rate < 1001, "rx_rate %f, want 1000 (2000 B in 2 s)",
	       l->rx_rate);
	leco_reader_free(r);
}

/* A record seen for the first time: if it started after the previous poll its bytes are spread
 * over the poll interval; if it is older (missed by that poll), over its life, not the interval. */
static void test_rate_first_seen(void)
{
	struct leco_key k[3];
	struct leco_conn c[3];
	struct leco_reader *r = open_reader(NULL, NULL, true);

	if (!r)
		return;
	conn(&k[0], &c[0], 1, "10.2.0.1", 443, 1000, "curl", 10, 1);
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 1), 1);
	advance(2);
	conn(&k[1], &c[1], 2, "10.2.0.2", 443, 1000, "old", 10, 0); /* 10 s old, missed */
	c[1].rx_bytes = 10000;
	conn(&k[2], &c[2], 3, "10.2.0.3", 443, 1000, "new", 1, 0); /* began 1 s ago */
	c[2].rx_bytes = 2000;
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 3), 3);
	for (size_t i = 0; i < leco_reader_count(r); i++) {
		const struct leco_line *l = leco_reader_line(r, i);

		if (l->cookie == 1)
			continue;
		CHECKF(l->rx_rate > 999 && l->rx_rate < 1001, "cookie %llu: rx_rate %f, want 1000",
		       (unsigned long long)l->cookie, l->rx_rate);
	}
	leco_reader_free(r);
}

static void test_garbage_records(void)
{
	struct leco_key k[300];
	struct leco_conn c[300];
	struct leco_reader *r = open_reader(NULL, NULL, false);
	unsigned int seed = 12345;

	if (!r)
		return;
	for (int round = 0; round < 20; round++) {
		unsigned char *p = (unsigned char *)c;

		for (size_t i = 0; i < sizeof(c); i++)
			p[i] = (unsigned char)rand_r(&seed);
		p = (unsigned char *)k;
		for (size_t i = 0; i < sizeof(k); i++)
			p[i] = (unsigned char)rand_r(&seed);
		for (int i = 0; i < 300; i++)
			c[i].tgid %= 200; /* keep /proc lookups on our fixture, mostly vanished */
		advance(1);
		int n = leco_reader_poll_records(r, k, c, 300);

		CHECK(n > 0 && n <= 40);
		for (int i = 0; i < n; i++) {
			const struct leco_line *l = leco_reader_line(r, (size_t)i);
			int seps = 0;

			for (const char *q = l->text; (q = strstr(q, " :: ")); q += 4)
				seps++;
			CHECKF(seps == 4 || seps == 5, "%s", l->text);
			CHECK(clean(l->text) && clean(l->comm) && clean(l->cmd) && clean(l->user) &&
			      clean(l->unit) && clean(l->cgroup) && clean(l->exe));
			CHECK(l->alpha >= 0 && l->alpha <= 1);
			CHECK(l->age >= 0);
		}
	}
	leco_reader_free(r);
}

/* leco_annotate_each: collects what it is given */
struct seen {
	size_t n;
	struct leco_conn_info ci[64];
};

static int collect(void *ctx, const struct leco_conn_info *ci)
{
	struct seen *s = ctx;

	if (s->n < 64)
		s->ci[s->n] = *ci;
	s->n++;
	return 0;
}

static int stop_walk(void *ctx, const struct leco_conn_info *ci)
{
	return -EINTR;
}

static const struct leco_conn_info *seen_cookie(const struct seen *s, uint64_t cookie)
{
	for (size_t i = 0; i < s->n && i < 64; i++)
		if (s->ci[i].cookie == cookie)
			return &s->ci[i];
	return NULL;
}

/* Every connection is annotated, also those the view leaves out (dropped, beyond max-lines). */
static void test_annotate_each(void)
{
	static const char ini[] = "[view]\nmax-lines = 2\n[rx-group]\n.*:: hidden ::.* =\n";
	char path[600];
	struct leco_key k[5];
	struct leco_conn c[5];
	struct seen s = {0};
	struct stat st;
	struct leco_reader *r = open_reader(ini, NULL, false);

	if (!r)
		return;
	snprintf(path, sizeof(path), "%s/cg/user.slice/tmux-spawn-822f3728-aaaa.scope", tmp);
	stat(path, &st);
	conn(&k[0], &c[0], 21, "10.0.0.1", 1, 1000, "python3", 10, 1);
	c[0].tgid = 100;
	c[0].cgroup_id = st.st_ino;
	conn(&k[1], &c[1], 22, "10.0.0.2", 2, 1000, "hidden", 10, 0); /* dropped by the rules */
	conn(&k[2], &c[2], 23, "10.0.0.3", 3, 0, "a", 10, 2);
	conn(&k[3], &c[3], 24, "10.0.0.4", 4, 0, "b", 10, 3); /* beyond max-lines */
	conn(&k[4], &c[4], 25, "fd00::5", 5, 4242, "c", 10, 4);
	c[4].family = 6;
	inet_pton(AF_INET6, "fd00::5", c[4].raddr);
	c[4].rx_bytes = 500;
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 5), 2);
	CHECK_INTEQ(leco_annotate_each(r, collect, &s), 0);
	CHECK_INTEQ(s.n, 5);
	const struct leco_conn_info *a = seen_cookie(&s, 21), *h = seen_cookie(&s, 22),
				    *v6 = seen_cookie(&s, 25);

	CHECK(a && h && v6 && seen_cookie(&s, 23) && seen_cookie(&s, 24));
	if (!a || !h || !v6)
		goto out;
	CHECK_STREQ(a->cmd, "foo.py");
	CHECK_STREQ(a->comm, "python3");
	CHECK_STREQ(a->exe, "/usr/bin/python3.11");
	CHECK_STREQ(a->user, "alice");
	CHECK_STREQ(a->unit, "tmux-spawn-822f3728+");
	CHECK_STREQ(a->cgroup, "user.slice/tmux-spawn-822f3728-aaaa.scope");
	CHECK_STREQ(a->laddr, "10.0.0.2");
	CHECK_STREQ(a->raddr, "10.0.0.1");
	CHECK_INTEQ(a->pid, 100);
	CHECK(a->first_poll);
	CHECK_STREQ(h->cmd, "hidden"); /* not in the view, annotated all the same */
	CHECK_STREQ(v6->raddr, "fd00::5");
	CHECK_INTEQ(v6->family, 6);
	CHECK_STREQ(v6->user, "4242");
	CHECK_INTEQ(v6->rx_delta, 500); /* first seen: all of its bytes */
	/* the next poll: deltas and rates over the interval, no longer first seen */
	advance(2);
	c[4].rx_bytes = 2500;
	s.n = 0;
	CHECK_INTEQ(leco_reader_poll_records(r, k, c, 5), 2);
	CHECK_INTEQ(leco_annotate_each(r, collect, &s), 0);
	v6 = seen_cookie(&s, 25);
	CHECK(v6 && !v6->first_poll && v6->rx_delta == 2000 && v6->tx_delta == 0);
	CHECKF(v6 && v6->rx_rate > 999 && v6->rx_rate < 1001, "%f", v6 ? v6->rx_rate : -1);
	/* a callback's error stops the walk and comes back */
	CHECK_INTEQ(leco_annotate_each(r, stop_walk, NULL), -EINTR);
out:
	leco_reader_free(r);
}

/* What does not change for a connection is kept with it, and made again when its record, the
 * config or time (through the caches' expiry) says so. */
static void test_annotation_kept(void)
{
	char path[600];
	FILE *f;
	struct leco_key k;
	struct leco_conn c;
	struct leco_conn_info a, b;
	struct leco_reader *r;

	snprintf(path, sizeof(path), "%s/kept.ini", tmp);
	f = fopen(path, "w");
	fputs("[format]\nscript-name-cut = 16\n", f);
	fclose(f);
	if (!(r = open_reader(NULL, path, false)))
		return;
	conn(&k, &c, 31, "10.0.0.1", 1, 1000, "python3", 10, 1);
	c.tgid = 100;
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	leco_annotate(r, &r->tab.ents[0], &a);
	advance(1);
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	leco_annotate(r, &r->tab.ents[0], &b);
	CHECK(a.cmd == b.cmd && a.user == b.user && a.raddr == b.raddr); /* kept, not looked up */
	CHECK_STREQ(b.cmd, "foo.py");
	/* the config cuts script names shorter: made again at once */
	f = fopen(path, "w");
	fputs("[format]\nscript-name-cut = 3\n\n", f);
	fclose(f);
	advance(1);
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	CHECK_STREQ(leco_reader_line(r, 0)->cmd, "fo+");
	/* another owner in the record: made again */
	c.tgid = 0;
	snprintf(c.comm, sizeof(c.comm), "curl");
	advance(1);
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	CHECK_STREQ(leco_reader_line(r, 0)->cmd, "curl");
	/* a user renamed: the name is kept while the user cache (4 h) holds it, then made again */
	snprintf(path, sizeof(path), "%s/passwd", tmp);
	f = fopen(path, "w");
	fputs("root:x:0:0::/root:/bin/sh\nalice2:x:1000:1000::/home/alice:/bin/sh\n", f);
	fclose(f);
	advance(3600);
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	CHECK_STREQ(leco_reader_line(r, 0)->user, "alice");
	advance(3 * 3600 + 60);
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	CHECK_STREQ(leco_reader_line(r, 0)->user, "alice2");
	f = fopen(path, "w");
	fputs("root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n", f);
	fclose(f);
	leco_reader_free(r);
}

/* A config built in code goes to a reader through .config; the reader owns it only once it is
 * open (on a failed open the caller still does: the sanitizer and valgrind runs would see a
 * double free or a leak). */
static void test_built_config(void)
{
	struct leco_config *cfg = NULL;
	struct leco_reader *r = NULL;
	struct leco_error err;
	struct leco_key k;
	struct leco_conn c;

	CHECK_INTEQ(leco_config_new("<built>", &cfg, &err), 0);
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-proc", "#?ssh", "SSH", &err), 0);
	CHECK_INTEQ(leco_config_set(cfg, "view", "max-lines", "1", &err), 0);
	LECO_OPTS(leco_reader_opts, bad, .pin_dir = "/nonexistent/leco", .config = cfg,
		  .config_text = "[view]\n");
	CHECK_INTEQ(leco_reader_open(&bad, &r, &err), -EINVAL);
	CHECK(r == NULL && strstr(err.msg, "one of config_path, config_text and config"));
	LECO_OPTS(leco_reader_opts, o, .pin_dir = "/nonexistent/leco", .config = cfg,
		  .clock = &clk);
	CHECK_INTEQ(leco_reader_open(&o, &r, &err), 0);
	if (!r) {
		leco_config_free(cfg);
		return;
	}
	conn(&k, &c, 41, "10.0.0.1", 22, 0, "ssh", 10, 1);
	CHECK_INTEQ(leco_reader_poll_records(r, &k, &c, 1), 1);
	CHECKF(strstr(leco_reader_line(r, 0)->text, ":: SSH ::") != NULL, "%s",
	       leco_reader_line(r, 0)->text);
	CHECK_INTEQ(r->vconf.max_lines, 1);
	leco_reader_free(r); /* frees cfg */
}

static void setup(void)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path),
		 "mkdir -p '%s/proc/100' '%s/cg/user.slice/"
		 "tmux-spawn-822f3728-aaaa.scope'",
		 tmp, tmp);
	if (system(path))
		exit(1);
	snprintf(path, sizeof(path), "%s/passwd", tmp);
	f = fopen(path, "w");
	fputs("root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/proc/100/comm", tmp);
	f = fopen(path, "w");
	fputs("python3\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/proc/100/cmdline", tmp);
	f = fopen(path, "w");
	fwrite("python3\0-W\0ignore\0foo.py\0", 1, 25, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/proc/100/exe", tmp);
	if (symlink("/usr/bin/python3.11", path))
		exit(1);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(tmp, sizeof(tmp), "%s/leco-view-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 1;
	setup();
	RUN(test_order_and_fields);
	RUN(test_annotated);
	RUN(test_rules_slots_cap);
	RUN(test_fade);
	RUN(test_config_reload);
	RUN(test_opts);
	RUN(test_garbage_records);
	RUN(test_rate_after_failed_poll);
	RUN(test_rate_first_seen);
	RUN(test_annotate_each);
	RUN(test_annotation_kept);
	RUN(test_built_config);
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return th_done();
}
