/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the options a parsed config carries, read by the formatter and the
 * view. Defined by lib/config.c (INI parsing, [format]/[view] keys); the rules
 * themselves live in lib/rules.c. Public entry points are in include/leco.h.
 */
#ifndef LECO_LIB_CONFIG_H
#define LECO_LIB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leco.h"

#define LECO_FADE_POINTS_MAX 64

/* [format] */
struct leco_format_conf {
	bool local_endpoint;	  /* local-addr-port = no: "LADDR LPORT ::" before the remote */
	unsigned int label_cut;	  /* cg-label-cut = 20: cgroup label width, 0 disables labels */
	unsigned int script_cut;  /* script-name-cut = 16: script name width, 0 disables */
	uint64_t traffic_min;	  /* conn-traffic-min = 5120 bytes: traffic shown at/above this */
	uint64_t reltime_after_s; /* use-reltime-after = 81000 (22h30m): HH:MM before, -1d after */
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

const struct leco_format_conf *leco_config_format(const struct leco_config *cfg);
const struct leco_view_conf *leco_config_view(const struct leco_config *cfg);

/* Defaults, for a reader without a config. */
void leco_format_conf_default(struct leco_format_conf *f);
void leco_view_conf_default(struct leco_view_conf *v);

/* Opacity 0..1 for a line `age_s` seconds after its last activity (lib/fade.c). */
double leco_fade_alpha(const struct leco_view_conf *v, double age_s);

#endif /* LECO_LIB_CONFIG_H */
