// SPDX-License-Identifier: LGPL-2.1-or-later
/* The fade curve: endpoints, monotone segments, range=N:M, widget.ini's curve (argv[1]). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "leco.h"
#include "config.h"

static const char *widget_ini;

static struct leco_view_conf view_of(const char *conf)
{
	struct leco_config *cfg = NULL;
	struct leco_error err = {0};
	struct leco_view_conf v;

	leco_view_conf_default(&v);
	if (leco_config_load_string(conf, strlen(conf), "t.ini", &cfg, &err)) {
		CHECKF(0, "load: %s", err.msg);
		return v;
	}
	v = *leco_config_view(cfg);
	leco_config_free(cfg);
	return v;
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void test_default_linear(void)
{
	struct leco_view_conf v;

	leco_view_conf_default(&v);
	CHECK(near(leco_fade_alpha(&v, 0), 1));
	CHECK(near(leco_fade_alpha(&v, 60), 0));
	CHECK(near(leco_fade_alpha(&v, 1000), 0));
	/* two points: the curve is the straight line between them */
	CHECK(near(leco_fade_alpha(&v, 15), 0.75));
	CHECK(near(leco_fade_alpha(&v, 30), 0.5));
	CHECK(near(leco_fade_alpha(&v, -5), 1));
	CHECK(near(leco_fade_alpha(&v, NAN), 1));
	v.fade_time_s = 0; /* no fade */
	CHECK(near(leco_fade_alpha(&v, 30), 1));
	CHECK(near(leco_fade_alpha(NULL, 30), 1));
}

/* Between two neighbouring points the alpha stays within their two values. */
static void check_segments(const struct leco_view_conf *v, const char *what)
{
	size_t n = v->fade_npoints;
	double x0 = v->fade_x[0], xs = v->fade_x[n - 1] - x0;
	double scale = v->fade_range_max - v->fade_range_min;
	int bad = 0;

	for (size_t k = 0; k + 1 < n; k++) {
		double a0 = (v->fade_y[k] - v->fade_range_min) / scale;
		double a1 = (v->fade_y[k + 1] - v->fade_range_min) / scale;
		double lo = fmin(a0, a1), hi = fmax(a0, a1), prev = a0;
		lo = fmax(lo, 0), hi = fmin(hi, 1);
		for (int i = 0; i <= 100; i++) {
			double x = v->fade_x[k] + (v->fade_x[k + 1] - v->fade_x[k]) * i / 100;
			double a = leco_fade_alpha(v, (x - x0) / xs * v->fade_time_s);
			if (a < lo - 1e-9 || a > hi + 1e-9)
				bad++;
			/* monotone in the segment's direction */
			if (i && ((a1 >= a0 && a < prev - 1e-9) || (a1 < a0 && a > prev + 1e-9)))
				bad++;
			prev = a;
		}
	}
	CHECKF(bad == 0, "%s: %d samples outside their segment or not monotone", what, bad);
}

static void test_curve_points(void)
{
	struct leco_view_conf v = view_of("[view]\nline-fade-time = 10\n"
					  "line-fade-curve = 0,100 20,90 50,10 100,0\n");

	CHECK_INTEQ(v.fade_npoints, 4);
	CHECK(near(leco_fade_alpha(&v, 0), 1));
	CHECK(near(leco_fade_alpha(&v, 2), 0.9)); /* passes through each point */
	CHECK(near(leco_fade_alpha(&v, 5), 0.1));
	CHECK(near(leco_fade_alpha(&v, 10), 0));
	check_segments(&v, "4 points");

	/* fade-in then out, parenthesised points: the scale is min..max of y */
	v = view_of("[view]\nline-fade-time = 4\nline-fade-curve = (0,20) (1,100) (4,0)\n");
	CHECK(near(leco_fade_alpha(&v, 0), 0.2));
	CHECK(near(leco_fade_alpha(&v, 1), 1));
	CHECK(near(leco_fade_alpha(&v, 4), 0));
	check_segments(&v, "in-out");
}

static void test_range(void)
{
	struct leco_view_conf v = view_of(
		"[view]\nline-fade-time = 100\nline-fade-curve = range=0:200 0,100 100,0\n");

	CHECK(v.fade_range_min == 0 && v.fade_range_max == 200);
	CHECK(near(leco_fade_alpha(&v, 0), 0.5));
	CHECK(near(leco_fade_alpha(&v, 100), 0));
	/* values beyond the range are clamped */
	v = view_of("[view]\nline-fade-curve = range=10:50 0,100 100,0\n");
	CHECK(near(leco_fade_alpha(&v, 0), 1));
	CHECK(near(leco_fade_alpha(&v, 60), 0));
	/* inverted scale: range=N:M with N > M */
	v = view_of("[view]\nline-fade-time = 1\nline-fade-curve = range=100:0 0,0 1,100\n");
	CHECK(near(leco_fade_alpha(&v, 0), 1));
	CHECK(near(leco_fade_alpha(&v, 1), 0));
}

static void test_widget_curve(void)
{
	struct leco_config *cfg = NULL;
	struct leco_error err = {0};

	if (leco_config_load_file(widget_ini, &cfg, &err)) {
		CHECKF(0, "%s", err.msg);
		return;
	}
	const struct leco_view_conf *v = leco_config_view(cfg);
	CHECK(v->fade_time_s == 200);
	CHECK(near(leco_fade_alpha(v, 0), 0.41));
	/* its maximum: point (58,100), at 58/994 of 200 s */
	CHECK(near(leco_fade_alpha(v, 58.0 / 994 * 200), 1.0));
	CHECK(near(leco_fade_alpha(v, 200), 0.11));
	CHECK(near(leco_fade_alpha(v, 9999), 0.11));
	double prev = 1;
	int up = 0;
	for (double t = 58.0 / 994 * 200; t <= 200; t += 0.5) {
		double a = leco_fade_alpha(v, t);
		if (a > prev + 1e-9)
			up++;
		prev = a;
	}
	CHECKF(up == 0, "widget curve rises %d times after its peak", up);
	check_segments(v, "widget.ini");
	leco_config_free(cfg);
}

int main(int argc, char **argv)
{
	widget_ini = argc > 1 ? argv[1] : "widget.ini";
	RUN(test_default_linear);
	RUN(test_curve_points);
	RUN(test_range);
	RUN(test_widget_curve);
	return th_done();
}
