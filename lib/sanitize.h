/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostile text (lib/sanitize.c): comm, argv, cgroup and user names are chosen
 * by whoever runs a process, rule replacements by whoever wrote the config.
 * Everything libleco returns passes through here.
 */
#ifndef LECO_LIB_SANITIZE_H
#define LECO_LIB_SANITIZE_H

#include <stddef.h>

/*
 * Copy at most `len` bytes of `src` (stopping at a NUL) to `dst` (`dstsz` bytes,
 * always NUL-terminated): invalid UTF-8 becomes U+FFFD, control characters
 * (C0, DEL, C1) and the invisible direction marks are dropped (leco_cp_hidden),
 * runs of ':' of length >= 2 become '-' (so no field separator " :: " can be
 * forged), leading/trailing spaces are trimmed. Never cuts a UTF-8 sequence.
 * Returns the length written.
 */
size_t leco_sanitize(char *dst, size_t dstsz, const char *src, size_t len);
/* Same, for whole lines (rule output): only hidden characters and invalid UTF-8. */
size_t leco_sanitize_line(char *dst, size_t dstsz, const char *src, size_t len);
/* Number of code points in valid UTF-8 `s`. */
size_t leco_utf8_len(const char *s);
/* Byte offset of the `n`-th code point of valid UTF-8 `s` (strlen if shorter). */
size_t leco_utf8_off(const char *s, size_t n);

#endif /* LECO_LIB_SANITIZE_H */
