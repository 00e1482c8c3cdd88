// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * INI tokenizer for leco.ini / the original leco widget.ini (see doc/config.md):
 *  - "[section]" headers, "key = value" lines (the key ends at the first '='),
 *    '#' or ';' as the first non-blank character makes a comment line;
 *  - inline comment: whitespace, '#', whitespace, to the end of the line;
 *  - indented non-empty lines right after a key line continue its value,
 *    joined with one space.
 * It knows nothing of what sections and keys mean: lib/config.c does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* End of [s, e) once an inline comment (ws '#' ws-or-end... see below) is cut off.
 * The '#' must have whitespace before it (inside [s, e)) and whitespace after it;
 * "a#b" and a final "x #" keep their '#'. */
static const char *strip_comment(const char *s, const char *e)
{
	for (const char *p = s + 1; p + 1 < e; p++)
		if (*p == '#' && is_ws(p[-1]) && is_ws(p[1]))
			return p - 1;
	return e;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && is_ws(**s))
		(*s)++;
	while (*e > *s && is_ws((*e)[-1]))
		(*e)--;
}

struct ini_state {
	struct ini_item it;
	char *key, *val;
	size_t key_cap, val_cap;
	char *sec;
	size_t sec_cap;
	size_t segs_cap; /* entries allocated at it.segs */
	bool pending;
};

static int grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	char *p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/* [s, e), trimmed, into *buf as a NUL-terminated string; its length in *len (may be NULL). */
static int set_trimmed(char **buf, size_t *cap, const char *s, const char *e, size_t *len)
{
	int err;

	trim(&s, &e);
	if ((err = grow(buf, cap, e - s + 1)))
		return err;
	memcpy(*buf, s, e - s);
	(*buf)[e - s] = '\0';
	if (len)
		*len = e - s;
	return 0;
}

/* Record where the value bytes from `off` on come from (one entry per line of the value) */
static int seg_push(struct ini_state *st, size_t off, unsigned int line, unsigned int col)
{
	if (st->it.nsegs == st->segs_cap) {
		size_t n = st->segs_cap ? st->segs_cap * 2 : 8;
		struct ini_seg *p = realloc(st->it.segs, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		st->it.segs = p;
		st->segs_cap = n;
	}
	st->it.segs[st->it.nsegs++] = (struct ini_seg){.off = off, .line = line, .col = col};
	return 0;
}

static int flush(struct ini_state *st, ini_cb cb, void *ctx)
{
	if (!st->pending)
		return 0;
	st->pending = false;
	st->it.value = st->val;
	return cb(ctx, &st->it);
}

/* A "[section]" header, [s, e) trimmed and without its comment. */
static int section_line(struct ini_state *st, const char *ls, const char *s, const char *e,
			unsigned int lineno, ini_cb cb, void *ctx)
{
	struct ini_item h = {
		.line = lineno, .section_line = lineno, .key_col = (unsigned)(s - ls) + 1};
	int err;

	if ((err = set_trimmed(&st->sec, &st->sec_cap, s + 1, e - 1, NULL)))
		return err;
	h.section = st->sec;
	st->it.section = st->sec;
	st->it.section_line = lineno;
	return cb(ctx, &h);
}

/* An indented line after a key line: appended to its value with one space. */
static int continuation_line(struct ini_state *st, const char *ls, const char *s, const char *e,
			     unsigned int lineno)
{
	size_t add, cur = st->it.value_len;
	int err;

	e = strip_comment(s, e);
	trim(&s, &e);
	if (!(add = e - s))
		return 0;
	if ((err = grow(&st->val, &st->val_cap, cur + add + 2)))
		return err;
	if (cur)
		st->val[cur++] = ' ';
	if ((err = seg_push(st, cur, lineno, (unsigned)(s - ls) + 1)))
		return err;
	memcpy(st->val + cur, s, add);
	st->it.value_len = cur + add;
	st->val[st->it.value_len] = '\0';
	return 0;
}

/* "key = value" (or a key alone) in [s, e); the item is passed on when its value is complete. */
static int key_line(struct ini_state *st, const char *ls, const char *s, const char *e,
		    const char *eq, unsigned int lineno)
{
	const char *ks = s, *ke = eq ? eq : e, *vs = eq ? eq + 1 : e,
		   *ve = eq ? strip_comment(vs, e) : e;
	int err;

	if ((err = set_trimmed(&st->key, &st->key_cap, ks, ke, &st->it.key_len)) ||
	    (err = set_trimmed(&st->val, &st->val_cap, vs, ve, &st->it.value_len)))
		return err;
	trim(&ks, &ke);
	trim(&vs, &ve);
	st->it.key = st->key;
	st->it.line = lineno;
	st->it.key_col = (unsigned)(ks - ls) + 1;
	st->it.has_eq = eq != NULL;
	st->it.nsegs = 0;
	if ((err = seg_push(st, 0, lineno, (unsigned)(vs - ls) + 1)))
		return err;
	st->pending = true;
	return 0;
}

/* One line [ls, le) without its newline. */
static int one_line(struct ini_state *st, const char *ls, const char *le, unsigned int lineno,
		    ini_cb cb, void *ctx)
{
	const char *s = ls, *e = le, *eq;
	int err;

	if (le > ls && le[-1] == '\r')
		e = --le;
	/* a UTF-8 byte order mark, as some editors save (columns still count its bytes) */
	if (lineno == 1 && e - s >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	trim(&s, &e);
	if (s == e || *s == '#' || *s == ';')
		return flush(st, cb, ctx); /* blank or comment line: ends a continuation */
	if (s > ls && st->pending)
		return continuation_line(st, ls, s, e, lineno);
	if ((err = flush(st, cb, ctx)))
		return err;
	eq = memchr(s, '=', e - s);
	if (!eq) {
		const char *ce = strip_comment(s, e), *cs = s;

		trim(&cs, &ce);
		if (ce - cs >= 2 && *cs == '[' && ce[-1] == ']')
			return section_line(st, ls, cs, ce, lineno, cb, ctx);
		s = cs;
		e = ce;
	}
	return key_line(st, ls, s, e, eq, lineno);
}

int ini_parse(const char *text, size_t len, ini_cb cb, void *ctx, unsigned int *bad_line)
{
	struct ini_state st = {0};
	const char *p = text, *end = text + len;
	unsigned int lineno = 0;
	int err = 0;

	if (grow(&st.val, &st.val_cap, 1) || grow(&st.key, &st.key_cap, 1))
		err = -ENOMEM;
	while (!err && p < end) {
		const char *nl = memchr(p, '\n', end - p), *ls = p, *le = nl ? nl : end;

		p = nl ? nl + 1 : end;
		lineno++;
		if (memchr(ls, '\0', le - ls)) {
			if (bad_line)
				*bad_line = lineno;
			err = -EINVAL;
			break;
		}
		err = one_line(&st, ls, le, lineno, cb, ctx);
	}
	if (!err)
		err = flush(&st, cb, ctx);
	free(st.it.segs);
	free(st.key);
	free(st.val);
	free(st.sec);
	return err;
}

void ini_value_pos(const struct ini_item *it, size_t off, unsigned int *line, unsigned int *col)
{
	size_t i = 0;

	for (size_t j = 1; j < it->nsegs; j++)
		if (it->segs[j].off <= off)
			i = j;
	if (!it->nsegs) {
		*line = it->line;
		*col = 0;
		return;
	}
	*line = it->segs[i].line;
	*col = it->segs[i].col + (unsigned int)(off - it->segs[i].off);
}
