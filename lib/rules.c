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
/* && operators in one key. */
#define RX_CHAIN_MAX 256

struct rx_elem {
	pcre2_code *code;
	pcre2_match_data *md;
	uint32_t ncap;
	bool neg;
	struct rx_prefilter pf;
};

struct rule {
	struct rx_elem *el;
	size_t nel;
	int repl; /* replacing element; -1: none (all negated: the value is the result) */
	bool gflag;
	struct rx_repl rp;
};

struct leco_rules {
	struct rule *r[2];
	size_t n[2], cap[2];
	pcre2_compile_context *cctx;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	bool all_jit;
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
	r->cache.on = true;
	return r;
}

static void rule_free(struct rule *ru)
{
	for (size_t i = 0; i < ru->nel; i++) {
		pcre2_match_data_free(ru->el[i].md);
		pcre2_code_free(ru->el[i].code);
	}
	free(ru->el);
	rx_repl_free(&ru->rp);
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
	return r && r->all_jit && (r->n[0] || r->n[1]);
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
		r->jit_off = !on;
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

/* Compile the regexp at key[ro..ro+rn) into `el`. */
static int compile_elem(struct leco_rules *r, struct rx_elem *el, const char *key, size_t ro,
			size_t rn, bool caseful, struct leco_rx_error *err)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	PCRE2_SIZE eo;
	int ec;

	if (!caseful)
		opts |= PCRE2_CASELESS;
	if (rn == 0)
		return rx_error(err, -EINVAL, LECO_RX_AT_KEY, ro, "empty regexp");
	el->code = pcre2_compile((PCRE2_SPTR)(key + ro), rn, opts, &ec, &eo, r->cctx);
	if (!el->code) {
		PCRE2_UCHAR msg[256];

		if (ec == PCRE2_ERROR_NOMEMORY)
			return rx_error(err, -ENOMEM, LECO_RX_AT_RULE, 0, "out of memory");
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return rx_error(err, -EINVAL, LECO_RX_AT_KEY, ro + eo, "%s", (char *)msg);
	}
	if (r->jit_off || pcre2_jit_compile(el->code, PCRE2_JIT_COMPLETE) != 0)
		r->all_jit = false; /* no JIT here (or JIT memory refused): interpreter */
	el->md = pcre2_match_data_create_from_pattern(el->code, NULL);
	if (!el->md)
		return rx_error(err, -ENOMEM, LECO_RX_AT_RULE, 0, "out of memory");
	pcre2_pattern_info(el->code, PCRE2_INFO_CAPTURECOUNT, &el->ncap);
	rx_prefilter_setup(&el->pf, key + ro, rn, !caseful);
	return 0;
}

/* Positions of the && operators (whitespace && whitespace): [0] where an element ends, [1]
 * where the next one starts. */
static size_t find_ops(const char *key, size_t n, size_t ops[][2])
{
	size_t nops = 0;

	for (size_t i = 1; i + 3 < n && nops < RX_CHAIN_MAX; i++) {
		if (key[i] == '&' && key[i + 1] == '&' && is_space(key[i - 1]) &&
		    is_space(key[i + 2])) {
			size_t a = i, b = i + 2;

			while (a > 0 && is_space(key[a - 1]))
				a--;
			while (b < n && is_space(key[b]))
				b++;
			ops[nops][0] = a;
			ops[nops][1] = b;
			nops++;
			i = b - 1;
		}
	}
	return nops;
}

/*
 * The elements of the chain as [start, end) spans: pieces between operators are merged until
 * each is wrapped in FLAGS/.../. A key whose first element is not wrapped is one plain regexp.
 */
static int split_chain(const char *key, size_t n, size_t spans[][2], size_t *nspans,
		       struct leco_rx_error *err)
{
	size_t ops[RX_CHAIN_MAX][2], nops = find_ops(key, n, ops), nsp = 0, start = 0, ro, rn;
	bool neg, cs;

	for (size_t k = 0; nops && k <= nops; k++) {
		size_t end = k < nops ? ops[k][0] : n;

		if (wrapped(key + start, end - start, &ro, &rn, &neg, &cs)) {
			spans[nsp][0] = start;
			spans[nsp][1] = end;
			nsp++;
			if (k < nops)
				start = ops[k][1];
		} else if (k == nops) {
			if (nsp == 0)
				break;
			return rx_error(err, -EINVAL, LECO_RX_AT_KEY, start,
					"element %zu of the && chain is not wrapped in FLAGS/.../",
					nsp + 1);
		}
	}
	if (nsp == 0) {
		spans[0][0] = 0;
		spans[0][1] = n;
		nsp = 1;
	}
	*nspans = nsp;
	return 0;
}

/* Split the key into &&-chain elements and compile them. */
static int compile_key(struct leco_rules *r, struct rule *ru, const char *key, size_t n,
		       struct leco_rx_error *err)
{
	size_t spans[RX_CHAIN_MAX + 1][2], nsp = 0, ro, rn;
	bool neg, cs;
	int ret;

	if (n == 0)
		return rx_error(err, -EINVAL, LECO_RX_AT_KEY, 0, "empty regexp");
	if ((ret = split_chain(key, n, spans, &nsp, err)))
		return ret;
	ru->el = calloc(nsp, sizeof(*ru->el));
	if (!ru->el)
		return rx_error(err, -ENOMEM, LECO_RX_AT_RULE, 0, "out of memory");
	ru->nel = nsp;
	for (size_t i = 0; i < nsp; i++) {
		const char *s = key + spans[i][0];
		size_t len = spans[i][1] - spans[i][0];

		if (wrapped(s, len, &ro, &rn, &neg, &cs))
			ru->el[i].neg = neg;
		else
			ro = 0, rn = len, cs = false;
		if ((ret = compile_elem(r, &ru->el[i], key, spans[i][0] + ro, rn, cs, err)))
			return ret;
	}
	return 0;
}

/* The value's prefix g?[1-9]?g?` : sets the g flag, returns the element picked (0: default) and
 * where the replacement starts. */
static int value_prefix(const char *v, size_t vn, bool *g, size_t *start, size_t *digit_off)
{
	size_t i = 0;
	int pick = 0;

	*g = false;
	*start = 0;
	if (i < vn && v[i] == 'g')
		*g = true, i++;
	if (i < vn && v[i] >= '1' && v[i] <= '9')
		*digit_off = i, pick = v[i++] - '0';
	if (i < vn && v[i] == 'g')
		*g = true, i++;
	if (i < vn && v[i] == '`') {
		*start = i + 1;
		return pick;
	}
	*g = false;
	return 0;
}

/* Which element replaces: the one the prefix picks, else the last that is not negated. */
static int pick_element(struct rule *ru, int pick, size_t digit_off, struct leco_rx_error *err)
{
	if (pick) {
		if ((size_t)pick > ru->nel)
			return rx_error(err, -EINVAL, LECO_RX_AT_VALUE, digit_off,
					"replacement picks element %d, but the rule has %zu", pick,
					ru->nel);
		if (ru->el[pick - 1].neg)
			return rx_error(err, -EINVAL, LECO_RX_AT_KEY, 0,
					"replacement picks element %d, which is negated (!/.../) "
					"and has no match to replace",
					pick);
		ru->repl = pick - 1;
		return 0;
	}
	for (size_t k = ru->nel; k-- > 0;)
		if (!ru->el[k].neg) {
			ru->repl = (int)k;
			break;
		}
	return 0;
}

/* Compile one rule into `ru` (freed by the caller on failure). */
static int compile_rule(struct leco_rules *r, struct rule *ru, const char *key, size_t key_len,
			const char *v, size_t vn, unsigned int flags, struct leco_rx_error *err)
{
	size_t vs, ve = vn, digit_off = 0;
	int pick = value_prefix(v, vn, &ru->gflag, &vs, &digit_off), ret;

	/* INI trims values: "\ " at the start and " \" at the end keep the spaces */
	if ((flags & LECO_RX_INI_SPACES) && ve - vs >= 2 && v[vs] == '\\' && v[vs + 1] == ' ')
		vs++;
	if ((flags & LECO_RX_INI_SPACES) && ve - vs >= 2 && v[ve - 1] == '\\' && v[ve - 2] == ' ')
		ve--;
	if ((ret = compile_key(r, ru, key, key_len, err)) ||
	    (ret = pick_element(ru, pick, digit_off, err)))
		return ret;
	return rx_repl_parse(&ru->rp, v + vs, ve - vs,
			     ru->repl >= 0 ? (int)ru->el[ru->repl].ncap : -1, vs, err);
}

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
	if ((ret = compile_rule(r, &ru, key, key_len, value, value_len, flags, err))) {
		rule_free(&ru);
		return ret;
	}
	r->r[sec][r->n[sec]++] = ru;
	rx_cache_clear(&r->cache);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* matching */

/* 1 matched (this element succeeds), 0 not, -1 limit hit or error (the rule fails). */
static int elem_match(struct leco_rules *r, struct rx_elem *el, struct rx_subject *sub)
{
	if (el->pf.n && !r->pf_off && !rx_prefilter_pass(&el->pf, sub))
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
		if (buf_add(out, s + pos, ms - pos) ||
		    rx_repl_expand(&ru->rp, s, ov, ovn, out, grp))
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
		if (rx_repl_expand(&ru->rp, sub->s, NULL, 0, out, grp))
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

/* Whether s[0..n) holds anything leco_sanitize_line() would change: a control character, or a
 * non-ASCII byte (checked by decoding). */
static bool needs_sanitizing(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			return true;
	}
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
