// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rule compiler and matcher for [rx-proc] / [rx-group] (../shared/RULES.md,
 * doc/rules.md), on PCRE2 the way git's grep.c uses it: compile once, JIT when
 * available (else the interpreter), one match-data block per regexp, reusable
 * output buffers that grow and stay. Match limits and length bounds make every
 * line finish; a bounded result cache skips lines seen before.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* Per pcre2_match() call; a call that hits a limit counts as "no match". */
#define RX_MATCH_LIMIT	  100000
#define RX_DEPTH_LIMIT	  5000
#define RX_HEAP_LIMIT_KIB 8192
#define RX_JIT_STACK_MAX  (512 * 1024)
/* Matches one rule may replace in one line (global replacement). */
#define RX_REPLACE_MAX 100000

/* Literal prefilter: up to PF_ALTS strings of PF_LEN bytes, used when selective enough. */
#define PF_ALTS	      8
#define PF_LEN	      32
#define PF_MIN_WEIGHT 6 /* see lit_weight(): e.g. "::1" */

struct rx_elem {
	pcre2_code *code;
	pcre2_match_data *md;
	uint32_t ncap;
	bool neg;
	bool pf_caseless;
	uint8_t pf_n; /* 0: no prefilter; else the match contains one of pf[0..pf_n) */
	uint8_t pf_len[PF_ALTS];
	uint8_t pf_anchor[PF_ALTS]; /* a rare byte of each string: memchr looks for it */
	char pf[PF_ALTS][PF_LEN];
};

enum { PIECE_LIT, PIECE_GROUP };

struct piece {
	uint32_t kind, grp;
	size_t off, len; /* PIECE_LIT: bytes in rule->lit */
};

struct rule {
	struct rx_elem *el;
	size_t nel;
	int repl; /* replacing element; -1: none (all negated: the value is the result) */
	bool gflag;
	struct piece *pc;
	size_t npc;
	char *lit;
	size_t litlen;
};

struct buf {
	char *p;
	size_t len, cap;
};

struct cache_slot {
	uint64_t hash, tick;
	char *data; /* input \0 text \0 group \0 */
	size_t cap;
	uint32_t inlen, textlen, grouplen;
	bool used, changed, grouped, dropped;
};

struct leco_rules {
	struct rule *r[2];
	size_t n[2], cap[2];
	pcre2_compile_context *cctx;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	bool all_jit;
	struct buf in, t[2], grp, gtmp;
	struct buf low; /* the current text, ASCII-lowercased, for caseless prefilters */
	int low_state;	/* 0: not made for the current text, 1: made, -1: text is not ASCII */
	bool cache_on;
	bool pf_off;  /* tests: run every regexp, as if there were no prefilters */
	bool jit_off; /* tests: compile without JIT, as where it is unavailable */
	struct cache_slot *cache;
	uint64_t hits, lookups, tick;
};

/* ------------------------------------------------------------------------ */
/* buffers */

static int buf_reserve(struct buf *b, size_t need)
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

static inline int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap && buf_reserve(b, b->len + n + 1))
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){0};
}

/* ------------------------------------------------------------------------ */
/* setup */

struct leco_rules *leco_rules_new(void)
{
	struct leco_rules *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cctx = pcre2_compile_context_create(NULL);
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->cctx || !r->mctx) {
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
	pcre2_set_max_pattern_length(r->cctx, LECO_RX_LINE_MAX);
	pcre2_set_parens_nest_limit(r->cctx, 64);
	r->all_jit = true;
	r->cache_on = true;
	return r;
}

static void rule_free(struct rule *ru)
{
	for (size_t i = 0; i < ru->nel; i++) {
		pcre2_match_data_free(ru->el[i].md);
		pcre2_code_free(ru->el[i].code);
	}
	free(ru->el);
	free(ru->pc);
	free(ru->lit);
}

static void cache_clear(struct leco_rules *r)
{
	if (!r->cache)
		return;
	for (size_t i = 0; i < LECO_RX_CACHE_SLOTS; i++)
		free(r->cache[i].data);
	free(r->cache);
	r->cache = NULL;
}

void leco_rules_free(struct leco_rules *r)
{
	if (!r)
		return;
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < r->n[s]; i++)
			rule_free(&r->r[s][i]);
		free(r->r[s]);
	}
	pcre2_compile_context_free(r->cctx);
	pcre2_match_context_free(r->mctx);
	pcre2_jit_stack_free(r->jstack);
	buf_free(&r->in);
	buf_free(&r->t[0]);
	buf_free(&r->t[1]);
	buf_free(&r->grp);
	buf_free(&r->gtmp);
	buf_free(&r->low);
	cache_clear(r);
	free(r);
}

size_t leco_rules_count(const struct leco_rules *r, enum leco_rx_section sec)
{
	return r ? r->n[sec] : 0;
}

bool leco_rules_jit(const struct leco_rules *r)
{
	return r && r->all_jit && (r->n[0] || r->n[1]);
}

void leco_rules_set_cache(struct leco_rules *r, bool on)
{
	if (!r)
		return;
	r->cache_on = on;
	if (!on)
		cache_clear(r);
}

void leco_rules_set_jit(struct leco_rules *r, bool on)
{
	if (r)
		r->jit_off = !on;
}

void leco_rules_set_prefilter(struct leco_rules *r, bool on)
{
	if (r)
		r->pf_off = !on;
}

void leco_rules_cache_stats(const struct leco_rules *r, uint64_t *hits, uint64_t *lookups)
{
	*hits = r ? r->hits : 0;
	*lookups = r ? r->lookups : 0;
}

/* ------------------------------------------------------------------------ */
/* compiling */

struct add_ctx {
	const struct ini_item *it;
	const char *name;
	struct leco_error *err;
	size_t vstart; /* offset of the replacement text in it->value */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* FLAGS/regexp/: FLAGS from "!iI"; returns the regexp bounds, or false. */
static bool wrapped(const char *s, size_t n, size_t *ro, size_t *rn, bool *neg, bool *caseful)
{
	size_t i = 0;

	*neg = *caseful = false;
	while (i < n && (s[i] == '!' || s[i] == 'i' || s[i] == 'I')) {
		if (s[i] == '!')
			*neg = true;
		else
			*caseful = s[i] == 'I';
		i++;
	}
	if (n < i + 3 || s[i] != '/' || s[n - 1] != '/')
		return false;
	*ro = i + 1;
	*rn = n - 1 - *ro;
	return true;
}

/*
 * Literal prefilter: a string (or one of a few strings) that any match of a
 * regexp must contain, found by a conservative walk over the pattern; when the
 * line does not contain it, pcre2_match() is not called at all. Anything the
 * walk does not fully understand gives no prefilter. Caseless literals are
 * looked up in an ASCII-lowercased copy of the line, and only when the line
 * is all ASCII (Unicode case folding makes e.g. 'k' match U+212A).
 */

struct lits {
	uint8_t n; /* 0: none */
	uint8_t len[PF_ALTS];
	char s[PF_ALTS][PF_LEN];
};

/*
 * How selective a requirement is: the weakest of its strings, where a string
 * weighs by its characters. ' ' and ':' are in every line (the " :: " field
 * separators), so a string of only those is worth nothing; digits are common.
 */
static unsigned int lit_weight(const char *s, size_t n)
{
	unsigned int w = 0, rare = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == ':')
			w += 1;
		else if (s[i] >= '0' && s[i] <= '9')
			w += 4, rare++;
		else
			w += 8, rare++;
	}
	return rare ? w : 0;
}

static unsigned int lits_score(const struct lits *l)
{
	unsigned int m = ~0u;

	if (!l->n)
		return 0;
	for (int i = 0; i < l->n; i++) {
		unsigned int w = lit_weight(l->s[i], l->len[i]);
		if (w < m)
			m = w;
	}
	return m * 16 + (PF_ALTS - l->n); /* the weakest string, then fewest strings */
}

static void lits_keep_best(struct lits *best, const struct lits *cand)
{
	if (lits_score(cand) > lits_score(best))
		*best = *cand;
}

struct pf_walk {
	const char *p;
	size_t i, n;
	bool caseless, bail;
	int depth;
};

static void pf_alt(struct pf_walk *w, struct lits *out);

/* Skip a [...] class starting at w->i ('['). */
static void pf_class(struct pf_walk *w)
{
	size_t j = w->i + 1;

	if (j < w->n && w->p[j] == '^')
		j++;
	if (j < w->n && w->p[j] == ']')
		j++;
	while (j < w->n && w->p[j] != ']') {
		if (w->p[j] == '\\')
			j += 2;
		else if (w->p[j] == '[' && j + 1 < w->n && w->p[j + 1] == ':') {
			const char *e = memmem(w->p + j + 2, w->n - j - 2, ":]", 2);
			if (!e) {
				w->bail = true;
				return;
			}
			j = (size_t)(e - w->p) + 2;
		} else
			j++;
	}
	if (j >= w->n)
		w->bail = true;
	w->i = j + 1;
}

/* Quantifier at w->i: returns its minimum (1 if there is none), -1 to bail. */
static int pf_quant(struct pf_walk *w)
{
	const char *p = w->p;
	int min;

	if (w->i >= w->n)
		return 1;
	switch (p[w->i]) {
	case '?':
	case '*':
		min = 0, w->i++;
		break;
	case '+':
		min = 1, w->i++;
		break;
	case '{': {
		size_t j = w->i + 1;
		unsigned long v = 0;
		if (j >= w->n || p[j] < '0' || p[j] > '9')
			return -1;
		while (j < w->n && p[j] >= '0' && p[j] <= '9' && v < 100000)
			v = v * 10 + (unsigned)(p[j++] - '0');
		if (j < w->n && p[j] == ',') {
			j++;
			while (j < w->n && p[j] >= '0' && p[j] <= '9')
				j++;
		}
		if (j >= w->n || p[j] != '}')
			return -1;
		w->i = j + 1;
		min = v ? 1 : 0;
		break;
	}
	default:
		return 1;
	}
	if (w->i < w->n && (p[w->i] == '?' || p[w->i] == '+'))
		w->i++; /* lazy / possessive */
	return min;
}

/* A sequence up to '|', ')' or the end: its best requirement. */
static void pf_seq(struct pf_walk *w, struct lits *best)
{
	char run[PF_LEN];
	size_t rl = 0;
	struct lits cand;

	memset(best, 0, sizeof(*best));
#define FLUSH()                                      \
	do {                                         \
		if (rl) {                            \
			cand.n = 1;                  \
			cand.len[0] = (uint8_t)rl;   \
			memcpy(cand.s[0], run, rl);  \
			lits_keep_best(best, &cand); \
		}                                    \
		rl = 0;                              \
	} while (0)

	while (w->i < w->n && !w->bail) {
		unsigned char c = (unsigned char)w->p[w->i];
		size_t before = rl;
		bool lit = false;
		char lc[4];
		size_t lcn = 0;

		if (c == '|' || c == ')')
			break;
		if (c == '\\') {
			if (w->i + 1 >= w->n) {
				w->bail = true;
				break;
			}
			unsigned char d = (unsigned char)w->p[w->i + 1];
			if (d >= 0x80) {
				w->bail = true;
				break;
			}
			if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') ||
			    (d >= '0' && d <= '9')) {
				if (!strchr("dDsSwWbBAZzGhHvVRXntrfea123456789", d)) {
					w->bail = true;
					break;
				}
			} else {
				lit = true;
				lc[lcn++] = (char)d;
			}
			w->i += 2;
			/* \12 may be a back reference or an octal escape: its digits are one atom
			 */
			if (d >= '1' && d <= '9')
				while (w->i < w->n && w->p[w->i] >= '0' && w->p[w->i] <= '9')
					w->i++;
		} else if (c == '.') {
			w->i++;
		} else if (c == '[') {
			pf_class(w);
		} else if (c == '^' || c == '$') {
			w->i++;
			FLUSH();
			continue;
		} else if (c == '(') {
			if (w->i + 1 < w->n && (w->p[w->i + 1] == '?' || w->p[w->i + 1] == '*')) {
				if (w->i + 2 >= w->n || w->p[w->i + 1] != '?' ||
				    w->p[w->i + 2] != ':') {
					w->bail = true;
					break;
				}
				w->i += 3;
			} else {
				w->i++;
			}
			if (++w->depth > 16) {
				w->bail = true;
				break;
			}
			struct lits g;
			pf_alt(w, &g);
			w->depth--;
			if (w->bail || w->i >= w->n || w->p[w->i] != ')') {
				w->bail = true;
				break;
			}
			w->i++;
			FLUSH();
			int q = pf_quant(w);
			if (q < 0) {
				w->bail = true;
				break;
			}
			if (q > 0)
				lits_keep_best(best, &g);
			continue;
		} else if (c == '*' || c == '+' || c == '?' || c == '{') {
			w->bail = true;
			break;
		} else if (c >= 0x80) {
			/* a UTF-8 character: literal bytes when case-sensitive */
			size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (w->i + k > w->n) {
				w->bail = true;
				break;
			}
			if (!w->caseless) {
				lit = true;
				memcpy(lc, w->p + w->i, k);
				lcn = k;
			}
			w->i += k;
		} else {
			lit = true;
			lc[lcn++] = (char)c;
			w->i++;
		}
		if (w->bail)
			break;
		if (lit) {
			if (rl + lcn > PF_LEN) {
				FLUSH();
				before = 0;
			}
			for (size_t k = 0; k < lcn; k++)
				run[rl++] = w->caseless && lc[k] >= 'A' && lc[k] <= 'Z'
						    ? (char)(lc[k] + 32)
						    : lc[k];
		} else {
			FLUSH();
			before = 0;
		}
		int q = pf_quant(w);
		if (q < 0) {
			w->bail = true;
			break;
		}
		if (q == 0) {
			rl = before; /* the atom may be absent */
			FLUSH();
		} else if (w->i > 0 && strchr("?*+}", w->p[w->i - 1]) && lit) {
			FLUSH(); /* repeated: what follows need not be adjacent to it */
		}
	}
	FLUSH();
#undef FLUSH
}

static void pf_alt(struct pf_walk *w, struct lits *out)
{
	struct lits seq;

	pf_seq(w, out);
	while (!w->bail && w->i < w->n && w->p[w->i] == '|') {
		w->i++;
		pf_seq(w, &seq);
		if (!out->n || !seq.n || out->n + seq.n > PF_ALTS) {
			out->n = 0;
			/* keep walking to find the end of the group */
			continue;
		}
		for (int k = 0; k < seq.n; k++) {
			out->len[out->n] = seq.len[k];
			memcpy(out->s[out->n], seq.s[k], seq.len[k]);
			out->n++;
		}
	}
}

static void prefilter_setup(struct rx_elem *el, const char *p, size_t n, bool caseless)
{
	struct pf_walk w = {.p = p, .n = n, .caseless = caseless};
	struct lits l;

	el->pf_n = 0;
	pf_alt(&w, &l);
	if (w.bail || w.i != n || !l.n || lits_score(&l) < PF_MIN_WEIGHT * 16)
		return;
	el->pf_n = l.n;
	el->pf_caseless = caseless;
	for (int i = 0; i < l.n; i++) {
		el->pf_len[i] = l.len[i];
		memcpy(el->pf[i], l.s[i], l.len[i]);
		el->pf_anchor[i] = 0;
		for (int k = 0, best = -1; k < l.len[i]; k++) {
			int wt = (int)lit_weight(l.s[i] + k, 1);
			if (wt > best)
				best = wt, el->pf_anchor[i] = (uint8_t)k;
		}
	}
}

static int compile_elem(struct leco_rules *r, struct add_ctx *c, struct rx_elem *el,
			const char *key, size_t ro, size_t rn, bool caseful)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	int ec;
	PCRE2_SIZE eo;

	if (!caseful)
		opts |= PCRE2_CASELESS;
	if (rn == 0)
		return leco_config_error(c->err, -EINVAL, c->name, c->it->line,
					 c->it->key_col + (unsigned)ro, "empty regexp");
	el->code = pcre2_compile((PCRE2_SPTR)(key + ro), rn, opts, &ec, &eo, r->cctx);
	if (!el->code) {
		PCRE2_UCHAR msg[256];
		if (ec == PCRE2_ERROR_NOMEMORY)
			return leco_config_error(c->err, -ENOMEM, c->name, c->it->line, 0,
						 "out of memory");
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return leco_config_error(c->err, -EINVAL, c->name, c->it->line,
					 c->it->key_col + (unsigned)(ro + eo), "%s", (char *)msg);
	}
	if (r->jit_off || pcre2_jit_compile(el->code, PCRE2_JIT_COMPLETE) != 0)
		r->all_jit = false; /* no JIT here (or JIT memory refused): interpreter */
	el->md = pcre2_match_data_create_from_pattern(el->code, NULL);
	if (!el->md)
		return leco_config_error(c->err, -ENOMEM, c->name, c->it->line, 0, "out of memory");
	pcre2_pattern_info(el->code, PCRE2_INFO_CAPTURECOUNT, &el->ncap);
	prefilter_setup(el, key + ro, rn, !caseful);
	return 0;
}

/* Split the key into &&-chain elements and compile them. */
static int compile_key(struct leco_rules *r, struct add_ctx *c, struct rule *ru)
{
	const char *key = c->it->key;
	size_t n = c->it->key_len;
	/* operator positions: whitespace && whitespace */
	size_t ops[256][2], nops = 0;
	int err;

	if (n == 0)
		return leco_config_error(c->err, -EINVAL, c->name, c->it->line, c->it->key_col,
					 "empty regexp");
	for (size_t i = 1; i + 3 < n && nops < 256; i++) {
		if (key[i] == '&' && key[i + 1] == '&' && is_space(key[i - 1]) &&
		    is_space(key[i + 2])) {
			size_t a = i, b = i + 2;
			while (a > 0 && is_space(key[a - 1]))
				a--;
			while (b < n && is_space(key[b]))
				b++;
			ops[nops][0] = a; /* element ends here */
			ops[nops][1] = b; /* next one starts here */
			nops++;
			i = b - 1;
		}
	}

	/* elements: [start, end) spans, merging pieces until each is wrapped */
	size_t spans[257][2], nsp = 0, start = 0, k = 0;
	bool neg, cs;
	size_t ro, rn;
	while (nops && k <= nops) {
		size_t end = k < nops ? ops[k][0] : n;
		if (wrapped(key + start, end - start, &ro, &rn, &neg, &cs)) {
			spans[nsp][0] = start;
			spans[nsp][1] = end;
			nsp++;
			if (k < nops)
				start = ops[k][1];
		} else if (k == nops) {
			if (nsp == 0)
				break; /* the first element is not wrapped: one plain regexp */
			return leco_config_error(c->err, -EINVAL, c->name, c->it->line,
						 c->it->key_col + (unsigned)start,
						 "element %zu of the && chain is not wrapped in "
						 "FLAGS/.../",
						 nsp + 1);
		}
		k++;
	}
	if (nsp == 0) {
		spans[0][0] = 0;
		spans[0][1] = n;
		nsp = 1;
	}

	ru->el = calloc(nsp, sizeof(*ru->el));
	if (!ru->el)
		return leco_config_error(c->err, -ENOMEM, c->name, c->it->line, 0, "out of memory");
	ru->nel = nsp;
	for (size_t i = 0; i < nsp; i++) {
		const char *s = key + spans[i][0];
		size_t len = spans[i][1] - spans[i][0];
		struct rx_elem *el = &ru->el[i];
		if (wrapped(s, len, &ro, &rn, &neg, &cs)) {
			el->neg = neg;
		} else {
			ro = 0, rn = len, cs = false;
		}
		if ((err = compile_elem(r, c, el, key, spans[i][0] + ro, rn, cs)))
			return err;
	}
	return 0;
}

/* An error at byte `off` of the item's value. */
static int value_error(struct add_ctx *c, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int value_error(struct add_ctx *c, size_t off, const char *fmt, ...)
{
	char msg[512];
	unsigned int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ini_value_pos(c->it, off, &line, &col);
	return leco_config_error(c->err, -EINVAL, c->name, line, col, "%s", msg);
}

static int add_piece(struct rule *ru, size_t *cap, struct piece p)
{
	if (p.kind == PIECE_LIT && ru->npc && ru->pc[ru->npc - 1].kind == PIECE_LIT &&
	    ru->pc[ru->npc - 1].off + ru->pc[ru->npc - 1].len == p.off) {
		ru->pc[ru->npc - 1].len += p.len;
		return 0;
	}
	if (ru->npc == *cap) {
		size_t n = *cap ? *cap * 2 : 4;
		struct piece *np = realloc(ru->pc, n * sizeof(*np));
		if (!np)
			return -ENOMEM;
		ru->pc = np;
		*cap = n;
	}
	ru->pc[ru->npc++] = p;
	return 0;
}

/* Parse the replacement: $N ${N} $$ $0, literal text otherwise. */
static int compile_value(struct add_ctx *c, struct rule *ru, const char *v, size_t n)
{
	uint32_t ncap = ru->repl >= 0 ? ru->el[ru->repl].ncap : 0;
	size_t cap = 0, i = 0;

	ru->lit = malloc(n + 1);
	if (!ru->lit)
		return -ENOMEM;
	while (i < n) {
		size_t at = i;
		if (v[i] != '$') {
			ru->lit[ru->litlen] = v[i++];
			if (add_piece(ru, &cap,
				      (struct piece){
					      .kind = PIECE_LIT, .off = ru->litlen++, .len = 1}))
				return -ENOMEM;
			continue;
		}
		i++;
		if (i < n && v[i] == '$') {
			i++;
			ru->lit[ru->litlen] = '$';
			if (add_piece(ru, &cap,
				      (struct piece){
					      .kind = PIECE_LIT, .off = ru->litlen++, .len = 1}))
				return -ENOMEM;
			continue;
		}
		bool brace = i < n && v[i] == '{';
		if (brace)
			i++;
		uint64_t g = 0;
		size_t d0 = i;
		while (i < n && v[i] >= '0' && v[i] <= '9' && g < 100000)
			g = g * 10 + (unsigned)(v[i++] - '0');
		if (i == d0 || (brace && (i >= n || v[i] != '}')))
			return value_error(c, c->vstart + at,
					   "stray '$' in the replacement: use $1..$N, ${N}, $0, or "
					   "$$ for a dollar sign");
		if (brace)
			i++;
		if (ru->repl < 0)
			return value_error(c, c->vstart + at,
					   "reference to group %llu, but every element of the "
					   "chain is negated: there is no match to refer to",
					   (unsigned long long)g);
		if (g > ncap)
			return value_error(c, c->vstart + at,
					   "reference to group %llu, but the regexp has %u capture "
					   "group%s",
					   (unsigned long long)g, ncap, ncap == 1 ? "" : "s");
		if (add_piece(ru, &cap, (struct piece){.kind = PIECE_GROUP, .grp = (uint32_t)g}))
			return -ENOMEM;
	}
	return 0;
}

int leco_rules_add(struct leco_rules *r, enum leco_rx_section sec, const struct ini_item *it,
		   const char *name, struct leco_error *err)
{
	struct add_ctx c = {.it = it, .name = name, .err = err};
	struct rule ru = {.repl = -1};
	const char *v = it->value;
	size_t vn = it->value_len;
	int pick = 0, e;

	/* value prefix: g?[1-9]?g? then a backtick */
	size_t i = 0, digit_off = 0;
	bool g = false;
	if (i < vn && v[i] == 'g')
		g = true, i++;
	if (i < vn && v[i] >= '1' && v[i] <= '9')
		digit_off = i, pick = v[i++] - '0';
	if (i < vn && v[i] == 'g')
		g = true, i++;
	if (i < vn && v[i] == '`') {
		ru.gflag = g;
		c.vstart = i + 1;
	} else {
		pick = 0;
	}
	/* backslash-kept spaces: "\ " at the start, " \" at the end */
	size_t vs = c.vstart, ve = vn;
	if (ve - vs >= 2 && v[vs] == '\\' && v[vs + 1] == ' ')
		vs++;
	if (ve - vs >= 2 && v[ve - 1] == '\\' && v[ve - 2] == ' ')
		ve--;
	c.vstart = vs;

	if (r->n[sec] >= LECO_RX_RULES_MAX)
		return leco_config_error(err, -EINVAL, name, it->line, it->key_col,
					 "too many rules in [%s] (at most %d)",
					 sec == LECO_RX_PROC ? "rx-proc" : "rx-group",
					 LECO_RX_RULES_MAX);
	if (r->n[sec] == r->cap[sec]) {
		size_t n = r->cap[sec] ? r->cap[sec] * 2 : 8;
		struct rule *p = realloc(r->r[sec], n * sizeof(*p));
		if (!p)
			return leco_config_error(err, -ENOMEM, name, it->line, 0, "out of memory");
		r->r[sec] = p;
		r->cap[sec] = n;
	}
	if ((e = compile_key(r, &c, &ru)))
		goto fail;
	if (pick) {
		if ((size_t)pick > ru.nel) {
			e = value_error(&c, digit_off,
					"replacement picks element %d, but the rule has %zu", pick,
					ru.nel);
			goto fail;
		}
		if (ru.el[pick - 1].neg) {
			e = leco_config_error(err, -EINVAL, name, it->line, it->key_col,
					      "replacement picks element %d, which is negated "
					      "(!/.../) and has no match to replace",
					      pick);
			goto fail;
		}
		ru.repl = pick - 1;
	} else {
		for (size_t k = ru.nel; k-- > 0;)
			if (!ru.el[k].neg) {
				ru.repl = (int)k;
				break;
			}
	}
	if ((e = compile_value(&c, &ru, v + vs, ve - vs))) {
		if (e == -ENOMEM)
			leco_config_error(err, e, name, it->line, 0, "out of memory");
		goto fail;
	}
	r->r[sec][r->n[sec]++] = ru;
	cache_clear(r);
	return 0;
fail:
	rule_free(&ru);
	return e;
}

/* ------------------------------------------------------------------------ */
/* matching */

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

/* Whether s[0..n) contains one of the element's prefilter strings (or cannot tell). */
static bool prefilter_pass(struct leco_rules *r, const struct rx_elem *el, const char *s, size_t n)
{
	const char *hay = s;

	if (el->pf_caseless) {
		if (r->low_state == 0) {
			r->low_state = -1;
			if (buf_reserve(&r->low, n + 1))
				return true;
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)s[i];
				if (c >= 0x80)
					return true;
				r->low.p[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			}
			r->low_state = 1;
		}
		if (r->low_state < 0)
			return true;
		hay = r->low.p;
	}
	for (int i = 0; i < el->pf_n; i++)
		if (has_lit(hay, n, el->pf[i], el->pf_len[i], el->pf_anchor[i]))
			return true;
	return false;
}

/* 1 matched (this element succeeds), 0 not, -1 limit hit or error (the rule fails). */
static int elem_match(struct leco_rules *r, struct rx_elem *el, const char *s, size_t n)
{
	if (el->pf_n && !r->pf_off && !prefilter_pass(r, el, s, n))
		return el->neg ? 1 : 0;

	int rc = pcre2_match(el->code, (PCRE2_SPTR)s, n, 0, 0, el->md, r->mctx);

	if (rc == PCRE2_ERROR_NOMATCH)
		return el->neg ? 1 : 0;
	if (rc < 0)
		return -1;
	return el->neg ? 0 : 1;
}

static int expand(const struct rule *ru, const char *s, const PCRE2_SIZE *ov, uint32_t ovn,
		  struct buf *out, struct buf *grp)
{
	for (size_t i = 0; i < ru->npc; i++) {
		const struct piece *p = &ru->pc[i];
		const char *src;
		size_t len;
		if (p->kind == PIECE_LIT) {
			src = ru->lit + p->off;
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

/*
 * Run one rule on s[0..n): 1 if it matches, with the rewritten line in `out`
 * (and, if `grp`, the text of its replacements appended there); 0 if not.
 * Limits, overlong results and -ENOMEM make it "not matching".
 */
static int rule_run(struct leco_rules *r, struct rule *ru, const char *s, size_t n, struct buf *out,
		    struct buf *grp)
{
	out->len = 0;
	if (grp)
		grp->len = 0;
	if (buf_reserve(out, 1) || (grp && buf_reserve(grp, 1)))
		return 0;
	for (size_t i = 0; i < ru->nel; i++)
		if (elem_match(r, &ru->el[i], s, n) != 1)
			return 0;
	if (ru->repl < 0) {
		/* every element negated: the value is the result */
		if (expand(ru, s, NULL, 0, out, grp))
			return 0;
		goto done;
	}

	struct rx_elem *el = &ru->el[ru->repl];
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(el->md);
	uint32_t ovn = pcre2_get_ovector_count(el->md);
	size_t pos = 0, count = 0;
	for (;;) {
		size_t ms = ov[0], me = ov[1];
		if (ms < pos || ms > n)
			ms = pos;
		if (me < ms || me > n)
			me = ms;
		if (buf_add(out, s + pos, ms - pos) || expand(ru, s, ov, ovn, out, grp))
			return 0;
		pos = me;
		if (++count >= RX_REPLACE_MAX)
			break;

		/*
		 * After an empty match, the next one may not be empty at the same
		 * place: NOTEMPTY_ATSTART from there is what pcre2_substitute does
		 * with ANCHORED + advance, and unlike ANCHORED it keeps the JIT.
		 */
		uint32_t opts = 0;
		if (me == ms) {
			if (me >= n)
				break;
			opts = PCRE2_NOTEMPTY_ATSTART;
		}
		int rc = pcre2_match(el->code, (PCRE2_SPTR)s, n, me, opts, el->md, r->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0)
			return 0;
	}
	if (buf_add(out, s + pos, n - pos))
		return 0;
done:
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

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL), w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, s + i, n - i);
	h ^= w;
	/* murmur3's fmix64: every input bit reaches the low bits that pick the set */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The cache is 4-way set-associative: a line may sit in any of the 4 slots of its set. */
#define CACHE_WAYS 4

static bool cache_get(struct leco_rules *r, uint64_t h, const char *line, size_t len,
		      struct leco_rx_result *res)
{
	struct cache_slot *set = &r->cache[(h % (LECO_RX_CACHE_SLOTS / CACHE_WAYS)) * CACHE_WAYS];
	struct cache_slot *sl = NULL;

	for (int i = 0; i < CACHE_WAYS; i++)
		if (set[i].used && set[i].hash == h && set[i].inlen == len &&
		    !memcmp(set[i].data, line, len)) {
			sl = &set[i];
			break;
		}
	if (!sl)
		return false;
	sl->tick = ++r->tick;
	const char *text = sl->data + len + 1;
	*res = (struct leco_rx_result){
		.text = text,
		.group = sl->grouped ? text + sl->textlen + 1 : NULL,
		.changed = sl->changed,
		.grouped = sl->grouped,
		.dropped = sl->dropped,
	};
	return true;
}

static void cache_put(struct leco_rules *r, uint64_t h, const char *line, size_t len,
		      const struct leco_rx_result *res, size_t textlen, size_t grouplen)
{
	struct cache_slot *set = &r->cache[(h % (LECO_RX_CACHE_SLOTS / CACHE_WAYS)) * CACHE_WAYS];
	struct cache_slot *sl = &set[0];
	size_t need = len + textlen + grouplen + 3;

	/* an unused slot, else the least recently used one */
	for (int i = 0; i < CACHE_WAYS && sl->used; i++)
		if (!set[i].used || set[i].tick < sl->tick)
			sl = &set[i];

	if (need > 4 * LECO_RX_CACHE_LINE_MAX)
		return;
	if (need > sl->cap) {
		size_t cap = need < 256 ? 256 : need * 2;
		char *p = realloc(sl->data, cap);
		if (!p) {
			sl->used = false;
			return;
		}
		sl->data = p;
		sl->cap = cap;
	}
	char *d = sl->data;
	memcpy(d, line, len);
	d[len] = '\0';
	memcpy(d + len + 1, res->text, textlen + 1);
	if (res->group)
		memcpy(d + len + textlen + 2, res->group, grouplen + 1);
	sl->hash = h;
	sl->inlen = (uint32_t)len;
	sl->textlen = (uint32_t)textlen;
	sl->grouplen = (uint32_t)grouplen;
	sl->changed = res->changed;
	sl->grouped = res->grouped;
	sl->dropped = res->dropped;
	sl->used = true;
	sl->tick = ++r->tick;
}

int leco_rules_apply(struct leco_rules *r, const char *line, size_t len, struct leco_rx_result *res)
{
	uint64_t h = 0;
	bool use_cache;

	if (!r || !res)
		return -EINVAL;
	if (len > LECO_RX_LINE_MAX)
		return -E2BIG;
	use_cache = r->cache_on && len <= LECO_RX_CACHE_LINE_MAX && (r->n[0] || r->n[1]);
	if (use_cache) {
		if (!r->cache) {
			r->cache = calloc(LECO_RX_CACHE_SLOTS, sizeof(*r->cache));
			if (!r->cache)
				use_cache = false;
		}
	}
	if (use_cache) {
		h = hash_bytes(line, len);
		r->lookups++;
		if (cache_get(r, h, line, len, res)) {
			r->hits++;
			return 0;
		}
	}

	r->in.len = 0;
	if (buf_add(&r->in, line, len))
		return -ENOMEM;
	r->in.p[len] = '\0';

	struct leco_rx_result out = {.text = r->in.p};
	r->low_state = 0;
	const char *cur = r->in.p;
	size_t curlen = len, grouplen = 0;
	int which = 0;

	/* [rx-group]: on the original line, the first rule that matches decides */
	for (size_t i = 0; i < r->n[LECO_RX_GROUP]; i++) {
		if (rule_run(r, &r->r[LECO_RX_GROUP][i], cur, curlen, &r->grp, NULL) == 1) {
			out.group = r->grp.p;
			grouplen = r->grp.len;
			out.grouped = true;
			out.dropped = r->grp.len == 0;
			break;
		}
	}
	/* [rx-proc]: in order, each on the line as rewritten so far */
	for (size_t i = 0; !out.dropped && i < r->n[LECO_RX_PROC]; i++) {
		struct rule *ru = &r->r[LECO_RX_PROC][i];
		bool want_group = ru->gflag && !out.grouped;
		struct buf *dst = &r->t[which];
		if (rule_run(r, ru, cur, curlen, dst, want_group ? &r->gtmp : NULL) != 1)
			continue;
		cur = dst->p;
		curlen = dst->len;
		which ^= 1;
		r->low_state = 0;
		if (want_group) {
			struct buf tmp = r->grp;
			r->grp = r->gtmp;
			r->gtmp = tmp;
			out.group = r->grp.p;
			grouplen = r->grp.len;
			out.grouped = true;
			out.dropped = r->grp.len == 0;
		}
	}
	out.text = cur;
	out.changed = curlen != len || memcmp(cur, r->in.p, len) != 0;
	if (use_cache)
		cache_put(r, h, line, len, &out, curlen, grouplen);
	*res = out;
	return 0;
}
