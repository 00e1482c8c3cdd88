// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco rx-test -c CONFIG [--json] [-q] [LINE...]: what the [rx-group] and
 * [rx-proc] rules of CONFIG do to each LINE (or to each line of stdin when no
 * LINE is given). The counterpart of the original widget's -r/--rx-test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leco.h"
#include "output.h"
#include "../lib/utf8.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: leco rx-test -c CONFIG [--json] [-q] [LINE...]\n"
		   "  Show what the [rx-group] and [rx-proc] rules of CONFIG do to each LINE\n"
		   "  (lines are read from stdin when none are given).\n"
		   "  -c, --config FILE  leco.ini or an original leco widget.ini\n"
		   "  --json             one JSON object per line: "
		   "{\"input\",\"output\",\"changed\",\"grouped\",\"group\",\"dropped\"}\n"
		   "  -q, --quiet        do not print the config's notices (ignored keys)\n"
		   "  Invalid UTF-8 and control or direction-changing characters in the input are\n"
		   "  shown as \\xNN; the output has none (libleco drops them, doc/format.md).\n");
}

/* Text for a terminal: invalid UTF-8 and the characters libleco never displays (controls, C1,
 * direction marks: leco_cp_hidden) as \xNN per byte, a backslash doubled. */
static void put_text(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned int cp = 0;
		size_t k = leco_utf8_decode(p + i, n - i, &cp);

		if (p[i] == '\\') {
			fputs("\\\\", f);
			i++;
		} else if (!k || leco_cp_hidden(cp)) {
			for (size_t e = i + (k ? k : 1); i < e; i++)
				fprintf(f, "\\x%02x", p[i]);
		} else {
			fwrite(p + i, 1, k, f);
			i += k;
		}
	}
}

static int show(struct leco_config *cfg, const char *line, size_t len, bool json)
{
	struct leco_rx_result res;
	int r = leco_config_apply(cfg, line, len, &res);

	if (r < 0) {
		cli_err("rx-test: cannot apply the rules to a %zu-byte line: %s", len,
			strerror(-r));
		return 2;
	}
	if (json) {
		fputs("{\"input\":", stdout);
		cli_json_strn(stdout, line, len);
		fputs(",\"output\":", stdout);
		cli_json_strn(stdout, res.text, strlen(res.text));
		printf(",\"changed\":%s,\"grouped\":%s,\"group\":", res.changed ? "true" : "false",
		       res.grouped ? "true" : "false");
		if (res.group)
			cli_json_strn(stdout, res.group, strlen(res.group));
		else
			fputs("null", stdout);
		printf(",\"dropped\":%s}\n", res.dropped ? "true" : "false");
		return 0;
	}
	fputs("input:   ", stdout);
	put_text(stdout, line, len);
	fputs("\noutput:  ", stdout);
	put_text(stdout, res.text, strlen(res.text));
	printf("\nchanged: %s  grouped: %s  dropped: %s\n", res.changed ? "yes" : "no",
	       res.grouped ? "yes" : "no", res.dropped ? "yes" : "no");
	if (res.group) {
		fputs("group:   [", stdout);
		put_text(stdout, res.group, strlen(res.group));
		fputs("]\n", stdout);
	}
	return 0;
}

int cmd_rx_test(int argc, char **argv)
{
	const char *config = NULL;
	bool json = false, quiet = false;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = true;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (++i >= argc)
				return cli_err("rx-test: %s needs a file name", a);
			config = argv[i];
		} else if (!strncmp(a, "--config=", 9)) {
			config = a + 9;
		} else if (a[0] == '-' && a[1]) {
			usage(stderr);
			return cli_err("rx-test: unknown option '%s'", a);
		} else {
			break;
		}
	}
	if (!config) {
		usage(stderr);
		return cli_err("rx-test: -c CONFIG is required");
	}

	struct leco_config *cfg = NULL;
	struct leco_error err = {0};
	int r = leco_config_load_file(config, &cfg, &err);
	if (r < 0)
		return cli_err("%s", err.msg[0] ? err.msg : strerror(-r));
	if (!quiet)
		for (size_t k = 0; k < leco_config_notice_count(cfg); k++)
			fprintf(stderr, "leco: notice: %s\n", leco_config_notice(cfg, k));

	if (i < argc) {
		for (; i < argc; i++)
			if (show(cfg, argv[i], strlen(argv[i]), json))
				rc = 2;
	} else {
		char *buf = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&buf, &cap, stdin)) >= 0) {
			if (n && buf[n - 1] == '\n')
				n--;
			if (n && buf[n - 1] == '\r')
				n--;
			if (show(cfg, buf, (size_t)n, json))
				rc = 2;
		}
		free(buf);
	}
	if (fflush(stdout) || ferror(stdout))
		rc = cli_err("rx-test: writing the output failed");
	leco_config_free(cfg);
	return rc;
}
