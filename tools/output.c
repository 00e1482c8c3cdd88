// SPDX-License-Identifier: LGPL-2.1-or-later
/* Options and line output shared by `leco lines` and `leco watch`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "../lib/utf8.h"

/* -n LINES, -i SECONDS: 0, or -1 with *status set after saying what is wrong */
static int number_arg(const char *name, int c, const char *arg, struct cli_view_opts *o,
		      int *status)
{
	char *end;

	errno = 0;
	if (c == 'i') {
		o->interval = strtod(arg, &end);
		if (!errno && !*end && o->interval >= 0.05 && o->interval <= 3600)
			return 0;
		*status = cli_err("%s: bad interval '%s': want seconds in 0.05..3600", name, arg);
		return -1;
	}
	unsigned long v = strtoul(arg, &end, 10);

	if (!errno && !*end && v && v <= 100000 && arg[0] != '-') {
		o->max_lines = (unsigned int)v;
		return 0;
	}
	*status = cli_err("%s: bad line count '%s': want 1..100000", name, arg);
	return -1;
}

int cli_bad_option(const char *name, int c, const char *arg)
{
	char opt[64];

	/* a long option as given (without "=value"), else the one letter of a short one, which
	 * may sit in a cluster such as -jr */
	if (!strncmp(arg, "--", 2))
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(opt, sizeof(opt), "-%c", optopt);
	if (c == ':')
		return cli_err("%s: option '%s' needs a value (try 'leco %s --help')", name, opt,
			       name);
	return cli_err("%s: unknown option '%s' (try 'leco %s --help')", name, opt, name);
}

int cli_view_args(int argc, char **argv, bool watch, struct cli_view_opts *o, int *status)
{
#define VIEW_OPTS                                                                            \
	{"pin-dir", required_argument, NULL, 'p'}, {"config", required_argument, NULL, 'c'}, \
		{"json", no_argument, NULL, 'j'}, {"raw", no_argument, NULL, 'r'},           \
		{"help", no_argument, NULL, 'h'},                                            \
	{                                                                                    \
		"lines", required_argument, NULL, 'n'                                        \
	}
	static const struct option lines_lo[] = {VIEW_OPTS, {NULL, 0, NULL, 0}};
	static const struct option watch_lo[] = {
		VIEW_OPTS, {"interval", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0}};
#undef VIEW_OPTS
	const char *name = argv[0];
	int c, at;

	memset(o, 0, sizeof(*o));
	o->interval = 1.0;
	opterr = 0;
	/* '+': no reordering, so argv[at] is the word being read; ':': report missing values */
	for (at = optind = 1; (c = getopt_long(argc, argv, watch ? "+:p:c:n:i:h" : "+:p:c:n:h",
					       watch ? watch_lo : lines_lo, NULL)) != -1;
	     at = optind) {
		if (c == 'p') {
			o->pin_dir = optarg;
		} else if (c == 'c') {
			o->config = optarg;
		} else if (c == 'j') {
			o->json = true;
		} else if (c == 'r') {
			o->raw = true;
		} else if (c == 'i' || c == 'n') {
			if (number_arg(name, c, optarg, o, status))
				return -1;
		} else if (c == 'h') {
			printf("usage: leco %s [-p DIR] [-c CONFIG] [-n LINES] [--json] "
			       "[--raw]%s\n",
			       name, watch ? " [-i SECONDS]" : "");
			*status = 0;
			return -1;
		} else {
			*status = cli_bad_option(name, c, argv[at]);
			return -1;
		}
	}
	if (optind < argc) {
		*status = cli_err("%s: unexpected argument '%s'", name, argv[optind]);
		return -1;
	}
	return 0;
}

int cli_open_reader(const char *what, const struct cli_view_opts *o, unsigned int max_lines,
		    struct leco_reader **r)
{
	LECO_OPTS(leco_reader_opts, ro, .pin_dir = o->pin_dir, .config_path = o->config,
		  .raw = o->raw, .max_lines = max_lines);
	struct leco_error err = {0};
	int ret = leco_reader_open(&ro, r, &err);

	if (ret < 0)
		return cli_err("%s: %s", what, err.msg[0] ? err.msg : strerror(-ret));
	return 0;
}

void cli_print_notices(struct leco_reader *r)
{
	for (size_t i = 0; i < leco_reader_notice_count(r); i++)
		fprintf(stderr, "leco: notice: %s\n", leco_reader_notice(r, i));
}

/* A JSON string: control and direction-changing characters as \uXXXX, invalid UTF-8 bytes as
 * U+FFFD. */
void cli_json_strn(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f), i++;
		} else if (c == '\t') {
			fputs("\\t", f), i++;
		} else if (c == '\r') {
			fputs("\\r", f), i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c), i++;
		} else {
			unsigned int cp = 0;
			size_t k = leco_utf8_decode(p + i, n - i, &cp);

			if (!k) {
				fputs("\\ufffd", f), i++;
			} else if (leco_cp_hidden(cp)) {
				fprintf(f, "\\u%04x",
					cp); /* C1, direction marks: escaped, not raw */
				i += k;
			} else {
				fwrite(p + i, 1, k, f);
				i += k;
			}
		}
	}
	fputc('"', f);
}

void cli_json_str(FILE *f, const char *s)
{
	s = s ? s : "";
	cli_json_strn(f, s, strlen(s));
}

static void jkey(FILE *f, const char *k, bool first)
{
	fprintf(f, "%s\"%s\":", first ? "" : ",", k);
}

static void jstr(FILE *f, const char *k, const char *v)
{
	jkey(f, k, false);
	cli_json_str(f, v);
}

static void juint(FILE *f, const char *k, unsigned long long v)
{
	jkey(f, k, false);
	fprintf(f, "%llu", v);
}

static void jnum(FILE *f, const char *k, double v)
{
	jkey(f, k, false);
	fprintf(f, "%.6g", v);
}

static void jint(FILE *f, const char *k, long long v)
{
	jkey(f, k, false);
	fprintf(f, "%lld", v);
}

int cli_print_line(FILE *f, const struct leco_line *l, bool json)
{
	char ebuf[16];
	const char *en;

	if (!json) {
		fputs(l->text, f);
		fputc('\n', f);
		return ferror(f) ? -EIO : 0;
	}
	en = leco_errno_name(l->err, ebuf, sizeof(ebuf));
	fputc('{', f);
	jkey(f, "text", true);
	cli_json_str(f, l->text);
	jstr(f, "raw", l->raw);
	jstr(f, "group", l->group);
	jstr(f, "proto", leco_proto_name(l->proto));
	jint(f, "family", l->family);
	jstr(f, "laddr", l->laddr);
	jint(f, "lport", l->lport);
	jstr(f, "raddr", l->raddr);
	jint(f, "rport", l->rport);
	jstr(f, "dir", leco_direction_name(l->dir));
	jstr(f, "state", leco_state_name(l->state));
	jkey(f, "error", false);
	if (en)
		cli_json_str(f, en);
	else
		fputs("null", f);
	juint(f, "pid", l->pid);
	jstr(f, "comm", l->comm);
	jstr(f, "cmd", l->cmd);
	jstr(f, "exe", l->exe);
	juint(f, "uid", l->uid);
	jstr(f, "user", l->user);
	jstr(f, "cgroup", l->cgroup);
	jstr(f, "unit", l->unit);
	juint(f, "rx", l->rx);
	juint(f, "tx", l->tx);
	jnum(f, "rx_rate", l->rx_rate);
	jnum(f, "tx_rate", l->tx_rate);
	jint(f, "first_seen", l->first_seen);
	jint(f, "last_seen", l->last_seen);
	jnum(f, "age", l->age);
	jnum(f, "alpha", l->alpha);
	jkey(f, "new", false);
	fputs(l->is_new ? "true" : "false", f);
	jkey(f, "changed", false);
	fputs(l->changed ? "true" : "false", f);
	juint(f, "cookie", l->cookie);
	jstr(f, "owner", l->owner);
	jkey(f, "restarted", false);
	fputs(l->restarted ? "true" : "false", f);
	juint(f, "count", l->count);
	jint(f, "start_time", l->start_time);
	jstr(f, "rname", l->rname);
	jstr(f, "rname_src", l->rname_src);
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}
