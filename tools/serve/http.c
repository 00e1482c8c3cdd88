// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco serve: HTTP. libmicrohttpd's internal thread (poll), one handler per route in a
 * table. Every request: GET or HEAD only, a Host that names this server (DNS rebinding), the
 * token (?token=, Authorization: Bearer, or the cookie a ?token= set), parameters the route
 * knows. Bounded: connections at once, memory per connection (so the request line and
 * headers), idle time, event-stream clients. No CORS header is ever sent.
 *
 * poll(), not epoll: libmicrohttpd 0.9.75 (Debian 12) in epoll mode, under 100 clients at
 * once, stopped noticing connections their clients had closed (they sat in CLOSE-WAIT until
 * the connection limit was reached and the server stopped answering: tests/web/stress.sh).
 * At a bounded number of connections poll() costs no more.
 */
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "serve.h"
#include "../output.h"

#define COOKIE_NAME "leco_token"

struct req {
	struct web_server *s;
	struct MHD_Connection *conn;
	enum web_route route;
	struct web_query q;
	int perr; /* first parameter error */
	char msg[256];
};

static void common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; style-src 'self'; "
				"img-src 'self'; connect-src 'self'; base-uri 'none'; "
				"form-action 'none'; frame-ancestors 'none'");
}

/* Queue `body` (taken over: freed by libmicrohttpd, or here on failure). */
static enum MHD_Result send_body(struct req *q, unsigned int status, const char *type, char *body,
				 size_t len, bool must_free)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	common_headers(r);
	MHD_add_response_header(r, "Content-Type", type);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"leco\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", "5");
	if (q->q.has_token && status < 400) {
		/* a good ?token= is kept in a cookie, so that the page's own requests need none */
		char c[sizeof(COOKIE_NAME) + WEB_TOKEN_LEN + 64];

		snprintf(c, sizeof(c), COOKIE_NAME "=%s; HttpOnly; SameSite=Strict; Path=/",
			 q->s->token);
		MHD_add_response_header(r, "Set-Cookie", c);
	}
	ret = MHD_queue_response(q->conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* {"error":"..."} with `status`. */
static enum MHD_Result send_error(struct req *q, unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct req *q, unsigned int status, const char *fmt, ...)
{
	char text[512];
	struct web_buf b;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (web_buf_open(&b))
		return MHD_NO;
	fputs("{\"error\":", b.f);
	cli_json_str(b.f, text);
	fputs("}\n", b.f);
	if (web_buf_close(&b))
		return MHD_NO;
	return send_body(q, status, "application/json", b.data, b.len, true);
}

/* The result of an API body builder: 200, 400 (msg), 500. */
static enum MHD_Result send_api(struct req *q, int r, char *body, size_t len)
{
	if (r == -EINVAL)
		return send_error(q, MHD_HTTP_BAD_REQUEST, "%s", q->msg);
	if (r < 0)
		return send_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", strerror(-r));
	return send_body(q, MHD_HTTP_OK, "application/json", body, len, true);
}

static enum MHD_Result h_asset(struct req *q)
{
	const struct web_asset *a = web_asset(web_route_path(q->route));

	if (!a)
		return send_error(q, MHD_HTTP_NOT_FOUND, "not built in");
	return send_body(q, MHD_HTTP_OK, a->type, (char *)a->data, a->len, false);
}

static enum MHD_Result h_page(struct req *q)
{
	if (q->q.has_token) {
		/* the token leaves the address bar (and the history): the cookie has it now */
		struct MHD_Response *r =
			MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		char c[sizeof(COOKIE_NAME) + WEB_TOKEN_LEN + 64];
		enum MHD_Result ret;

		if (!r)
			return MHD_NO;
		common_headers(r);
		snprintf(c, sizeof(c), COOKIE_NAME "=%s; HttpOnly; SameSite=Strict; Path=/",
			 q->s->token);
		MHD_add_response_header(r, "Set-Cookie", c);
		MHD_add_response_header(r, "Location", "/");
		ret = MHD_queue_response(q->conn, MHD_HTTP_SEE_OTHER, r);
		MHD_destroy_response(r);
		return ret;
	}
	return h_asset(q);
}

static enum MHD_Result h_chartjs(struct req *q)
{
	if (!q->s->chartjs)
		return send_error(q, MHD_HTTP_NOT_FOUND, "%s not found: install libjs-chart.js",
				  q->s->o.chartjs_path);
	return send_body(q, MHD_HTTP_OK, "text/javascript; charset=utf-8", q->s->chartjs,
			 q->s->chartjs_len, false);
}

/* /api/conns and /api/top: from the live reader */
static enum MHD_Result h_live(struct req *q)
{
	char *body = NULL;
	size_t len = 0;
	int r;

	pthread_mutex_lock(&q->s->lock);
	r = (q->route == WEB_TOP ? web_api_top : web_api_conns)(q->s, &q->q, &body, &len, q->msg,
								sizeof(q->msg));
	pthread_mutex_unlock(&q->s->lock);
	return send_api(q, r, body, len);
}

static enum MHD_Result h_status(struct req *q)
{
	char *body = NULL;
	size_t len = 0;
	int r;

	pthread_mutex_lock(&q->s->lock);
	r = web_api_status(q->s, &body, &len);
	pthread_mutex_unlock(&q->s->lock);
	return send_api(q, r, body, len);
}

static enum MHD_Result h_history(struct req *q)
{
	char *body = NULL;
	size_t len = 0;
	int r;

	if (!q->s->o.db_path)
		return send_error(q, MHD_HTTP_NOT_FOUND,
				  "no history database: start leco serve with --db PATH");
	pthread_mutex_lock(&q->s->hist_lock);
	r = (q->route == WEB_NEW ? web_api_new : web_api_history)(q->s, &q->q, &body, &len, q->msg,
								  sizeof(q->msg));
	pthread_mutex_unlock(&q->s->hist_lock);
	if (r == -EIO)
		return send_error(q, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", q->msg);
	return send_api(q, r, body, len);
}

static enum MHD_Result h_events(struct req *q)
{
	int r = web_sse_attach(q->s->sse, q->conn);

	if (r == -EBUSY)
		return send_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "too many event streams open (at most %u)", q->s->o.max_sse);
	return r == MHD_YES ? MHD_YES : MHD_NO;
}

static enum MHD_Result h_metrics(struct req *q)
{
	const char *accept =
		MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	bool om = accept && strstr(accept, "application/openmetrics-text");
	char *body = NULL;
	size_t len = 0;
	int r;

	pthread_mutex_lock(&q->s->lock);
	r = web_metrics_render(q->s->metrics, q->s->reader, om, &body, &len);
	pthread_mutex_unlock(&q->s->lock);
	if (r < 0)
		return send_api(q, r, NULL, 0);
	return send_body(q, MHD_HTTP_OK,
			 om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
			    : "text/plain; version=0.0.4; charset=utf-8",
			 body, len, true);
}

static enum MHD_Result (*const handlers[WEB_ROUTES])(struct req *) = {
	[WEB_PAGE] = h_page,	 [WEB_APP_JS] = h_asset,     [WEB_STYLE_CSS] = h_asset,
	[WEB_ICON] = h_asset,	 [WEB_CHART_JS] = h_chartjs, [WEB_CONNS] = h_live,
	[WEB_TOP] = h_live,	 [WEB_HISTORY] = h_history,  [WEB_NEW] = h_history,
	[WEB_STATUS] = h_status, [WEB_EVENTS] = h_events,    [WEB_METRICS] = h_metrics,
};

static enum MHD_Result each_param(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct req *q = cls;
	char msg[sizeof(q->msg)];

	(void)kind;
	if (!q->perr && (q->perr = web_query_param(&q->q, q->route, key, value, (int64_t)time(NULL),
						   msg, sizeof(msg))))
		memcpy(q->msg, msg, sizeof(msg));
	return MHD_YES;
}

/* The token from ?token=, else Authorization: Bearer, else the cookie: is it ours? */
static bool authorized(struct req *q)
{
	const char *t = q->q.has_token ? q->q.token : NULL;
	const char *auth = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);

	if (!t && auth && !strncasecmp(auth, "Bearer ", 7))
		t = auth + 7;
	if (!t)
		t = MHD_lookup_connection_value(q->conn, MHD_COOKIE_KIND, COOKIE_NAME);
	return t && web_token_equal(t, q->s->token);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **ctx)
{
	struct req q = {.s = cls, .conn = conn};
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);

	(void)version, (void)upload_data, (void)upload_data_size, (void)ctx;
	web_query_init(&q.q);
	__atomic_store_n(&q.s->last_request, (int64_t)time(NULL), __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&q.s->idle, false, __ATOMIC_RELAXED))
		pthread_kill(q.s->main_thread, SIGUSR1); /* wake the idle loop (serve.c) */
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_error(&q, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD");
	if (!host || !web_host_ok(host, q.s->o.listen_host, q.s->o.port))
		return send_error(&q, MHD_HTTP_FORBIDDEN,
				  "Host header refused: use http://%s%s%s:%u/ or "
				  "http://localhost:%u/",
				  strchr(q.s->o.listen_host, ':') ? "[" : "", q.s->o.listen_host,
				  strchr(q.s->o.listen_host, ':') ? "]" : "", q.s->o.port,
				  q.s->o.port);
	q.route = web_route_of(url);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, each_param, &q);
	if (!authorized(&q)) {
		q.q.has_token = false; /* no cookie for a wrong one */
		return send_error(&q, MHD_HTTP_UNAUTHORIZED,
				  "a token is needed: ?token=, Authorization: Bearer, "
				  "or the cookie the page sets (the token is in the file leco "
				  "serve names at start, readable by group leco)");
	}
	if (q.route == WEB_NOT_FOUND)
		return send_error(&q, MHD_HTTP_NOT_FOUND, "no such path");
	if (q.perr)
		return send_error(&q, MHD_HTTP_BAD_REQUEST, "%s", q.msg);
	return handlers[q.route](&q);
}

/* libmicrohttpd's messages while it starts; later ones are about one client's request (too
 * big, closed early), which its answer already tells that client: not for the journal. */
static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	struct web_server *s = cls;

	if (!__atomic_load_n(&s->http_starting, __ATOMIC_RELAXED))
		return;
	fputs("leco: serve: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (!fmt[0] || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

int web_http_start(struct web_server *s, char *msg, size_t msgsz)
{
	/* the logger first, so that libmicrohttpd's own messages about options go through it */
	__atomic_store_n(&s->http_starting, true, __ATOMIC_RELAXED);
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
					  MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
				  0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd,
				  s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->o.max_conns,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_END);
	__atomic_store_n(&s->http_starting, false, __ATOMIC_RELAXED);
	if (!s->mhd) {
		snprintf(msg, msgsz, "cannot start the HTTP server (libmicrohttpd)");
		return -EIO;
	}
	return 0;
}

void web_http_stop(struct web_server *s)
{
	if (!s->mhd)
		return;
	web_sse_stop(s->sse);
	/* streams end at their next write; give them a moment (bounded) before the daemon goes */
	for (int i = 0; i < 100 && web_sse_clients(s->sse); i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
}
