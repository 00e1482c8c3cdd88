// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco status: are the probes loaded, table fill, the probes' health counters. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"

static const char *state_text(int s)
{
	switch (s) {
	case LECO_READER_OK:
		return "ok";
	case LECO_READER_NO_PROBES:
		return "no-probes";
	case LECO_READER_NO_ACCESS:
		return "no-access";
	case LECO_READER_BAD_LAYOUT:
		return "bad-layout";
	case LECO_READER_CONFIG:
		return "config-error";
	default:
		return "unknown";
	}
}

int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {{"pin-dir", required_argument, NULL, 'p'},
					   {"json", no_argument, NULL, 'j'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	struct leco_status st = {.sz = sizeof(st)};
	const char *pin_dir = NULL;
	struct leco_reader *r = NULL;
	struct leco_error err = {0};
	bool json = false;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:h", lo, NULL)) != -1) {
		if (c == 'p') {
			pin_dir = optarg;
		} else if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			printf("usage: leco status [-p DIR] [--json]\n");
			return 0;
		} else {
			return cli_err("status: unknown option '%s' (try 'leco status --help')",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_err("status: unexpected argument '%s'", argv[optind]);

	LECO_OPTS(leco_reader_opts, ro, .pin_dir = pin_dir, .raw = true, .max_lines = 1);
	if ((ret = leco_reader_open(&ro, &r, &err)) < 0)
		return cli_err("status: %s", err.msg[0] ? err.msg : strerror(-ret));
	leco_reader_poll(r); /* fills the table count; errors show in the state */
	ret = leco_reader_status(r, &st);
	const char *msg = leco_reader_errmsg(r);

	if (json) {
		printf("{\"state\":");
		cli_json_str(stdout, state_text(st.state));
		printf(",\"loaded\":%s,\"message\":",
		       st.state == LECO_READER_OK ? "true" : "false");
		cli_json_str(stdout, msg);
		printf(",\"pin_dir\":");
		cli_json_str(stdout, pin_dir ? pin_dir : "/sys/fs/bpf/leco");
		printf(",\"layout_version\":%u,\"version\":", st.layout_version);
		cli_json_str(stdout, st.version);
		printf(",\"library_version\":");
		cli_json_str(stdout, leco_version());
		printf(",\"conns\":%u,\"conns_max\":%u,\"events\":%llu,\"conns_new\":%llu,"
		       "\"update_fail\":%llu,\"lost\":%llu,\"unattributed\":%llu,\"blocked\":%llu,"
		       "\"execs\":%llu}\n",
		       st.conns, st.conns_max, (unsigned long long)st.stat_events,
		       (unsigned long long)st.stat_conns_new,
		       (unsigned long long)st.stat_update_fail, (unsigned long long)st.stat_lost,
		       (unsigned long long)st.stat_unattributed,
		       (unsigned long long)st.stat_blocked, (unsigned long long)st.stat_execs);
	} else if (ret >= 0) {
		printf("probes:       loaded (leco-load %s, layout %u; libleco %s)\n", st.version,
		       st.layout_version, leco_version());
		printf("connections:  %u of %u\n", st.conns, st.conns_max);
		printf("events:       %llu\n", (unsigned long long)st.stat_events);
		printf("records new:  %llu\n", (unsigned long long)st.stat_conns_new);
		printf("update fails: %llu\n", (unsigned long long)st.stat_update_fail);
		printf("lost:         %llu\n", (unsigned long long)st.stat_lost);
		printf("unattributed: %llu\n", (unsigned long long)st.stat_unattributed);
		printf("blocked:      %llu\n", (unsigned long long)st.stat_blocked);
		printf("execs:        %llu\n", (unsigned long long)st.stat_execs);
		if (msg[0])
			printf("note:         %s\n", msg);
	} else if (st.state == LECO_READER_NO_PROBES) {
		printf("probes:       not loaded\nnote:         %s\n", msg);
	}
	/* msg belongs to the reader: report before freeing it */
	if (st.state != LECO_READER_OK && st.state != LECO_READER_CONFIG &&
	    st.state != LECO_READER_NO_PROBES && !json)
		cli_err("status: %s", msg);
	leco_reader_free(r);
	if (fflush(stdout))
		return 2;
	if (st.state == LECO_READER_OK || st.state == LECO_READER_CONFIG)
		return 0;
	if (st.state == LECO_READER_NO_PROBES)
		return 1;
	return 2;
}
