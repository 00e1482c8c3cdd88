/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The INI tokenizer (lib/ini.c): sections, keys, values with their positions in
 * the file. It knows nothing of what sections and keys mean: lib/config.c does.
 */
#ifndef LECO_LIB_INI_H
#define LECO_LIB_INI_H

#include <stdbool.h>
#include <stddef.h>

/* Where a piece of a (joined) value came from: value bytes from `off` on
 * start at file line `line`, column `col` (1-based). */
struct ini_seg {
	size_t off;
	unsigned int line, col;
};

struct ini_item {
	const char *section; /* NULL before the first [section] header */
	unsigned int section_line;
	const char *key; /* trimmed, NUL-terminated */
	size_t key_len;
	unsigned int line;    /* line of the key */
	unsigned int key_col; /* 1-based column of the key's first byte */
	bool has_eq;	      /* the line had a '=' */
	char *value;	      /* trimmed, continuation lines joined; writable */
	size_t value_len;
	struct ini_seg *segs; /* origin of value bytes: one per line the value spans */
	size_t nsegs;
};

/* Called for every [section] header (key == NULL) and every key line; return
 * 0 to go on, a negative errno to stop (ini_parse returns it). */
typedef int (*ini_cb)(void *ctx, const struct ini_item *it);

/* Tokenize `len` bytes of INI text. Returns 0, the callback's error, -ENOMEM,
 * or -EINVAL with *bad_line set (a NUL byte in the text). */
int ini_parse(const char *text, size_t len, ini_cb cb, void *ctx, unsigned int *bad_line);

/* Map value offset `off` to a file line/column through the item's segments. */
void ini_value_pos(const struct ini_item *it, size_t off, unsigned int *line, unsigned int *col);

#endif /* LECO_LIB_INI_H */
