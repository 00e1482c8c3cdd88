// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Replacement templates: "$1", "${12}", "$0", "$$" and literal text, parsed
 * once when the rule is compiled. Every reference is checked against the
 * regexp then, so that nothing can go wrong when a line is matched.
 */
#include "rx.h"

enum { PIECE_LIT, PIECE_GROUP };

struct rx_piece {
	uint32_t kind, grp;
	size_t off, len; /* PIECE_LIT: bytes in rp->lit */
};

static int add_piece(struct rx_repl *rp, struct rx_piece p)
{
	struct rx_piece *last = rp->npc ? &rp->pc[rp->npc - 1] : NULL;

	if (p.kind == PIECE_LIT && last && last->kind == PIECE_LIT &&
	    last->off + last->len == p.off) {
		last->len += p.len;
		return 0;
	}
	if (rp->npc == rp->cap) {
		size_t n = rp->cap ? rp->cap * 2 : 4;
		struct rx_piece *np = realloc(rp->pc, n * sizeof(*np));

		if (!np)
			return -ENOMEM;
		rp->pc = np;
		rp->cap = n;
	}
	rp->pc[rp->npc++] = p;
	return 0;
}

static int add_lit(struct rx_repl *rp, char c)
{
	rp->lit[rp->litlen] = c;
	return add_piece(rp, (struct rx_piece){.kind = PIECE_LIT, .off = rp->litlen++, .len = 1});
}

/* A reference after a '$' at v[*i]: its group number, or -1 when there is none. */
static long parse_ref(const char *v, size_t n, size_t *i)
{
	bool brace = *i < n && v[*i] == '{';
	uint64_t g = 0;
	size_t d0;

	if (brace)
		(*i)++;
	d0 = *i;
	while (*i < n && v[*i] >= '0' && v[*i] <= '9' && g < 100000)
		g = g * 10 + (unsigned)(v[(*i)++] - '0');
	if (*i == d0 || (brace && (*i >= n || v[*i] != '}')))
		return -1;
	if (brace)
		(*i)++;
	return (long)g;
}

int rx_repl_parse(struct rx_repl *rp, const char *v, size_t n, int ncap, size_t base,
		  struct leco_rx_error *err)
{
	size_t i = 0;

	rp->lit = malloc(n + 1);
	if (!rp->lit)
		return rx_error(err, -ENOMEM, LECO_RX_AT_RULE, 0, "out of memory");
	while (i < n) {
		size_t at = i;
		long g;

		if (v[i] != '$' || (i + 1 < n && v[i + 1] == '$')) {
			i += v[i] == '$' ? 2 : 1;
			if (add_lit(rp, v[at]))
				return rx_error(err, -ENOMEM, LECO_RX_AT_RULE, 0, "out of memory");
			continue;
		}
		i++;
		if ((g = parse_ref(v, n, &i)) < 0)
			return rx_error(err, -EINVAL, LECO_RX_AT_VALUE, base + at,
					"stray '$' in the replacement: use $1..$N, ${N}, $0, or $$ "
					"for a dollar sign");
		if (ncap < 0)
			return rx_error(err, -EINVAL, LECO_RX_AT_VALUE, base + at,
					"reference to group %ld, but every element of the chain is "
					"negated: there is no match to refer to",
					g);
		if (g > ncap)
			return rx_error(err, -EINVAL, LECO_RX_AT_VALUE, base + at,
					"reference to group %ld, but the regexp has %d capture "
					"group%s",
					g, ncap, ncap == 1 ? "" : "s");
		if (add_piece(rp, (struct rx_piece){.kind = PIECE_GROUP, .grp = (uint32_t)g}))
			return rx_error(err, -ENOMEM, LECO_RX_AT_RULE, 0, "out of memory");
	}
	return 0;
}

int rx_repl_expand(const struct rx_repl *rp, const char *s, const PCRE2_SIZE *ov, uint32_t ovn,
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

void rx_repl_free(struct rx_repl *rp)
{
	free(rp->pc);
	free(rp->lit);
	*rp = (struct rx_repl){0};
}
