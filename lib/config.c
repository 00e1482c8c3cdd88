// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The config object: loads leco.ini (or an original leco widget.ini), reads the
 * [format] and [view] options, hands [rx-proc]/[rx-group] lines to the rule
 * compiler (lib/rules.c), collects notices for what it ignores.
 * Keys and defaults: doc/config.md.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "rules.h"

void leco_format_conf_default(struct leco_format_conf *f)
{
	/* memset, not a compound literal: padding is zeroed too, so two defaults compare equal */
	memset(f, 0, sizeof(*f));
	f->local_endpoint = false;
	f->label_cut = 20;
	f->script_cut = 16;
	f->traffic_min = 5120;
	f->reltime_after_s = 22 * 3600 + 30 * 60;
}

void leco_view_conf_default(struct leco_view_conf *v)
{
	memset(v, 0, sizeof(*v));
	v->max_lines = 40;
	v->fade_time_s = 60;
	v->new_s = 10;
	v->fade_npoints = 2;
	v->fade_x[0] = 0;
	v->fade_y[0] = 100;
	v->fade_x[1] = 100;
	v->fade_y[1] = 0;
	v->fade_range_min = 0;
	v->fade_range_max = 100;
}

const struct leco_format_conf *leco_config_format(const struct leco_config *cfg)
{
	return &cfg->format;
}

const struct leco_view_conf *leco_config_view(const struct leco_config *cfg)
{
	return &cfg->view;
}

size_t leco_config_notice_count(const struct leco_config *cfg)
{
	return cfg ? cfg->nnotices : 0;
}

const char *leco_config_notice(const struct leco_config *cfg, size_t i)
{
	if (!cfg || i >= cfg->nnotices)
		return NULL;
	return cfg->notices[i];
}

void leco_config_notice_add(struct leco_config *cfg, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (cfg->nnotices >= 10000)
		return; /* bounded: a huge file of junk keys */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (cfg->nnotices == cfg->notices_cap) {
		size_t n = cfg->notices_cap ? cfg->notices_cap * 2 : 8;
		char **p = realloc(cfg->notices, n * sizeof(*p));
		if (!p)
			return;
		cfg->notices = p;
		cfg->notices_cap = n;
	}
	/* it quotes the config's text, cut to a width: no half characters or controls */
	char clean[sizeof(buf) * 3];
	leco_sanitize_line(clean, sizeof(clean), buf, strlen(buf));
	char *s = strdup(clean);
	if (s)
		cfg->notices[cfg->nnotices++] = s;
}

int leco_config_error(struct leco_error *err, int code, const char *name, unsigned int line,
		      unsigned int col, const char *fmt, ...)
{
	char raw[LECO_ERRMSG_MAX - 300], what[LECO_ERRMSG_MAX - 300];
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* it quotes the config's text, cut to a width: no half characters or controls (the conky
	 * helper draws this message) */
	leco_sanitize_line(what, sizeof(what), raw, strlen(raw));
	memset(err, 0, sizeof(*err));
	err->code = code;
	err->line = line;
	err->col = col;
	snprintf(err->file, sizeof(err->file), "%s", name);
	if (line && col)
		snprintf(err->msg, sizeof(err->msg), "%.255s:%u:%u: %s", name, line, col, what);
	else if (line)
		snprintf(err->msg, sizeof(err->msg), "%.255s:%u: %s", name, line, what);
	else
		snprintf(err->msg, sizeof(err->msg), "%.255s: %s", name, what);
	return code;
}

void leco_config_free(struct leco_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nnotices; i++)
		free(cfg->notices[i]);
	free(cfg->notices);
	leco_rules_free(cfg->rules);
	free(cfg);
}

int leco_config_apply(struct leco_config *cfg, const char *line, size_t len,
		      struct leco_rx_result *res)
{
	if (!cfg || !res || (!line && len))
		return -EINVAL;
	return leco_rules_apply(cfg->rules, line ? line : "", len, res);
}

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

/* Seconds: "90", "1.5", "22h30m", "1d", "1 week 2 days", "[[HH:]MM:]SS" (as the original's
 * time-deltas). */
static bool parse_duration(const char *v, double *out)
{
	const char *p = v;
	double total = 0, n, mul;
	bool unit = false;

	if (!*p)
		return false;
	if (strchr(v, ':')) {
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
/* loading */

enum sec {
	SEC_NONE,
	SEC_FORMAT,
	SEC_VIEW,
	SEC_PROC,
	SEC_GROUP,
	SEC_WINDOW,
	SEC_TEXT,
	SEC_RUN,
	SEC_UNKNOWN,
};

static const struct {
	const char *name;
	enum sec sec;
} sections[] = {
	{"format", SEC_FORMAT}, {"view", SEC_VIEW}, {"rx-proc", SEC_PROC}, {"rx-group", SEC_GROUP},
	{"window", SEC_WINDOW}, {"text", SEC_TEXT}, {"run", SEC_RUN},
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

struct load_ctx {
	struct leco_config *cfg;
	struct leco_error *err;
	enum sec sec;
};

static int bad_value(struct load_ctx *c, const struct ini_item *it, const char *key,
		     const char *expect)
{
	unsigned int line, col;

	ini_value_pos(it, 0, &line, &col);
	return leco_config_error(c->err, -EINVAL, c->cfg->name, it->line, col,
				 "bad value '%.80s' for %s in [%s]: %s", it->value, key,
				 it->section, expect);
}

static bool key_is_unused(const char *key)
{
	for (size_t i = 0; i < sizeof(unused_keys) / sizeof(*unused_keys); i++)
		if (!strcmp(key, unused_keys[i]))
			return true;
	return false;
}

static int set_option(struct load_ctx *c, const struct ini_item *it)
{
	struct leco_format_conf *f = &c->cfg->format;
	struct leco_view_conf *v = &c->cfg->view;
	const char *val = it->value;
	unsigned long long n;
	char key[64];
	double d;
	uint64_t sz;
	bool b;

	/* option names: '_' and '-' are the same, as in the original */
	if (it->key_len >= sizeof(key))
		goto unknown;
	for (size_t i = 0; i <= it->key_len; i++)
		key[i] = it->key[i] == '_' ? '-' : it->key[i];

	if (c->sec == SEC_FORMAT) {
		if (!strcmp(key, "local-addr-port")) {
			if (!parse_bool(val, &b))
				return bad_value(c, it, key,
						 "expected yes/no, true/false, on/off or 1/0");
			f->local_endpoint = b;
			return 0;
		}
		if (!strcmp(key, "cg-label-cut") || !strcmp(key, "script-name-cut")) {
			if (!parse_uint(val, 4096, true, &n))
				return bad_value(c, it, key,
						 "expected a whole number of characters, 0..4096 "
						 "(0 or negative disables)");
			if (key[0] == 'c')
				f->label_cut = (unsigned int)n;
			else
				f->script_cut = (unsigned int)n;
			return 0;
		}
		if (!strcmp(key, "conn-traffic-min")) {
			if (!parse_size(val, &sz))
				return bad_value(
					c, it, key,
					"expected bytes, optionally with a K, M or G suffix");
			f->traffic_min = sz;
			return 0;
		}
		if (!strcmp(key, "use-reltime-after")) {
			if (!parse_duration(val, &d))
				return bad_value(c, it, key,
						 "expected seconds, [[HH:]MM:]SS or e.g. 22h30m");
			f->reltime_after_s = (uint64_t)(d + 0.5);
			return 0;
		}
	}
	if (c->sec == SEC_VIEW) {
		if (!strcmp(key, "max-lines")) {
			if (!parse_uint(val, 10000, false, &n) || n < 1)
				return bad_value(c, it, key, "expected a whole number, 1..10000");
			v->max_lines = (unsigned int)n;
			return 0;
		}
		if (!strcmp(key, "new-time")) {
			if (!parse_duration(val, &d))
				return bad_value(c, it, key, "expected seconds or e.g. 1m30s");
			v->new_s = d;
			return 0;
		}
	}
	if (c->sec == SEC_VIEW || c->sec == SEC_TEXT) {
		if (!strcmp(key, "line-fade-time")) {
			if (!parse_duration(val, &d))
				return bad_value(c, it, key,
						 "expected seconds (0 = no fade) or e.g. 3m20s");
			v->fade_time_s = d;
			return 0;
		}
		if (!strcmp(key, "line-fade-curve")) {
			char msg[256];
			struct leco_view_conf nv = *v;
			if (leco_fade_parse(&nv, val, msg, sizeof(msg)))
				return bad_value(c, it, key, msg);
			*v = nv;
			return 0;
		}
	}
	if (key_is_unused(key) && (c->sec == SEC_WINDOW || c->sec == SEC_TEXT ||
				   c->sec == SEC_RUN || c->sec == SEC_FORMAT)) {
		leco_config_notice_add(c->cfg,
				       "%s:%u: key '%s' in [%s] is not used by libleco, ignored",
				       c->cfg->name, it->line, it->key, it->section);
		return 0;
	}
unknown:
	leco_config_notice_add(c->cfg, "%s:%u: unknown key '%.100s' in [%s], ignored", c->cfg->name,
			       it->line, it->key, it->section);
	return 0;
}

static int on_item(void *ctx, const struct ini_item *it)
{
	struct load_ctx *c = ctx;

	if (!it->key) {
		c->sec = SEC_UNKNOWN;
		for (size_t i = 0; i < sizeof(sections) / sizeof(*sections); i++)
			if (!strcmp(it->section, sections[i].name))
				c->sec = sections[i].sec;
		if (c->sec == SEC_UNKNOWN)
			leco_config_notice_add(c->cfg, "%s:%u: unknown section [%.100s], ignored",
					       c->cfg->name, it->line, it->section);
		return 0;
	}
	switch (c->sec) {
	case SEC_NONE:
		leco_config_notice_add(c->cfg,
				       "%s:%u: key '%.100s' outside of any section, ignored",
				       c->cfg->name, it->line, it->key);
		return 0;
	case SEC_UNKNOWN:
		return 0; /* the section's notice says it all */
	case SEC_PROC:
	case SEC_GROUP:
		return leco_rules_add(c->cfg->rules,
				      c->sec == SEC_PROC ? LECO_RX_PROC : LECO_RX_GROUP, it,
				      c->cfg->name, c->err);
	default:
		return set_option(c, it);
	}
}

int leco_config_load_string(const char *text, size_t len, const char *name,
			    struct leco_config **cfgp, struct leco_error *err)
{
	struct leco_error ebuf;
	struct leco_config *cfg;
	unsigned int bad_line = 0;
	int r;

	if (!err)
		err = &ebuf;
	if (!name)
		name = "<string>";
	if (!cfgp || (!text && len))
		return leco_config_error(err, -EINVAL, name, 0, 0, "invalid arguments");
	if (len > LECO_CONFIG_MAX)
		return leco_config_error(err, -EFBIG, name, 0, 0,
					 "config is too large (%zu bytes, at most %d)", len,
					 LECO_CONFIG_MAX);
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !(cfg->rules = leco_rules_new())) {
		free(cfg);
		return leco_config_error(err, -ENOMEM, name, 0, 0, "out of memory");
	}
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	leco_format_conf_default(&cfg->format);
	leco_view_conf_default(&cfg->view);

	struct load_ctx c = {.cfg = cfg, .err = err, .sec = SEC_NONE};
	err->code = 0;
	r = ini_parse(text ? text : "", len, on_item, &c, &bad_line);
	if (r) {
		if (r == -EINVAL && bad_line)
			leco_config_error(err, r, name, bad_line, 0, "NUL byte in the config");
		else if (r == -ENOMEM)
			leco_config_error(err, r, name, 0, 0, "out of memory");
		else if (!err->code)
			leco_config_error(err, r, name, 0, 0, "cannot load: %s", strerror(-r));
		leco_config_free(cfg);
		return r;
	}
	*cfgp = cfg;
	return 0;
}

int leco_config_load_file(const char *path, struct leco_config **cfgp, struct leco_error *err)
{
	struct leco_error ebuf;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, r;

	if (!err)
		err = &ebuf;
	if (!path || !cfgp)
		return leco_config_error(err, -EINVAL, path ? path : "<null>", 0, 0,
					 "invalid arguments");
	/* O_NONBLOCK: a FIFO with no writer must not block the caller (conky's draw hook) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		return leco_config_error(err, r, path, 0, 0, "cannot open: %s", strerror(-r));
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		close(fd);
		return leco_config_error(err, -EINVAL, path, 0, 0,
					 "not a regular file (a FIFO, socket or device)");
	}
	for (;;) {
		if (len == cap) {
			if (cap > LECO_CONFIG_MAX) {
				close(fd);
				free(buf);
				return leco_config_error(err, -EFBIG, path, 0, 0,
							 "config is too large (at most %d bytes)",
							 LECO_CONFIG_MAX);
			}
			cap = cap ? cap * 2 : 16384;
			char *p = realloc(buf, cap);
			if (!p) {
				close(fd);
				free(buf);
				return leco_config_error(err, -ENOMEM, path, 0, 0, "out of memory");
			}
			buf = p;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			free(buf);
			return leco_config_error(err, r, path, 0, 0, "cannot read: %s",
						 strerror(-r));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = leco_config_load_string(buf ? buf : "", len, path, cfgp, err);
	free(buf);
	return r;
}
