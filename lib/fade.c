// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fade curve: line-fade-curve points (time, opacity) joined by a smooth
 * curve, line-fade-time stretching the first..last x over that many seconds.
 *
 * The curve is a monotone cubic (Fritsch-Carlson / PCHIP tangents): smooth
 * through every point, and it never overshoots, so between two points the
 * opacity moves only from one value to the other (a line never flashes back up
 * while it fades). The opacity scale is range=N:M (y = N is 0%, y = M is 100%),
 * or else the lowest and highest y of the points. How this compares with the
 * original tool's curve: doc/config.md.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static bool parse_double(const char *s, const char *e, double *out)
{
	char buf[64], *end;

	if (e - s <= 0 || (size_t)(e - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, e - s);
	buf[e - s] = '\0';
	/* plain decimal numbers only: no hex, inf, nan */
	for (const char *p = buf; *p; p++)
		if (!isdigit((unsigned char)*p) && !strchr("+-.eE", *p))
			return false;
	*out = strtod(buf, &end);
	return *end == '\0' && isfinite(*out) && fabs(*out) < 1e12;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == '(' || c == ')';
}

int leco_fade_parse(struct leco_view_conf *v, const char *val, char *msg, size_t msgsz)
{
	double nums[LECO_FADE_POINTS_MAX * 2], rmin = 0, rmax = 0;
	size_t n = 0;
	bool range = false;
	const char *p = val;

	while (*p) {
		while (*p && is_sep(*p))
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (*p && !is_sep(*p))
			p++;
		if (!strncmp(s, "range=", 6)) {
			const char *colon = memchr(s + 6, ':', p - s - 6);
			if (!colon || !parse_double(s + 6, colon, &rmin) ||
			    !parse_double(colon + 1, p, &rmax)) {
				snprintf(msg, msgsz, "range must be range=N:M with two numbers");
				return -EINVAL;
			}
			range = true;
			continue;
		}
		if (n == LECO_FADE_POINTS_MAX * 2) {
			snprintf(msg, msgsz, "more than %d points", LECO_FADE_POINTS_MAX);
			return -EINVAL;
		}
		if (!parse_double(s, p, &nums[n])) {
			snprintf(msg, msgsz, "'%.*s' is not a number",
				 (int)(p - s > 32 ? 32 : p - s), s);
			return -EINVAL;
		}
		n++;
	}
	if (n % 2) {
		snprintf(msg, msgsz, "odd number of x,y values, must be even");
		return -EINVAL;
	}
	if (n < 4) {
		snprintf(msg, msgsz, "needs at least two x,y points");
		return -EINVAL;
	}
	for (size_t i = 2; i < n; i += 2)
		if (nums[i] <= nums[i - 2]) {
			snprintf(msg, msgsz, "x values must increase (%g after %g)", nums[i],
				 nums[i - 2]);
			return -EINVAL;
		}
	if (!range) {
		rmin = rmax = nums[1];
		for (size_t i = 3; i < n; i += 2) {
			if (nums[i] < rmin)
				rmin = nums[i];
			if (nums[i] > rmax)
				rmax = nums[i];
		}
	}
	if (rmin == rmax) {
		snprintf(msg, msgsz, "empty opacity range (%g..%g): give range=N:M", rmin, rmax);
		return -EINVAL;
	}
	v->fade_npoints = n / 2;
	for (size_t i = 0; i < n / 2; i++) {
		v->fade_x[i] = nums[2 * i];
		v->fade_y[i] = nums[2 * i + 1];
	}
	v->fade_range_min = rmin;
	v->fade_range_max = rmax;
	return 0;
}

/* PCHIP tangent at point k (Fritsch-Butland weighted harmonic mean). */
static double tangent(const struct leco_view_conf *v, size_t k)
{
	size_t n = v->fade_npoints;
	const double *x = v->fade_x, *y = v->fade_y;

	if (k == 0)
		return (y[1] - y[0]) / (x[1] - x[0]);
	if (k == n - 1)
		return (y[k] - y[k - 1]) / (x[k] - x[k - 1]);
	double h0 = x[k] - x[k - 1], h1 = x[k + 1] - x[k];
	double d0 = (y[k] - y[k - 1]) / h0, d1 = (y[k + 1] - y[k]) / h1;
	if (d0 == 0 || d1 == 0 || (d0 > 0) != (d1 > 0))
		return 0;
	return 3 * (h0 + h1) / ((2 * h1 + h0) / d0 + (h1 + 2 * h0) / d1);
}

double leco_fade_alpha(const struct leco_view_conf *v, double age_s)
{
	size_t n = v ? v->fade_npoints : 0;

	if (!v || !(v->fade_time_s > 0) || n < 2 || n > LECO_FADE_POINTS_MAX ||
	    v->fade_range_max == v->fade_range_min)
		return 1.0;
	if (!(age_s > 0)) /* also NaN */
		age_s = 0;

	const double *x = v->fade_x, *y = v->fade_y;
	double t = age_s >= v->fade_time_s ? x[n - 1]
					   : x[0] + (x[n - 1] - x[0]) * (age_s / v->fade_time_s);
	size_t k = 0;
	while (k + 2 < n && t >= x[k + 1])
		k++;

	double h = x[k + 1] - x[k], yy;
	if (!(h > 0)) {
		yy = y[k + 1];
	} else {
		double s = (t - x[k]) / h;
		if (s < 0)
			s = 0;
		if (s > 1)
			s = 1;
		double s2 = s * s, s3 = s2 * s;
		yy = (2 * s3 - 3 * s2 + 1) * y[k] + (s3 - 2 * s2 + s) * h * tangent(v, k) +
		     (-2 * s3 + 3 * s2) * y[k + 1] + (s3 - s2) * h * tangent(v, k + 1);
	}
	double a = (yy - v->fade_range_min) / (v->fade_range_max - v->fade_range_min);
	if (!(a > 0))
		return 0.0;
	return a > 1 ? 1.0 : a;
}
