// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco report: totals from the history database (what `leco record` wrote), per app, exe,
 * unit, user, remote address, port, protocol, day or hour, over a time range; or with --new
 * the (app, endpoint) pairs first seen in it. Text, JSON Lines or CSV.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/fields.h"
#include "cli.h"
#include "history_cli.h"
#include "output.h"

enum { OUT_TEXT, OUT_JSON, OUT_CSV };

struct report_args {
	const char *db;
	char db_buf[4096];
	int64_t now, since, until;
	int by, out;
	unsigned int top;
	bool new_pairs;
};

static void usage_report(FILE *f)
{
	fprintf(f,
		"usage: leco report [--db PATH] [--since TIME] [--until TIME]\n"
		"                   [--by app|exe|unit|user|remote|port|proto|day|hour] [--top N] "
		"[--json|--csv]\n"
		"       leco report --new [--db PATH] [--since TIME] [--until TIME] [--top N] "
		"[--json|--csv]\n"
		"  TIME: 2h, 7d, 2026-11-01, '2026-11-01 14:30', @UNIXTIME (default --since "
		"24h)\n");
}

static int out_format(struct report_args *a, int want)
{
	if (a->out != OUT_TEXT && a->out != want)
		return cli_err("report: give one of --json and --csv");
	a->out = want;
	return 0;
}

/* One option (cli_getopt); 0 or an exit status. */
static int report_opt(void *ctx, int c, const char *arg)
{
	struct report_args *a = ctx;
	char *end;
	long v;

	if (c == 'd') {
		a->db = arg;
	} else if (c == 'j' || c == 'c') {
		return out_format(a, c == 'j' ? OUT_JSON : OUT_CSV);
	} else if (c == 'n') {
		a->new_pairs = true;
	} else if (c == 's' || c == 'u') {
		if (leco_history_parse_time(arg, a->now, c == 's' ? &a->since : &a->until))
			return cli_err("report: bad %s '%s': want 2h, 7d, 2026-11-01, "
				       "'2026-11-01 14:30' or @UNIXTIME",
				       c == 's' ? "--since" : "--until", arg);
	} else if (c == 'b') {
		if ((a->by = leco_history_by_parse(arg)) < 0)
			return cli_err("report: bad --by '%s': want app, exe, unit, user, remote, "
				       "port, proto, day or hour",
				       arg);
	} else if (c == 't') {
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v < 1 || v > 1000000)
			return cli_err("report: bad --top '%s': want 1..1000000", arg);
		a->top = (unsigned int)v;
	}
	return 0;
}

static int report_args(int argc, char **argv, struct report_args *a, int *status)
{
	static const struct option lo[] = {
		{"db", required_argument, NULL, 'd'},	 {"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'}, {"by", required_argument, NULL, 'b'},
		{"top", required_argument, NULL, 't'},	 {"json", no_argument, NULL, 'j'},
		{"csv", no_argument, NULL, 'c'},	 {"new", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};

	a->now = (int64_t)time(NULL);
	a->since = a->now - 86400;
	if (cli_getopt(argc, argv, "h", lo, report_opt, a, usage_report, status))
		return -1;
	if (a->until && a->until <= a->since)
		*status = cli_err("report: --until is not after --since");
	else if (!a->db && !cli_history_path("report", false, false, a->db_buf, sizeof(a->db_buf)))
		a->db = a->db_buf;
	else if (!a->db)
		*status = 2;
	return *status ? -1 : 0;
}

static void print_total(const struct report_args *a, const struct leco_history_total *t)
{
	char rx[16], tx[16], f[32], l[32], key[1024];

	if (a->out == OUT_JSON) {
		cli_print_history_total(stdout, a->by, t, NULL);
	} else if (a->out == OUT_CSV) {
		cli_csv_str(stdout, leco_history_by_name(a->by));
		cli_csv_fields(stdout, leco_history_total_fields,
			       LECO_NFIELDS(leco_history_total_fields), t, false);
	} else {
		cli_size(rx, sizeof(rx), (double)t->rx);
		cli_size(tx, sizeof(tx), (double)t->tx);
		cli_fmt_time(f, sizeof(f), t->first_seen);
		cli_fmt_time(l, sizeof(l), t->last_seen);
		/* a remote address with the name it was resolved from, when one was recorded */
		snprintf(key, sizeof(key), t->rname[0] ? "%s (%s)" : "%s", t->key[0] ? t->key : "-",
			 t->rname);
		printf("%-32s %8s %8s %7llu %6llu %7llu  %-16s  %s\n", key, rx, tx,
		       (unsigned long long)t->conns, (unsigned long long)t->failed,
		       (unsigned long long)t->blocked, f, l);
	}
}

static int totals(const struct report_args *a, struct leco_history *h)
{
	LECO_OPTS(leco_history_query, q, .since = a->since, .until = a->until, .by = a->by,
		  .top = a->top);
	int n = leco_history_totals(h, &q);

	if (n < 0)
		return cli_err("report: %s", leco_history_errmsg(h));
	if (a->out == OUT_CSV)
		cli_csv_header(stdout, "by", leco_history_total_fields,
			       LECO_NFIELDS(leco_history_total_fields));
	else if (a->out == OUT_TEXT)
		printf("%-32s %8s %8s %7s %6s %7s  %-16s  %s\n", leco_history_by_name(a->by), "RX",
		       "TX", "CONNS", "FAILED", "BLOCKED", "FIRST SEEN", "LAST SEEN");
	for (int i = 0; i < n; i++)
		print_total(a, leco_history_total(h, (size_t)i));
	return 0;
}

static void print_pair(const struct report_args *a, const struct leco_history_pair *p)
{
	char f[32];

	if (a->out == OUT_JSON) {
		cli_print_history_pair(stdout, p);
	} else if (a->out == OUT_CSV) {
		cli_csv_fields(stdout, leco_history_pair_fields,
			       LECO_NFIELDS(leco_history_pair_fields), p, true);
	} else {
		cli_fmt_time(f, sizeof(f), p->first_seen);
		printf("%-16s  %-24s %-16s %s %u/%s%s%s%s\n", f, p->app[0] ? p->app : "-",
		       p->user[0] ? p->user : "-", p->raddr, p->rport, leco_proto_name(p->proto),
		       p->rname[0] ? " (" : "", p->rname, p->rname[0] ? ")" : "");
	}
}

static int new_pairs(const struct report_args *a, struct leco_history *h)
{
	int n = leco_history_new_pairs(h, a->since, a->until, a->top);

	if (n < 0)
		return cli_err("report: %s", leco_history_errmsg(h));
	if (a->out == OUT_CSV)
		cli_csv_header(stdout, NULL, leco_history_pair_fields,
			       LECO_NFIELDS(leco_history_pair_fields));
	else if (a->out == OUT_TEXT)
		printf("%-16s  %-24s %-16s %s\n", "FIRST SEEN", "APP", "USER", "REMOTE");
	for (int i = 0; i < n; i++)
		print_pair(a, leco_history_pair(h, (size_t)i));
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = {.by = LECO_HISTORY_BY_APP};
	struct leco_history *h = NULL;
	struct leco_error err = {0};
	int status = 0, ret;

	if (report_args(argc, argv, &a, &status))
		return status;
	if ((ret = leco_history_open(a.db, &h, &err)) < 0)
		return cli_err("report: %s", err.msg[0] ? err.msg : strerror(-ret));
	status = a.new_pairs ? new_pairs(&a, h) : totals(&a, h);
	leco_history_free(h);
	if (!status && (fflush(stdout) || ferror(stdout)))
		return 2;
	return status;
}
