// SPDX-License-Identifier: LGPL-2.1-or-later
/* Options and line output shared by `leco lines` and `leco watch`. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "output.h"
#include "../lib/fields.h"
#include "../lib/line_conn.h"
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

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *lo,
	       int (*fn)(void *ctx, int c, const char *arg), void *ctx, void (*usage)(FILE *f),
	       int *status)
{
	const char *name = argv[0];
	char opts[64];
	int c, at;

	snprintf(opts, sizeof(opts), "+:%s", shortopts);
	opterr = 0;
	for (at = optind = 1; (c = getopt_long(argc, argv, opts, lo, NULL)) != -1; at = optind) {
		if (c == 'h') {
			usage(stdout);
			*status = 0;
			return -1;
		}
		if (c == '?' || c == ':') {
			*status = cli_bad_option(name, c, argv[at]);
			return -1;
		}
		if ((*status = fn(ctx, c, optarg)))
			return -1;
	}
	if (optind < argc) {
		*status = cli_err("%s: unexpected argument '%s'", name, argv[optind]);
		return -1;
	}
	return 0;
}

void cli_stream_signals(sigset_t *quit)
{
	sigemptyset(quit);
	sigaddset(quit, SIGINT);
	sigaddset(quit, SIGTERM);
	sigprocmask(SIG_BLOCK, quit, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void cli_say_once(const char *what, struct leco_reader *r, int n, char last[LECO_ERRMSG_MAX])
{
	const char *msg = leco_reader_errmsg(r);

	if (!strcmp(msg, last))
		return;
	if (msg[0])
		fprintf(stderr, "leco: %s: %s%s\n", what, msg, n < 0 ? " (waiting)" : "");
	else if (last[0])
		fprintf(stderr, "leco: %s: ok again\n", what);
	snprintf(last, LECO_ERRMSG_MAX, "%s", msg);
}

bool cli_wait_quit(const sigset_t *quit, double secs)
{
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};

	for (;;) {
		if (sigtimedwait(quit, NULL, &ts) > 0)
			return true;
		if (errno != EINTR)
			return false; /* EAGAIN: the time is over */
	}
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

static void jnum(FILE *f, const char *k, double v)
{
	jkey(f, k, false);
	fprintf(f, "%.6g", v);
}

struct json_obj {
	FILE *f;
	bool first; /* no member written yet: no comma */
};

static void json_member(void *ctx, const char *name, const struct leco_field_value *v)
{
	struct json_obj *o = ctx;
	FILE *f = o->f;

	jkey(f, name, o->first);
	o->first = false;
	if (v->kind == 's' && v->s)
		cli_json_str(f, v->s);
	else if (v->kind == 's')
		fputs("null", f);
	else if (v->kind == 'u')
		fprintf(f, "%llu", v->u);
	else if (v->kind == 'd')
		fprintf(f, "%.6g", v->d);
	else if (v->kind == 'b')
		fputs(v->i ? "true" : "false", f);
	else
		fprintf(f, "%lld", v->i);
}

/* Fields of the struct at `base` (lib/fields.h) as JSON members, each after a comma unless
 * `first` (the object's first member); an `only` field only when `shows` has its bit. */
static void json_fields(FILE *f, const struct leco_field *fields, size_t n, const void *base,
			unsigned int shows, bool first)
{
	struct json_obj o = {f, first};

	leco_fields_each(fields, n, base, shows, json_member, &o);
}

int cli_print_line(FILE *f, const struct leco_line *l, bool json)
{
	struct leco_conn_info ci;

	if (!json) {
		fputs(l->text, f);
		fputc('\n', f);
		return ferror(f) ? -EIO : 0;
	}
	leco_line_as_conn(l, &ci);
	fputc('{', f);
	jkey(f, "text", true);
	cli_json_str(f, l->text);
	jstr(f, "raw", l->raw);
	jstr(f, "group", l->group);
	/* the display fields go before the cookie and the fields after it, as they always did */
	json_fields(f, leco_conn_fields, LECO_NFIELDS(leco_conn_fields) - LECO_CONN_FIELDS_TAIL,
		    &ci, 0, false);
	jnum(f, "age", l->age);
	jnum(f, "alpha", l->alpha);
	jkey(f, "new", false);
	fputs(l->is_new ? "true" : "false", f);
	jkey(f, "changed", false);
	fputs(l->changed ? "true" : "false", f);
	json_fields(f, &leco_conn_fields[LECO_NFIELDS(leco_conn_fields) - LECO_CONN_FIELDS_TAIL],
		    LECO_CONN_FIELDS_TAIL, &ci, 0, false);
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}

int cli_print_conn_json(FILE *f, const struct leco_conn_info *ci)
{
	fputc('{', f);
	json_fields(f, leco_conn_fields, LECO_NFIELDS(leco_conn_fields), ci, LECO_FO_WALK, true);
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}

int cli_print_group_json(FILE *f, const struct leco_group *g, double t)
{
	fputc('{', f);
	jkey(f, "t", true);
	fprintf(f, "%.3f", t);
	json_fields(f, leco_group_fields, LECO_NFIELDS(leco_group_fields), g, leco_group_shows(g),
		    false);
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}
