// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: leco serve's request parsing (tools/serve/parse.c). Input: a request
 * target ("/api/top?by=unit&n=5"), optionally followed by a NUL byte and a Host header value
 * and another NUL and a token. Besides the sanitizers it checks what the parser promises:
 * the route is one of the table's, strings stay terminated and within their fields, an
 * error always has a message, a good time is a sane one, and the token compare agrees with
 * strcmp.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define NOW 1800000000LL

static void check_query(const struct web_query *q)
{
	if (strnlen(q->token, sizeof(q->token)) >= sizeof(q->token) ||
	    strnlen(q->by, sizeof(q->by)) >= sizeof(q->by) ||
	    strnlen(q->sort, sizeof(q->sort)) >= sizeof(q->sort) ||
	    strnlen(q->user, sizeof(q->user)) >= sizeof(q->user) ||
	    strnlen(q->unit, sizeof(q->unit)) >= sizeof(q->unit) ||
	    strnlen(q->state, sizeof(q->state)) >= sizeof(q->state) || q->n < 0 || q->n > 100000)
		__builtin_trap();
	/* times are after 1970; a step is at least a minute */
	if (q->since < 0 || q->until < 0 || (q->step && q->step < 60) ||
	    strnlen(q->app, sizeof(q->app)) >= sizeof(q->app))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nul = memchr(in, 0, size);
	size_t tlen = nul ? (size_t)(nul - in) : size;
	struct web_query q;
	enum web_route route;
	char msg[256], *s;
	int64_t t;
	int r;

	msg[0] = 'x';
	r = web_parse_target(in, tlen, NOW, &route, &q, msg, sizeof(msg));
	if (route < WEB_NOT_FOUND || route >= WEB_ROUTES ||
	    strnlen(msg, sizeof(msg)) == sizeof(msg))
		__builtin_trap();
	if (r && !msg[0])
		__builtin_trap(); /* an error says what is wrong */
	if (!r)
		check_query(&q);
	/* the same bytes as a time, and as a Host header, and as a token */
	if (!(s = malloc(tlen + 1)))
		return 0;
	memcpy(s, in, tlen);
	s[tlen] = 0;
	if (!web_parse_time(s, NOW, &t) && (t < -1 || t > 32503680000LL))
		__builtin_trap();
	if (nul) {
		const char *host = nul + 1;
		size_t rest = size - tlen - 1;
		const char *nul2 = memchr(host, 0, rest);
		char h[512], tok[WEB_TOKEN_MAX + 1];
		size_t hl = nul2 ? (size_t)(nul2 - host) : rest;

		if (hl < sizeof(h)) {
			memcpy(h, host, hl);
			h[hl] = 0;
			(void)web_host_ok(h, "127.0.0.1", 9473);
			(void)web_host_ok(h, "::", 9473);
			(void)web_host_ok(h, "::1", 80);
		}
		if (nul2 && size - (size_t)(nul2 + 1 - in) <= WEB_TOKEN_MAX) {
			size_t kl = size - (size_t)(nul2 + 1 - in);

			memcpy(tok, nul2 + 1, kl);
			tok[kl] = 0;
			if (web_token_equal(tok, s) != (strcmp(tok, s) == 0))
				__builtin_trap();
		}
	}
	free(s);
	return 0;
}
