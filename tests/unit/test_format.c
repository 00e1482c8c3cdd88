// SPDX-License-Identifier: LGPL-2.1-or-later
/* The display line: sizes, times, endpoints, threshold, inbound/failed/blocked markers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "annotate.h"

static void test_sizes(void)
{
	static const struct {
		uint64_t v;
		const char *want;
	} rows[] = {
		{0, "0B"},	    {1, "1B"},
		{58, "58B"},	    {1023, "1023B"},
		{1024, "1024B"},    {1025, "1K"},
		{1536, "1.5K"},	    {5120, "5K"},
		{3565158, "3.4M"},  {1048576, "1024K"},
		{1048577, "1M"},    {10 * 1048576 + 1, "10M"},
		{1073741825, "1G"}, {1649267441664ULL, "1.5T"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		leco_fmt_size(buf, sizeof(buf), rows[i].v);
		CHECK_STREQ(buf, rows[i].want);
	}
}

static void test_reltime(void)
{
	static const struct {
		double td;
		const char *want;
	} rows[] = {
		{0, "now"},	   {0.5, "now"},	{1, "1s"},	     {59, "59s"},
		{90, "2m"},	   {150, "2m"},		{3600, "1h"},	     {81000, "22h"},
		{84600, "24h"},	   {86400, "1d"},	{90000, "1d"},	     {129600, "2d"},
		{7 * 86400, "1w"}, {40 * 86400, "1mo"}, {400 * 86400, "1y"}, {-5, "now"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		leco_fmt_reltime(buf, sizeof(buf), rows[i].td);
		CHECK_STREQ(buf, rows[i].want);
	}
}

static void test_time_field(void)
{
	char buf[32];
	/* 2026-01-02 18:32:40 UTC */
	int64_t t = 1767378760LL * 1000000000LL;

	leco_fmt_time(buf, sizeof(buf), t, 100, 81000);
	CHECK_STREQ(buf, "18:32");
	leco_fmt_time(buf, sizeof(buf), t, 80999, 81000);
	CHECK_STREQ(buf, "18:32");
	leco_fmt_time(buf, sizeof(buf), t, 81000, 81000);
	CHECK_STREQ(buf, " -22h");
	leco_fmt_time(buf, sizeof(buf), t, 86400 * 3, 81000);
	CHECK_STREQ(buf, "  -3d");
	leco_fmt_time(buf, sizeof(buf), t, 86400 * 400, 81000);
	CHECK_STREQ(buf, "  -1y");
}

static void test_addrs(void)
{
	uint8_t a[16] = {0};
	char buf[64];
	int fam = 0;

	inet_pton(AF_INET, "10.2.0.1", a);
	leco_fmt_addr(buf, sizeof(buf), a, 4, &fam);
	CHECK_STREQ(buf, "10.2.0.1");
	CHECK_INTEQ(fam, 4);
	inet_pton(AF_INET6, "::ffff:192.168.1.7", a);
	leco_fmt_addr(buf, sizeof(buf), a, 6, &fam);
	CHECK_STREQ(buf, "192.168.1.7");
	CHECK_INTEQ(fam, 4);
	inet_pton(AF_INET6, "fd02::1", a);
	leco_fmt_addr(buf, sizeof(buf), a, 6, &fam);
	CHECK_STREQ(buf, "fd02::1");
	CHECK_INTEQ(fam, 6);
	memset(a, 0, sizeof(a));
	leco_fmt_addr(buf, sizeof(buf), a, 6, &fam);
	CHECK_STREQ(buf, "[::]");
	leco_fmt_addr(buf, sizeof(buf), a, 4, &fam);
	CHECK_STREQ(buf, "0.0.0.0");
}

static struct leco_format_conf fconf(void)
{
	struct leco_format_conf f;

	leco_format_conf_default(&f);
	return f;
}

static void test_lines(void)
{
	struct leco_format_conf f = fconf();
	struct leco_conn_info in = {
		.user = "myuser",
		.cmd = "drill",
		.unit = "tmux-spawn-822f3728+",
		.laddr = "10.2.0.7",
		.raddr = "10.2.0.1",
		.lport = 40000,
		.rport = 53,
		.proto = 17,
		.dir = LECO_DIR_OUT,
		.state = LECO_ST_ACTIVE,
		.rx = 58,
		.tx = 26,
	};
	char buf[512];

	CHECK_INTEQ(f.traffic_min, 5120);
	CHECK(!f.local_endpoint);
	/* under the threshold: the traffic field is empty, the line ends with " :: " */
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp :: ");
	f.traffic_min = 0;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp :: "
			 "v 58B / 26B ^");
	/* exactly at the threshold shows traffic */
	f.traffic_min = 84;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK(strstr(buf, ":: v 58B / 26B ^") != NULL);
	f.traffic_min = 85;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK(strstr(buf, " ^") == NULL);

	/* TCP: no proto suffix; big numbers; label equal to the command is not repeated */
	f = fconf();
	in.proto = 6;
	in.rport = 443;
	in.state = LECO_ST_ESTABLISHED;
	in.rx = 3565158;
	in.tx = 58;
	in.unit = "drill";
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill :: 10.2.0.1 443 :: v 3.4M / 58B ^");
	in.unit = "";
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill :: 10.2.0.1 443 :: v 3.4M / 58B ^");

	/* local endpoint first */
	f.local_endpoint = true;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill :: 10.2.0.7 40000 :: 10.2.0.1 443 :: "
			 "v 3.4M / 58B ^");
	f.local_endpoint = false;

	/* inbound: "<- " before the remote endpoint */
	in.dir = LECO_DIR_IN;
	in.rx = in.tx = 0;
	in.raddr = "10.0.0.5";
	in.rport = 51000;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill :: <- 10.0.0.5 51000 :: ");

	/* failed: a word after the endpoint */
	in.dir = LECO_DIR_OUT;
	in.state = LECO_ST_FAILED;
	in.err = ECONNREFUSED;
	in.raddr = "127.0.0.1";
	in.rport = 9;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill :: 127.0.0.1 9 refused :: ");
	in.err = ETIMEDOUT;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill :: 127.0.0.1 9 timeout :: ");
	in.err = 0;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill :: 127.0.0.1 9 failed :: ");

	/* blocked UDP */
	in.state = LECO_ST_BLOCKED;
	in.err = EPERM;
	in.proto = 17;
	in.rport = 53;
	leco_fmt_line(buf, sizeof(buf), &f, "18:32", &in);
	CHECK_STREQ(buf, "18:32 :: myuser :: drill :: 127.0.0.1 53/udp blocked :: ");

	/* the field count never changes: 5 separators without local endpoint */
	int seps = 0;

	for (const char *p = buf; (p = strstr(p, " :: ")); p += 4)
		seps++;
	CHECK_INTEQ(seps, 4);

	/* a tiny buffer truncates and stays terminated */
	char small[10];

	CHECK_INTEQ(leco_fmt_line(small, sizeof(small), &f, "18:32", &in), 9);
	CHECK_STREQ(small, "18:32 :: ");
}

static void test_state_names(void)
{
	CHECK_STREQ(leco_state_name(LECO_STATE_CONNECTING), "connecting");
	CHECK_STREQ(leco_state_name(LECO_STATE_ESTABLISHED), "established");
	CHECK_STREQ(leco_state_name(LECO_STATE_FAILED), "failed");
	CHECK_STREQ(leco_state_name(LECO_STATE_BLOCKED), "blocked");
	CHECK_STREQ(leco_state_name(LECO_STATE_CLOSED), "closed");
	CHECK_STREQ(leco_state_name(LECO_STATE_ACTIVE), "active");
	CHECK_STREQ(leco_state_name(0), "unknown");
	CHECK_STREQ(leco_state_name(99), "unknown");
	CHECK_STREQ(leco_version(), "0.1.0");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	RUN(test_sizes);
	RUN(test_reltime);
	RUN(test_time_field);
	RUN(test_addrs);
	RUN(test_lines);
	RUN(test_state_names);
	return th_done();
}
