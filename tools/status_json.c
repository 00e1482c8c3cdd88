// SPDX-License-Identifier: LGPL-2.1-or-later
/* The JSON of `leco status --json`, shared with `leco serve`'s /api/status: the probes, and what
 * the history recorders say (tools/history_cli.c). */
#include <stdio.h>

#include "history_cli.h"
#include "output.h"

bool cli_status_loaded(const struct leco_status *st)
{
	/* include/leco.h: OK and CONFIG mean the reader reads the probes */
	return st->state == LECO_READER_OK || st->state == LECO_READER_CONFIG;
}

int cli_print_status_json(FILE *f, const struct leco_status *st, const char *msg,
			  const char *pin_dir, const struct cli_record_files *rf)
{
	fprintf(f, "{\"state\":");
	cli_json_str(f, leco_reader_state_name(st->state));
	fprintf(f, ",\"loaded\":%s,\"message\":", cli_status_loaded(st) ? "true" : "false");
	cli_json_str(f, msg);
	fprintf(f, ",\"pin_dir\":");
	cli_json_str(f, pin_dir ? pin_dir : LECO_DEFAULT_PIN_DIR);
	fprintf(f, ",\"layout_version\":%u,\"version\":", st->layout_version);
	cli_json_str(f, st->version);
	fprintf(f, ",\"library_version\":");
	cli_json_str(f, leco_version());
	fprintf(f,
		",\"conns\":%u,\"conns_max\":%u,\"events\":%llu,\"conns_new\":%llu,"
		"\"update_fail\":%llu,\"lost\":%llu,\"unattributed\":%llu,\"blocked\":%llu,"
		"\"execs\":%llu,\"recorders\":[",
		st->conns, st->conns_max, (unsigned long long)st->stat_events,
		(unsigned long long)st->stat_conns_new, (unsigned long long)st->stat_update_fail,
		(unsigned long long)st->stat_lost, (unsigned long long)st->stat_unattributed,
		(unsigned long long)st->stat_blocked, (unsigned long long)st->stat_execs);
	cli_record_status_show(f, rf->list, rf->n, true);
	fputs("]}\n", f);
	return ferror(f) ? -1 : 0;
}
