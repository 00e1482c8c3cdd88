/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco serve: what a request asks for, from its path and query string. No I/O and no
 * libmicrohttpd here, so that tests/fuzz/fuzz_web.c can run it on any bytes.
 */
#ifndef LECO_SERVE_PARSE_H
#define LECO_SERVE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum web_route {
	WEB_NOT_FOUND = 0,
	WEB_PAGE,      /* / and /index.html */
	WEB_APP_JS,    /* /app.js */
	WEB_STYLE_CSS, /* /style.css */
	WEB_ICON,      /* /favicon.svg */
	WEB_CHART_JS,  /* /chart.js: Debian's libjs-chart.js, read from disk at start */
	WEB_CONNS,     /* /api/conns */
	WEB_TOP,       /* /api/top */
	WEB_HISTORY,   /* /api/history */
	WEB_NEW,       /* /api/new */
	WEB_STATUS,    /* /api/status */
	WEB_EVENTS,    /* /api/events (server-sent events) */
	WEB_METRICS,   /* /metrics */
	WEB_ROUTES
};

/* Longest token accepted (hex digits; longer is refused without looking further). */
#define WEB_TOKEN_MAX 128
/* Longest query value kept (names of units, users, programs are shorter). */
#define WEB_VALUE_MAX 256

/* The query parameters the routes know. A parameter a route does not take is an error, so
 * that a misspelt one is never silently ignored. */
struct web_query {
	char token[WEB_TOKEN_MAX + 1]; /* ?token= */
	bool has_token;
	char by[32];	/* top: process|exe|program|unit|user|remote|port|proto; history: app|... */
	char sort[32];	/* top: rx|tx|total|conns|rate... */
	long n;		/* top, history, conns: at most this many (0: the route's default) */
	int64_t since;	/* history, new: unix seconds (0: the route's default) */
	int64_t until;	/* history: unix seconds (0: now) */
	bool has_since; /* since was given (since=@0 is the beginning of time) */
	int64_t step;	/* history: seconds per time bucket (0: one total per group) */
	char app[WEB_VALUE_MAX]; /* new: only the pairs of this app (its endpoints) */
	uint32_t pid;		 /* conns: only this process */
	bool has_pid;
	char user[WEB_VALUE_MAX], unit[WEB_VALUE_MAX], state[32]; /* conns filters */
};

/* The route of a decoded path ("/api/top"); WEB_NOT_FOUND for anything else. */
enum web_route web_route_of(const char *path);
/* Its name in messages ("/api/top"); "" for WEB_NOT_FOUND. */
const char *web_route_path(enum web_route route);

void web_query_init(struct web_query *q);
/*
 * One decoded query parameter `key`=`value` (value NULL: no '=') for `route`, at unix time
 * `now` (for relative times). Returns 0, or -EINVAL with a message naming the parameter and
 * what is wrong in `msg` (`msgsz` bytes, always terminated).
 */
int web_query_param(struct web_query *q, enum web_route route, const char *key, const char *value,
		    int64_t now, char *msg, size_t msgsz);

/*
 * A time for ?since= / ?until=: "90s", "30m", "2h", "7d", "4w", "1y" (ago), a date
 * "2026-11-01" (local midnight) or "2026-11-01T12:30" (local), or unix seconds ("@1767225600"
 * or ten digits). Returns 0 and *t, or -EINVAL.
 */
int web_parse_time(const char *s, int64_t now, int64_t *t);

/*
 * Percent-decode `in` (`len` bytes; '+' is a space when `plus`) into `out` (`outsz` bytes,
 * terminated). Returns the decoded length, or -EINVAL for a bad escape, an embedded NUL or a
 * result that does not fit.
 */
long web_unescape(const char *in, size_t len, bool plus, char *out, size_t outsz);

/*
 * A whole request target ("/api/top?by=unit&n=5"), for tests and the fuzz target: the route,
 * then every parameter through web_query_param(). The server gets path and parameters from
 * libmicrohttpd instead and calls the same two functions. Returns 0 or -EINVAL (msg says why).
 */
int web_parse_target(const char *target, size_t len, int64_t now, enum web_route *route,
		     struct web_query *q, char *msg, size_t msgsz);

/*
 * The Host header check (DNS rebinding): accepted are "localhost", the listen address itself
 * when it is not a wildcard, 127.0.0.1 / [::1] when it is a loopback one, and any IP literal
 * when it is a wildcard (a rebound name is never an IP literal) — each with the listen port
 * (a missing port only for port 80). `listen_host` is the listen address as text ("127.0.0.1",
 * "::1", "0.0.0.0", "::"). Case-insensitive for "localhost".
 */
bool web_host_ok(const char *host, const char *listen_host, unsigned int port);

/* Compare a token with the expected one in time that depends on neither's content (only on
 * the expected one's length, which is fixed). */
bool web_token_equal(const char *given, const char *expected);

#endif
