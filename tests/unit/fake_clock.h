/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clock the reader unit tests move by hand (struct leco_clock): `clk` reads t_mono and
 * t_real, advance(s) moves both. A test may set FAKE_CLOCK_BOOT_S (seconds since "boot" at the
 * start) before including this. */
#ifndef LECO_TESTS_FAKE_CLOCK_H
#define LECO_TESTS_FAKE_CLOCK_H

#include <stdint.h>

#include "internal.h" /* LECO_NS, struct leco_clock */

#ifndef FAKE_CLOCK_BOOT_S
#define FAKE_CLOCK_BOOT_S 1000000
#endif

static uint64_t t_mono = FAKE_CLOCK_BOOT_S * LECO_NS;
static int64_t t_real = 1767378760LL * (int64_t)LECO_NS; /* 2026-01-02 18:32:40 UTC */

static uint64_t fake_mono(void *ctx)
{
	(void)ctx;
	return t_mono;
}

static int64_t fake_real(void *ctx)
{
	(void)ctx;
	return t_real;
}

static inline void advance(double s)
{
	t_mono += (uint64_t)(s * LECO_NS);
	t_real += (int64_t)(s * LECO_NS);
}

static const struct leco_clock clk = {.mono_ns = fake_mono, .real_ns = fake_real};

#endif
