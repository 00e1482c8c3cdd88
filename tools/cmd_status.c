// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco status: are the probes loaded and attached, table fill, the probes' health counters,
 * and which hook serves each job on this kernel. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"

#define U(x) ((unsigned long long)(x))

/* include/leco.h: OK and CONFIG mean the reader reads the probes */
static bool loaded(const struct leco_status *st)
{
	return st->state == LECO_READER_OK || st->state == LECO_READER_CONFIG;
}

/* "hooks": {"job": "hook", ...}, "lacks": {"job": "what", ...} (jobs that lack nothing left out) */
static void hooks_json(struct leco_reader *r, const struct leco_status *st)
{
	const char *job, *hook, *lacks;
	bool first = true;

	printf(",\"hooks\":{");
	for (uint32_t i = 0; i < st->hooks && !leco_reader_hook(r, i, &job, &hook, &lacks); i++) {
		printf("%s", i ? "," : "");
		cli_json_str(stdout, job);
		putchar(':');
		cli_json_str(stdout, hook);
	}
	printf("},\"lacks\":{");
	for (uint32_t i = 0; i < st->hooks && !leco_reader_hook(r, i, &job, &hook, &lacks); i++) {
		if (!lacks[0])
			continue;
		printf("%s", first ? "" : ",");
		first = false;
		cli_json_str(stdout, job);
		putchar(':');
		cli_json_str(stdout, lacks);
	}
	putchar('}');
}

static void print_json(struct leco_reader *r, const struct leco_status *st, const char *msg,
		       const char *pin_dir)
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
	       st->conns, st->conns_max, U(st->stat_events), U(st->stat_conns_new),
	       U(st->stat_update_fail), U(st->stat_lost), U(st->stat_unattributed),
	       U(st->stat_blocked), U(st->stat_execs));
	printf(",\"tcp_new\":%llu,\"blocked_in\":%llu,\"scan_merged\":%llu,"
	       "\"storage_fail\":%llu,\"restarted\":%llu,\"adopted\":%llu,\"closed_max\":%u,"
	       "\"closed_total\":%llu,\"closed_overwritten\":%llu,\"closed_missed\":%llu,"
	       "\"conns_evicted\":%llu",
	       U(st->stat_tcp_new), U(st->stat_blocked_in), U(st->stat_scan_merged),
	       U(st->stat_storage_fail), U(st->stat_restarted), U(st->stat_adopted), st->closed_max,
	       U(st->closed_total), U(st->closed_overwritten), U(st->closed_missed),
	       U(st->conns_evicted));
	printf(",\"names_calls\":%llu,\"names_dup\":%llu,\"names_max\":%u,\"names_total\":%llu,"
	       "\"names_overwritten\":%llu,\"names_missed\":%llu,\"names_known\":%u,"
	       "\"names_evicted\":%llu",
	       U(st->stat_names_calls), U(st->stat_names_dup), st->names_max, U(st->names_total),
	       U(st->names_overwritten), U(st->names_missed), st->names_known,
	       U(st->names_evicted));
	hooks_json(r, st);
	printf("}\n");
}

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

static void print_text(struct leco_reader *r, const struct leco_status *st, const char *msg)
{
	if (st->state == LECO_READER_NO_PROBES)
		printf("probes:       not loaded\nnote:         %s\n", msg);
	if (!loaded(st) && st->state != LECO_READER_DETACHED)
		return;
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
		print_json(r, &st, msg, pin_dir);
	else
		print_text(r, &st, msg);
	/* msg belongs to the reader: report before freeing it */
	if (!loaded(&st) && st.state != LECO_READER_NO_PROBES && st.state != LECO_READER_DETACHED &&
	    !json)
		cli_err("status: %s", msg);
	leco_reader_free(r);
	if (fflush(stdout))
		return 2;
	if (loaded(&st))
		return 0;
	/* detached: the probes need loading again, as when they are not loaded */
	return st.state == LECO_READER_NO_PROBES || st.state == LECO_READER_DETACHED ? 1 : 2;
}
