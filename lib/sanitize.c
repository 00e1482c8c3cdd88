// SPDX-License-Identifier: LGPL-2.1-or-later
/* Text chosen by whoever runs a process (comm, argv, cgroup and user names) is hostile. */
#include <stdbool.h>
#include <string.h>

#include "sanitize.h"
#include "utf8.h"

static size_t sanitize(char *dst, size_t dstsz, const char *src, size_t len, bool fields)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;

	if (!dstsz)
		return 0;
	while (i < len && s[i]) {
		unsigned int cp;
		size_t n = leco_utf8_decode(s + i, len - i, &cp);
		const char *out = (const char *)s + i;
		size_t outn = n;

		/* a NUL inside a multi-byte sequence cannot happen: continuation bytes are >= 0x80
		 */
		if (!n) {
			out = "\xef\xbf\xbd"; /* U+FFFD */
			outn = 3;
			n = 1;
		} else if (leco_cp_hidden(cp)) {
			i += n;
			continue;
		}
		i += n;
		if (o + outn >= dstsz)
			break;
		memcpy(dst + o, out, outn);
		o += outn;
	}
	dst[o] = 0;
	if (!fields)
		return o;
	/* a run of two or more ':' becomes one '-' (after dropping, which may join runs) */
	size_t w = 0;

	for (size_t r = 0; r < o;) {
		if (dst[r] == ':' && r + 1 < o && dst[r + 1] == ':') {
			while (r < o && dst[r] == ':')
				r++;
			dst[w++] = '-';
			continue;
		}
		dst[w++] = dst[r++];
	}
	o = w;
	while (o && dst[o - 1] == ' ')
		o--;
	dst[o] = 0;
	size_t lead = 0;

	while (dst[lead] == ' ')
		lead++;
	if (lead) {
		memmove(dst, dst + lead, o - lead + 1);
		o -= lead;
	}
	return o;
}

size_t leco_sanitize(char *dst, size_t dstsz, const char *src, size_t len)
{
	return sanitize(dst, dstsz, src, len, true);
}

size_t leco_sanitize_line(char *dst, size_t dstsz, const char *src, size_t len)
{
	return sanitize(dst, dstsz, src, len, false);
}

size_t leco_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

size_t leco_utf8_off(const char *s, size_t n)
{
	size_t i = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (!n)
				return i;
			n--;
		}
	}
	return i;
}
