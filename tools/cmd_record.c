// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco record: write the history database every interval, in the foreground, until
 * SIGINT/SIGTERM (then one last interval, so that nothing seen is left out). Problems (probes
 * not loaded, disk full, a read-only file system, the file deleted or replaced) are said on
 * stderr once each, and when they are over, and in the status file that `leco status` reads;
 * the recorder keeps going and retries every interval.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "history_cli.h"
#include "output.h"

struct record_args {
	const char *pin_dir, *db, *status_file;
	char db_buf[4096], status_buf[4096];
	struct leco_recorder_opts o;
};

static void usage_record(FILE *f)
{
	fprintf(f,
		"usage: leco record [-p DIR] [--db PATH] [-i|--interval SEC] [--status-file FILE]\n"
		"                   [--max-size MB] [--keep-raw DUR] [--keep-1m DUR] "
		"[--keep-1h DUR] [--keep-1d DUR]\n"
		"  DUR: 48h, 14d, 52w, or forever\n");
}

/* One option (cli_getopt); 0 or an exit status. */
static int record_opt(void *ctx, int c, const char *arg)
{
	struct record_args *a = ctx;
	int64_t *keep[] = {&a->o.keep_raw, &a->o.keep_1m, &a->o.keep_1h, &a->o.keep_1d};
	static const char *const keep_name[] = {"--keep-raw", "--keep-1m", "--keep-1h",
						"--keep-1d"};
	char *end;
	long long v;

	errno = 0;
	if (c == 'p') {
		a->pin_dir = arg;
	} else if (c == 'd') {
		a->db = arg;
	} else if (c == 's') {
		a->status_file = arg;
	} else if (c == 'i') {
		v = strtoll(arg, &end, 10);
		if (errno || *end || v < 1 || v > 3600)
			return cli_err("record: bad interval '%s': want whole seconds in 1..3600",
				       arg);
		a->o.interval = (unsigned int)v;
	} else if (c == 'm') {
		v = strtoll(arg, &end, 10);
		if (errno || *end || v < 1 || v > 1024 * 1024)
			return cli_err("record: bad --max-size '%s': want megabytes in 1..1048576",
				       arg);
		a->o.max_bytes = (uint64_t)v << 20;
	} else if (c >= '0' && c <= '3') {
		if (cli_parse_duration(arg, keep[c - '0']))
			return cli_err("record: bad %s '%s': want a duration such as 48h, 14d, "
				       "52w, or forever",
				       keep_name[c - '0'], arg);
	}
	return 0;
}

static int record_args(int argc, char **argv, struct record_args *a, int *status)
{
	static const struct option lo[] = {
		{"pin-dir", required_argument, NULL, 'p'},
		{"db", required_argument, NULL, 'd'},
		{"interval", required_argument, NULL, 'i'},
		{"status-file", required_argument, NULL, 's'},
		{"max-size", required_argument, NULL, 'm'},
		{"keep-raw", required_argument, NULL, '0'},
		{"keep-1m", required_argument, NULL, '1'},
		{"keep-1h", required_argument, NULL, '2'},
		{"keep-1d", required_argument, NULL, '3'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};

	if (cli_getopt(argc, argv, "p:i:h", lo, record_opt, a, usage_record, status))
		return -1;
	if (!a->db) {
		if (cli_history_path("record", true, true, a->db_buf, sizeof(a->db_buf))) {
			*status = 2;
			return -1;
		}
		a->db = a->db_buf;
	}
	if (!a->status_file) {
		cli_record_status_path(a->status_buf, sizeof(a->status_buf));
		a->status_file = a->status_buf;
	}
	return 0;
}

/* Seconds until 0.2 s after the next multiple of the interval (the interval that ends there
 * is the one recorded). */
static double until_next(unsigned int interval)
{
	struct timespec now;
	long long next;

	clock_gettime(CLOCK_REALTIME, &now);
	next = ((long long)now.tv_sec / interval + 1) * interval;
	return (double)(next - now.tv_sec) - (double)now.tv_nsec / 1e9 + 0.2;
}

/* Say each problem once on stderr, and when it is over; keep the status file current. */
static void report(struct record_args *a, struct leco_recorder *rec, int ret, char *last,
		   size_t lastsz, bool stopping)
{
	struct leco_recorder_status st = {.sz = sizeof(st)};
	const char *msg = leco_recorder_errmsg(rec), *state;
	int wret;

	leco_recorder_status(rec, &st);
	/* ok, error (the database), the reader's state (no_probes ...), or stopped */
	state = stopping      ? "stopped"
		: !ret	      ? "ok"
		: st.db_error ? "error"
			      : leco_reader_state_name(st.reader_state);
	if (strcmp(msg, last)) {
		if (msg[0])
			fprintf(stderr, "leco: record: %s\n", msg);
		else if (last[0])
			fprintf(stderr, "leco: record: ok again, writing %s\n", a->db);
		snprintf(last, lastsz, "%s", msg);
	}
	if (!a->status_file[0])
		return;
	wret = cli_record_status_write(a->status_file, a->db, state, msg, a->o.interval, &st);
	if (wret < 0 && st.intervals == 1)
		fprintf(stderr, "leco: record: cannot write the status file %s: %s\n",
			a->status_file, strerror(-wret));
}

int cmd_record(int argc, char **argv)
{
	struct record_args a = {.o = {.sz = sizeof(struct leco_recorder_opts)}};
	char last[LECO_ERRMSG_MAX] = "";
	struct leco_recorder *rec = NULL;
	struct leco_error err = {0};
	int status = 0, ret;
	bool stop = false;
	sigset_t quit;

	if (record_args(argc, argv, &a, &status))
		return status;
	a.o.pin_dir = a.pin_dir;
	if (!a.o.interval)
		a.o.interval = 10;
	if ((ret = leco_recorder_open(a.db, &a.o, &rec, &err)) < 0)
		return cli_err("record: %s", err.msg[0] ? err.msg : strerror(-ret));
	cli_stream_signals(&quit); /* taken only between ticks, never lost while one runs */
	fprintf(stderr, "leco: record: writing %s every %u s\n", a.db, a.o.interval);
	while (!stop) {
		stop = cli_wait_quit(&quit, until_next(a.o.interval));
		ret = leco_recorder_tick(rec);
		report(&a, rec, ret, last, sizeof(last), false);
	}
	report(&a, rec, ret, last, sizeof(last), true);
	leco_recorder_free(rec);
	return 0;
}
