// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_poll [--live] [CONFIG]: CPU time of one leco_reader_poll() with 1,000
 * and 16,000 connections, and the resident memory the reader adds to its
 * caller. Root. Without --live: maps with the bpf/leco.h layout in a private
 * bpffs (tests/mapset.h), filled by hand (varied owners, ports, uids, cgroups;
 * 10% of records change between polls): the reader's own cost; then the cost
 * of walking every connection annotated (lib/annotate.h), on top of the poll,
 * and of per-process accounting (lib/account.c: two readers of the same maps,
 * with and without it, in the same run; targets <= 0.3 ms and <= 4 ms). With
 * --live (live.c): the real probes and that many live TCP sockets. Targets:
 * <= 1.5 ms and <= 10 ms of CPU per poll, <= 4 MB added RSS. Prints figures;
 * never fails on them.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "annotate.h"
#include "mapset.h"
#include "poll.h"

#define POLLS 40
#define WALKS 10

double bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * LECO_NS + (uint64_t)ts.tv_nsec;
}

static long rss_kb(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static uint64_t self_start; /* this process's start, as the probes record it */

static void record(struct leco_conn *c, uint32_t i, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->cookie = 100000 + i;
	c->first_ns = now - (uint64_t)(i % 3600) * LECO_NS - LECO_NS;
	c->last_ns = now - (uint64_t)(i % 600) * LECO_NS / 10;
	c->rx_bytes = (uint64_t)i * 37;
	c->tx_bytes = (uint64_t)i * 11;
	c->family = (i % 5) ? 4 : 6;
	c->proto = (i % 3) ? 6 : 17;
	c->state = (i % 3) ? LECO_ST_ESTABLISHED : LECO_ST_ACTIVE;
	c->dir = (i % 17) ? LECO_DIR_OUT : LECO_DIR_IN;
	c->uid = (i % 4) ? 0 : 65534;
	/* alive, and vanished; with their start, as the probes record it */
	c->tgid = (i % 2) ? (uint32_t)getpid() : 3000000 + i % 200;
	c->start_ns = (i % 2) ? self_start : 1000 * LECO_NS + c->tgid;
	c->cgroup_id = 1;
	c->rport = (uint16_t)(1024 + i % 50000);
	c->lport = (uint16_t)(40000 + i % 20000);
	snprintf(c->comm, sizeof(c->comm), "%s", (i % 7) ? "bench-client" : "python3");
	if (c->family == 4) {
		uint32_t a = htonl(0x0a000000 | i);

		memcpy(c->raddr, &a, 4);
		inet_pton(AF_INET, "10.255.0.1", c->laddr);
	} else {
		inet_pton(AF_INET6, "fd00::1", c->raddr);
		c->raddr[15] = (uint8_t)i;
		c->raddr[14] = (uint8_t)(i >> 8);
		inet_pton(AF_INET6, "fd00::2", c->laddr);
	}
}

/* 10% of the connections move between polls */
static void churn(int fc, uint32_t n, int p)
{
	uint64_t now = mono_now();

	for (uint32_t i = (uint32_t)p % 10; i < n; i += 10) {
		struct leco_key k = {.cookie = 100000 + i};
		struct leco_conn c;

		record(&c, i, now);
		c.rx_bytes += (uint64_t)p * 1000;
		c.last_ns = now;
		bpf_map_update_elem(fc, &k, &c, 0);
	}
}

static int count_conn(void *ctx, const struct leco_conn_info *ci)
{
	(*(uint32_t *)ctx)++;
	return 0;
}

/* CPU time of walking every connection annotated after a poll: the first walk (annotations
 * made), then the mean of WALKS more, each after a poll with churn (what is kept is reused). */
static void walk_cost(struct leco_reader *r, int fc, uint32_t n)
{
	uint32_t seen = 0;
	double t0 = bench_cpu_now(), first, total = 0;

	leco_annotate_each(r, count_conn, &seen);
	first = bench_cpu_now() - t0;
	for (int p = 0; p < WALKS; p++) {
		churn(fc, n, POLLS + p);
		leco_reader_poll(r);
		t0 = bench_cpu_now();
		leco_annotate_each(r, count_conn, &seen);
		total += bench_cpu_now() - t0;
	}
	printf("%6u connections: every connection annotated (%u per walk): first walk %.2f ms, "
	       "then %.3f ms CPU per poll on top of it\n",
	       n, seen / (WALKS + 1), first * 1e3, total / WALKS * 1e3);
}

/* Between polls 1% of `n` new connections come, each batch leaving the map again 5 polls
 * later (cookies of their own, beside the `n` that churn() moves) */
static void turnover(int fc, uint32_t n, int p)
{
	uint64_t now = mono_now();
	uint32_t m = n / 100;

	for (uint32_t j = 0; j < m; j++) {
		struct leco_key k = {.cookie = 500000000ULL + (uint64_t)(p - 5) * m + j};
		struct leco_conn c;

		if (p >= 5)
			bpf_map_delete_elem(fc, &k);
		k.cookie += 5ULL * m;
		record(&c, j * 7 + (uint32_t)p, now);
		c.cookie = k.cookie;
		c.first_ns = now - LECO_NS / 2;
		bpf_map_update_elem(fc, &k, &c, 0);
	}
}

/*
 * Per-process accounting on top of the poll: two readers of the same maps, one polling only,
 * one polling and asking for the groups by process (leco_reader_top), polled one after the
 * other after each change (10% of the connections move, 1% new ones come, and go 5 polls
 * later).
 */
static void account_cost(const char *dir, int fc, uint32_t n)
{
	LECO_OPTS(leco_reader_opts, o, .pin_dir = dir);
	LECO_OPTS(leco_top_opts, to, .by = LECO_BY_PROCESS, .n = 20);
	struct leco_reader *plain = NULL, *acct = NULL;
	double t0, cpu_plain = 0, cpu_acct = 0, worst = 0, conns = 0;
	int groups = 0;

	long rss0 = rss_kb(), rss1, rss2;

	if (leco_reader_open(&o, &plain, NULL))
		goto out;
	leco_reader_poll(plain);
	rss1 = rss_kb();
	if (leco_reader_open(&o, &acct, NULL))
		goto out;
	leco_reader_poll(acct);
	leco_reader_top(acct, &to); /* accounting starts: every connection gets its groups */
	rss2 = rss_kb();
	for (int p = 0; p < POLLS; p++) {
		churn(fc, n, 2 * POLLS + p);
		turnover(fc, n, p);
		t0 = bench_cpu_now();
		leco_reader_poll(plain);
		cpu_plain += bench_cpu_now() - t0;
		t0 = bench_cpu_now();
		leco_reader_poll(acct);
		groups = leco_reader_top(acct, &to);
		double dt = bench_cpu_now() - t0;

		cpu_acct += dt;
		if (dt > worst)
			worst = dt;
	}
	/* the every-connection walk after the last poll */
	t0 = bench_cpu_now();
	int nc = leco_reader_conn_count(acct);

	conns = bench_cpu_now() - t0;
	double extra = (cpu_acct - cpu_plain) / POLLS * 1e3, target = n <= 1000 ? 0.3 : 4.0;

	printf("%6u connections: poll alone %.3f ms, poll + accounting %.3f ms CPU per poll "
	       "(worst %.3f ms, %d groups shown): accounting %.3f ms (target <= %.1f ms: %.0f%% of "
	       "it); then every connection annotated (%d) %.2f ms\n",
	       n, cpu_plain / POLLS * 1e3, cpu_acct / POLLS * 1e3, worst * 1e3, groups, extra,
	       target, extra / target * 100, nc, conns * 1e3);
	/* each reader's RSS after its first poll (and, for the second, the start of accounting) */
	printf("%6u connections: RSS of a reader +%.2f MB, of a reader with accounting +%.2f MB\n",
	       n, (double)(rss1 - rss0) / 1024, (double)(rss2 - rss1) / 1024);
out:
	leco_reader_free(plain);
	leco_reader_free(acct);
}

static int run(const char *mnt, uint32_t n, const char *config)
{
	char dir[600];
	struct mapset m;
	int fc;

	snprintf(dir, sizeof(dir), "%s/leco-%u", mnt, n);
	if (mapset_create(&m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), LECO_CONNS_MAX,
			  LECO_RING_MAX, "") ||
	    mapset_pin(&m, dir)) {
		perror("bench_poll: creating maps");
		return 1;
	}
	fc = m.conns;
	uint64_t now = mono_now();

	for (uint32_t i = 0; i < n; i++) {
		struct leco_key k = {.cookie = 100000 + i};
		struct leco_conn c;

		record(&c, i, now);
		bpf_map_update_elem(fc, &k, &c, 0);
	}

	long rss0 = rss_kb();
	struct leco_reader *r = NULL;
	struct leco_error err;
	LECO_OPTS(leco_reader_opts, o, .pin_dir = dir, .config_path = config);

	if (leco_reader_open(&o, &r, &err)) {
		fprintf(stderr, "bench_poll: %s\n", err.msg);
		return 1;
	}
	double t0 = bench_cpu_now();
	int lines = leco_reader_poll(r);
	double first = bench_cpu_now() - t0, total = 0, worst = 0;

	if (lines < 0) {
		fprintf(stderr, "bench_poll: %s\n", leco_reader_errmsg(r));
		return 1;
	}
	for (int p = 0; p < POLLS; p++) {
		churn(fc, n, p); /* not measured */
		t0 = bench_cpu_now();
		lines = leco_reader_poll(r);
		double dt = bench_cpu_now() - t0;

		total += dt;
		if (dt > worst)
			worst = dt;
	}
	long rss1 = rss_kb();
	double target = n <= 1000 ? 1.5 : 10.0;

	printf("%6u connections: first poll %.2f ms, then %.3f ms CPU per poll (worst %.3f ms; "
	       "target <= %.0f ms: %.0f%% of it), %d lines, RSS +%.2f MB (target <= 4 MB)\n",
	       n, first * 1e3, total / POLLS * 1e3, worst * 1e3, target,
	       total / POLLS * 1e3 / target * 100, lines, (double)(rss1 - rss0) / 1024);
	walk_cost(r, fc, n);
	leco_reader_free(r);
	account_cost(dir, fc, n);
	mapset_close(&m);
	return 0;
}

int main(int argc, char **argv)
{
	char mnt[128];
	int ret = 0;

	if (geteuid()) {
		fprintf(stderr, "bench_poll: needs root (creates BPF maps)\n");
		return 77;
	}
	snprintf(mnt, sizeof(mnt), "/tmp/leco-bench-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(mnt) || mount("bpf", mnt, "bpf", 0, "mode=0700")) {
		perror("bench_poll: bpffs");
		return 1;
	}
	struct leco_pids *pids = leco_pids_new(NULL);

	self_start = pids ? leco_pids_start(pids, (uint32_t)getpid()) : 0;
	leco_pids_free(pids);
	bool live = argc > 1 && !strcmp(argv[1], "--live");
	const char *config = argc > 1 + live ? argv[1 + live] : NULL;

	printf("bench_poll: config %s, %d polls each\n", config ? config : "(defaults)", POLLS);
	if (live) {
		ret |= bench_live(mnt, 1000, config);
		ret |= bench_live(mnt, 16000, config);
	} else {
		ret |= run(mnt, 1000, config);
		ret |= run(mnt, 16000, config);
	}
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	return ret;
}
