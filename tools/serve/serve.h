/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco serve: the web page, a JSON API and /metrics over one reader (doc/serve.md).
 *
 * Threads: the main thread polls the reader every interval and feeds the metrics and the
 * server-sent events; libmicrohttpd's one internal thread answers requests. The reader (an
 * object used by one thread at a time) and the metrics sit behind `lock`; the events have
 * their own lock (sse.c), always taken after `lock` when both are.
 */
#ifndef LECO_SERVE_H
#define LECO_SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../history_cli.h"
#include "leco.h"
#include "parse.h"

#define WEB_DEFAULT_PORT 9473 /* doc/serve.md */
#define WEB_TOKEN_LEN	 64   /* hex digits (256 random bits) */
#define WEB_CHARTJS_PATH "/usr/share/javascript/chart.js/chart.min.js"
#define WEB_IDLE_AFTER	 60 /* seconds without a request: idle */

struct web_metrics;
struct web_sse;
struct MHD_Daemon;
struct MHD_Connection;

struct web_opts {
	const char *pin_dir, *config, *db_path, *token_file, *chartjs_path;
	char listen_host[64]; /* numeric address */
	unsigned int port;
	double interval;	     /* seconds between polls */
	double idle_interval;	     /* ... while nobody looks (WEB_IDLE_AFTER) */
	unsigned int max_conns;	     /* HTTP connections at once */
	unsigned int max_sse;	     /* event-stream clients at once */
	unsigned int series_max;     /* /metrics label sets */
	unsigned int metrics_remote; /* /metrics: top-N remote endpoints (0: none) */
	unsigned int sse_conns;	     /* connections per event */
};

struct web_server {
	struct web_opts o;
	char token[WEB_TOKEN_LEN + 1];

	pthread_mutex_t lock; /* the reader, the metrics, the poll results below */
	struct leco_reader *reader;
	struct web_metrics *metrics;
	int64_t poll_time; /* unix seconds of the last poll */
	int poll_ret;	   /* what it returned */
	uint64_t polls;	   /* polls done */

	pthread_mutex_t hist_lock; /* the history handle (history.c) */
	struct leco_history *hist;
	struct cli_record_files rec_files; /* what /api/status reads of the recorders */

	struct web_sse *sse;
	struct MHD_Daemon *mhd;
	int listen_fd;
	bool http_starting; /* libmicrohttpd's messages are printed only while it starts */
	pthread_t main_thread;
	int64_t last_request; /* unix seconds (atomic) */
	bool idle;	      /* the loop waits --idle-interval (atomic) */

	char *chartjs; /* Debian's libjs-chart.js, read at start (NULL: not installed) */
	size_t chartjs_len;
};

/* An in-memory output stream for the CLI's JSON encoders (open_memstream). */
struct web_buf {
	FILE *f;
	char *data;
	size_t len;
};
int web_buf_open(struct web_buf *b);
/* Close the stream; 0 with data/len set (the caller frees data), or -ENOMEM. */
int web_buf_close(struct web_buf *b);

/* token.c: read the token from `path`, or make one there (0640, group leco when the caller
 * may give it that group). 0 or -errno with `msg` saying what is wrong with which file. */
int web_token_load(const char *path, char token[WEB_TOKEN_LEN + 1], char *msg, size_t msgsz);
/* The default token file: $STATE_DIRECTORY/token (systemd), else
 * $XDG_STATE_HOME/leco/serve.token (or ~/.local/state/...). */
int web_token_default_path(char *buf, size_t size);

/* api.c: JSON bodies (with the reader locked by the caller). 0 or -errno; *body is malloc'd. */
int web_api_conns(struct web_server *s, const struct web_query *q, char **body, size_t *len,
		  char *msg, size_t msgsz);
int web_api_top(struct web_server *s, const struct web_query *q, char **body, size_t *len,
		char *msg, size_t msgsz);
int web_api_status(struct web_server *s, char **body, size_t *len);
/* One event for the event stream: status, the latest connections and the top groups. */
int web_api_event(struct web_server *s, char **body, size_t *len);

/* history.c (callers hold hist_lock): /api/history, /api/new; -EINVAL (msg: the request),
 * -EIO (msg: the database) */
int web_api_history(struct web_server *s, const struct web_query *q, char **body, size_t *len,
		    char *msg, size_t msgsz);
int web_api_new(struct web_server *s, const struct web_query *q, char **body, size_t *len,
		char *msg, size_t msgsz);
void web_history_close(struct web_server *s);

/* http.c: start libmicrohttpd on s->listen_fd; 0 or -errno (msg). */
int web_http_start(struct web_server *s, char *msg, size_t msgsz);
void web_http_stop(struct web_server *s);

/* metrics.c (callers hold s->lock) */
struct web_metrics *web_metrics_new(unsigned int series_max, unsigned int remote_n);
void web_metrics_free(struct web_metrics *m);
/* After a poll: add what every connection did since the previous one. */
int web_metrics_update(struct web_metrics *m, struct leco_reader *r, int poll_ret);
/* The exposition: OpenMetrics 1.0 text when `openmetrics`, else Prometheus text 0.0.4. */
int web_metrics_render(struct web_metrics *m, struct leco_reader *r, bool openmetrics, char **body,
		       size_t *len);

/* sse.c */
struct web_sse *web_sse_new(unsigned int max_clients);
void web_sse_free(struct web_sse *e);
unsigned int web_sse_clients(struct web_sse *e);
/* Queue an event-stream response on `conn`; an MHD_Result. */
int web_sse_attach(struct web_sse *e, struct MHD_Connection *conn);
/* A new event (`data` is JSON, taken over) for every client; wakes them. */
void web_sse_publish(struct web_sse *e, char *data, size_t len);
/* End every stream (before stopping the daemon). */
void web_sse_stop(struct web_sse *e);

/* assets.c (generated at build time from tools/serve/page/) */
struct web_asset {
	const char *name, *type;
	const unsigned char *data;
	size_t len;
};
const struct web_asset *web_asset(const char *name);

#endif
