// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco serve's request parsing (tools/serve/parse.c): routes, parameters, times, the Host
 * check and the token compare. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "parse.h"

#define NOW 1800000000LL

static int target(const char *t, enum web_route *route, struct web_query *q, char *msg)
{
	return web_parse_target(t, strlen(t), NOW, route, q, msg, 256);
}

static void test_routes(void)
{
	struct web_query q;
	enum web_route r;
	char msg[256];

	CHECK(target("/", &r, &q, msg) == 0 && r == WEB_PAGE);
	CHECK(target("/index.html", &r, &q, msg) == 0 && r == WEB_PAGE);
	CHECK(target("/api/top", &r, &q, msg) == 0 && r == WEB_TOP);
	CHECK(target("/api/events", &r, &q, msg) == 0 && r == WEB_EVENTS);
	CHECK(target("/metrics", &r, &q, msg) == 0 && r == WEB_METRICS);
	CHECK(target("/api/%74op", &r, &q, msg) == 0 && r == WEB_TOP); /* percent-decoded */
	CHECK(target("/api/top/", &r, &q, msg) == 0 && r == WEB_NOT_FOUND);
	CHECK(target("/../api/top", &r, &q, msg) == 0 && r == WEB_NOT_FOUND);
	CHECK(target("/api/top%00", &r, &q, msg) == -EINVAL); /* an embedded NUL */
	CHECK(target("/api/top%4", &r, &q, msg) == -EINVAL);  /* a cut escape */
	CHECK(target("/api/top%zz", &r, &q, msg) == -EINVAL);
	CHECK_STREQ(web_route_path(WEB_CONNS), "/api/conns");
	CHECK_STREQ(web_route_path(WEB_NOT_FOUND), "");
}

static void test_params(void)
{
	struct web_query q;
	enum web_route r;
	char msg[256];

	CHECK(target("/api/top?by=unit&sort=rx&n=5", &r, &q, msg) == 0);
	CHECK_STREQ(q.by, "unit");
	CHECK_STREQ(q.sort, "rx");
	CHECK(q.n == 5);
	CHECK(target("/api/top?token=ab%63d", &r, &q, msg) == 0 && q.has_token);
	CHECK_STREQ(q.token, "abcd");
	CHECK(target("/api/conns?pid=42&user=a+b&unit=x%2Fy&state=failed", &r, &q, msg) == 0);
	CHECK(q.has_pid && q.pid == 42);
	CHECK_STREQ(q.user, "a b");
	CHECK_STREQ(q.unit, "x/y");
	CHECK_STREQ(q.state, "failed");
	/* a parameter the route does not take is an error that names it */
	CHECK(target("/api/top?since=2h", &r, &q, msg) == -EINVAL);
	CHECK_STREQ(msg, "unknown parameter 'since' for /api/top");
	CHECK(target("/api/status?n=1", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/top?n=-1", &r, &q, msg) == -EINVAL);
	CHECK(strstr(msg, "bad n") != NULL);
	CHECK(target("/api/top?n=100001", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/top?n=99999999999999999999", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/top?by=Unit", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/top?by=%22%3E", &r, &q, msg) == -EINVAL);
	CHECK(strchr(msg, '"') == NULL); /* the odd value is not quoted back */
	CHECK(target("/api/conns?pid=x", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/conns?pid=4194305", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/top?%ff%fe=1", &r, &q, msg) == -EINVAL);
	CHECK(strcmp(msg, "unknown parameter for /api/top") == 0);
	/* history: a step is a length of at least a minute; new: app= */
	CHECK(target("/api/history?since=24h&step=1h&by=app", &r, &q, msg) == 0);
	CHECK(q.step == 3600 && q.since == NOW - 86400 && q.has_since);
	CHECK(target("/api/history?step=30s", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/history?step=2026-01-01", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/history?step=@5", &r, &q, msg) == -EINVAL);
	CHECK(target("/api/new?since=@0&app=curl", &r, &q, msg) == 0);
	CHECK(q.has_since && q.since == 0);
	CHECK_STREQ(q.app, "curl");
	CHECK(target("/api/history?app=curl", &r, &q, msg) == -EINVAL);
	/* empty pieces are nothing */
	CHECK(target("/api/top?&&n=3&", &r, &q, msg) == 0 && q.n == 3);
	char longtok[WEB_TOKEN_MAX + 16] = "/?token=";

	memset(longtok + 8, 'a', WEB_TOKEN_MAX + 1);
	longtok[8 + WEB_TOKEN_MAX + 1] = 0;
	CHECK(target(longtok, &r, &q, msg) == -EINVAL);
}

static void test_times(void)
{
	int64_t t;

	CHECK(web_parse_time("90s", NOW, &t) == 0 && t == NOW - 90);
	CHECK(web_parse_time("2h", NOW, &t) == 0 && t == NOW - 7200);
	CHECK(web_parse_time("7d", NOW, &t) == 0 && t == NOW - 7 * 86400);
	CHECK(web_parse_time("1y", NOW, &t) == 0 && t == NOW - 365 * 86400);
	CHECK(web_parse_time("@1767225600", NOW, &t) == 0 && t == 1767225600);
	CHECK(web_parse_time("1767225600", NOW, &t) == 0 && t == 1767225600);
	setenv("TZ", "UTC", 1);
	CHECK(web_parse_time("2026-01-01", NOW, &t) == 0 && t == 1767225600);
	CHECK(web_parse_time("2026-01-01T12:30", NOW, &t) == 0 && t == 1767225600 + 45000);
	CHECK(web_parse_time("2026-13-01", NOW, &t) == -EINVAL);
	CHECK(web_parse_time("2026-01-01x", NOW, &t) == -EINVAL);
	CHECK(web_parse_time("h", NOW, &t) == -EINVAL);
	CHECK(web_parse_time("-2h", NOW, &t) == -EINVAL);
	CHECK(web_parse_time("999999999y", NOW, &t) == -EINVAL);
	CHECK(web_parse_time("", NOW, &t) == -EINVAL);
}

static void test_host(void)
{
	CHECK(web_host_ok("127.0.0.1:9473", "127.0.0.1", 9473));
	CHECK(web_host_ok("localhost:9473", "127.0.0.1", 9473));
	CHECK(web_host_ok("LocalHost:9473", "127.0.0.1", 9473));
	CHECK(web_host_ok("[::1]:9473", "127.0.0.1", 9473));
	CHECK(!web_host_ok("127.0.0.1:9474", "127.0.0.1", 9473)); /* another port */
	CHECK(!web_host_ok("127.0.0.1", "127.0.0.1", 9473));	  /* no port: 80 only */
	CHECK(web_host_ok("127.0.0.1", "127.0.0.1", 80));
	CHECK(!web_host_ok("evil.example:9473", "127.0.0.1", 9473)); /* DNS rebinding */
	CHECK(!web_host_ok("localhost.evil.example:9473", "127.0.0.1", 9473));
	CHECK(!web_host_ok("10.0.0.1:9473", "127.0.0.1", 9473));
	CHECK(web_host_ok("10.0.0.1:9473", "10.0.0.1", 9473));
	CHECK(web_host_ok("10.0.0.1:9473", "0.0.0.0", 9473)); /* wildcard: any IP literal */
	CHECK(!web_host_ok("evil.example:9473", "0.0.0.0", 9473));
	CHECK(web_host_ok("[::0001]:9473", "::1", 9473));
	CHECK(!web_host_ok("[::1:9473", "::1", 9473));
	CHECK(!web_host_ok("[::1]x:9473", "::1", 9473));
	CHECK(!web_host_ok("127.0.0.1:9473:1", "127.0.0.1", 9473));
	CHECK(!web_host_ok("127.0.0.1:+9473", "127.0.0.1", 9473));
	CHECK(!web_host_ok(":9473", "127.0.0.1", 9473));
	CHECK(!web_host_ok("", "127.0.0.1", 9473));
}

static void test_token(void)
{
	CHECK(web_token_equal("abc", "abc"));
	CHECK(!web_token_equal("abd", "abc"));
	CHECK(!web_token_equal("ab", "abc"));
	CHECK(!web_token_equal("abcd", "abc"));
	CHECK(!web_token_equal("", "abc"));
}

static void test_unescape(void)
{
	char out[8];

	CHECK(web_unescape("a%20b+c", 7, true, out, sizeof(out)) == 5);
	CHECK_STREQ(out, "a b c");
	CHECK(web_unescape("a+c", 3, false, out, sizeof(out)) == 3);
	CHECK_STREQ(out, "a+c");
	CHECK(web_unescape("12345678", 8, false, out, sizeof(out)) == -EINVAL); /* no room */
	CHECK(web_unescape("%", 1, false, out, sizeof(out)) == -EINVAL);
}

int main(void)
{
	RUN(test_routes);
	RUN(test_params);
	RUN(test_times);
	RUN(test_host);
	RUN(test_token);
	RUN(test_unescape);
	return th_done();
}
