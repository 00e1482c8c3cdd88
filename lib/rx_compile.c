// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Compiling one rule: the key is one regexp, or a chain "FLAGS/re1/ && !/re2/"
 * of wrapped ones (doc/rules.md); each is compiled with PCRE2 (JIT when
 * available) and gets a literal prefilter; the value's g?[1-9]?g?` prefix
 * picks the replacing element, and the rest is the replacement template.
 * Every error says where in the key or the value it is.
 */
#include "rx.h"

/* && operators in one key. */
#define RX_CHAIN_MAX 256

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
static int compile_elem(struct rx_compile_ctx *cc, struct rx_elem *el, const char *key, size_t ro,
			size_t rn, bool caseful, struct leco_rx_error *err)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	PCRE2_SIZE eo;
	int ec;

	if (!caseful)
		opts |= PCRE2_CASELESS;
	if (rn == 0)
		return rx_error(err, -EINVAL, LECO_RX_AT_KEY, ro, "empty regexp");
	el->code = pcre2_compile((PCRE2_SPTR)(key + ro), rn, opts, &ec, &eo, cc->cctx);
	if (!el->code) {
		PCRE2_UCHAR msg[256];

		if (ec == PCRE2_ERROR_NOMEMORY)
			return rx_error(err, -ENOMEM, LECO_RX_AT_RULE, 0, "out of memory");
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return rx_error(err, -EINVAL, LECO_RX_AT_KEY, ro + eo, "%s", (char *)msg);
	}
	if (cc->jit_off || pcre2_jit_compile(el->code, PCRE2_JIT_COMPLETE) != 0)
		cc->all_jit = false; /* no JIT here (or JIT memory refused): interpreter */
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
static int compile_key(struct rx_compile_ctx *cc, struct rule *ru, const char *key, size_t n,
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
		if ((ret = compile_elem(cc, &ru->el[i], key, spans[i][0] + ro, rn, cs, err)))
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

int rx_compile_rule(struct rx_compile_ctx *cc, struct rule *ru, const char *key, size_t key_len,
		    const char *v, size_t vn, unsigned int flags, struct leco_rx_error *err)
{
	size_t vs, ve = vn, digit_off = 0;
	int pick = value_prefix(v, vn, &ru->gflag, &vs, &digit_off), ret;

	/* INI trims values: "\ " at the start and " \" at the end keep the spaces */
	if ((flags & LECO_RX_INI_SPACES) && ve - vs >= 2 && v[vs] == '\\' && v[vs + 1] == ' ')
		vs++;
	if ((flags & LECO_RX_INI_SPACES) && ve - vs >= 2 && v[ve - 1] == '\\' && v[ve - 2] == ' ')
		ve--;
	if ((ret = compile_key(cc, ru, key, key_len, err)) ||
	    (ret = pick_element(ru, pick, digit_off, err)))
		return ret;
	return rx_repl_parse(&ru->rp, v + vs, ve - vs,
			     ru->repl >= 0 ? (int)ru->el[ru->repl].ncap : -1, vs, err);
}

void rx_rule_free(struct rule *ru)
{
	for (size_t i = 0; i < ru->nel; i++) {
		pcre2_match_data_free(ru->el[i].md);
		pcre2_code_free(ru->el[i].code);
	}
	free(ru->el);
	rx_repl_free(&ru->rp);
}
