// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco status: are the probes loaded, table fill, the probes' health counters. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "history_cli.h"
#include "output.h"

/* include/leco.h: OK and CONFIG mean the reader reads the probes */
static bool loaded(const struct leco_status *st)
{
	return st->state == LECO_READER_OK || st->state == LECO_READER_CONFIG;
}

/* The recorder status files `leco status` looks at: the one given, else the user's and the
 * service's (tools/history_cli.h). */
struct status_files {
	const char *given;
	char user[4096];
	const char *list[2];
	size_t n;
};

static void status_files(struct status_files *sf)
{
	sf->n = 0;
	if (sf->given) {
		sf->list[sf->n++] = sf->given;
		return;
	}
	cli_record_status_path(sf->user, sizeof(sf->user));
	if (sf->user[0])
		sf->list[sf->n++] = sf->user;
	sf->list[sf->n++] = LECO_SYSTEM_RECORD_STATUS;
}

static void print_json(const struct leco_status *st, const char *msg, const char *pin_dir,
		       const struct status_files *sf)
{
	printf("{\"state\":");
	cli_json_str(stdout, leco_reader_state_name(st->state));
	printf(",\"loaded\":%s,\"message\":", loaded(st) ? "true" : "false");
	cli_json_str(stdout, msg);
	printf(",\"pin_dir\":");
	cli_json_str(stdout, pin_dir ? pin_dir : LECO_DEFAULT_PIN_DIR);
	printf(",\"layout_version\":%u,\"version\":", st->layout_version);
	cli_json_str(stdout, st->version);
	printf(",\"library_version\":");
	cli_json_str(stdout, leco_version());
	printf(",\"conns\":%u,\"conns_max\":%u,\"events\":%llu,\"conns_new\":%llu,"
	       "\"update_fail\":%llu,\"lost\":%llu,\"unattributed\":%llu,\"blocked\":%llu,"
	       "\"execs\":%llu",
	       st->conns, st->conns_max, (unsigned long long)st->stat_events,
	       (unsigned long long)st->stat_conns_new, (unsigned long long)st->stat_update_fail,
	       (unsigned long long)st->stat_lost, (unsigned long long)st->stat_unattributed,
	       (unsigned long long)st->stat_blocked, (unsigned long long)st->stat_execs);
	printf(",\"recorders\":[");
	cli_record_status_show(stdout, sf->list, sf->n, true);
	printf("]}\n");
}

static void print_text(const struct leco_status *st, const char *msg, const struct status_files *sf)
{
	if (!loaded(st)) {
		if (st->state == LECO_READER_NO_PROBES)
			printf("probes:       not loaded\nnote:         %s\n", msg);
		cli_record_status_show(stdout, sf->list, sf->n, false);
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
	cli_record_status_show(stdout, sf->list, sf->n, false);
}

/* [-p DIR] [--json] [--status-file FILE]: 0, or -1 with *status set */
static int status_args(int argc, char **argv, const char **pin_dir, bool *json,
		       struct status_files *sf, int *status)
{
	static const struct option lo[] = {{"pin-dir", required_argument, NULL, 'p'},
					   {"json", no_argument, NULL, 'j'},
					   {"status-file", required_argument, NULL, 's'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	int c, at;

	opterr = 0;
	for (at = optind = 1; (c = getopt_long(argc, argv, "+:p:h", lo, NULL)) != -1; at = optind) {
		if (c == 'p') {
			*pin_dir = optarg;
		} else if (c == 'j') {
			*json = true;
		} else if (c == 's') {
			sf->given = optarg;
		} else if (c == 'h') {
			printf("usage: leco status [-p DIR] [--json] [--status-file FILE]\n");
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
	struct status_files sf = {0};
	bool json = false;
	int ret, status = 0;

	if (status_args(argc, argv, &pin_dir, &json, &sf, &status))
		return status;
	status_files(&sf);
	LECO_OPTS(leco_reader_opts, ro, .pin_dir = pin_dir, .raw = true, .max_lines = 1);
	if ((ret = leco_reader_open(&ro, &r, &err)) < 0)
		return cli_err("status: %s", err.msg[0] ? err.msg : strerror(-ret));
	leco_reader_poll(r); /* fills the table count; errors show in the state */
	leco_reader_status(r, &st);
	msg = leco_reader_errmsg(r);
	if (json)
		print_json(&st, msg, pin_dir, &sf);
	else
		print_text(&st, msg, &sf);
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
