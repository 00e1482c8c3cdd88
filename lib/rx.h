/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the rule engine: the pieces lib/rules.c is made of. A rule is a chain of
 * compiled regexps (struct rx_elem, each with an optional literal prefilter:
 * lib/rx_prefilter.c) and a replacement template (lib/rx_replace.c); results of
 * whole lines are kept in a small cache (lib/rx_cache.c).
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

/* The line being matched, and its ASCII-lowercased copy once a caseless prefilter needs it. */
struct rx_subject {
	const char *s;
	size_t n;
	struct buf *low;
	int low_state; /* 0: not made yet, 1: made, -1: the line is not ASCII (no prefilter) */
};

/* Derive a prefilter from the regexp `p` (`n` bytes); pf->n stays 0 when none is worth it. */
void rx_prefilter_setup(struct rx_prefilter *pf, const char *p, size_t n, bool caseless);
/* Whether the subject contains one of the strings (or it cannot tell). */
bool rx_prefilter_pass(const struct rx_prefilter *pf, struct rx_subject *sub);

/* ---- replacement template (lib/rx_replace.c) ------------------------------ */

struct rx_piece;

/* `$N`, `${N}`, `$$`, `$0` and literal text, parsed once. */
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
/* Append the replacement for the match in `s` described by `ov` (`ovn` pairs; NULL when there
 * is no match) to `out`, and to `grp` when given. -ENOMEM, -E2BIG beyond LECO_RX_TEXT_MAX. */
int rx_repl_expand(const struct rx_repl *rp, const char *s, const PCRE2_SIZE *ov, uint32_t ovn,
		   struct buf *out, struct buf *grp);
void rx_repl_free(struct rx_repl *rp);

/* ---- result cache (lib/rx_cache.c) --------------------------------------- */

struct rx_cache_slot;

struct rx_cache {
	struct rx_cache_slot *slots; /* NULL until first used, or after a clear */
	uint64_t hits, lookups, tick;
	bool on;
};

/* A cached result for `line` (hash `h`), valid until the next put or clear. */
bool rx_cache_get(struct rx_cache *c, uint64_t h, const char *line, size_t len,
		  struct leco_rx_result *res);
void rx_cache_put(struct rx_cache *c, uint64_t h, const char *line, size_t len,
		  const struct leco_rx_result *res, size_t textlen, size_t grouplen);
void rx_cache_clear(struct rx_cache *c);

#endif /* LECO_LIB_RX_H */
