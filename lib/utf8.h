/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one UTF-8 decoder and the one list of characters never displayed:
 * header-only, so that the library (lib/sanitize.c) and the CLI (tools/),
 * which sees only libleco's public API, use the same code.
 */
#ifndef LECO_UTF8_H
#define LECO_UTF8_H

#include <stdbool.h>
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

/*
 * Characters that are never displayed: controls (C0, DEL, C1), which can change a terminal's
 * state, and the invisible marks that change the order in which other text is shown (LRM, RLM,
 * ALM, embeddings, overrides, isolates, line and paragraph separators, BOM). Other invisible
 * characters (U+200B zero-width space, ZWJ, ZWNJ) change neither and are kept: dropping them
 * would make a disguised name byte-identical to the one it imitates (doc/format.md).
 */
static inline bool leco_cp_hidden(unsigned int cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

#endif /* LECO_UTF8_H */
