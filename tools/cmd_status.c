// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco status: are the probes loaded, table fill, the probes' health counters. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"

static bool loaded(const struct leco_status *st)
{
	return cli_status_loaded(st);
}

static void print_text(const struct leco_status *st, const char *msg)
{
	if (!loaded(st)) {
		if (st->state == LECO_READER_NO_PROBES)
			printf("probes:       not loaded\nnote:         %s\n", msg);
		return;
	}
	printf("probes:       loaded (leco-load %s, layout %u; libleco %s)\n", st->version,
	       st->layout_version, leco_version());
	printf("connections:  %u of %u\n", st->conns, st->conns_max);
	printf("events:       %llu\n", (unsigned long long)st->stat_events);
	printf("records new:  %llu\n", (unsigned long long)st->stat_conns_new);
	printf("update fails: %llu\n", (unsigned long long)st->stat_update_fail);
	printf("lost:         %llu\n", (unsigned long long)st->stat_lost);
	printf("unattributed: %llu\n", (unsigned long long)st->stat_unattributed);
	printf("blocked:      %llu\n", (unsigned long long)st->stat_blocked);
	printf("execs:        %llu\n", (unsigned long long)st->stat_execs);
	if (msg[0])
		printf("note:         %s\n", msg);
}

/* [-p DIR] [--json]: 0, or -1 with *status set */
static int status_args(int argc, char **argv, const char **pin_dir, bool *json, int *status)
{
	static const struct option lo[] = {{"pin-dir", required_argument, NULL, 'p'},
					   {"json", no_argument, NULL, 'j'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	int c, at;

	opterr = 0;
	for (at = optind = 1; (c = getopt_long(argc, argv, "+:p:h", lo, NULL)) != -1; at = optind) {
		if (c == 'p') {
			*pin_dir = optarg;
		} else if (c == 'j') {
			*json = true;
		} else if (c == 'h') {
			printf("usage: leco status [-p DIR] [--json]\n");
			*status = 0;
			return -1;
		} else {
			*status = cli_bad_option("status", c, argv[at]);
			return -1;
		}
	}
	if (optind < argc) {
		*status = cli_err("status: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct leco_status st = {.sz = sizeof(st)};
	const char *pin_dir = NULL, *msg;
	struct leco_reader *r = NULL;
	struct leco_error err = {0};
	bool json = false;
	int ret, status = 0;

	if (status_args(argc, argv, &pin_dir, &json, &status))
		return status;
	LECO_OPTS(leco_reader_opts, ro, .pin_dir = pin_dir, .raw = true, .max_lines = 1);
	if ((ret = leco_reader_open(&ro, &r, &err)) < 0)
		return cli_err("status: %s", err.msg[0] ? err.msg : strerror(-ret));
	leco_reader_poll(r); /* fills the table count; errors show in the state */
	leco_reader_status(r, &st);
	msg = leco_reader_errmsg(r);
	if (json)
		cli_print_status_json(stdout, &st, msg, pin_dir);
	else
		print_text(&st, msg);
	/* msg belongs to the reader: report before freeing it */
	if (!loaded(&st) && st.state != LECO_READER_NO_PROBES && !json)
		cli_err("status: %s", msg);
	leco_reader_free(r);
	if (fflush(stdout))
		return 2;
	if (loaded(&st))
		return 0;
	return st.state == LECO_READER_NO_PROBES ? 1 : 2;
}
