/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one UTF-8 decoder: header-only, so that the library (lib/sanitize.c)
 * and the CLI (tools/output.c), which sees only libleco's public API, use the
 * same code.
 */
#ifndef LECO_UTF8_H
#define LECO_UTF8_H

#include <stddef.h>

/* Decode one UTF-8 sequence at s[0..len), len >= 1; returns its length, 0 if invalid
 * (overlong, surrogate, beyond U+10FFFF, truncated). */
static inline size_t leco_utf8_decode(const unsigned char *s, size_t len, unsigned int *cp)
{
	unsigned int c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

#endif /* LECO_UTF8_H */
