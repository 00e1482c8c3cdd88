/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the rule engine: the pieces lib/rules.c (the rule set, and matching) is
 * made of. Compiling a rule (lib/rx_compile.c) gives a chain of regexps, each
 * with an optional literal prefilter derived from it (lib/rx_prefilter.c), and a
 * parsed replacement template (lib/rx_replace.c); results of whole lines are kept
 * in a small cache (lib/rx_cache.c). What runs for every line stays in rules.c.
 */
#ifndef LECO_LIB_RX_H
#define LECO_LIB_RX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* ---- growable buffers ---------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

int buf_reserve(struct buf *b, size_t need);
void buf_free(struct buf *b);

static inline int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap && buf_reserve(b, b->len + n + 1))
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

/* Fill `err` (may be NULL); returns `code`. */
int rx_error(struct leco_rx_error *err, int code, enum leco_rx_where where, size_t offset,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- literal prefilter (lib/rx_prefilter.c) ------------------------------ */

#define PF_ALTS 8  /* strings a prefilter may require one of */
#define PF_LEN	32 /* longest string */

/* Any match of the regexp contains one of s[0..n) (n == 0: no prefilter). */
struct rx_prefilter {
	bool caseless; /* the strings are lowercase; look in the lowercased line */
	uint8_t n;
	uint8_t len[PF_ALTS];
	uint8_t anchor[PF_ALTS]; /* a rare byte of each string: memchr looks for it */
	char s[PF_ALTS][PF_LEN];
};

/* Derive a prefilter from the regexp `p` (`n` bytes); pf->n stays 0 when none is worth it. */
void rx_prefilter_setup(struct rx_prefilter *pf, const char *p, size_t n, bool caseless);

/* ---- replacement template (lib/rx_replace.c) ------------------------------ */

enum { PIECE_LIT, PIECE_GROUP };

struct rx_piece {
	uint32_t kind, grp;
	size_t off, len; /* PIECE_LIT: bytes in rp->lit */
};

/* `$N`, `${N}`, `$$`, `$0` and literal text, parsed once (expanded by lib/rules.c). */
struct rx_repl {
	struct rx_piece *pc;
	size_t npc, cap;
	char *lit;
	size_t litlen;
};

/*
 * Parse `v` (`n` bytes) for a regexp with `ncap` capture groups (`ncap` < 0: every element of
 * the chain is negated, there is no match to refer to). Errors are at value offset
 * `base` + their offset in `v`.
 */
int rx_repl_parse(struct rx_repl *rp, const char *v, size_t n, int ncap, size_t base,
		  struct leco_rx_error *err);
void rx_repl_free(struct rx_repl *rp);

/* ---- compiled rules (lib/rx_compile.c) ---------------------------------- */

struct rx_elem {
	pcre2_code *code;
	pcre2_match_data *md;
	uint32_t ncap;
	bool neg;
	struct rx_prefilter pf;
};

/* A rule: a chain of regexps (all must succeed) and its replacement. */
struct rule {
	struct rx_elem *el;
	size_t nel;
	int repl; /* replacing element; -1: none (all negated: the value is the result) */
	bool gflag;
	struct rx_repl rp;
};

/* What compiling needs of the rule set. */
struct rx_compile_ctx {
	pcre2_compile_context *cctx;
	bool jit_off; /* tests: compile without JIT, as where it is unavailable */
	bool all_jit; /* every regexp so far has JIT code */
};

/* Compile one rule (key and value as leco_rules_add takes them) into `ru`, which the caller
 * frees with rx_rule_free() whether this fails or not. */
int rx_compile_rule(struct rx_compile_ctx *cc, struct rule *ru, const char *key, size_t key_len,
		    const char *v, size_t vn, unsigned int flags, struct leco_rx_error *err);
void rx_rule_free(struct rule *ru);

/* ---- result cache (lib/rx_cache.c) --------------------------------------- */

/* A line may sit in any of the RX_CACHE_WAYS slots of its set. */
#define RX_CACHE_WAYS 4

struct rx_cache_slot {
	uint64_t hash, tick;
	char *data; /* input \0 text \0 group \0 */
	size_t cap;
	uint32_t inlen, textlen, grouplen;
	bool used, changed, grouped, dropped;
};

struct rx_cache {
	struct rx_cache_slot *slots; /* NULL until first used, or after a clear */
	uint64_t hits, lookups, tick;
	bool on;
};

static inline struct rx_cache_slot *rx_cache_set(struct rx_cache *c, uint64_t h)
{
	return &c->slots[(h % (LECO_RX_CACHE_SLOTS / RX_CACHE_WAYS)) * RX_CACHE_WAYS];
}

/* A cached result for `line` (hash `h`), valid until the next put or clear. */
static inline bool rx_cache_get(struct rx_cache *c, uint64_t h, const char *line, size_t len,
				struct leco_rx_result *res)
{
	struct rx_cache_slot *set, *sl = NULL;

	if (!c->slots)
		return false;
	set = rx_cache_set(c, h);
	for (int i = 0; i < RX_CACHE_WAYS && !sl; i++)
		if (set[i].used && set[i].hash == h && set[i].inlen == len &&
		    !memcmp(set[i].data, line, len))
			sl = &set[i];
	if (!sl)
		return false;
	sl->tick = ++c->tick;
	*res = (struct leco_rx_result){
		.text = sl->data + len + 1,
		.group = sl->grouped ? sl->data + len + 1 + sl->textlen + 1 : NULL,
		.changed = sl->changed,
		.grouped = sl->grouped,
		.dropped = sl->dropped,
	};
	return true;
}
void rx_cache_put(struct rx_cache *c, uint64_t h, const char *line, size_t len,
		  const struct leco_rx_result *res, size_t textlen, size_t grouplen);
void rx_cache_clear(struct rx_cache *c);

#endif /* LECO_LIB_RX_H */
