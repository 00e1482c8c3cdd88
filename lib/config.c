// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The config object: loads leco.ini (or an original leco widget.ini) through
 * the INI tokenizer, or is built piece by piece (leco_config_set,
 * leco_config_add_rule: the Lua module's rules tables). Options go to
 * lib/options.c, rules to the rule engine (lib/rules.c); what the rule engine
 * reports at an offset, the config reports at a file line and column.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "rules.h"
#include "sanitize.h"

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

LECO_API size_t leco_config_notice_count(const struct leco_config *cfg)
{
	return cfg ? cfg->nnotices : 0;
}

LECO_API const char *leco_config_notice(const struct leco_config *cfg, size_t i)
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

LECO_API void leco_config_free(struct leco_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nnotices; i++)
		free(cfg->notices[i]);
	free(cfg->notices);
	leco_rules_free(cfg->rules);
	free(cfg);
}

LECO_API int leco_config_apply(struct leco_config *cfg, const char *line, size_t len,
			       struct leco_rx_result *res)
{
	if (!cfg || !res || (!line && len))
		return -EINVAL;
	return leco_rules_apply(cfg->rules, line ? line : "", len, res);
}

/* An empty config with the defaults; NULL on -ENOMEM. */
static struct leco_config *config_new(const char *name)
{
	struct leco_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg || !(cfg->rules = leco_rules_new())) {
		free(cfg);
		return NULL;
	}
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	leco_format_conf_default(&cfg->format);
	leco_view_conf_default(&cfg->view);
	return cfg;
}

/* ------------------------------------------------------------------------ */
/* sections */

static int rx_section(const char *section)
{
	if (!section)
		return -1;
	if (!strcmp(section, "rx-proc"))
		return LECO_RX_PROC;
	return !strcmp(section, "rx-group") ? LECO_RX_GROUP : -1;
}

static bool option_section(const char *section)
{
	static const char *const names[] = {"format", "view", "window", "text", "run"};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(section, names[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------------ */
/* building one piece at a time */

LECO_API int leco_config_new(const char *name, struct leco_config **cfgp, struct leco_error *err)
{
	struct leco_config *cfg;

	if (!name)
		name = "<config>";
	if (!cfgp)
		return leco_config_error(err, -EINVAL, name, 0, 0, "invalid arguments");
	if (!(cfg = config_new(name)))
		return leco_config_error(err, -ENOMEM, name, 0, 0, "out of memory");
	*cfgp = cfg;
	return 0;
}

LECO_API int leco_config_set(struct leco_config *cfg, const char *section, const char *key,
			     const char *value, struct leco_error *err)
{
	char why[512];
	int ret;

	if (!cfg || !section || !key || !value)
		return leco_config_error(err, -EINVAL, cfg ? cfg->name : "<config>", 0, 0,
					 "invalid arguments");
	if (rx_section(section) >= 0)
		return leco_config_error(err, -EINVAL, cfg->name, 0, 0,
					 "[%s] holds rules, not options: use leco_config_add_rule",
					 section);
	if (!option_section(section)) {
		leco_config_notice_add(cfg, "%s: unknown section [%.100s], ignored", cfg->name,
				       section);
		return 0;
	}
	ret = leco_option_set(cfg, section, key, strlen(key), value, why, sizeof(why));
	if (ret == LECO_OPTION_UNUSED)
		leco_config_notice_add(cfg,
				       "%s: key '%.100s' in [%s] is not used by libleco, ignored",
				       cfg->name, key, section);
	else if (ret == LECO_OPTION_UNKNOWN)
		leco_config_notice_add(cfg, "%s: unknown key '%.100s' in [%s], ignored", cfg->name,
				       key, section);
	return ret < 0 ? leco_config_error(err, ret, cfg->name, 0, 0, "%s", why) : 0;
}

LECO_API int leco_config_add_rule(struct leco_config *cfg, const char *section, const char *regexp,
				  const char *replacement, struct leco_error *err)
{
	int sec = rx_section(section), ret;
	struct leco_rx_error e;
	size_t n;

	if (!cfg || !regexp || !replacement)
		return leco_config_error(err, -EINVAL, cfg ? cfg->name : "<config>", 0, 0,
					 "invalid arguments");
	if (sec < 0)
		return leco_config_error(err, -EINVAL, cfg->name, 0, 0,
					 "rules go to [rx-proc] or [rx-group], not [%.100s]",
					 section ? section : "(null)");
	n = leco_rules_count(cfg->rules, (enum leco_rx_section)sec) + 1;
	ret = leco_rules_add(cfg->rules, (enum leco_rx_section)sec, regexp, strlen(regexp),
			     replacement, strlen(replacement), 0, &e);
	if (!ret)
		return 0;
	if (e.where == LECO_RX_AT_RULE)
		return leco_config_error(err, ret, cfg->name, 0, 0, "[%s] rule %zu: %s", section, n,
					 e.msg);
	leco_config_error(err, ret, cfg->name, 0, 0, "[%s] rule %zu, %s column %zu: %s", section, n,
			  e.where == LECO_RX_AT_KEY ? "regexp" : "replacement", e.offset + 1,
			  e.msg);
	if (err)
		err->col = (unsigned int)(e.offset + 1);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* loading INI text */

struct load_ctx {
	struct leco_config *cfg;
	struct leco_error *err;
	bool known; /* the current section is one libleco reads */
};

/* A rule from the file: the rule engine's offsets become file positions. */
static int load_rule(struct load_ctx *c, int sec, const struct ini_item *it)
{
	struct leco_rx_error e;
	unsigned int line = it->line, col = 0;
	int ret = leco_rules_add(c->cfg->rules, (enum leco_rx_section)sec, it->key, it->key_len,
				 it->value, it->value_len, LECO_RX_INI_SPACES, &e);

	if (!ret)
		return 0;
	if (e.where == LECO_RX_AT_KEY)
		col = it->key_col + (unsigned int)e.offset;
	else if (e.where == LECO_RX_AT_VALUE)
		ini_value_pos(it, e.offset, &line, &col);
	return leco_config_error(c->err, ret, c->cfg->name, line, col, "%s", e.msg);
}

static int load_option(struct load_ctx *c, const struct ini_item *it)
{
	char why[512];
	unsigned int line, col;
	int ret = leco_option_set(c->cfg, it->section, it->key, it->key_len, it->value, why,
				  sizeof(why));

	if (ret == LECO_OPTION_UNUSED)
		leco_config_notice_add(c->cfg,
				       "%s:%u: key '%s' in [%s] is not used by libleco, ignored",
				       c->cfg->name, it->line, it->key, it->section);
	else if (ret == LECO_OPTION_UNKNOWN)
		leco_config_notice_add(c->cfg, "%s:%u: unknown key '%.100s' in [%s], ignored",
				       c->cfg->name, it->line, it->key, it->section);
	if (ret >= 0)
		return 0;
	ini_value_pos(it, 0, &line, &col);
	return leco_config_error(c->err, ret, c->cfg->name, it->line, col, "%s", why);
}

static int on_item(void *ctx, const struct ini_item *it)
{
	struct load_ctx *c = ctx;
	int sec = rx_section(it->section);

	if (!it->key) {
		c->known = sec >= 0 || option_section(it->section);
		if (!c->known)
			leco_config_notice_add(c->cfg, "%s:%u: unknown section [%.100s], ignored",
					       c->cfg->name, it->line, it->section);
		return 0;
	}
	if (!it->section) {
		leco_config_notice_add(c->cfg,
				       "%s:%u: key '%.100s' outside of any section, ignored",
				       c->cfg->name, it->line, it->key);
		return 0;
	}
	if (!c->known)
		return 0; /* the section's notice says it all */
	return sec >= 0 ? load_rule(c, sec, it) : load_option(c, it);
}

LECO_API int leco_config_load_string(const char *text, size_t len, const char *name,
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
	if (!(cfg = config_new(name)))
		return leco_config_error(err, -ENOMEM, name, 0, 0, "out of memory");

	struct load_ctx c = {.cfg = cfg, .err = err};

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

/* The whole file at `fd` in a malloc'd buffer (*len bytes); -EFBIG beyond LECO_CONFIG_MAX. */
static int read_all(int fd, char **bufp, size_t *len)
{
	size_t cap = 0;
	char *buf = NULL;

	*len = 0;
	for (;;) {
		if (*len == cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *p = cap > LECO_CONFIG_MAX ? NULL : realloc(buf, ncap);

			if (!p) {
				free(buf);
				return cap > LECO_CONFIG_MAX ? -EFBIG : -ENOMEM;
			}
			buf = p;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + *len, cap - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	*bufp = buf;
	return 0;
}

LECO_API int leco_config_load_file(const char *path, struct leco_config **cfgp,
				   struct leco_error *err)
{
	struct leco_error ebuf;
	char *buf = NULL;
	struct stat st;
	size_t len;
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
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		close(fd);
		return leco_config_error(err, -EINVAL, path, 0, 0,
					 "not a regular file (a FIFO, socket or device)");
	}
	r = read_all(fd, &buf, &len);
	close(fd);
	if (r == -EFBIG)
		return leco_config_error(err, r, path, 0, 0,
					 "config is too large (at most %d bytes)", LECO_CONFIG_MAX);
	if (r == -ENOMEM)
		return leco_config_error(err, r, path, 0, 0, "out of memory");
	if (r < 0)
		return leco_config_error(err, r, path, 0, 0, "cannot read: %s", strerror(-r));
	r = leco_config_load_string(buf ? buf : "", len, path, cfgp, err);
	free(buf);
	return r;
}
