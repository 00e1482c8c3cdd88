// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Literal prefilter: a string (or one of a few strings) that any match of a
 * regexp must contain, found by a conservative walk over the pattern; when the
 * line does not contain it, pcre2_match() is not called at all (the test is in
 * lib/rules.c, with the matching). Anything the walk does not fully understand
 * gives no prefilter. Caseless literals are looked up in an ASCII-lowercased
 * copy of the line, and only when the line is all ASCII (Unicode case folding
 * makes e.g. 'k' match U+212A).
 */
#include "rx.h"

#define PF_MIN_WEIGHT 6 /* see lit_weight(): e.g. "::1" */
#define PF_DEPTH_MAX  16

/* A requirement: one of s[0..n) (n == 0: none). */
struct lits {
	uint8_t n;
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

/* Literal bytes seen in a row: a candidate requirement of one string. */
struct pf_run {
	char s[PF_LEN];
	size_t n;
};

enum pf_atom_kind {
	ATOM_END,    /* '|' or ')': the sequence ends here */
	ATOM_LIT,    /* literal bytes b[0..n) */
	ATOM_ANY,    /* matches something, nothing known about it */
	ATOM_ANCHOR, /* zero-width: ^ $ */
	ATOM_GROUP,  /* (...) or (?:...) with its own requirement */
};

struct pf_atom {
	enum pf_atom_kind kind;
	char b[4];
	size_t n;
	struct lits group;
};

static void pf_alt(struct pf_walk *w, struct lits *out);

static void run_flush(struct lits *best, struct pf_run *run)
{
	if (run->n) {
		struct lits cand = {.n = 1};

		cand.len[0] = (uint8_t)run->n;
		memcpy(cand.s[0], run->s, run->n);
		lits_keep_best(best, &cand);
	}
	run->n = 0;
}

/* Skip a [...] class starting at w->i ('['). */
static void pf_class(struct pf_walk *w)
{
	size_t j = w->i + 1;

	if (j < w->n && w->p[j] == '^')
		j++;
	if (j < w->n && w->p[j] == ']')
		j++;
	while (j < w->n && w->p[j] != ']') {
		if (w->p[j] == '\\') {
			j += 2;
		} else if (w->p[j] == '[' && j + 1 < w->n && w->p[j + 1] == ':') {
			const char *e = memmem(w->p + j + 2, w->n - j - 2, ":]", 2);

			if (!e) {
				w->bail = true;
				return;
			}
			j = (size_t)(e - w->p) + 2;
		} else {
			j++;
		}
	}
	if (j >= w->n)
		w->bail = true;
	w->i = j + 1;
}

/* {N}, {N,}, {N,M} at w->i: its minimum clamped to 0/1, -1 if it is not one. */
static int pf_braces(struct pf_walk *w)
{
	const char *p = w->p;
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
	return v ? 1 : 0;
}

/* Quantifier at w->i: returns its minimum (1 if there is none), -1 to bail. */
static int pf_quant(struct pf_walk *w)
{
	int min;

	if (w->i >= w->n)
		return 1;
	switch (w->p[w->i]) {
	case '?':
	case '*':
		min = 0, w->i++;
		break;
	case '+':
		min = 1, w->i++;
		break;
	case '{':
		if ((min = pf_braces(w)) < 0)
			return -1;
		break;
	default:
		return 1;
	}
	if (w->i < w->n && (w->p[w->i] == '?' || w->p[w->i] == '+'))
		w->i++; /* lazy / possessive */
	return min;
}

/* A backslash escape: escaped punctuation is a literal, known letter escapes match something. */
static void pf_escape(struct pf_walk *w, struct pf_atom *a)
{
	unsigned char d;

	if (w->i + 1 >= w->n || (d = (unsigned char)w->p[w->i + 1]) >= 0x80) {
		w->bail = true;
		return;
	}
	if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9')) {
		if (!strchr("dDsSwWbBAZzGhHvVRXntrfea123456789", d)) {
			w->bail = true;
			return;
		}
	} else {
		a->kind = ATOM_LIT;
		a->b[a->n++] = (char)d;
	}
	w->i += 2;
	/* \12 may be a back reference or an octal escape: its digits are one atom */
	if (d >= '1' && d <= '9')
		while (w->i < w->n && w->p[w->i] >= '0' && w->p[w->i] <= '9')
			w->i++;
}

/* A group: only plain and (?:...) ones, whose requirement is that of their alternatives. */
static void pf_group(struct pf_walk *w, struct pf_atom *a)
{
	if (w->i + 1 < w->n && (w->p[w->i + 1] == '?' || w->p[w->i + 1] == '*')) {
		if (w->i + 2 >= w->n || w->p[w->i + 1] != '?' || w->p[w->i + 2] != ':') {
			w->bail = true;
			return;
		}
		w->i += 3;
	} else {
		w->i++;
	}
	if (++w->depth > PF_DEPTH_MAX) {
		w->bail = true;
		return;
	}
	pf_alt(w, &a->group);
	w->depth--;
	if (w->bail || w->i >= w->n || w->p[w->i] != ')') {
		w->bail = true;
		return;
	}
	w->i++;
	a->kind = ATOM_GROUP;
}

/* The atom at w->i, consumed; sets w->bail for anything the walk does not understand. */
static void pf_atom(struct pf_walk *w, struct pf_atom *a)
{
	unsigned char c = (unsigned char)w->p[w->i];

	a->kind = ATOM_ANY;
	a->n = 0;
	if (c == '|' || c == ')') {
		a->kind = ATOM_END;
	} else if (c == '\\') {
		pf_escape(w, a);
	} else if (c == '.') {
		w->i++;
	} else if (c == '[') {
		pf_class(w);
	} else if (c == '^' || c == '$') {
		w->i++;
		a->kind = ATOM_ANCHOR;
	} else if (c == '(') {
		pf_group(w, a);
	} else if (c == '*' || c == '+' || c == '?' || c == '{') {
		w->bail = true;
	} else if (c >= 0x80) {
		/* a UTF-8 character: literal bytes when case-sensitive */
		size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (w->i + k > w->n) {
			w->bail = true;
			return;
		}
		if (!w->caseless) {
			a->kind = ATOM_LIT;
			memcpy(a->b, w->p + w->i, k);
			a->n = k;
		}
		w->i += k;
	} else {
		a->kind = ATOM_LIT;
		a->b[a->n++] = (char)c;
		w->i++;
	}
}

/* Append a literal atom to the run (flushing a run that would get too long). */
static void run_add(struct pf_walk *w, struct lits *best, struct pf_run *run,
		    const struct pf_atom *a, size_t *before)
{
	if (run->n + a->n > PF_LEN) {
		run_flush(best, run);
		*before = 0;
	}
	for (size_t k = 0; k < a->n; k++)
		run->s[run->n++] = w->caseless && a->b[k] >= 'A' && a->b[k] <= 'Z'
					   ? (char)(a->b[k] + 32)
					   : a->b[k];
}

/* A sequence up to '|', ')' or the end: its best requirement. */
static void pf_seq(struct pf_walk *w, struct lits *best)
{
	struct pf_run run = {.n = 0};
	struct pf_atom a;

	memset(best, 0, sizeof(*best));
	while (w->i < w->n && !w->bail) {
		size_t before = run.n;
		int q;

		pf_atom(w, &a);
		if (w->bail || a.kind == ATOM_END)
			break;
		if (a.kind == ATOM_ANCHOR || a.kind == ATOM_GROUP)
			run_flush(best, &run);
		if (a.kind == ATOM_ANCHOR)
			continue;
		if (a.kind == ATOM_LIT) {
			run_add(w, best, &run, &a, &before);
		} else if (a.kind == ATOM_ANY) {
			run_flush(best, &run);
			before = 0;
		}
		if ((q = pf_quant(w)) < 0) {
			w->bail = true;
			break;
		}
		if (a.kind == ATOM_GROUP) {
			if (q > 0)
				lits_keep_best(best, &a.group);
		} else if (q == 0) {
			run.n = before; /* the atom may be absent */
			run_flush(best, &run);
		} else if (a.kind == ATOM_LIT && strchr("?*+}", w->p[w->i - 1])) {
			run_flush(best,
				  &run); /* repeated: what follows need not be adjacent to it */
		}
	}
	run_flush(best, &run);
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

void rx_prefilter_setup(struct rx_prefilter *pf, const char *p, size_t n, bool caseless)
{
	struct pf_walk w = {.p = p, .n = n, .caseless = caseless};
	struct lits l;

	pf->n = 0;
	pf_alt(&w, &l);
	if (w.bail || w.i != n || !l.n || lits_score(&l) < PF_MIN_WEIGHT * 16)
		return;
	pf->n = l.n;
	pf->caseless = caseless;
	for (int i = 0; i < l.n; i++) {
		pf->len[i] = l.len[i];
		memcpy(pf->s[i], l.s[i], l.len[i]);
		pf->anchor[i] = 0;
		for (int k = 0, best = -1; k < l.len[i]; k++) {
			int wt = (int)lit_weight(l.s[i] + k, 1);

			if (wt > best)
				best = wt, pf->anchor[i] = (uint8_t)k;
		}
	}
}
