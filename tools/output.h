/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by `leco lines` and `leco watch`: options and line output (text or JSON Lines). */
#ifndef LECO_CLI_OUTPUT_H
#define LECO_CLI_OUTPUT_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "leco.h"

struct cli_view_opts {
	const char *pin_dir;
	const char *config;
	bool json, raw;
	double interval;	/* watch only */
	unsigned int max_lines; /* -n: 0 = the config's max-lines */
};

/* Parse [-p DIR] [-c CONFIG] [-n LINES] [--json] [--raw] (and -i SEC when `watch`); 0, or an exit
 * status. */
int cli_view_args(int argc, char **argv, bool watch, struct cli_view_opts *o, int *status);
/* After getopt_long (optstring "+:...") returned `c` ('?' or ':') while reading the word `arg`:
 * say which option of subcommand `name` is unknown or lacks its value; returns the exit status
 * (2). */
int cli_bad_option(const char *name, int c, const char *arg);
/* The options of subcommand argv[0] with getopt_long (`shortopts` without the leading "+:"):
 * fn(ctx, c, optarg) for each, which returns 0 or an exit status; 'h' prints usage(stdout) and
 * ends with status 0; an unknown option or a missing value is named, a stray argument refused.
 * 0, or -1 with *status set. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *lo,
	       int (*fn)(void *ctx, int c, const char *arg), void *ctx, void (*usage)(FILE *f),
	       int *status);
/* For a loop that polls until SIGINT/SIGTERM or EPIPE (watch, top): SIGINT and SIGTERM stay
 * blocked in `quit` and are taken by cli_wait_quit() between polls, so one that comes while
 * polling or printing ends the next wait at once; SIGPIPE is ignored (EPIPE ends the loop). */
void cli_stream_signals(sigset_t *quit);
/* Say the reader's problem on stderr ("leco: WHAT: ...", " (waiting)" when the poll failed with
 * `n` < 0) when it differs from `last`, and "ok again" when it is over; `last` is updated. */
void cli_say_once(const char *what, struct leco_reader *r, int n, char last[LECO_ERRMSG_MAX]);
/* Wait `secs` seconds, or until a signal of `quit` (blocked by the caller) is pending: then
 * true (and it is taken). */
bool cli_wait_quit(const sigset_t *quit, double secs);
/* Open a reader for these options; an exit status (2 after printing the error) on failure. */
int cli_open_reader(const char *what, const struct cli_view_opts *o, unsigned int max_lines,
		    struct leco_reader **r);
/* Print config notices to stderr. */
void cli_print_notices(struct leco_reader *r);
/* One line of output, text or JSON; returns a negative value when stdout failed. */
int cli_print_line(FILE *f, const struct leco_line *l, bool json);
/* One connection of the every-connection walk as a JSON object: the fields of a line's object
 * without the display ones (text, raw, group, age, alpha, new, changed), with start_time and
 * exited. */
int cli_print_conn_json(FILE *f, const struct leco_conn_info *ci);
/* One group of `leco top` as a JSON object; `t` is the refresh's unix time. */
int cli_print_group_json(FILE *f, const struct leco_group *g, double t);
/* JSON string: control and direction-changing characters as \uXXXX, invalid UTF-8 bytes as
 * U+FFFD. */
void cli_json_str(FILE *f, const char *s);
void cli_json_strn(FILE *f, const char *s, size_t n);

#endif
