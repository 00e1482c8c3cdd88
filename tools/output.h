/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by `leco lines` and `leco watch`: options and line output (text or JSON Lines). */
#ifndef LECO_CLI_OUTPUT_H
#define LECO_CLI_OUTPUT_H

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
/* Open a reader for these options; an exit status (2 after printing the error) on failure. */
int cli_open_reader(const char *what, const struct cli_view_opts *o, unsigned int max_lines,
		    struct leco_reader **r);
/* Print config notices to stderr. */
void cli_print_notices(struct leco_reader *r);
/* One line of output, text or JSON; returns a negative value when stdout failed. */
int cli_print_line(FILE *f, const struct leco_line *l, bool json);
/* JSON string: control and direction-changing characters as \uXXXX, invalid UTF-8 bytes as
 * U+FFFD. */
void cli_json_str(FILE *f, const char *s);
void cli_json_strn(FILE *f, const char *s, size_t n);

/* `leco status --json` (and `leco serve`'s /api/status): one object and a newline. */
bool cli_status_loaded(const struct leco_status *st);
int cli_print_status_json(FILE *f, const struct leco_status *st, const char *msg,
			  const char *pin_dir);

#endif
