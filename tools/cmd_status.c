// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco status: are the probes loaded and attached, table fill, the probes' health counters,
 * which hook serves each job on this kernel, and what the history recorders say. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "history_cli.h"
#include "output.h"

#define U(x) ((unsigned long long)(x))

static void print_hooks(struct leco_reader *r, const struct leco_status *st)
{
	const char *job, *hook, *lacks;

	printf("hooks:\n");
	for (uint32_t i = 0; i < st->hooks && !leco_reader_hook(r, i, &job, &hook, &lacks); i++) {
		if (hook[0])
			printf("  %-13s %s%s%s\n", job, hook, lacks[0] ? "; lacks: " : "", lacks);
		else
			printf("  %-13s none: no %s\n", job, lacks);
	}
}

static void print_text(struct leco_reader *r, const struct leco_status *st, const char *msg,
		       const struct cli_record_files *rf)
{
	if (st->state == LECO_READER_NO_PROBES)
		printf("probes:       not loaded\nnote:         %s\n", msg);
	if (!cli_status_loaded(st) && st->state != LECO_READER_DETACHED) {
		cli_record_status_show(stdout, rf->list, rf->n, false);
		return;
	}
	if (st->state == LECO_READER_DETACHED)
		printf("probes:       %s\n", msg);
	else
		printf("probes:       loaded (leco-load %s, layout %u; libleco %s)\n", st->version,
		       st->layout_version, leco_version());
	printf("connections:  %u of %u\n", st->conns, st->conns_max);
	printf("tcp:          %llu connections since load, %llu closed (ring of %u: %llu "
	       "overwritten, %llu missed by this reader)\n",
	       U(st->stat_tcp_new), U(st->closed_total), st->closed_max, U(st->closed_overwritten),
	       U(st->closed_missed));
	printf("records new:  %llu UDP/drops; %llu evicted from the full table, %llu of them "
	       "came back (counts restarted)\n",
	       U(st->stat_conns_new), U(st->conns_evicted), U(st->stat_restarted));
	printf("blocked:      %llu (%llu inbound, %llu of those merged per remote)\n",
	       U(st->stat_blocked + st->stat_blocked_in), U(st->stat_blocked_in),
	       U(st->stat_scan_merged));
	printf("events:       %llu\n", U(st->stat_events));
	printf("update fails: %llu (storage %llu)\n", U(st->stat_update_fail),
	       U(st->stat_storage_fail));
	printf("lost:         %llu; unattributed: %llu; adopted at load: %llu\n", U(st->stat_lost),
	       U(st->stat_unattributed), U(st->stat_adopted));
	printf("execs:        %llu\n", U(st->stat_execs));
	if (st->names_max)
		printf("names:        %llu resolved since load (ring of %u: %llu overwritten, %llu "
		       "missed by this reader; %llu repeats not recorded); %u known here, %llu "
		       "evicted\n",
		       U(st->names_total), st->names_max, U(st->names_overwritten),
		       U(st->names_missed), U(st->stat_names_dup), st->names_known,
		       U(st->names_evicted));
	else
		printf("names:        not recorded (the names job is not attached: see hooks)\n");
	print_hooks(r, st);
	if (msg[0] && st->state != LECO_READER_DETACHED)
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
		cli_print_status_json(stdout, r, &st, msg, a.pin_dir, &rf);
	else
		print_text(r, &st, msg, &rf);
	/* msg belongs to the reader: report before freeing it */
	if (!loaded && st.state != LECO_READER_NO_PROBES && st.state != LECO_READER_DETACHED &&
	    !a.json)
		cli_err("status: %s", msg);
	leco_reader_free(r);
	if (fflush(stdout))
		return 2;
	if (loaded)
		return 0;
	/* detached: the probes need loading again, as when they are not loaded */
	return st.state == LECO_READER_NO_PROBES || st.state == LECO_READER_DETACHED ? 1 : 2;
}
