// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco serve: the JSON API, written by the CLI's own encoders (tools/output.c) into memory:
 * /api/conns objects are `leco conns --json` lines, /api/top objects `leco top --json` lines,
 * /api/status is `leco status --json`. The caller holds the server's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "../output.h"

int web_buf_open(struct web_buf *b)
{
	b->data = NULL, b->len = 0;
	b->f = open_memstream(&b->data, &b->len);
	return b->f ? 0 : -ENOMEM;
}

int web_buf_close(struct web_buf *b)
{
	bool bad = ferror(b->f);

	if (fclose(b->f) || bad || !b->data) {
		free(b->data);
		b->data = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int buf_done(struct web_buf *b, char **body, size_t *len)
{
	if (web_buf_close(b))
		return -ENOMEM;
	*body = b->data, *len = b->len;
	return 0;
}

static bool conn_matches(const struct leco_conn_info *ci, const struct web_query *q)
{
	return (!q->has_pid || ci->pid == q->pid) && (!q->user[0] || !strcmp(ci->user, q->user)) &&
	       (!q->unit[0] || !strcmp(ci->unit, q->unit)) &&
	       (!q->state[0] || !strcmp(leco_state_name(ci->state), q->state));
}

static bool open_state(int st)
{
	return st == LECO_STATE_CONNECTING || st == LECO_STATE_ESTABLISHED ||
	       st == LECO_STATE_ACTIVE;
}

/* Open connections first, then the most recently active. */
static int by_recent(const void *a, const void *b)
{
	const struct leco_conn_info *x = *(const struct leco_conn_info *const *)a;
	const struct leco_conn_info *y = *(const struct leco_conn_info *const *)b;
	bool ox = open_state(x->state), oy = open_state(y->state);

	if (ox != oy)
		return oy - ox;
	if (x->last_ns != y->last_ns)
		return x->last_ns < y->last_ns ? 1 : -1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

/* The connections matching `q`, newest first, at most `max` (0: all), as a JSON array. */
static int conns_array(struct web_server *s, const struct web_query *q, size_t max, FILE *f,
		       size_t *total)
{
	int n = leco_reader_conn_count(s->reader);
	const struct leco_conn_info **v;
	size_t k = 0;

	if (n < 0)
		return n;
	if (!(v = malloc(((size_t)n + 1) * sizeof(*v))))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const struct leco_conn_info *ci = leco_reader_conn(s->reader, (size_t)i);

		if (ci && conn_matches(ci, q))
			v[k++] = ci;
	}
	qsort(v, k, sizeof(*v), by_recent);
	*total = k;
	if (max && k > max)
		k = max;
	fputc('[', f);
	for (size_t i = 0; i < k; i++) {
		if (i)
			fputc(',', f);
		cli_print_conn_json(f, v[i]);
	}
	fputc(']', f);
	free(v);
	return 0;
}

static bool state_known(const char *name)
{
	for (int st = LECO_STATE_CONNECTING; st <= LECO_STATE_ACTIVE; st++)
		if (!strcmp(leco_state_name(st), name))
			return true;
	return false;
}

int web_api_conns(struct web_server *s, const struct web_query *q, char **body, size_t *len,
		  char *msg, size_t msgsz)
{
	struct web_buf b;
	size_t total;
	int r;

	if (q->state[0] && !state_known(q->state)) {
		snprintf(msg, msgsz,
			 "bad state '%s': want connecting, established, failed, blocked, closed or "
			 "active",
			 q->state);
		return -EINVAL;
	}
	if ((r = web_buf_open(&b)))
		return r;
	if ((r = conns_array(s, q, (size_t)q->n, b.f, &total))) {
		web_buf_close(&b);
		return r;
	}
	fputc('\n', b.f);
	return buf_done(&b, body, len);
}

/* A JSON array of the top `n` groups by `by`, sorted by `sort`. */
static int top_array(struct web_server *s, int by, int sort, size_t n, FILE *f)
{
	LECO_OPTS(leco_top_opts, o, .by = by, .sort = sort, .n = n);
	int k = leco_reader_top(s->reader, &o);

	if (k < 0)
		return k;
	fputc('[', f);
	for (int i = 0; i < k; i++) {
		if (i)
			fputc(',', f);
		cli_print_group_json(f, leco_reader_group(s->reader, (size_t)i),
				     (double)s->poll_time);
	}
	fputc(']', f);
	return 0;
}

int web_api_top(struct web_server *s, const struct web_query *q, char **body, size_t *len,
		char *msg, size_t msgsz)
{
	int by = q->by[0] ? leco_group_by_from_name(q->by) : LECO_BY_PROCESS;
	int sort = q->sort[0] ? leco_sort_from_name(q->sort) : LECO_SORT_RATE;
	struct web_buf b;
	int r;

	if (by < 0 || sort < 0) {
		snprintf(msg, msgsz,
			 by < 0 ? "bad by '%s': want process, exe, program, unit, user, remote, "
				  "port or proto"
				: "bad sort '%s': want rate, rx_rate, tx_rate, total, rx, tx, "
				  "conns, "
				  "conns_total, failed, blocked, first_seen or last_seen",
			 by < 0 ? q->by : q->sort);
		return -EINVAL;
	}
	if ((r = web_buf_open(&b)))
		return r;
	if ((r = top_array(s, by, sort, q->n ? (size_t)q->n : 50, b.f))) {
		web_buf_close(&b);
		return r;
	}
	fputc('\n', b.f);
	return buf_done(&b, body, len);
}

static void status_object(struct web_server *s, FILE *f)
{
	struct leco_status st = {.sz = sizeof(st)};

	leco_reader_status(s->reader, &st);
	cli_print_status_json(f, s->reader, &st, leco_reader_errmsg(s->reader), s->o.pin_dir,
			      &s->rec_files);
}

int web_api_status(struct web_server *s, char **body, size_t *len)
{
	struct web_buf b;
	int r;

	if ((r = web_buf_open(&b)))
		return r;
	status_object(s, b.f);
	return buf_done(&b, body, len);
}

int web_api_event(struct web_server *s, char **body, size_t *len)
{
	struct web_query all;
	struct web_buf b;
	size_t total = 0;
	int r;

	web_query_init(&all);
	if ((r = web_buf_open(&b)))
		return r;
	fprintf(b.f, "{\"t\":%lld,\"status\":", (long long)s->poll_time);
	status_object(s, b.f);
	fputs(",\"conns\":", b.f);
	r = conns_array(s, &all, s->o.sse_conns, b.f, &total);
	fprintf(b.f, ",\"conns_count\":%zu,\"history\":%s,\"top\":{\"process\":", total,
		s->o.db_path ? "true" : "false");
	if (!r)
		r = top_array(s, LECO_BY_PROCESS, LECO_SORT_RATE, 10, b.f);
	fputs(",\"unit\":", b.f);
	if (!r)
		r = top_array(s, LECO_BY_UNIT, LECO_SORT_RATE, 10, b.f);
	fputs("}}", b.f);
	if (r) {
		web_buf_close(&b);
		return r;
	}
	return buf_done(&b, body, len);
}
