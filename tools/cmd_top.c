// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco top: who uses the network, grouped by process (or exe, program, unit, user, remote,
 * port, proto). On a terminal a full-screen view (tools/top_tui.c); piped or with --json, JSON
 * Lines, one object per group per refresh; --once: two polls -i apart, one frame.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "top.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: leco top [-p DIR] [--by BY] [--sort KEY] [-n N] [-i SEC] [--once] "
		"[--json]\n"
		"  Who uses the network: traffic per process (or BY), since leco top started.\n"
		"  --by     process (default), exe, program, unit, user, remote, port, proto\n"
		"  --sort   rate (default), rx_rate, tx_rate, total, rx, tx, conns, conns_total,\n"
		"           failed, blocked, rate_avg, rx_rate_avg, tx_rate_avg, first_seen, "
		"last_seen\n"
		"  -n N     at most N groups;  -i SEC  refresh every SEC seconds (default 1)\n"
		"  --once   two polls SEC apart, one frame (a table, or JSON when piped/--json)\n"
		"  --json   JSON Lines, one object per group per refresh (the default when piped)\n"
		"  keys: q quit, m rates/totals, s/r/t/c sort by sent/received/total/conns,\n"
		"        g group-by, p pause, / filter, arrows scroll\n");
}

static int top_opt(void *ctx, int c, const char *arg)
{
	struct top_opts *o = ctx;
	char *end;

	errno = 0;
	if (c == 'p') {
		o->pin_dir = arg;
	} else if (c == 'o') {
		o->once = true;
	} else if (c == 'j') {
		o->json = true;
	} else if (c == 'b' && (o->by = leco_group_by_from_name(arg)) < 0) {
		return cli_err("top: bad group-by '%s': want process, exe, program, unit, user, "
			       "remote, port or proto",
			       arg);
	} else if (c == 's' && (o->sort = leco_sort_from_name(arg)) < 0) {
		return cli_err("top: bad sort key '%s' (try 'leco top --help')", arg);
	} else if (c == 'i') {
		o->interval = strtod(arg, &end);
		if (errno || *end || !(o->interval >= 0.05 && o->interval <= 3600))
			return cli_err("top: bad interval '%s': want seconds in 0.05..3600", arg);
	} else if (c == 'n') {
		unsigned long v = strtoul(arg, &end, 10);

		if (errno || *end || !v || v > 100000 || arg[0] == '-')
			return cli_err("top: bad group count '%s': want 1..100000", arg);
		o->n = v;
	}
	return 0;
}

/* 0, or -1 with *status set */
static int top_args(int argc, char **argv, struct top_opts *o, int *status)
{
	static const struct option lo[] = {{"pin-dir", required_argument, NULL, 'p'},
					   {"by", required_argument, NULL, 'b'},
					   {"sort", required_argument, NULL, 's'},
					   {"lines", required_argument, NULL, 'n'},
					   {"interval", required_argument, NULL, 'i'},
					   {"once", no_argument, NULL, 'o'},
					   {"json", no_argument, NULL, 'j'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};

	memset(o, 0, sizeof(*o));
	o->interval = 1.0;
	return cli_getopt(argc, argv, "p:n:i:h", lo, top_opt, o, usage, status);
}

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One frame as a table (--once on a terminal). */
static void print_table(struct leco_reader *r, int n, int by)
{
	const struct leco_group *g;
	char v[4][16];

	if (by == LECO_BY_PROCESS)
		printf("%8s %-10s %-16s %-16s", "PID", "USER", "PROGRAM", "UNIT");
	else
		printf("%-40s", leco_group_by_name(by));
	printf(" %6s %9s %9s %9s %9s\n", "CONNS", "RX/s", "TX/s", "RX", "TX");
	for (int i = 0; i <= n; i++) {
		g = i < n ? leco_reader_group(r, (size_t)i) : leco_reader_top_total(r);
		if (!g)
			continue;
		cli_size(v[0], sizeof(v[0]), g->rx_rate);
		cli_size(v[1], sizeof(v[1]), g->tx_rate);
		cli_size(v[2], sizeof(v[2]), (double)g->rx);
		cli_size(v[3], sizeof(v[3]), (double)g->tx);
		if (i == n)
			printf(by == LECO_BY_PROCESS ? "%-8s %-10s %-16s %-16s" : "%-40s", "TOTAL",
			       "", "", "");
		else if (by == LECO_BY_PROCESS && !g->unattributed)
			printf("%8u %-10.10s %-16.16s %-16.16s", g->pid, g->user, g->cmd,
			       g->unit[0] ? g->unit : "-");
		else
			printf(by == LECO_BY_PROCESS ? "%-8s %-10s %-16s %-16s" : "%-40.40s",
			       g->unattributed ? "(unattributed)" : g->key, "", "", "");
		printf(" %6u %9s %9s %9s %9s%s\n", g->conns, v[0], v[1], v[2], v[3],
		       g->exited ? "  (exited)" : "");
	}
}

/* JSON Lines (or one table with --once on a terminal) until a signal or EPIPE. */
static int top_stream(struct leco_reader *r, const struct top_opts *o, bool table)
{
	LECO_OPTS(leco_top_opts, to, .by = o->by, .sort = o->sort, .n = o->n);
	char last_err[LECO_ERRMSG_MAX] = "";
	int n, status = 0, polls = 0;
	sigset_t quit;

	cli_stream_signals(&quit);
	for (;;) {
		n = leco_reader_poll(r);
		if (n >= 0)
			n = leco_reader_top(r, &to);
		if (n < 0 && o->once) /* one frame or an error, no waiting */
			return cli_err("top: %s", leco_reader_errmsg(r)[0] ? leco_reader_errmsg(r)
									   : strerror(-n));
		cli_say_once("top", r, n, last_err);
		/* the first poll starts the counting: rates need a second */
		if (n >= 0 && polls++ && table)
			print_table(r, n, o->by);
		double t = unix_now();

		for (int i = 0; n >= 0 && polls > 1 && !table && i < n; i++)
			cli_print_group_json(stdout, leco_reader_group(r, (size_t)i), t);
		if (fflush(stdout) || ferror(stdout))
			return 0; /* EPIPE: the other end went away */
		if ((o->once && polls > 1) || cli_wait_quit(&quit, o->interval))
			return status;
	}
}

int cli_top_reader(const char *what, const char *pin_dir, struct leco_reader **r)
{
	LECO_OPTS(leco_reader_opts, ro, .pin_dir = pin_dir, .raw = true, .max_lines = 1);
	struct leco_error err = {0};
	int ret = leco_reader_open(&ro, r, &err);

	if (ret < 0)
		return cli_err("%s: %s", what, err.msg[0] ? err.msg : strerror(-ret));
	return 0;
}

void cli_size(char *buf, size_t sz, double v)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	if (v < 0.5) {
		snprintf(buf, sz, "0");
		return;
	}
	while (v >= 1000 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, sz, u && v < 9.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o;
	struct leco_reader *r = NULL;
	int status = 0;

	if (top_args(argc, argv, &o, &status))
		return status;
	if ((status = cli_top_reader("top", o.pin_dir, &r)))
		return status;
	if (!o.json && !o.once && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO))
		status = top_tui(r, &o);
	else
		status = top_stream(r, &o, o.once && !o.json && isatty(STDOUT_FILENO));
	leco_reader_free(r);
	return status;
}
