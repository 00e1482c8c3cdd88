// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rule compiler and matcher for [rx-proc] / [rx-group] (doc/rules.md), on
 * PCRE2 the way git's grep.c uses it: compile once, JIT when available (else
 * the interpreter), one match-data block per regexp, reusable output buffers
 * that grow and stay. Match limits and length bounds make every line finish;
 * a bounded result cache (lib/rx_cache.c) skips lines seen before.
 */
#include <stdarg.h>
#include <stdio.h>

#include "hash.h"
#include "rx.h"
#include "sanitize.h"

/* Per pcre2_match() call; a call that hits a limit counts as "no match". */
#define RX_MATCH_LIMIT	  100000
#define RX_DEPTH_LIMIT	  5000
#define RX_HEAP_LIMIT_KIB 8192
#define RX_JIT_STACK_MAX  (512 * 1024)
/* Matches one rule may replace in one line (global replacement). */
#define RX_REPLACE_MAX 100000

struct leco_rules {
	struct rule *r[2];
	size_t n[2], cap[2];
	struct rx_compile_ctx cc;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	struct buf in, t[2], grp, gtmp;
	struct buf low;	     /* the current text, ASCII-lowercased, for caseless prefilters */
	struct buf clean[2]; /* the result's text and group, sanitized */
	bool pf_off;	     /* tests: run every regexp, as if there were no prefilters */
	bool jit_off;	     /* tests: compile without JIT, as where it is unavailable */
	struct rx_cache cache;
};

/* ------------------------------------------------------------------------ */
/* buffers and errors */

int buf_reserve(struct buf *b, size_t need)
{
	if (need <= b->cap)
		return 0;
	size_t n = b->cap ? b->cap : 256;

	while (n < need)
		n *= 2;
	char *p = realloc(b->p, n);

	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = n;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){0};
}

int rx_error(struct leco_rx_error *err, int code, enum leco_rx_where where, size_t offset,
	     const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->where = where;
	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* ------------------------------------------------------------------------ */
/* setup */

struct leco_rules *leco_rules_new(void)
{
	struct leco_rules *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cc.cctx = pcre2_compile_context_create(NULL);
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->cc.cctx || !r->mctx) {
		leco_rules_free(r);
		return NULL;
	}
	pcre2_set_match_limit(r->mctx, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, RX_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mctx, RX_HEAP_LIMIT_KIB);
	/* a JIT stack of its own (the default is 32 KiB of the machine stack); without
	 * one, JIT matching still works on the default */
	r->jstack = pcre2_jit_stack_create(32 * 1024, RX_JIT_STACK_MAX, NULL);
	if (r->jstack)
		pcre2_jit_stack_assign(r->mctx, NULL, r->jstack);
	/* regexps and lines are bounded; so is the parenthesis nesting */
	pcre2_set_max_pattern_length(r->cc.cctx, LECO_RX_LINE_MAX);
	pcre2_set_parens_nest_limit(r->cc.cctx, 64);
	r->cc.all_jit = true;
	r->cache.on = true;
	return r;
}

void leco_rules_free(struct leco_rules *r)
{
	if (!r)
		return;
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < r->n[s]; i++)
			rx_rule_free(&r->r[s][i]);
		free(r->r[s]);
	}
	pcre2_compile_context_free(r->cc.cctx);
	pcre2_match_context_free(r->mctx);
	pcre2_jit_stack_free(r->jstack);
	buf_free(&r->in);
	buf_free(&r->t[0]);
	buf_free(&r->t[1]);
	buf_free(&r->grp);
	buf_free(&r->gtmp);
	buf_free(&r->low);
	buf_free(&r->clean[0]);
	buf_free(&r->clean[1]);
	rx_cache_clear(&r->cache);
	free(r);
}

size_t leco_rules_count(const struct leco_rules *r, enum leco_rx_section sec)
{
	return r ? r->n[sec] : 0;
}

bool leco_rules_jit(const struct leco_rules *r)
{
	return r && r->cc.all_jit && (r->n[0] || r->n[1]);
}

void leco_rules_set_cache(struct leco_rules *r, bool on)
{
	if (!r)
		return;
	r->cache.on = on;
	if (!on)
		rx_cache_clear(&r->cache);
}

void leco_rules_set_jit(struct leco_rules *r, bool on)
{
	if (r)
		r->cc.jit_off = !on;
}

void leco_rules_set_prefilter(struct leco_rules *r, bool on)
{
	if (r)
		r->pf_off = !on;
}

void leco_rules_cache_stats(const struct leco_rules *r, uint64_t *hits, uint64_t *lookups)
{
	*hits = r ? r->cache.hits : 0;
	*lookups = r ? r->cache.lookups : 0;
}

/* ------------------------------------------------------------------------ */
/* compiling */

int leco_rules_add(struct leco_rules *r, enum leco_rx_section sec, const char *key, size_t key_len,
		   const char *value, size_t value_len, unsigned int flags,
		   struct leco_rx_error *err)
{
	struct rule ru = {.repl = -1};
	int ret;

	if (r->n[sec] >= LECO_RX_RULES_MAX)
		return rx_error(err, -EINVAL, LECO_RX_AT_KEY, 0,
				"too many rules in [%s] (at most %d)",
				sec == LECO_RX_PROC ? "rx-proc" : "rx-group", LECO_RX_RULES_MAX);
	if (r->n[sec] == r->cap[sec]) {
		size_t n = r->cap[sec] ? r->cap[sec] * 2 : 8;
		struct rule *p = realloc(r->r[sec], n * sizeof(*p));

		if (!p)
			return rx_error(err, -ENOMEM, LECO_RX_AT_RULE, 0, "out of memory");
		r->r[sec] = p;
		r->cap[sec] = n;
	}
	if ((ret = rx_compile_rule(&r->cc, &ru, key, key_len, value, value_len, flags, err))) {
		rx_rule_free(&ru);
		return ret;
	}
	r->r[sec][r->n[sec]++] = ru;
	rx_cache_clear(&r->cache);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* matching */

/* The line being matched, and its ASCII-lowercased copy once a caseless prefilter needs it. */
struct rx_subject {
	const char *s;
	size_t n;
	struct buf *low;
	int low_state; /* 0: not made yet, 1: made, -1: the line is not ASCII (no prefilter) */
};

/* Whether h[0..n) contains l[0..ln); k is the index of a rare byte of l. */
static bool has_lit(const char *h, size_t n, const char *l, size_t ln, size_t k)
{
	if (ln > n)
		return false;
	const char *p = h + k, *end = h + (n - ln) + k + 1;

	while (p < end && (p = memchr(p, l[k], (size_t)(end - p)))) {
		if (!memcmp(p - k, l, ln))
			return true;
		p++;
	}
	return false;
}

/* The subject lowercased (once per subject); false when it is not all ASCII. */
static bool lowered(struct rx_subject *sub)
{
	if (sub->low_state == 0) {
		sub->low_state = -1;
		if (buf_reserve(sub->low, sub->n + 1))
			return false;
		for (size_t i = 0; i < sub->n; i++) {
			unsigned char c = (unsigned char)sub->s[i];

			if (c >= 0x80)
				return false;
			sub->low->p[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		sub->low_state = 1;
	}
	return sub->low_state > 0;
}

/* Whether the subject contains one of the prefilter's strings (or it cannot tell). */
static bool prefilter_pass(const struct rx_prefilter *pf, struct rx_subject *sub)
{
	const char *hay = sub->s;

	if (pf->caseless) {
		if (!lowered(sub))
			return true;
		hay = sub->low->p;
	}
	for (int i = 0; i < pf->n; i++)
		if (has_lit(hay, sub->n, pf->s[i], pf->len[i], pf->anchor[i]))
			return true;
	return false;
}

/* Append the replacement for the match in `s` described by `ov` (`ovn` pairs; NULL when there
 * is no match) to `out`, and to `grp` when given. -ENOMEM, -E2BIG beyond LECO_RX_TEXT_MAX. */
static int expand(const struct rx_repl *rp, const char *s, const PCRE2_SIZE *ov, uint32_t ovn,
		  struct buf *out, struct buf *grp)
{
	for (size_t i = 0; i < rp->npc; i++) {
		const struct rx_piece *p = &rp->pc[i];
		const char *src;
		size_t len;

		if (p->kind == PIECE_LIT) {
			src = rp->lit + p->off;
			len = p->len;
		} else {
			if (p->grp >= ovn || ov[2 * p->grp] == PCRE2_UNSET ||
			    ov[2 * p->grp + 1] < ov[2 * p->grp])
				continue;
			src = s + ov[2 * p->grp];
			len = ov[2 * p->grp + 1] - ov[2 * p->grp];
		}
		if (buf_add(out, src, len) || (grp && buf_add(grp, src, len)))
			return -ENOMEM;
	}
	if (out->len > LECO_RX_TEXT_MAX || (grp && grp->len > LECO_RX_TEXT_MAX))
		return -E2BIG;
	return 0;
}

/* 1 matched (this element succeeds), 0 not, -1 limit hit or error (the rule fails). */
static int elem_match(struct leco_rules *r, struct rx_elem *el, struct rx_subject *sub)
{
	if (el->pf.n && !r->pf_off && !prefilter_pass(&el->pf, sub))
		return el->neg ? 1 : 0;

	int rc = pcre2_match(el->code, (PCRE2_SPTR)sub->s, sub->n, 0, 0, el->md, r->mctx);

	if (rc == PCRE2_ERROR_NOMATCH)
		return el->neg ? 1 : 0;
	if (rc < 0)
		return -1;
	return el->neg ? 0 : 1;
}

/* Replace every match of the replacing element, the first of which is in its match data. */
static int replace_all(struct leco_rules *r, struct rule *ru, const char *s, size_t n,
		       struct buf *out, struct buf *grp)
{
	struct rx_elem *el = &ru->el[ru->repl];
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(el->md);
	uint32_t ovn = pcre2_get_ovector_count(el->md);
	size_t pos = 0, count = 0;

	for (;;) {
		size_t ms = ov[0], me = ov[1];
		uint32_t opts = 0;

		if (ms < pos || ms > n)
			ms = pos;
		if (me < ms || me > n)
			me = ms;
		if (buf_add(out, s + pos, ms - pos) || expand(&ru->rp, s, ov, ovn, out, grp))
			return -1;
		pos = me;
		if (++count >= RX_REPLACE_MAX)
			break;
		/*
		 * After an empty match, the next one may not be empty at the same
		 * place: NOTEMPTY_ATSTART from there is what pcre2_substitute does
		 * with ANCHORED + advance, and unlike ANCHORED it keeps the JIT.
		 */
		if (me == ms) {
			if (me >= n)
				break;
			opts = PCRE2_NOTEMPTY_ATSTART;
		}
		int rc = pcre2_match(el->code, (PCRE2_SPTR)s, n, me, opts, el->md, r->mctx);

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0)
			return -1;
	}
	return buf_add(out, s + pos, n - pos) ? -1 : 0;
}

/*
 * Run one rule on the subject: 1 if it matches, with the rewritten line in `out`
 * (and, if `grp`, the text of its replacements appended there); 0 if not.
 * Limits, overlong results and -ENOMEM make it "not matching".
 */
static int rule_run(struct leco_rules *r, struct rule *ru, struct rx_subject *sub, struct buf *out,
		    struct buf *grp)
{
	out->len = 0;
	if (grp)
		grp->len = 0;
	if (buf_reserve(out, 1) || (grp && buf_reserve(grp, 1)))
		return 0;
	for (size_t i = 0; i < ru->nel; i++)
		if (elem_match(r, &ru->el[i], sub) != 1)
			return 0;
	if (ru->repl < 0) {
		/* every element negated: the value is the result */
		if (expand(&ru->rp, sub->s, NULL, 0, out, grp))
			return 0;
	} else if (replace_all(r, ru, sub->s, sub->n, out, grp)) {
		return 0;
	}
	if (out->len > LECO_RX_TEXT_MAX)
		return 0;
	out->p[out->len] = '\0';
	if (grp) {
		if (buf_reserve(grp, grp->len + 1))
			return 0;
		grp->p[grp->len] = '\0';
	}
	return 1;
}

/* The group key found: `b` becomes the result's group (an empty one drops the line). */
static void set_group(struct leco_rules *r, struct leco_rx_result *out, struct buf *b)
{
	if (b != &r->grp) {
		struct buf tmp = r->grp;

		r->grp = *b;
		*b = tmp;
	}
	out->group = r->grp.p;
	out->grouped = true;
	out->dropped = r->grp.len == 0;
}

/* Both sections on r->in; the text ends up in `sub`. */
static void run_sections(struct leco_rules *r, struct rx_subject *sub, struct leco_rx_result *out)
{
	int which = 0;

	/* [rx-group]: on the original line, the first rule that matches decides */
	for (size_t i = 0; i < r->n[LECO_RX_GROUP]; i++) {
		if (rule_run(r, &r->r[LECO_RX_GROUP][i], sub, &r->grp, NULL) == 1) {
			set_group(r, out, &r->grp);
			break;
		}
	}
	/* [rx-proc]: in order, each on the line as rewritten so far */
	for (size_t i = 0; !out->dropped && i < r->n[LECO_RX_PROC]; i++) {
		struct rule *ru = &r->r[LECO_RX_PROC][i];
		bool want_group = ru->gflag && !out->grouped;
		struct buf *dst = &r->t[which];

		if (rule_run(r, ru, sub, dst, want_group ? &r->gtmp : NULL) != 1)
			continue;
		*sub = (struct rx_subject){.s = dst->p, .n = dst->len, .low = &r->low};
		which ^= 1;
		if (want_group)
			set_group(r, out, &r->gtmp);
	}
	out->text = sub->s;
}

/* Whether s[0..n) may hold anything leco_sanitize_line() would change: a control character, or a
 * non-ASCII byte (which it decodes). Eight bytes a step: a byte below 0x20 borrows in
 * w - 0x20..20 where its own top bit was clear; a byte at or above 0x7f has its top bit set in
 * w or in w + 0x01..01 (a carry may give a false "yes": it only costs the copy). */
static bool needs_sanitizing(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, tops = 0x8080808080808080ULL;
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (((w - 0x20 * ones) & ~w & tops) || ((w | (w + ones)) & tops))
			return true;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return true;
	return false;
}

/*
 * The replacement text comes from whoever wrote the rules and the captures from the line: what
 * leaves the engine is sanitized like every other string libleco returns (no control or
 * direction-changing characters, valid UTF-8). The flags keep what the rules did.
 */
static int sanitize_result(struct leco_rules *r, struct leco_rx_result *out, size_t *textlen,
			   size_t *grouplen)
{
	const char **s[2] = {&out->text, &out->group};
	size_t *n[2] = {textlen, grouplen};

	for (int i = 0; i < 2; i++) {
		/* an invalid byte becomes U+FFFD, 3 bytes for 1: cut (between characters) where the
		 * text would outgrow LECO_RX_TEXT_MAX */
		size_t room = 3 * *n[i] < LECO_RX_TEXT_MAX ? 3 * *n[i] : LECO_RX_TEXT_MAX;

		if (!*s[i] || !needs_sanitizing(*s[i], *n[i]))
			continue;
		if (buf_reserve(&r->clean[i], room + 1))
			return -ENOMEM;
		*n[i] = leco_sanitize_line(r->clean[i].p, room + 1, *s[i], *n[i]);
		*s[i] = r->clean[i].p;
	}
	return 0;
}

int leco_rules_apply(struct leco_rules *r, const char *line, size_t len, struct leco_rx_result *res)
{
	bool use_cache;
	uint64_t h = 0;

	if (!r || !res)
		return -EINVAL;
	if (len > LECO_RX_LINE_MAX)
		return -E2BIG;
	use_cache = r->cache.on && len <= LECO_RX_CACHE_LINE_MAX && (r->n[0] || r->n[1]);
	if (use_cache) {
		h = leco_hash(line, len, 0);
		r->cache.lookups++;
		if (rx_cache_get(&r->cache, h, line, len, res)) {
			r->cache.hits++;
			return 0;
		}
	}
	r->in.len = 0;
	if (buf_add(&r->in, line, len))
		return -ENOMEM;
	r->in.p[len] = '\0';

	struct leco_rx_result out = {.text = r->in.p};
	struct rx_subject sub = {.s = r->in.p, .n = len, .low = &r->low};

	size_t grouplen;

	run_sections(r, &sub, &out);
	out.changed = sub.n != len || memcmp(sub.s, r->in.p, len) != 0;
	grouplen = out.grouped ? r->grp.len : 0;
	if (sanitize_result(r, &out, &sub.n, &grouplen))
		return -ENOMEM;
	if (use_cache)
		rx_cache_put(&r->cache, h, line, len, &out, sub.n, grouplen);
	*res = out;
	return 0;
}
