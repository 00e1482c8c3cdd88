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
	CHECKF(strstr(s, "\"cookie\":18446744073709551615}") != NULL, "%s", s);
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
	CHECKF(strstr(s, "\"err\":\"ECONNREFUSED\"") != NULL, "%s", s);
	CHECK(strchr(s, '\n') == s + strlen(s) - 1);
	free(s);
	s = render(&l, false);
	if (s)
		CHECK_STREQ(s, "a\"b\\c\x01\x7f\n\xff\xc3\xa9\n");
	free(s);
}

/* C1 controls and direction marks: escaped in JSON, never raw */
static void test_escaping_hidden(void)
{
	struct leco_line l = sample();
	char *s;

	l.text = "a\xc2\x9b"
		 "b\xe2\x80\xae"
		 "c\xe2\x80\x8b"
		 "d";
	s = render(&l, true);
	if (!s)
		return;
	CHECKF(strstr(s, "{\"text\":\"a\\u009bb\\u202ec\xe2\x80\x8b"
			 "d\",") == s,
	       "%s", s);
	free(s);
}

/* one spelling of each name: the CLI's JSON says what the library's name functions say */
static void test_names(void)
{
	struct leco_line l = sample();
	char buf[16], *s;

	l.proto = 132; /* SCTP: neither tcp nor udp */
	l.err = 4095;  /* no errno has this number */
	l.dir = LECO_DIRECTION_IN;
	l.state = LECO_STATE_FAILED;
	s = render(&l, true);
	if (!s)
		return;
	CHECKF(strstr(s, "\"proto\":\"other\",") != NULL, "%s", s);
	CHECKF(strstr(s, "\"err\":\"E4095\",") != NULL, "%s", s);
	CHECKF(strstr(s, "\"dir\":\"in\",") != NULL, "%s", s);
	CHECKF(strstr(s, "\"state\":\"failed\",") != NULL, "%s", s);
	free(s);
	CHECK_STREQ(leco_proto_name(132), "other");
	CHECK_STREQ(leco_proto_name(17), "udp");
	CHECK_STREQ(leco_errno_name(4095, buf, sizeof(buf)), "E4095");
	CHECK_STREQ(leco_errno_name(111, buf, sizeof(buf)), "ECONNREFUSED");
	CHECK(leco_errno_name(0, buf, sizeof(buf)) == NULL);
	CHECK_STREQ(leco_direction_name(LECO_DIRECTION_OUT), "out");
	CHECK_STREQ(leco_reader_state_name(LECO_READER_OK), "ok");
	CHECK_STREQ(leco_reader_state_name(LECO_READER_NO_PROBES), "no_probes");
	CHECK_STREQ(leco_reader_state_name(LECO_READER_NO_ACCESS), "no_access");
	CHECK_STREQ(leco_reader_state_name(LECO_READER_BAD_LAYOUT), "bad_layout");
	CHECK_STREQ(leco_reader_state_name(LECO_READER_CONFIG), "config_error");
	CHECK_STREQ(leco_reader_state_name(99), "unknown");
	CHECK_STREQ(leco_state_name(LECO_STATE_ACTIVE), "active");
	CHECK_STREQ(leco_state_name(-1), "unknown");
}

int main(void)
{
	RUN(test_counters_unsigned);
	RUN(test_escaping);
	RUN(test_escaping_hidden);
	RUN(test_names);
	return th_done();
}
