// SPDX-License-Identifier: LGPL-2.1-or-later
/* tools/output.c on its own: the JSON object of one line (values, escaping), no probes needed. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "output.h"

/* tools/leco.c's; output.c reports argument errors through it */
int cli_err(const char *fmt, ...)
{
	return 2;
}

static char *render(const struct leco_line *l, bool json)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	CHECK(f != NULL);
	if (!f)
		return NULL;
	CHECK_INTEQ(cli_print_line(f, l, json), 0);
	fclose(f);
	return out;
}

static struct leco_line sample(void)
{
	return (struct leco_line){.text = "t",
				  .raw = "t",
				  .group = "t",
				  .proto = 6,
				  .family = 4,
				  .laddr = "10.0.0.2",
				  .raddr = "10.0.0.1",
				  .comm = "c",
				  .cmd = "c",
				  .exe = "",
				  .user = "u",
				  .cgroup = "",
				  .unit = ""};
}

/* byte counters are unsigned 64-bit: never printed as negative numbers */
static void test_counters_unsigned(void)
{
	struct leco_line l = sample();
	char *s;

	l.rx = UINT64_MAX;
	l.tx = (uint64_t)1 << 63;
	l.cookie = UINT64_MAX;
	s = render(&l, true);
	if (!s)
		return;
	CHECKF(strstr(s, "\"rx\":18446744073709551615,") != NULL, "%s", s);
	CHECKF(strstr(s, "\"tx\":9223372036854775808,") != NULL, "%s", s);
	CHECKF(strstr(s, "\"cookie\":18446744073709551615,") != NULL, "%s", s);
	CHECK(strchr(s, '-') == NULL);
	free(s);
}

/* strings: quotes, backslashes, control characters and invalid UTF-8 escaped; one line */
static void test_escaping(void)
{
	struct leco_line l = sample();
	char *s;

	l.text = "a\"b\\c\x01\x7f\n\xff\xc3\xa9";
	l.err = 111;
	s = render(&l, true);
	if (!s)
		return;
	CHECKF(strstr(s, "{\"text\":\"a\\\"b\\\\c\\u0001\\u007f\\n\\ufffd\xc3\xa9\",") == s, "%s",
	       s);
	CHECKF(strstr(s, "\"error\":\"ECONNREFUSED\"") != NULL, "%s", s);
	CHECK(strchr(s, '\n') == s + strlen(s) - 1);
	free(s);
	s = render(&l, false);
	if (s)
		CHECK_STREQ(s, "a\"b\\c\x01\x7f\n\xff\xc3\xa9\n");
	free(s);
}

int main(void)
{
	RUN(test_counters_unsigned);
	RUN(test_escaping);
	return th_done();
}
