/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the INI tokenizer (lib/ini.c), the config object (lib/config.c),
 * the rule compiler and matcher (lib/rules.c) and the fade curve parser
 * (lib/fade.c). Public entry points are in include/leco.h, the options read
 * by the reader in lib/config.h.
 */
#ifndef LECO_LIB_RULES_H
#define LECO_LIB_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "leco.h"

/* Longest line leco_config_apply() accepts (-E2BIG beyond). */
#define LECO_RX_LINE_MAX (64 * 1024)
/* Longest text a line may grow to through replacements; a replacement that
 * would make it longer is not applied (the rule counts as not matching). */
#define LECO_RX_TEXT_MAX (256 * 1024)
/* Rules per section. */
#define LECO_RX_RULES_MAX 10000
/* Longest config accepted by the loaders. */
#define LECO_CONFIG_MAX (4 * 1024 * 1024)
/* Result cache: slots, and the longest line that is cached. */
#define LECO_RX_CACHE_SLOTS    1024
#define LECO_RX_CACHE_LINE_MAX 2048

/* ------------------------------------------------------------------------ */
/* INI tokenizer */

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

/* ------------------------------------------------------------------------ */
/* Config object */

struct leco_rules;

struct leco_config {
	char name[256];
	struct leco_format_conf format;
	struct leco_view_conf view;
	char **notices;
	size_t nnotices, notices_cap;
	struct leco_rules *rules;
};

/* Add a notice (printf-style); silently dropped on -ENOMEM. */
void leco_config_notice_add(struct leco_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fill `err` (may be NULL) with "NAME:LINE:COL: message" (":COL" left out when 0). */
int leco_config_error(struct leco_error *err, int code, const char *name, unsigned int line,
		      unsigned int col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ------------------------------------------------------------------------ */
/* Rules */

enum leco_rx_section { LECO_RX_PROC = 0, LECO_RX_GROUP = 1 };

struct leco_rules *leco_rules_new(void);
void leco_rules_free(struct leco_rules *r);
/* Compile one rule; on failure fill `err` with "NAME:LINE:COL: message". */
int leco_rules_add(struct leco_rules *r, enum leco_rx_section sec, const struct ini_item *it,
		   const char *name, struct leco_error *err);
/* Counts per section (tests, rx-test). */
size_t leco_rules_count(const struct leco_rules *r, enum leco_rx_section sec);
int leco_rules_apply(struct leco_rules *r, const char *line, size_t len,
		     struct leco_rx_result *res);
/* Enable (default) or disable the result cache; disabling empties it. */
void leco_rules_set_cache(struct leco_rules *r, bool on);
/* Compile the rules added from now on with (default) or without PCRE2 JIT (tests). */
void leco_rules_set_jit(struct leco_rules *r, bool on);
/* Enable (default) or disable the literal prefilters (tests compare both). */
void leco_rules_set_prefilter(struct leco_rules *r, bool on);
/* Cache statistics: lookups that hit, and all lookups. */
void leco_rules_cache_stats(const struct leco_rules *r, uint64_t *hits, uint64_t *lookups);
/* Whether PCRE2 JIT is in use for every compiled regexp. */
bool leco_rules_jit(const struct leco_rules *r);

/* ------------------------------------------------------------------------ */
/* Fade curve */

/* Parse a line-fade-curve value into v (fade_npoints, fade_x/y, range).
 * On failure returns -EINVAL and writes a message (without position) to msg. */
int leco_fade_parse(struct leco_view_conf *v, const char *val, char *msg, size_t msgsz);

#endif /* LECO_LIB_RULES_H */
