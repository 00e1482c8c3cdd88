// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Names of remote addresses in the reader (lib/names.c), fed with records as the names ring
 * holds them (no maps): which name a connection gets (its own process's, else a borrowed
 * one within the hour, the one resolved before it began), IPv4 as the kernel writes it and
 * as IPv4-mapped IPv6, the bounds (per address, the whole index: evictions counted), expiry
 * after a day, hostile names; and in the lines: rname, rname_src, the text with and without
 * [format] remote-names, a rule matching a name.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "annotate.h"
#include "fake_clock.h"
#include "harness.h"

#define S LECO_NS

static char tmp[256];

/* A record of the ring: `name` resolved by (tgid, start) at `ns`, to the addresses given as
 * text (IPv4 written mapped, as the kernel does) */
static struct leco_name rec(const char *name, uint32_t tgid, uint64_t start, uint64_t ns,
			    const char *a1, const char *a2)
{
	struct leco_name r = {.tgid = tgid, .start_ns = start, .ns = ns};
	const char *as[2] = {a1, a2};

	snprintf(r.name, sizeof(r.name), "%s", name);
	for (int i = 0; i < 2 && as[i]; i++, r.naddr++) {
		if (strchr(as[i], ':')) {
			inet_pton(AF_INET6, as[i], r.addr[i]);
		} else {
			r.addr[i][10] = r.addr[i][11] = 0xff;
			inet_pton(AF_INET, as[i], r.addr[i] + 12);
		}
	}
	return r;
}

/* Look up `addr` (v4 as the kernel's family 4 record has it, v6 as family 6) */
static const char *look(struct leco_names *x, const char *addr, uint32_t tgid, uint64_t start,
			uint64_t first, bool *borrowed)
{
	uint8_t a[16] = {0};
	bool v6 = strchr(addr, ':') != NULL;

	inet_pton(v6 ? AF_INET6 : AF_INET, addr, a);
	*borrowed = false;
	return leco_names_lookup(x, a, v6 ? 6 : 4, tgid, start, first, borrowed);
}

#define EXPECT(x, addr, tgid, start, first, want, want_borrowed)                         \
	do {                                                                             \
		bool b_;                                                                 \
		const char *n_ = look(x, addr, tgid, start, first, &b_);                 \
		CHECK_STREQ(n_ ? n_ : "(none)", want);                                   \
		if (n_)                                                                  \
			CHECKF(b_ == (want_borrowed), "%s: borrowed %d", want, (int)b_); \
	} while (0)

static void test_self_other(void)
{
	struct leco_names *x = leco_names_new(64);
	struct leco_name r;

	EXPECT(x, "10.0.0.1", 1, 0, 100 * S, "(none)", false);
	r = rec("api.example", 100, 7, 100 * S, "10.0.0.1", "2001:db8::1");
	CHECK_INTEQ(leco_names_add(x, &r), 0);
	/* its own process, IPv4 and IPv6, and IPv4 through an IPv6 socket (mapped) */
	EXPECT(x, "10.0.0.1", 100, 7, 101 * S, "api.example", false);
	EXPECT(x, "2001:db8::1", 100, 7, 101 * S, "api.example", false);
	EXPECT(x, "::ffff:10.0.0.1", 100, 7, 101 * S, "api.example", false);
	/* another process: borrowed; the same pid started at another time is another process */
	EXPECT(x, "10.0.0.1", 200, 9, 101 * S, "api.example", true);
	EXPECT(x, "10.0.0.1", 100, 8, 101 * S, "api.example", true);
	/* a start of 0 (not known) matches the pid alone */
	EXPECT(x, "10.0.0.1", 100, 0, 101 * S, "api.example", false);
	/* no other address named */
	EXPECT(x, "10.0.0.2", 100, 7, 101 * S, "(none)", false);
	/* borrowing only within the hour of the resolution; its own, any time */
	EXPECT(x, "10.0.0.1", 200, 9, 100 * S + 3600 * S, "api.example", true);
	EXPECT(x, "10.0.0.1", 200, 9, 100 * S + 3601 * S, "(none)", false);
	EXPECT(x, "10.0.0.1", 100, 7, 100 * S + 7200 * S, "api.example", false);
	/* the process's own name beats a newer one another process resolved */
	r = rec("cdn.example", 300, 1, 150 * S, "10.0.0.1", NULL);
	leco_names_add(x, &r);
	EXPECT(x, "10.0.0.1", 100, 7, 200 * S, "api.example", false);
	/* borrowed: the latest resolved before the connection began ... */
	EXPECT(x, "10.0.0.1", 200, 9, 200 * S, "cdn.example", true);
	EXPECT(x, "10.0.0.1", 200, 9, 120 * S, "api.example", true);
	/* ... else the earliest after it */
	EXPECT(x, "10.0.0.1", 200, 9, 50 * S, "api.example", true);
	/* two names for one address by one process: the one before the connection began */
	r = rec("other.example", 100, 7, 300 * S, "10.0.0.1", NULL);
	leco_names_add(x, &r);
	EXPECT(x, "10.0.0.1", 100, 7, 200 * S, "api.example", false);
	EXPECT(x, "10.0.0.1", 100, 7, 301 * S, "other.example", false);
	/* resolved again later: the same entry, refreshed */
	CHECK_INTEQ(leco_names_count(x), 4); /* api.example twice (two addresses), cdn, other */
	r = rec("api.example", 100, 7, 400 * S, "10.0.0.1", NULL);
	leco_names_add(x, &r);
	CHECK_INTEQ(leco_names_count(x), 4);
	EXPECT(x, "10.0.0.1", 100, 7, 401 * S, "api.example", false);
	CHECK_INTEQ(leco_names_evicted(x), 0);
	leco_names_free(x);
}

static void test_bounds(void)
{
	struct leco_names *x = leco_names_new(32);
	struct leco_name r;
	char name[64], addr[32];

	/* 20 processes name one address: 16 kept for it, the oldest go (counted) */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		r = rec(name, 1000 + i, 1, (10 + i) * S, "10.9.9.9", NULL);
		CHECK_INTEQ(leco_names_add(x, &r), 0);
	}
	CHECK_INTEQ(leco_names_count(x), 16);
	CHECK_INTEQ(leco_names_evicted(x), 4);
	/* its own name was pushed out: it borrows the latest */
	EXPECT(x, "10.9.9.9", 1000, 1, 100 * S, "n19.example", true);
	EXPECT(x, "10.9.9.9", 1019, 1, 100 * S, "n19.example", false);
	/* the whole index: 32 entries, the least recently resolved go first: the 16 above, then
	 * m0..m7 */
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "m%d.example", i);
		snprintf(addr, sizeof(addr), "10.1.0.%d", i + 1);
		r = rec(name, 7, 1, (100 + i) * S, addr, NULL);
		leco_names_add(x, &r);
	}
	CHECK_INTEQ(leco_names_count(x), 32);
	CHECK_INTEQ(leco_names_evicted(x), 4 + 24);
	EXPECT(x, "10.1.0.40", 7, 1, 200 * S, "m39.example", false);
	EXPECT(x, "10.1.0.9", 7, 1, 200 * S, "m8.example", false);
	EXPECT(x, "10.1.0.8", 7, 1, 200 * S, "(none)", false);
	EXPECT(x, "10.9.9.9", 1019, 1, 100 * S, "(none)", false);
	leco_names_free(x);
}

static void test_expiry_and_hostile(void)
{
	struct leco_names *x = leco_names_new(64);
	struct leco_maps m;
	struct leco_name r;
	bool b;
	const char *n;

	r = rec("old.example", 5, 1, 10 * S, "10.2.0.1", NULL);
	leco_names_add(x, &r);
	r = rec("new.example", 5, 1, 20000 * S, "10.2.0.2", NULL);
	leco_names_add(x, &r);
	/* a day after the resolution the index forgets it (no names ring: nothing read) */
	leco_maps_init(&m);
	CHECK_INTEQ(leco_names_read(x, &m, 10 * S + 86400 * S), 0);
	CHECK_INTEQ(leco_names_count(x), 2);
	CHECK_INTEQ(leco_names_read(x, &m, 11 * S + 86400 * S), 0);
	CHECK_INTEQ(leco_names_count(x), 1);
	EXPECT(x, "10.2.0.1", 5, 1, 20 * S, "(none)", false);
	EXPECT(x, "10.2.0.2", 5, 1, 20001 * S, "new.example", false);
	/* a program chose the name: control characters and invalid UTF-8 never reach a line;
	 * an unterminated record is cut at its end; an empty name is none */
	r = rec("evil\033[2J\xff.example", 6, 1, 30 * S, "10.2.0.3", NULL);
	leco_names_add(x, &r);
	n = look(x, "10.2.0.3", 6, 1, 31 * S, &b);
	CHECKF(n && !strchr(n, '\033') && !strchr(n, '\xff') && strstr(n, ".example"), "%s",
	       n ? n : "(none)");
	r = rec("", 6, 1, 30 * S, "10.2.0.4", NULL);
	memset(r.name, 'a', sizeof(r.name));
	leco_names_add(x, &r);
	n = look(x, "10.2.0.4", 6, 1, 31 * S, &b);
	CHECK(n && strlen(n) == LECO_NAME_LEN);
	r = rec("", 6, 1, 30 * S, "10.2.0.5", NULL);
	leco_names_add(x, &r);
	EXPECT(x, "10.2.0.5", 6, 1, 31 * S, "(none)", false);
	/* a record claiming more addresses than it has room for reads only those */
	r = rec("many.example", 6, 1, 30 * S, "10.2.0.6", NULL);
	r.naddr = 60000;
	CHECK_INTEQ(leco_names_add(x, &r), 0);
	EXPECT(x, "10.2.0.6", 6, 1, 31 * S, "many.example", false);
	leco_names_free(x);
}

static struct leco_reader *open_reader(const char *config_text)
{
	char passwd[512], proc[512];
	struct leco_reader *r = NULL;
	struct leco_error err;

	snprintf(passwd, sizeof(passwd), "%s/passwd", tmp);
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	LECO_OPTS(leco_reader_opts, o, .pin_dir = "/nonexistent/leco", .config_text = config_text,
		  .proc_root = proc, .cgroup_root = proc, .passwd_path = passwd, .clock = &clk,
		  .max_lines = 10);
	CHECKF(leco_reader_open(&o, &r, &err) == 0, "open: %s", err.msg);
	return r;
}

static void conn(struct leco_key *k, struct leco_conn *c, uint64_t cookie, uint32_t tgid,
		 uint16_t lport)
{
	memset(k, 0, sizeof(*k));
	memset(c, 0, sizeof(*c));
	k->cookie = c->cookie = cookie;
	inet_pton(AF_INET, "192.0.2.10", c->raddr);
	inet_pton(AF_INET, "10.0.0.2", c->laddr);
	c->family = 4, c->proto = 6, c->rport = (uint16_t)(440 + cookie), c->lport = lport;
	c->tgid = tgid, c->start_ns = 5 * S;
	c->state = LECO_ST_ESTABLISHED;
	snprintf(c->comm, sizeof(c->comm), "curl");
	c->first_ns = t_mono - 2 * S;
	c->last_ns = t_mono - (cookie == 1 ? 1 : 2) * S;
}

static const struct leco_line *line_of(struct leco_reader *r, uint64_t cookie)
{
	for (size_t i = 0; i < leco_reader_count(r); i++)
		if (leco_reader_line(r, i)->cookie == cookie)
			return leco_reader_line(r, i);
	return NULL;
}

static void test_lines(void)
{
	static const char *const cfgs[] = {
		NULL,
		"[format]\nremote-names = yes\n",
		"[format]\nremote-names = yes\n[rx-proc]\n\\bdownload\\.example\\b = DL\n",
	};
	static const char *const want[] = {
		"18:32 :: root :: curl :: 192.0.2.10 441 :: ",
		"18:32 :: root :: curl :: download.example 441 :: ",
		"18:32 :: root :: curl :: DL 441 :: ",
	};
	struct leco_key k[3];
	struct leco_conn c[3];

	for (size_t i = 0; i < 3; i++) {
		struct leco_reader *r = open_reader(cfgs[i]);
		struct leco_name n =
			rec("download.example", 4242, 5 * S, t_mono - 3 * S, "192.0.2.10", NULL);
		const struct leco_line *a, *b, *o;

		if (!r)
			return;
		conn(&k[0], &c[0], 1, 4242, 40001); /* the process that resolved it */
		conn(&k[1], &c[1], 2, 777, 40002);  /* another one */
		conn(&k[2], &c[2], 3, 4242, 40003);
		inet_pton(AF_INET, "192.0.2.99", c[2].raddr); /* an address nobody resolved */
		CHECK_INTEQ(leco_names_add(r->names, &n), 0);
		CHECK_INTEQ(leco_reader_poll_records(r, k, c, 3), 3);
		a = line_of(r, 1), b = line_of(r, 2), o = line_of(r, 3);
		if (!a || !b || !o) {
			CHECK(false);
			leco_reader_free(r);
			return;
		}
		CHECK_STREQ(a->rname, "download.example");
		CHECK_STREQ(a->rname_src, "self");
		CHECK_STREQ(b->rname, "download.example");
		CHECK_STREQ(b->rname_src, "other");
		CHECK_STREQ(o->rname, "");
		CHECK_STREQ(o->rname_src, "");
		CHECK_STREQ(a->raddr, "192.0.2.10"); /* the address field stays the address */
		CHECK_STREQ(a->text, want[i]);
		CHECK_STREQ(o->text, "18:32 :: root :: curl :: 192.0.2.99 443 :: ");
		if (i) /* the borrowed name shows too */
			CHECK(strstr(b->text, i == 1 ? "download.example 442" : "DL 442"));
		leco_reader_free(r);
	}
}

int main(void)
{
	char path[600];
	FILE *f;

	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(tmp, sizeof(tmp), "%s/leco-names-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 1;
	snprintf(path, sizeof(path), "%s/proc", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/passwd", tmp);
	f = fopen(path, "w");
	if (!f)
		return 1;
	fputs("root:x:0:0::/root:/bin/sh\n", f);
	fclose(f);
	RUN(test_self_other);
	RUN(test_bounds);
	RUN(test_expiry_and_hostile);
	RUN(test_lines);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	if (system(path))
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return th_done();
}
