// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The JSON objects of `leco report --json` (a group's totals) and `leco report --new --json`
 * (an app/endpoint pair), for any stream: `leco serve`'s /api/history and /api/new write the
 * same. The fields are lib/fields.h's lists, which Lua's history:totals() and :new() walk too.
 */
#include <stdio.h>

#include "../lib/fields.h"
#include "output.h"

int cli_print_history_total(FILE *f, int by, const struct leco_history_total *t, const int64_t *at)
{
	if (at)
		fprintf(f, "{\"t\":%lld,\"by\":", (long long)*at);
	else
		fputs("{\"by\":", f);
	cli_json_str(f, leco_history_by_name(by));
	cli_json_fields(f, leco_history_total_fields, LECO_NFIELDS(leco_history_total_fields), t, 0,
			false);
	fputs("}\n", f);
	return ferror(f) ? -1 : 0;
}

int cli_print_history_pair(FILE *f, const struct leco_history_pair *p)
{
	fputc('{', f);
	cli_json_fields(f, leco_history_pair_fields, LECO_NFIELDS(leco_history_pair_fields), p, 0,
			true);
	fputs("}\n", f);
	return ferror(f) ? -1 : 0;
}
