// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Write a small history database with known contents (for the Lua and CLI tests that read
 * one without probes): the recorder fed records, with a clock that starts an hour ago.
 *   app alpha: 192.0.2.1:443 tcp rx 1000 tx 100; 192.0.2.2:53 udp rx 50 tx 20
 *   app beta:  192.0.2.1:443 tcp rx 7 tx 3; 192.0.2.3:8080 tcp failed (ECONNREFUSED)
 *   192.0.2.1 was resolved from the name svc.example.test (rname)
 * usage: mkdb PATH
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "history.h"
#include "internal.h"

#define NS 1000000000ULL

static uint64_t mono = 1000 * NS;
static int64_t base;

static uint64_t t_mono(void *ctx)
{
	return mono;
}

static int64_t t_real(void *ctx)
{
	return base * (int64_t)NS + (int64_t)(mono - 1000 * NS);
}

static void conn(struct leco_key *k, struct leco_conn *c, uint64_t cookie, const char *comm,
		 uint8_t host, uint16_t port, int proto, int state, uint64_t rx, uint64_t tx)
{
	memset(k, 0, sizeof(*k));
	memset(c, 0, sizeof(*c));
	k->cookie = c->cookie = cookie;
	c->first_ns = c->last_ns = mono - NS / 2;
	c->tgid = 990000 + (uint32_t)cookie;
	c->family = 4, c->proto = (uint8_t)proto, c->state = (uint8_t)state;
	c->laddr[0] = 10, c->laddr[3] = 1;
	c->raddr[0] = 192, c->raddr[2] = 2, c->raddr[3] = host;
	c->lport = (uint16_t)(40000 + cookie), c->rport = port;
	c->rx_bytes = rx, c->tx_bytes = tx;
	c->err = state == LECO_ST_FAILED ? ECONNREFUSED : 0;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	if (proto == 17) {
		memcpy(k->raddr, c->raddr, 16);
		k->rport = port;
	}
}

int main(int argc, char **argv)
{
	static const struct leco_clock clk = {NULL, t_mono, t_real};
	LECO_OPTS(leco_recorder_opts, o, .clock = &clk, .no_sync = true,
		  .pin_dir = "/nonexistent/leco-mkdb", .proc_root = "/nonexistent/leco-mkdb");
	struct leco_key k[4];
	struct leco_conn c[4];
	struct leco_recorder *rec = NULL;
	struct leco_error err = {0};
	struct leco_name n = {.tgid = 990001, .ns = mono - NS, .naddr = 1};

	if (argc != 2) {
		fprintf(stderr, "usage: mkdb PATH\n");
		return 2;
	}
	base = (int64_t)time(NULL) / 60 * 60 - 3600;
	if (leco_recorder_open(argv[1], &o, &rec, &err)) {
		fprintf(stderr, "mkdb: %s\n", err.msg);
		return 1;
	}
	snprintf(n.name, sizeof(n.name), "svc.example.test");
	n.addr[0][10] = n.addr[0][11] = 0xff, n.addr[0][12] = 192, n.addr[0][14] = 2;
	n.addr[0][15] = 1;
	if (leco_names_add(leco_recorder_reader(rec)->names, &n)) {
		fprintf(stderr, "mkdb: out of memory\n");
		return 1;
	}
	conn(&k[0], &c[0], 1, "alpha", 1, 443, 6, LECO_ST_ESTABLISHED, 1000, 100);
	conn(&k[1], &c[1], 2, "alpha", 2, 53, 17, LECO_ST_ACTIVE, 50, 20);
	conn(&k[2], &c[2], 3, "beta", 1, 443, 6, LECO_ST_CLOSED, 7, 3);
	conn(&k[3], &c[3], 4, "beta", 3, 8080, 6, LECO_ST_FAILED, 0, 0);
	for (int i = 0; i < 3; i++) { /* the same table three times: counted once */
		mono += 10 * NS;
		if (leco_recorder_tick_records(rec, k, c, 4)) {
			fprintf(stderr, "mkdb: %s\n", leco_recorder_errmsg(rec));
			return 1;
		}
	}
	leco_recorder_free(rec);
	return 0;
}
