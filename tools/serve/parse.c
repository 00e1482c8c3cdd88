// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco serve: routes, query parameters, times, the Host check and the token compare. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "parse.h"

static const char *const route_paths[WEB_ROUTES] = {
	[WEB_PAGE] = "/",
	[WEB_APP_JS] = "/app.js",
	[WEB_STYLE_CSS] = "/style.css",
	[WEB_ICON] = "/favicon.svg",
	[WEB_CHART_JS] = "/chart.js",
	[WEB_CONNS] = "/api/conns",
	[WEB_TOP] = "/api/top",
	[WEB_HISTORY] = "/api/history",
	[WEB_NEW] = "/api/new",
	[WEB_STATUS] = "/api/status",
	[WEB_EVENTS] = "/api/events",
	[WEB_METRICS] = "/metrics",
};

enum web_route web_route_of(const char *path)
{
	if (!strcmp(path, "/index.html"))
		return WEB_PAGE;
	for (int i = 1; i < WEB_ROUTES; i++)
		if (!strcmp(path, route_paths[i]))
			return (enum web_route)i;
	return WEB_NOT_FOUND;
}

const char *web_route_path(enum web_route route)
{
	return route > WEB_NOT_FOUND && route < WEB_ROUTES ? route_paths[route] : "";
}

void web_query_init(struct web_query *q)
{
	memset(q, 0, sizeof(*q));
}

/* Which parameters each route takes (besides token, which all take). */
enum {
	P_BY = 1,
	P_SORT = 2,
	P_N = 4,
	P_SINCE = 8,
	P_UNTIL = 16,
	P_PID = 32,
	P_FILTER = 64,
	P_STEP = 128,
	P_APP = 256
};
static const unsigned int route_params[WEB_ROUTES] = {
	[WEB_CONNS] = P_N | P_PID | P_FILTER,
	[WEB_TOP] = P_BY | P_SORT | P_N,
	[WEB_HISTORY] = P_BY | P_SINCE | P_UNTIL | P_N | P_STEP,
	[WEB_NEW] = P_SINCE | P_UNTIL | P_N | P_APP,
};

static int fail(char *msg, size_t msgsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A name made of [a-z0-9_] that fits `size`: by=, sort=, state= (checked again by whoever
 * looks them up; this keeps odd bytes out of the messages that quote them). */
static bool word_ok(const char *v, size_t size)
{
	size_t n = strlen(v);

	if (!n || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
			return false;
	return true;
}

static bool ulong_ok(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!v[0] || v[0] < '0' || v[0] > '9' || strlen(v) > 10)
		return false;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return !errno && !*end && *out <= max;
}

static int param_value(struct web_query *q, unsigned int p, const char *key, const char *v,
		       int64_t now, char *msg, size_t msgsz)
{
	unsigned long u;

	switch (p) {
	case P_BY:
	case P_SORT:
		if (!word_ok(v, sizeof(q->by)))
			return fail(msg, msgsz, "bad %s: want a name such as %s", key,
				    p == P_BY ? "'unit'" : "'rx'");
		snprintf(p == P_BY ? q->by : q->sort, sizeof(q->by), "%s", v);
		return 0;
	case P_N:
		if (!ulong_ok(v, 100000, &u))
			return fail(msg, msgsz, "bad %s: want a count in 0..100000%s", key, "");
		q->n = (long)u;
		return 0;
	case P_PID:
		if (!ulong_ok(v, 4194304, &u))
			return fail(msg, msgsz, "bad %s: want a process id%s", key, "");
		q->pid = (uint32_t)u, q->has_pid = true;
		return 0;
	case P_STEP: {
		int64_t t;

		/* a length, as an age: 5m, 1h, 1d */
		if (!v[0] || v[0] == '@' || v[0] < '0' || v[0] > '9' || strchr(v, '-') ||
		    strlen(v) == 10 || web_parse_time(v, now, &t) || now - t < 60)
			return fail(msg, msgsz,
				    "bad %s: want a length of at least a minute (5m, 1h, 1d)", key);
		q->step = now - t;
		return 0;
	}
	case P_APP:
		if (strlen(v) >= sizeof(q->app))
			return fail(msg, msgsz, "bad %s: too long", key);
		snprintf(q->app, sizeof(q->app), "%s", v);
		return 0;
	case P_SINCE:
	case P_UNTIL:
		q->has_since |= p == P_SINCE;
		if (web_parse_time(v, now, p == P_SINCE ? &q->since : &q->until))
			return fail(msg, msgsz,
				    "bad %s: want an age (90s, 30m, 2h, 7d, 4w, 1y), a date "
				    "(2026-11-01, 2026-11-01T12:30) or @UNIXTIME%s",
				    key, "");
		return 0;
	}
	return -EINVAL;
}

int web_query_param(struct web_query *q, enum web_route route, const char *key, const char *value,
		    int64_t now, char *msg, size_t msgsz)
{
	static const struct {
		const char *name;
		unsigned int p;
	} params[] = {{"by", P_BY},	   {"sort", P_SORT}, {"n", P_N},	 {"since", P_SINCE},
		      {"until", P_UNTIL},  {"pid", P_PID},   {"user", P_FILTER}, {"unit", P_FILTER},
		      {"state", P_FILTER}, {"step", P_STEP}, {"app", P_APP}};
	unsigned int allowed =
		route > WEB_NOT_FOUND && route < WEB_ROUTES ? route_params[route] : 0;
	const char *v = value ? value : "";

	msg[0] = 0;
	if (!strcmp(key, "token")) {
		if (strlen(v) > WEB_TOKEN_MAX)
			return fail(msg, msgsz, "bad %s: too long%s", key, "");
		snprintf(q->token, sizeof(q->token), "%s", v);
		q->has_token = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (strcmp(key, params[i].name))
			continue;
		if (!(allowed & params[i].p))
			break;
		if (params[i].p != P_FILTER)
			return param_value(q, params[i].p, key, v, now, msg, msgsz);
		if (!strcmp(key, "state")) {
			if (!word_ok(v, sizeof(q->state)))
				return fail(msg, msgsz, "bad %s: want a state such as %s", key,
					    "'established'");
			snprintf(q->state, sizeof(q->state), "%s", v);
		} else {
			char *dst = key[1] == 's' ? q->user : q->unit;

			if (strlen(v) >= WEB_VALUE_MAX)
				return fail(msg, msgsz, "bad %s: too long%s", key, "");
			snprintf(dst, WEB_VALUE_MAX, "%s", v);
		}
		return 0;
	}
	/* the key is quoted only when it is a plain word (it may be any bytes) */
	if (word_ok(key, 32))
		return fail(msg, msgsz, "unknown parameter '%s' for %s", key,
			    route ? web_route_path(route) : "this path");
	return fail(msg, msgsz, "unknown parameter for %s%s",
		    route ? web_route_path(route) : "this path", "");
}

/* "2026-11-01" or "2026-11-01T12:30" (local time). */
static int parse_date(const char *s, int64_t *t)
{
	struct tm tm = {0};
	const char *end;
	time_t v;

	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end)
		return -EINVAL;
	if (*end == 'T' || *end == ' ')
		end = strptime(end + 1, "%H:%M", &tm);
	if (!end || *end || tm.tm_year < 70 || tm.tm_year > 1100)
		return -EINVAL;
	tm.tm_isdst = -1;
	if ((v = mktime(&tm)) < 0)
		return -EINVAL;
	*t = (int64_t)v;
	return 0;
}

int web_parse_time(const char *s, int64_t now, int64_t *t)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'s', 1},	   {'m', 60},	     {'h', 3600},
		     {'d', 86400}, {'w', 7 * 86400}, {'y', 365 * 86400}};
	unsigned long v;
	size_t n = strlen(s);
	char num[16];

	if (s[0] == '@' && ulong_ok(s + 1, 32503680000UL, &v)) {
		*t = (int64_t)v;
		return 0;
	}
	if (n == 10 && ulong_ok(s, 9999999999UL, &v)) {
		*t = (int64_t)v;
		return 0;
	}
	if (n >= 2 && n < sizeof(num)) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (s[n - 1] != units[i].unit)
				continue;
			memcpy(num, s, n - 1);
			num[n - 1] = 0;
			if (!ulong_ok(num, 1000000, &v) || (int64_t)v * units[i].secs > now)
				return -EINVAL;
			*t = now - (int64_t)v * units[i].secs;
			return 0;
		}
	}
	return parse_date(s, t);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long web_unescape(const char *in, size_t len, bool plus, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= len)
				return -EINVAL;
			if ((h = hexval(in[i + 1])) < 0 || (l = hexval(in[i + 2])) < 0)
				return -EINVAL;
			c = h * 16 + l;
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (!c || o + 1 >= outsz)
			return -EINVAL;
		out[o++] = (char)c;
	}
	if (!outsz)
		return -EINVAL;
	out[o] = 0;
	return (long)o;
}

int web_parse_target(const char *target, size_t len, int64_t now, enum web_route *route,
		     struct web_query *q, char *msg, size_t msgsz)
{
	const char *qs = memchr(target, '?', len);
	size_t plen = qs ? (size_t)(qs - target) : len;
	char path[256], key[64], val[WEB_VALUE_MAX + WEB_TOKEN_MAX];

	web_query_init(q);
	msg[0] = 0;
	*route = WEB_NOT_FOUND;
	if (web_unescape(target, plen, false, path, sizeof(path)) < 0) {
		snprintf(msg, msgsz, "bad path");
		return -EINVAL;
	}
	*route = web_route_of(path);
	for (const char *p = qs ? qs + 1 : NULL, *end = target + len; p && p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		size_t klen = (size_t)((eq ? eq : stop) - p);
		int r;

		if (web_unescape(p, klen, true, key, sizeof(key)) < 0 ||
		    (eq &&
		     web_unescape(eq + 1, (size_t)(stop - eq - 1), true, val, sizeof(val)) < 0)) {
			snprintf(msg, msgsz,
				 "bad query string: a parameter is malformed or too long");
			return -EINVAL;
		}
		if (klen && (r = web_query_param(q, *route, key, eq ? val : NULL, now, msg, msgsz)))
			return r;
		p = stop + 1;
	}
	return 0;
}

/* host[:port] split; the host of "[::1]:80" is "::1". false when malformed. */
static bool split_host(const char *h, char *host, size_t hostsz, long *port)
{
	const char *colon, *end;
	size_t n;

	*port = -1;
	if (h[0] == '[') {
		if (!(end = strchr(h, ']')))
			return false;
		n = (size_t)(end - h - 1);
		if (n >= hostsz)
			return false;
		memcpy(host, h + 1, n);
		host[n] = 0;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (!colon && end[1])
			return false;
	} else {
		colon = strchr(h, ':');
		n = colon ? (size_t)(colon - h) : strlen(h);
		if (n >= hostsz || (colon && strchr(colon + 1, ':')))
			return false;
		memcpy(host, h, n);
		host[n] = 0;
	}
	if (colon) {
		unsigned long p;

		if (!ulong_ok(colon + 1, 65535, &p))
			return false;
		*port = (long)p;
	}
	return host[0] != 0;
}

static bool is_ip_literal(const char *host, bool bracketed)
{
	unsigned char buf[16];

	return bracketed ? inet_pton(AF_INET6, host, buf) == 1 : inet_pton(AF_INET, host, buf) == 1;
}

bool web_host_ok(const char *host, const char *listen_host, unsigned int port)
{
	char h[128];
	unsigned char a[16], b[16];
	long p;
	bool v6 = host[0] == '[';
	bool any4 = !strcmp(listen_host, "0.0.0.0"), any6 = !strcmp(listen_host, "::");
	bool loop = !strncmp(listen_host, "127.", 4) || !strcmp(listen_host, "::1");

	if (!split_host(host, h, sizeof(h), &p) || (p < 0 ? port != 80 : (unsigned long)p != port))
		return false;
	if (!strcasecmp(h, "localhost"))
		return true;
	if (!is_ip_literal(h, v6))
		return false; /* a name: only localhost */
	if (any4 || any6)
		return true;
	if (loop && (!strcmp(h, "127.0.0.1") || !strcmp(h, "::1")))
		return true;
	/* the listen address itself, compared as addresses ("::0001" is "::1") */
	if (v6)
		return inet_pton(AF_INET6, h, a) == 1 && inet_pton(AF_INET6, listen_host, b) == 1 &&
		       !memcmp(a, b, 16);
	return inet_pton(AF_INET, h, a) == 1 && inet_pton(AF_INET, listen_host, b) == 1 &&
	       !memcmp(a, b, 4);
}

bool web_token_equal(const char *given, const char *expected)
{
	size_t n = strlen(expected), g = strnlen(given, WEB_TOKEN_MAX + 1);
	unsigned char diff = g != n;

	/* every byte of the expected token is looked at, whatever was given */
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(expected[i] ^ (i < g ? given[i] : 0));
	return diff == 0;
}
