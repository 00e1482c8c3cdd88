// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco serve: /api/history and /api/new over a history database (--db, written by `leco
 * record`), with the objects of `leco report --json` (tools/history_json.c). The database is
 * opened read-only at the first request that needs it, and again after an error; queries
 * run under their own lock, so a slow one never holds up the polls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"
#include "../output.h"

#define MAX_STEPS 120 /* buckets in one answer */

/* The handle, opened if need be; NULL with msg set when the database cannot be read. */
static struct leco_history *handle(struct web_server *s, char *msg, size_t msgsz)
{
	struct leco_error err = {0};
	int r;

	if (!s->hist && (r = leco_history_open(s->o.db_path, &s->hist, &err)) < 0) {
		s->hist = NULL;
		snprintf(msg, msgsz, "history database %s: %s", s->o.db_path,
			 err.msg[0] ? err.msg : strerror(-r));
	}
	return s->hist;
}

/* A query failed: say why, and open the database again next time (it may have been
 * replaced). */
static int failed(struct web_server *s, int r, char *msg, size_t msgsz)
{
	snprintf(msg, msgsz, "history database %s: %s", s->o.db_path,
		 leco_history_errmsg(s->hist)[0] ? leco_history_errmsg(s->hist) : strerror(-r));
	leco_history_free(s->hist);
	s->hist = NULL;
	return -EIO;
}

/* Totals of [since, until) by `by` (top n), as objects with "t" when `at` is given. */
static int totals(struct web_server *s, int by, int64_t since, int64_t until, unsigned int n,
		  const int64_t *at, FILE *f, bool *first, char *msg, size_t msgsz)
{
	LECO_OPTS(leco_history_query, hq, .since = since, .until = until, .by = by, .top = n);
	int k = leco_history_totals(s->hist, &hq);

	if (k < 0)
		return failed(s, k, msg, msgsz);
	for (int i = 0; i < k; i++) {
		if (!*first)
			fputc(',', f);
		*first = false;
		cli_print_history_total(f, by, leco_history_total(s->hist, (size_t)i), at);
	}
	return 0;
}

int web_api_history(struct web_server *s, const struct web_query *q, char **body, size_t *len,
		    char *msg, size_t msgsz)
{
	int64_t now = (int64_t)time(NULL), until = q->until ? q->until : now;
	int64_t since = q->has_since ? q->since : now - 86400;
	int by = q->by[0] ? leco_history_by_parse(q->by) : LECO_HISTORY_BY_APP;
	unsigned int n = q->n ? (unsigned int)q->n : 50;
	struct web_buf b;
	bool first = true;
	int r = 0;

	if (by < 0) {
		snprintf(msg, msgsz,
			 "bad by '%s': want app, exe, unit, user, remote, port, proto, day or hour",
			 q->by);
		return -EINVAL;
	}
	if (since >= until || (q->step && (until - since) / q->step > MAX_STEPS)) {
		snprintf(msg, msgsz,
			 since >= until ? "since is not before until"
					: "too many steps: at most %d in the range",
			 MAX_STEPS);
		return -EINVAL;
	}
	if (!handle(s, msg, msgsz))
		return -EIO;
	if (web_buf_open(&b))
		return -ENOMEM;
	fputc('[', b.f);
	if (!q->step)
		r = totals(s, by, since, until, n, NULL, b.f, &first, msg, msgsz);
	for (int64_t t = since; q->step && !r && t < until; t += q->step)
		r = totals(s, by, t, t + q->step < until ? t + q->step : until, n, &t, b.f, &first,
			   msg, msgsz);
	fputs("]\n", b.f);
	if (web_buf_close(&b))
		return -ENOMEM;
	if (r) {
		free(b.data);
		return r;
	}
	*body = b.data, *len = b.len;
	return 0;
}

int web_api_new(struct web_server *s, const struct web_query *q, char **body, size_t *len,
		char *msg, size_t msgsz)
{
	int64_t now = (int64_t)time(NULL);
	int64_t since = q->has_since ? q->since : now - 86400;
	struct web_buf b;
	bool first = true;
	int k;

	if (!handle(s, msg, msgsz))
		return -EIO;
	/* with app=: every pair of that app since `since` (its endpoints), filtered here */
	k = leco_history_new_pairs(s->hist, since, q->until, q->app[0] ? 0 : (unsigned int)q->n);
	if (k < 0)
		return failed(s, k, msg, msgsz);
	if (web_buf_open(&b))
		return -ENOMEM;
	fputc('[', b.f);
	for (int i = 0, shown = 0; i < k && (!q->n || shown < q->n); i++) {
		const struct leco_history_pair *p = leco_history_pair(s->hist, (size_t)i);

		if (q->app[0] && strcmp(p->app, q->app))
			continue;
		if (!first)
			fputc(',', b.f);
		first = false;
		cli_print_history_pair(b.f, p);
		shown++;
	}
	fputs("]\n", b.f);
	if (web_buf_close(&b))
		return -ENOMEM;
	*body = b.data, *len = b.len;
	return 0;
}

void web_history_close(struct web_server *s)
{
	leco_history_free(s->hist);
	s->hist = NULL;
}
