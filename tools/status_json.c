// SPDX-License-Identifier: LGPL-2.1-or-later
/* The JSON of `leco status --json`, shared with `leco serve`'s /api/status: the probes, and what
 * the history recorders say (tools/history_cli.c). */
#include <stdio.h>

#include "history_cli.h"
#include "output.h"

#define U(x) ((unsigned long long)(x))

bool cli_status_loaded(const struct leco_status *st)
{
	/* include/leco.h: OK and CONFIG mean the reader reads the probes */
	return st->state == LECO_READER_OK || st->state == LECO_READER_CONFIG;
}

/* "hooks": {"job": "hook", ...}, "lacks": {"job": "what", ...} (jobs that lack nothing left out) */
static void hooks_json(FILE *f, struct leco_reader *r, const struct leco_status *st)
{
	const char *job, *hook, *lacks;
	bool first = true;

	fprintf(f, ",\"hooks\":{");
	for (uint32_t i = 0; i < st->hooks && !leco_reader_hook(r, i, &job, &hook, &lacks); i++) {
		fprintf(f, "%s", i ? "," : "");
		cli_json_str(f, job);
		fputc(':', f);
		cli_json_str(f, hook);
	}
	fprintf(f, "},\"lacks\":{");
	for (uint32_t i = 0; i < st->hooks && !leco_reader_hook(r, i, &job, &hook, &lacks); i++) {
		if (!lacks[0])
			continue;
		fprintf(f, "%s", first ? "" : ",");
		first = false;
		cli_json_str(f, job);
		fputc(':', f);
		cli_json_str(f, lacks);
	}
	fputc('}', f);
}

int cli_print_status_json(FILE *f, struct leco_reader *r, const struct leco_status *st,
			  const char *msg, const char *pin_dir, const struct cli_record_files *rf)
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
		"\"execs\":%llu",
		st->conns, st->conns_max, U(st->stat_events), U(st->stat_conns_new),
		U(st->stat_update_fail), U(st->stat_lost), U(st->stat_unattributed),
		U(st->stat_blocked), U(st->stat_execs));
	fprintf(f,
		",\"tcp_new\":%llu,\"blocked_in\":%llu,\"scan_merged\":%llu,"
		"\"storage_fail\":%llu,\"restarted\":%llu,\"adopted\":%llu,\"closed_max\":%u,"
		"\"closed_total\":%llu,\"closed_overwritten\":%llu,\"closed_missed\":%llu,"
		"\"conns_evicted\":%llu",
		U(st->stat_tcp_new), U(st->stat_blocked_in), U(st->stat_scan_merged),
		U(st->stat_storage_fail), U(st->stat_restarted), U(st->stat_adopted),
		st->closed_max, U(st->closed_total), U(st->closed_overwritten),
		U(st->closed_missed), U(st->conns_evicted));
	fprintf(f,
		",\"names_calls\":%llu,\"names_dup\":%llu,\"names_max\":%u,\"names_total\":%llu,"
		"\"names_overwritten\":%llu,\"names_missed\":%llu,\"names_known\":%u,"
		"\"names_evicted\":%llu",
		U(st->stat_names_calls), U(st->stat_names_dup), st->names_max, U(st->names_total),
		U(st->names_overwritten), U(st->names_missed), st->names_known,
		U(st->names_evicted));
	hooks_json(f, r, st);
	fputs(",\"recorders\":[", f);
	cli_record_status_show(f, rf->list, rf->n, true);
	fputs("]}\n", f);
	return ferror(f) ? -1 : 0;
}
