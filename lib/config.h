/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the config object (lib/config.c), its [format] and [view] options
 * (lib/options.c) and the fade curve (lib/fade.c). The rules it carries are
 * lib/rules.h's; the INI text is tokenized by lib/ini.h. Public entry points
 * are in include/leco.h.
 */
#ifndef LECO_LIB_CONFIG_H
#define LECO_LIB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leco.h"

#define LECO_FADE_POINTS_MAX 64
/* Longest config accepted by the loaders. */
#define LECO_CONFIG_MAX (4 * 1024 * 1024)

/* [format] */
struct leco_format_conf {
	bool local_endpoint;	  /* local-addr-port = no: "LADDR LPORT ::" before the remote */
	unsigned int label_cut;	  /* cg-label-cut = 20: cgroup label width, 0 disables labels */
	unsigned int script_cut;  /* script-name-cut = 16: script name width, 0 disables */
	uint64_t traffic_min;	  /* conn-traffic-min = 5120 bytes: traffic shown at/above this */
	uint64_t reltime_after_s; /* use-reltime-after = 81000 (22h30m): HH:MM before, -1d after */
	bool remote_names;	  /* remote-names = no: the remote's resolved name (rname) in
				     place of its address, where it has one */
};

/* [view] and the fade (leco's [text] line-fade-* keys are read too) */
struct leco_view_conf {
	unsigned int max_lines; /* max-lines = 40: slots in the view */
	double fade_time_s;	/* line-fade-time = 60 seconds; 0 = no fade (alpha 1) */
	size_t fade_npoints;	/* line-fade-curve points (x, y), >= 2 */
	double fade_x[LECO_FADE_POINTS_MAX];
	double fade_y[LECO_FADE_POINTS_MAX];
	double fade_range_min; /* opacity scale: y at 0% and 100% (range=N:M, or min/max of y) */
	double fade_range_max;
	double new_s; /* new-time = 10: a line counts as "new" this long after first seen */
};

struct leco_rules;

struct leco_config {
	char name[256];
	struct leco_format_conf format;
	struct leco_view_conf view;
	char **notices;
	size_t nnotices, notices_cap;
	struct leco_rules *rules;
};

const struct leco_format_conf *leco_config_format(const struct leco_config *cfg);
const struct leco_view_conf *leco_config_view(const struct leco_config *cfg);

/* Defaults, for a reader without a config. */
void leco_format_conf_default(struct leco_format_conf *f);
void leco_view_conf_default(struct leco_view_conf *v);

/* Add a notice (printf-style); silently dropped on -ENOMEM. */
void leco_config_notice_add(struct leco_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fill `err` (may be NULL) with "NAME:LINE:COL: message" (":COL" left out when 0, "LINE:" when
 * 0 too); returns `code`. */
int leco_config_error(struct leco_error *err, int code, const char *name, unsigned int line,
		      unsigned int col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- [format] and [view] options (lib/options.c) ------------------------ */

enum leco_option_result {
	LECO_OPTION_SET = 0,
	LECO_OPTION_UNUSED = 1,	 /* a key of the original tool that libleco has no use for */
	LECO_OPTION_UNKNOWN = 2, /* no such key in this section */
};

/*
 * Set option `key` (`key_len` bytes; '_' and '-' are the same) of `section` ("format", "view",
 * or the original's "text", "window", "run") from its text `value`. Returns an enum
 * leco_option_result, or -EINVAL with "bad value '...' for KEY in [SECTION]: what it should
 * look like" in `why` (no position: the caller knows where the value came from).
 */
int leco_option_set(struct leco_config *cfg, const char *section, const char *key, size_t key_len,
		    const char *value, char *why, size_t whysz);

/* ---- fade curve (lib/fade.c) -------------------------------------------- */

/* Parse a line-fade-curve value into v (fade_npoints, fade_x/y, range).
 * On failure returns -EINVAL and writes a message (without position) to msg. */
int leco_fade_parse(struct leco_view_conf *v, const char *val, char *msg, size_t msgsz);
/* Opacity 0..1 for a line `age_s` seconds after its last activity. */
double leco_fade_alpha(const struct leco_view_conf *v, double age_s);

#endif /* LECO_LIB_CONFIG_H */
