// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The JSON objects of `leco report --json` (a group's totals) and `leco report --new --json`
 * (an app/endpoint pair), for any stream: `leco serve`'s /api/history and /api/new write the
 * same. Built when include/leco.h has the history API (issue 14).
 */
#ifdef LECO_HAVE_HISTORY
#include <stdio.h>

#include "output.h"

int cli_print_history_total(FILE *f, int by, const struct leco_history_total *t)
{
	fprintf(f, "{\"by\":\"%s\",\"key\":", leco_history_by_name(by));
	cli_json_str(f, t->key);
	fprintf(f,
		",\"rx\":%llu,\"tx\":%llu,\"conns\":%llu,\"failed\":%llu,\"blocked\":%llu,"
		"\"first_seen\":%lld,\"last_seen\":%lld}\n",
		(unsigned long long)t->rx, (unsigned long long)t->tx, (unsigned long long)t->conns,
		(unsigned long long)t->failed, (unsigned long long)t->blocked,
		(long long)t->first_seen, (long long)t->last_seen);
	return ferror(f) ? -1 : 0;
}

int cli_print_history_pair(FILE *f, const struct leco_history_pair *p)
{
	char proto[16];

	/* one rule everywhere: tcp, udp, else the number */
	if (p->proto == 6 || p->proto == 17)
		snprintf(proto, sizeof(proto), "%s", p->proto == 6 ? "tcp" : "udp");
	else
		snprintf(proto, sizeof(proto), "%d", p->proto);
	fputs("{\"app\":", f);
	cli_json_str(f, p->app);
	fputs(",\"exe\":", f);
	cli_json_str(f, p->exe);
	fputs(",\"unit\":", f);
	cli_json_str(f, p->unit);
	fputs(",\"user\":", f);
	cli_json_str(f, p->user);
	fputs(",\"raddr\":", f);
	cli_json_str(f, p->raddr);
	fprintf(f, ",\"rport\":%u,\"proto\":\"%s\",\"first_seen\":%lld,\"last_seen\":%lld}\n",
		p->rport, proto, (long long)p->first_seen, (long long)p->last_seen);
	return ferror(f) ? -1 : 0;
}
#endif
