// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Replacement templates: "$1", "${12}", "$0", "$$" and literal text, parsed
 * once when the rule is compiled (lib/rules.c expands them for each match).
 * Every reference is checked against the regexp then, so that nothing can go
 * wrong when a line is matched.
 */
#include "rx.h"

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

void rx_repl_free(struct rx_repl *rp)
{
	free(rp->pc);
	free(rp->lit);
	*rp = (struct rx_repl){0};
}
