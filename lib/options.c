// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The [format] and [view] options of a config: one table of keys, the section
 * each belongs to, how its value is read and where it goes. Values are read as
 * the original leco tool wrote them (durations like "22h30m", sizes like "5K").
 * Keys and defaults: doc/config.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"

/* ------------------------------------------------------------------------ */
/* option values */

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "y", "yes", "true", "on"};
	static const char *const no[] = {"0", "n", "no", "false", "off"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, true;
		if (!strcasecmp(v, no[i]))
			return *out = false, true;
	}
	return false;
}

/* Whole number 0..max; "-N" counts as 0 when neg_zero (the original: negative disables). */
static bool parse_uint(const char *v, unsigned long long max, bool neg_zero,
		       unsigned long long *out)
{
	const char *p = v;
	unsigned long long n = 0;

	if (*p == '-' && neg_zero && isdigit((unsigned char)p[1])) {
		for (p++; isdigit((unsigned char)*p); p++)
			;
		if (*p)
			return false;
		*out = 0;
		return true;
	}
	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > max)
			return false;
	}
	if (*p)
		return false;
	*out = n;
	return true;
}

/* A non-negative decimal number at *p (digits, optional fraction); advances *p. */
static bool parse_num(const char **p, double *out)
{
	const char *s = *p;
	double n = 0, f = 0.1;
	bool digits = false;

	for (; isdigit((unsigned char)*s); s++, digits = true)
		n = n * 10 + (*s - '0');
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits = true, f /= 10)
			n += (*s - '0') * f;
	}
	if (!digits || n > 1e15)
		return false;
	*p = s;
	*out = n;
	return true;
}

/* Bytes: "5120", "5K", "5k", "5KiB", "1.5M", "2G" (binary multiples). */
static bool parse_size(const char *v, uint64_t *out)
{
	const char *p = v;
	double n, mul = 1;

	if (!parse_num(&p, &n))
		return false;
	switch (tolower((unsigned char)*p)) {
	case 'k':
		mul = 1024.0, p++;
		break;
	case 'm':
		mul = 1024.0 * 1024, p++;
		break;
	case 'g':
		mul = 1024.0 * 1024 * 1024, p++;
		break;
	}
	if (mul > 1 && *p == 'i')
		p++;
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p || n * mul > 1e15)
		return false;
	*out = (uint64_t)(n * mul + 0.5);
	return true;
}

/* A time unit word at *p ("h", "hr", "hours", "Min", ...: the original's td_parse units and their
 * plurals, any case); its seconds, 0 if none. Advances *p past it. */
static double parse_unit(const char **p)
{
	static const struct {
		const char *name;
		double s;
	} units[] = {{"w", 604800},	{"wk", 604800},	 {"wks", 604800}, {"week", 604800},
		     {"weeks", 604800}, {"d", 86400},	 {"day", 86400},  {"days", 86400},
		     {"h", 3600},	{"hr", 3600},	 {"hrs", 3600},	  {"hour", 3600},
		     {"hours", 3600},	{"m", 60},	 {"min", 60},	  {"mins", 60},
		     {"minute", 60},	{"minutes", 60}, {"s", 1},	  {"sec", 1},
		     {"secs", 1},	{"second", 1},	 {"seconds", 1}};
	char w[8];
	size_t n = 0;

	while (isalpha((unsigned char)(*p)[n])) {
		if (n + 1 >= sizeof(w))
			return 0;
		w[n] = (char)tolower((unsigned char)(*p)[n]);
		n++;
	}
	w[n] = 0;
	for (size_t i = 0; n && i < sizeof(units) / sizeof(*units); i++) {
		if (!strcmp(w, units[i].name)) {
			*p += n;
			return units[i].s;
		}
	}
	return 0;
}

/* "[[HH:]MM:]SS" */
static bool parse_clock(const char *p, double *out)
{
	double total = 0, n;
	int parts = 0;

	while (*p) {
		if (!isdigit((unsigned char)*p) || !parse_num(&p, &n) || ++parts > 3)
			return false;
		total = total * 60 + n;
		if (*p == ':')
			p++;
		else if (*p)
			return false;
	}
	if (p[-1] == ':')
		return false;
	*out = total;
	return true;
}

/* Seconds: "90", "1.5", "22h30m", "1d", "1 week 2 days", "[[HH:]MM:]SS" (as the original's
 * time-deltas). */
static bool parse_duration(const char *v, double *out)
{
	const char *p = v;
	double total = 0, n, mul;
	bool unit = false;

	if (!*p)
		return false;
	if (strchr(v, ':'))
		return parse_clock(v, out);
	while (*p) {
		if (!parse_num(&p, &n))
			return false;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p) {
			if (unit)
				return false; /* "1h30": unit missing */
		} else {
			if (!(mul = parse_unit(&p)))
				return false;
			n *= mul;
			unit = true;
			while (*p == ' ' || *p == '\t')
				p++;
		}
		total += n;
	}
	if (total > 1e12)
		return false;
	*out = total;
	return true;
}

/* ------------------------------------------------------------------------ */
/* the options */

enum sec_bit { S_FORMAT = 1, S_VIEW = 2, S_TEXT = 4, S_WINDOW = 8, S_RUN = 16 };

static const struct {
	const char *name;
	unsigned int bit;
} sections[] = {{"format", S_FORMAT},
		{"view", S_VIEW},
		{"text", S_TEXT},
		{"window", S_WINDOW},
		{"run", S_RUN}};

enum kind { K_BOOL, K_CUT, K_SIZE, K_SECONDS_U64, K_LINES, K_SECONDS, K_CURVE };

#define AT(f) offsetof(struct leco_config, f)

static const struct option {
	const char *key;
	unsigned int secs;
	enum kind kind;
	size_t off;
	const char *expect;
} options[] = {
	{"local-addr-port", S_FORMAT, K_BOOL, AT(format.local_endpoint),
	 "expected yes/no, true/false, on/off or 1/0"},
	{"cg-label-cut", S_FORMAT, K_CUT, AT(format.label_cut),
	 "expected a whole number of characters, 0..4096 (0 or negative disables)"},
	{"script-name-cut", S_FORMAT, K_CUT, AT(format.script_cut),
	 "expected a whole number of characters, 0..4096 (0 or negative disables)"},
	{"conn-traffic-min", S_FORMAT, K_SIZE, AT(format.traffic_min),
	 "expected bytes, optionally with a K, M or G suffix"},
	{"use-reltime-after", S_FORMAT, K_SECONDS_U64, AT(format.reltime_after_s),
	 "expected seconds, [[HH:]MM:]SS or e.g. 22h30m"},
	{"remote-names", S_FORMAT, K_BOOL, AT(format.remote_names),
	 "expected yes/no, true/false, on/off or 1/0"},
	{"max-lines", S_VIEW, K_LINES, AT(view.max_lines), "expected a whole number, 1..10000"},
	{"new-time", S_VIEW, K_SECONDS, AT(view.new_s), "expected seconds or e.g. 1m30s"},
	{"line-fade-time", S_VIEW | S_TEXT, K_SECONDS, AT(view.fade_time_s),
	 "expected seconds (0 = no fade) or e.g. 3m20s"},
	{"line-fade-curve", S_VIEW | S_TEXT, K_CURVE, AT(view), NULL},
};

/* Keys of the original tool (widget.ini, leco-event-pipe -c) that libleco has no use for. */
static const char *const unused_keys[] = {
	/* [window] */
	"title", "init-offset-left", "init-offset-top", "init-width", "init-height", "pad-x",
	"pad-y", "frames-per-second-max", "rgba-bg", "rgba-fg", "flags", "hints",
	/* [text] */
	"font", "font-height", "font-shadow", "line-height", "line-uid-chars", "line-uid-fmt",
	/* [run] */
	"fifo", "conn-list-cache", "debug",
	/* leco-event-pipe options */
	"replay-window", "replay-skip-dead-pids", "cache-cg-paths", "cache-cg-labels",
	"cache-users", "cache-conn-ts", "cache-pid-cmd", "extra-ev-data"};

/* Read `val` as option `o` into the config; false when it does not parse. */
static bool store(struct leco_config *cfg, const struct option *o, const char *val, char *why,
		  size_t whysz)
{
	char *field = (char *)cfg + o->off;
	unsigned long long n;
	double d;
	bool b;

	switch (o->kind) {
	case K_BOOL:
		return parse_bool(val, &b) && (*(bool *)field = b, true);
	case K_CUT:
		return parse_uint(val, 4096, true, &n) &&
		       (*(unsigned int *)field = (unsigned)n, true);
	case K_SIZE:
		return parse_size(val, (uint64_t *)field);
	case K_SECONDS_U64:
		return parse_duration(val, &d) && (*(uint64_t *)field = (uint64_t)(d + 0.5), true);
	case K_LINES:
		return parse_uint(val, 10000, false, &n) && n >= 1 &&
		       (*(unsigned int *)field = (unsigned)n, true);
	case K_SECONDS:
		return parse_duration(val, &d) && (*(double *)field = d, true);
	case K_CURVE: {
		/* parse into a copy: a bad curve leaves the old one in place */
		struct leco_view_conf nv = cfg->view;

		if (leco_fade_parse(&nv, val, why, whysz))
			return false;
		cfg->view = nv;
		return true;
	}
	}
	return false;
}

int leco_option_set(struct leco_config *cfg, const char *section, const char *key, size_t key_len,
		    const char *value, char *why, size_t whysz)
{
	unsigned int sec = 0;
	char k[64];

	for (size_t i = 0; section && i < sizeof(sections) / sizeof(*sections); i++)
		if (!strcmp(section, sections[i].name))
			sec = sections[i].bit;
	/* option names: '_' and '-' are the same, as in the original */
	if (!sec || key_len >= sizeof(k))
		return LECO_OPTION_UNKNOWN;
	for (size_t i = 0; i < key_len; i++)
		k[i] = key[i] == '_' ? '-' : key[i];
	k[key_len] = 0;
	for (size_t i = 0; i < sizeof(options) / sizeof(*options); i++) {
		char msg[256];

		if (!(options[i].secs & sec) || strcmp(k, options[i].key))
			continue;
		snprintf(msg, sizeof(msg), "%s", options[i].expect ? options[i].expect : "");
		if (store(cfg, &options[i], value, msg, sizeof(msg)))
			return LECO_OPTION_SET;
		snprintf(why, whysz, "bad value '%.80s' for %s in [%s]: %s", value, k, section,
			 msg);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(unused_keys) / sizeof(*unused_keys); i++)
		if (!strcmp(k, unused_keys[i]) && (sec & (S_WINDOW | S_TEXT | S_RUN | S_FORMAT)))
			return LECO_OPTION_UNUSED;
	return LECO_OPTION_UNKNOWN;
}
