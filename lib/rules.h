/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the rule engine for [rx-proc] / [rx-group] (lib/rules.c and the
 * lib/rx_*.c it is made of). It knows nothing of INI files or of the config
 * around it: a rule is a key (the regexp syntax) and a value (the replacement
 * syntax), an error is (code, where, offset, message). Rule syntax:
 * doc/rules.md. Needs PCRE2 only.
 */
#ifndef LECO_LIB_RULES_H
#define LECO_LIB_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leco.h"

/* Longest line leco_rules_apply() accepts (-E2BIG beyond). */
#define LECO_RX_LINE_MAX (64 * 1024)
/* Longest text a line may grow to through replacements; a replacement that
 * would make it longer is not applied (the rule counts as not matching). */
#define LECO_RX_TEXT_MAX (256 * 1024)
/* Rules per section. */
#define LECO_RX_RULES_MAX 10000
/* Result cache: slots, and the longest line that is cached. */
#define LECO_RX_CACHE_SLOTS    1024
#define LECO_RX_CACHE_LINE_MAX 2048

enum leco_rx_section { LECO_RX_PROC = 0, LECO_RX_GROUP = 1 };

/* Where in a rule an error is. */
enum leco_rx_where {
	LECO_RX_AT_RULE = 0, /* the rule as a whole (no offset) */
	LECO_RX_AT_KEY = 1,  /* byte `offset` of the key */
	LECO_RX_AT_VALUE = 2 /* byte `offset` of the value */
};

struct leco_rx_error {
	int code; /* the negative errno also returned */
	enum leco_rx_where where;
	size_t offset;
	char msg[512]; /* without a position: the caller knows where the rule came from */
};

/* The value may keep leading/trailing spaces as "\ " and " \" (INI trims them; doc/rules.md). */
#define LECO_RX_INI_SPACES 1u

struct leco_rules *leco_rules_new(void);
void leco_rules_free(struct leco_rules *r);
/*
 * Compile one rule: `key` (`key_len` bytes) is the regexp (or a && chain of wrapped ones),
 * `value` the replacement with its optional g?[1-9]?g?` prefix. Returns 0, or -EINVAL /
 * -ENOMEM with `err` (may be NULL) filled.
 */
int leco_rules_add(struct leco_rules *r, enum leco_rx_section sec, const char *key, size_t key_len,
		   const char *value, size_t value_len, unsigned int flags,
		   struct leco_rx_error *err);
/* Counts per section (tests, rx-test). */
size_t leco_rules_count(const struct leco_rules *r, enum leco_rx_section sec);
/*
 * Apply [rx-group] then [rx-proc] to `line`. The result's strings are sanitized (no control or
 * direction-changing characters, valid UTF-8: lib/sanitize.h) and stay valid until the next
 * apply or free; the flags say what the rules did, before sanitizing.
 */
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

#endif /* LECO_LIB_RULES_H */
