// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco status: are the probes loaded, table fill, the probes' health counters, and what the
 * history recorders say. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "history_cli.h"
#include "output.h"

static void print_text(const struct leco_status *st, const char *msg,
		       const struct cli_record_files *rf)
{
	if (!cli_status_loaded(st)) {
		if (st->state == LECO_READER_NO_PROBES)
			printf("probes:       not loaded\nnote:         %s\n", msg);
		cli_record_status_show(stdout, rf->list, rf->n, false);
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
	cli_record_status_show(stdout, rf->list, rf->n, false);
}

struct status_args {
	const char *pin_dir, *status_file;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: leco status [-p DIR] [--json] [--status-file FILE]\n");
}

/* One option (cli_getopt); 0 or an exit status. */
static int status_opt(void *ctx, int c, const char *arg)
{
	struct status_args *a = ctx;

	if (c == 'p')
		a->pin_dir = arg;
	else if (c == 'j')
		a->json = true;
	else if (c == 's')
		a->status_file = arg;
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {{"pin-dir", required_argument, NULL, 'p'},
					   {"json", no_argument, NULL, 'j'},
					   {"status-file", required_argument, NULL, 's'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	struct leco_status st = {.sz = sizeof(st)};
	struct status_args a = {0};
	struct leco_reader *r = NULL;
	struct leco_error err = {0};
	struct cli_record_files rf;
	int ret, status = 0;
	const char *msg;
	bool loaded;

	if (cli_getopt(argc, argv, "p:h", lo, status_opt, &a, usage, &status))
		return status;
	cli_record_status_files(a.status_file, &rf);
	LECO_OPTS(leco_reader_opts, ro, .pin_dir = a.pin_dir, .raw = true, .max_lines = 1);
	if ((ret = leco_reader_open(&ro, &r, &err)) < 0)
		return cli_err("status: %s", err.msg[0] ? err.msg : strerror(-ret));
	leco_reader_poll(r); /* fills the table count; errors show in the state */
	leco_reader_status(r, &st);
	msg = leco_reader_errmsg(r);
	loaded = cli_status_loaded(&st);
	if (a.json)
		cli_print_status_json(stdout, &st, msg, a.pin_dir, &rf);
	else
		print_text(&st, msg, &rf);
	/* msg belongs to the reader: report before freeing it */
	if (!loaded && st.state != LECO_READER_NO_PROBES && !a.json)
		cli_err("status: %s", msg);
	leco_reader_free(r);
	if (fflush(stdout))
		return 2;
	if (loaded)
		return 0;
	return st.state == LECO_READER_NO_PROBES ? 1 : 2;
}
