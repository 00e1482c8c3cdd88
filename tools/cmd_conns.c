// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco conns: every connection of the table, one record each (open, closed, failed, blocked,
 * also those of processes that have exited), as `ss` lists sockets; or JSON Lines with the
 * fields of `leco lines --json` without the display ones.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "top.h"

struct conns_opts {
	const char *pin_dir, *user, *unit;
	long long pid; /* -1: any */
	int state;     /* -1: any */
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: leco conns [-p DIR] [--json] [--pid N] [--user U] [--unit U] "
		   "[--state S]\n"
		   "  Every connection the probes hold, one per line (like ss), or JSON Lines.\n"
		   "  --user: a user name or uid; --state: connecting, established, failed, "
		   "blocked,\n  closed or active.\n");
}

static int state_arg(const char *s)
{
	for (int i = LECO_STATE_CONNECTING; i <= LECO_STATE_ACTIVE; i++)
		if (!strcmp(s, leco_state_name(i)))
			return i;
	return -1;
}

static int conns_opt(void *ctx, int c, const char *arg)
{
	struct conns_opts *o = ctx;
	char *end;

	if (c == 'p') {
		o->pin_dir = arg;
	} else if (c == 'j') {
		o->json = true;
	} else if (c == 'u') {
		o->user = arg;
	} else if (c == 'U') {
		o->unit = arg;
	} else if (c == 'P') {
		errno = 0;
		o->pid = strtoll(arg, &end, 10);
		if (errno || *end || !*arg || o->pid < 0 || o->pid > 0xffffffffLL)
			return cli_err("conns: bad pid '%s'", arg);
	} else if (c == 's' && (o->state = state_arg(arg)) < 0) {
		return cli_err("conns: bad state '%s': want connecting, established, failed, "
			       "blocked, closed or active",
			       arg);
	}
	return 0;
}

/* 0, or -1 with *status set */
static int conns_args(int argc, char **argv, struct conns_opts *o, int *status)
{
	static const struct option lo[] = {
		{"pin-dir", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
		{"pid", required_argument, NULL, 'P'},	   {"user", required_argument, NULL, 'u'},
		{"unit", required_argument, NULL, 'U'},	   {"state", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0}};

	memset(o, 0, sizeof(*o));
	o->pid = o->state = -1;
	return cli_getopt(argc, argv, "p:h", lo, conns_opt, o, usage, status);
}

static bool wanted(const struct conns_opts *o, const struct leco_conn_info *ci)
{
	char uid[16];

	snprintf(uid, sizeof(uid), "%u", ci->uid);
	return (o->pid < 0 || ci->pid == o->pid) && (o->state < 0 || ci->state == o->state) &&
	       (!o->user || !strcmp(o->user, ci->user) || (ci->pid && !strcmp(o->user, uid))) &&
	       (!o->unit || !strcmp(o->unit, ci->unit));
}

/* "addr:port", IPv6 in brackets, as ss shows them */
static void endpoint(char *buf, size_t sz, int family, const char *addr, unsigned int port)
{
	snprintf(buf, sz, family == 6 ? "[%s]:%u" : "%s:%u", addr, port);
}

static void print_text(const struct leco_conn_info *ci, bool header)
{
	char l[64], p[64], rx[16], tx[16];

	if (header)
		printf("%-5s %-11s %-3s %-26s %-26s %7s %7s %8s %-10s %-16s %s\n", "Proto", "State",
		       "Dir", "Local", "Peer", "RX", "TX", "PID", "User", "Program", "Unit");
	endpoint(l, sizeof(l), ci->family, ci->laddr, ci->lport);
	endpoint(p, sizeof(p), ci->family, ci->raddr, ci->rport);
	cli_size(rx, sizeof(rx), (double)ci->rx);
	cli_size(tx, sizeof(tx), (double)ci->tx);
	printf("%-5s %-11s %-3s %-26s %-26s %7s %7s %8u %-10s %-16s %s%s\n",
	       leco_proto_name(ci->proto), leco_state_name(ci->state), leco_direction_name(ci->dir),
	       l, p, rx, tx, ci->pid, ci->pid ? ci->user : "-", ci->pid ? ci->cmd : "-",
	       ci->unit[0] ? ci->unit : "-", ci->exited ? " (exited)" : "");
}

int cmd_conns(int argc, char **argv)
{
	struct conns_opts o;
	struct leco_reader *r = NULL;
	int status = 0, n, shown = 0;

	if (conns_args(argc, argv, &o, &status))
		return status;
	if ((status = cli_top_reader("conns", o.pin_dir, &r)))
		return status;
	n = leco_reader_poll(r);
	if (n >= 0)
		n = leco_reader_conn_count(r);
	if (n < 0) {
		status = cli_err("conns: %s",
				 leco_reader_errmsg(r)[0] ? leco_reader_errmsg(r) : strerror(-n));
		leco_reader_free(r);
		return status;
	}
	for (int i = 0; i < n; i++) {
		const struct leco_conn_info *ci = leco_reader_conn(r, (size_t)i);

		if (!ci || !wanted(&o, ci))
			continue;
		if (o.json)
			cli_print_conn_json(stdout, ci);
		else
			print_text(ci, !shown);
		shown++;
	}
	if (fflush(stdout) || ferror(stdout))
		status = cli_err("conns: writing output failed");
	leco_reader_free(r);
	return status;
}
