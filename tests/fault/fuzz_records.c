// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The record-decoding path: arbitrary bytes as pinned-map records (struct
 * leco_key + struct leco_conn, bpf/leco.h) fed to a reader through the internal
 * leco_reader_poll_records() — connection table, annotation, formatting, view —
 * exactly as a poll of the real maps would. Whatever the bytes (families other
 * than 4/6, unknown states and protocols, times in the future, comm without a
 * NUL, invalid UTF-8), every line must be valid UTF-8 without control
 * characters, bounded, with alpha in 0..1, and keeps exactly the default
 * line's four ` :: ` field separators; the accounting's groups and every-
 * connection walk hold the same kind of strings and sane numbers; nothing may
 * crash or leak. The driver
 * also points the reader at a fixture cgroup tree whose directory names are
 * hostile (` :: `, escapes, newlines, invalid UTF-8) and uses their ids.
 *
 * Built two ways from this file:
 *  - records_random (ctest, label fault; also under scripts/test-sanitize): a
 *    deterministic driver that makes biased pseudo-random records;
 *  - fuzz_records (LECO_FUZZ=ON with clang, label fuzz): a libFuzzer target.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "leco.h"

#define REC_SIZE (sizeof(struct leco_key) + sizeof(struct leco_conn))
#define MAX_RECS 256

static struct leco_reader *reader;
static const char *cgroup_root = "/nonexistent/leco-records-cgroup";
static uint64_t fake_mono = 1000ULL * 1000000000ULL;

static uint64_t mono(void *ctx)
{
	(void)ctx;
	return fake_mono;
}

static int64_t real(void *ctx)
{
	(void)ctx;
	return 1795000000LL * 1000000000LL;
}

static const struct leco_clock fake_clock = {.mono_ns = mono, .real_ns = real};

static void fail(const char *what, const char *s)
{
	fprintf(stderr, "records: %s: [%s]\n", what, s ? s : "(null)");
	abort();
}

/* valid UTF-8, no C0/C1 control characters or DEL, bounded */
static void check_str(const char *what, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	if (!s)
		fail(what, "NULL");
	while (*p) {
		unsigned int c = *p, len, cp;

		if (c < 0x20 || c == 0x7f)
			fail(what, s);
		if (c < 0x80) {
			p++;
			n++;
			continue;
		}
		len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (!len || c > 0xf4)
			fail(what, s);
		cp = c & (0x3f >> (len - 1));
		for (unsigned int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				fail(what, s);
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			fail(what, s);
		p += len;
		n += len;
	}
	if (n > max)
		fail(what, s);
}

static void check_fixed(const char *what, const char *s, size_t size)
{
	if (!memchr(s, 0, size))
		fail(what, "not NUL-terminated");
	check_str(what, s, size);
}

static void setup(void)
{
	LECO_OPTS(leco_reader_opts, opts, .pin_dir = "/nonexistent/leco-records-test",
		  .proc_root = "/nonexistent/leco-records-proc", .cgroup_root = cgroup_root,
		  .passwd_path = "/nonexistent/leco-records-passwd", .clock = &fake_clock,
		  .max_lines = 64);
	struct leco_error err;

	if (leco_reader_open(&opts, &reader, &err) < 0) {
		fprintf(stderr, "records: reader_open: %s\n", err.msg);
		abort();
	}
}

/* The accounting over the same records (lib/account.c, lib/top.c): every group and every
 * connection of the walk holds sane strings and numbers; no group claims more bytes than the
 * total, none has more open connections than it has seen. */
static void check_accounting(const uint8_t *data, size_t size)
{
	LECO_OPTS(leco_top_opts, to, .by = size ? data[0] % 8 : 0,
		  .sort = size > 1 ? data[1] % 15 : 0, .keep = size > 2 ? data[2] : 0,
		  .n = size > 3 ? data[size - 2] % 65 : 0);
	const struct leco_group *g, *total;
	unsigned __int128 rx = 0, tx = 0;
	int n = leco_reader_top(reader, &to);

	if (n < 0)
		return; /* -ENOMEM: allowed */
	if (!(total = leco_reader_top_total(reader)))
		fail("top", "no total");
	for (int i = 0; i < n; i++) {
		g = leco_reader_group(reader, (size_t)i);
		check_str("group key", g->key, 4096);
		check_str("group cmd", g->cmd, 512);
		check_str("group exe", g->exe, 4096);
		check_str("group user", g->user, 256);
		check_str("group unit", g->unit, 512);
		if (!(g->rx_rate >= 0 && g->tx_rate >= 0 && g->rx_rate_avg >= 0 &&
		      g->tx_rate_avg >= 0 && !isinf(g->rx_rate) && !isinf(g->tx_rate)))
			fail("group rates", g->key);
		if (g->conns > g->conns_total || g->failed > g->conns_total)
			fail("group counts", g->key);
		if (g->rx > total->rx || g->tx > total->tx)
			fail("group bytes", "more than the total");
		rx += g->rx;
		tx += g->tx;
	}
	/* counters stop at UINT64_MAX (random ones get there); below it the groups of one
	 * group-by share out the total's bytes, less those of groups that aged out */
	if ((total->rx < UINT64_MAX && rx > total->rx) ||
	    (total->tx < UINT64_MAX && tx > total->tx))
		fail("groups", "more bytes than the total");
	n = leco_reader_conn_count(reader);
	for (int i = 0; i < n; i++) {
		const struct leco_conn_info *ci = leco_reader_conn(reader, (size_t)i);

		check_str("conn cmd", ci->cmd, 512);
		check_str("conn raddr", ci->raddr, 64);
		check_str("conn unit", ci->unit, 512);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct leco_key keys[MAX_RECS];
	static struct leco_conn conns[MAX_RECS];
	size_t n = size / REC_SIZE;
	int ret;

	if (!reader)
		setup();
	if (n > MAX_RECS)
		n = MAX_RECS;
	for (size_t i = 0; i < n; i++) {
		memcpy(&keys[i], data + i * REC_SIZE, sizeof(keys[i]));
		memcpy(&conns[i], data + i * REC_SIZE + sizeof(keys[i]), sizeof(conns[i]));
	}
	fake_mono += 1 + (size ? data[size - 1] : 0) * 100000000ULL;
	ret = leco_reader_poll_records(reader, keys, conns, n);
	if (ret < 0)
		return 0; /* -ENOMEM etc.: allowed, but nothing may be half-built */
	if ((size_t)ret != leco_reader_count(reader))
		fail("count", "poll result != leco_reader_count");
	for (size_t i = 0; i < leco_reader_count(reader); i++) {
		const struct leco_line *l = leco_reader_line(reader, i);

		check_str("text", l->text, 4096);
		check_str("raw", l->raw, 4096);
		check_str("group", l->group, 4096);
		check_str("comm", l->comm, 64);
		check_str("cmd", l->cmd, 512);
		check_str("exe", l->exe, 4096);
		check_str("user", l->user, 256);
		check_str("cgroup", l->cgroup, 4096);
		check_str("unit", l->unit, 512);
		/* TIME :: USER :: CMD [LABEL] :: ENDPOINT :: TRAFFIC, whatever the names */
		unsigned int seps = 0;
		for (const char *q = l->raw; (q = strstr(q, " :: ")); q += 4)
			seps++;
		if (seps != 4)
			fail("field separators", l->raw);
		check_fixed("laddr", l->laddr, sizeof(l->laddr));
		check_fixed("raddr", l->raddr, sizeof(l->raddr));
		if (!(l->alpha >= 0.0 && l->alpha <= 1.0) || isnan(l->age))
			fail("alpha/age", l->text);
		if (l->family != 4 && l->family != 6)
			fail("family", l->text);
	}
	check_accounting(data, size);
	return 0;
}

#ifdef LECO_RECORDS_DRIVER
#include <sys/stat.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* A fixture cgroup tree with hostile directory names; records use their ids (inodes). */
static const char *const cg_dirs[] = {
	"a :: b",
	"a :: b/x\x1b[1m\tz.service",
	"nl\nname.slice",
	"bad\xff\xfeutf8.scope",
	"app-flatpak-org.foo-1234.scope",
	"tmux-spawn-: :: :.scope",
};
#define NCG (sizeof(cg_dirs) / sizeof(cg_dirs[0]))
static char cg_tmp[] = "/tmp/leco-records-cg-XXXXXX";
static uint64_t cg_ids[NCG];

static void cg_make(void)
{
	char path[512];
	struct stat st;

	if (!mkdtemp(cg_tmp))
		fail("mkdtemp", cg_tmp);
	for (size_t i = 0; i < NCG; i++) {
		snprintf(path, sizeof(path), "%s/%s", cg_tmp, cg_dirs[i]);
		if (mkdir(path, 0700) || stat(path, &st))
			fail("mkdir", path);
		cg_ids[i] = st.st_ino;
	}
	cgroup_root = cg_tmp;
}

static void cg_remove(void)
{
	char path[512];

	for (size_t i = NCG; i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", cg_tmp, cg_dirs[i]);
		rmdir(path);
	}
	rmdir(cg_tmp);
}

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Biased records: mostly plausible values (so the deep paths run), sometimes garbage. */
static void make(uint8_t *buf, size_t n)
{
	static const char *const comms[] = {"curl", "python3",		"a\x1b[2J::\n\xff",
					    " :: ", "\xc3\x28\xe2\x82", "firefox",
					    "bash"};
	for (size_t i = 0; i < n; i++) {
		struct leco_key k;
		struct leco_conn c;

		for (size_t j = 0; j < sizeof(k); j++)
			((uint8_t *)&k)[j] = (uint8_t)next();
		for (size_t j = 0; j < sizeof(c); j++)
			((uint8_t *)&c)[j] = (uint8_t)next();
		if (next() % 8) {
			k.cookie = 1 + next() % 512;
			c.cookie = k.cookie;
			c.family = next() % 2 ? 4 : 6;
			c.proto = next() % 2 ? 6 : 17;
			c.state = next() % 8;
			c.dir = next() % 3;
			c.tgid = next() % 4 ? (uint32_t)(next() % 70000) : 0;
			c.uid = next() % 3 ? (uint32_t)(next() % 2000) : (uint32_t)next();
			c.err = next() % 4 ? 0 : (int32_t)(next() % 200);
			c.first_ns = fake_mono - next() % (200000ULL * 1000000000ULL);
			c.last_ns = c.first_ns + next() % (100ULL * 1000000000ULL);
			if (next() % 3 == 0)
				c.cgroup_id = cg_ids[next() % NCG];
			c.rx_bytes = next() % 3 ? next() % 100000000 : next();
			c.tx_bytes = next() % 3 ? next() % 100000000 : next();
			if (next() % 2) {
				const char *cm = comms[next() % (sizeof(comms) / sizeof(comms[0]))];
				memset(c.comm, 0, sizeof(c.comm));
				memcpy(c.comm, cm,
				       strlen(cm) < sizeof(c.comm) ? strlen(cm) : sizeof(c.comm));
			}
			if (c.family == 4)
				memset(c.raddr + 4, 0, 12);
		}
		memcpy(buf + i * REC_SIZE, &k, sizeof(k));
		memcpy(buf + i * REC_SIZE + sizeof(k), &c, sizeof(c));
	}
}

int main(int argc, char **argv)
{
	static uint8_t buf[MAX_RECS * REC_SIZE + 1];
	int iters = argc > 1 ? atoi(argv[1]) : 3000;

	cg_make();

	for (int it = 0; it < iters; it++) {
		size_t n = next() % (MAX_RECS + 1);

		make(buf, n);
		buf[n * REC_SIZE] = (uint8_t)next();
		LLVMFuzzerTestOneInput(buf, n * REC_SIZE + (next() % 2));
	}
	leco_reader_free(reader);
	cg_remove();
	printf("%d polls of pseudo-random records: every line clean\n", iters);
	printf("1 passed, 0 failed\n");
	return 0;
}
#endif
