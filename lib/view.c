// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The lines view: connections newest activity first, each annotated
 * (lib/annotate.c), formatted (lib/format.c), run through the rules (whose
 * results the rule engine caches per distinct line) and grouped into slots by
 * group key; the first (newest) connection of a group owns its slot; at most
 * max-lines slots. What this file adds to an annotated connection are the
 * display fields: text, raw, group, age, alpha, is_new, changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "history.h"

#define LINE_MAX_BYTES 2048

static int cmp_newest(const void *a, const void *b)
{
	const struct leco_ct_ent *x = *(const struct leco_ct_ent *const *)a;
	const struct leco_ct_ent *y = *(const struct leco_ct_ent *const *)b;

	if (x->c.last_ns != y->c.last_ns)
		return x->c.last_ns < y->c.last_ns ? 1 : -1;
	if (x->c.first_ns != y->c.first_ns)
		return x->c.first_ns < y->c.first_ns ? 1 : -1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

/* Binary heap with the newest entry on top: the view usually needs only the first
 * few dozen of many thousand connections, so no full sort. */
static void sift_down(struct leco_ct_ent **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && cmp_newest(&h[l], &h[m]) < 0)
			m = l;
		if (r < n && cmp_newest(&h[r], &h[m]) < 0)
			m = r;
		if (m == i)
			return;
		struct leco_ct_ent *t = h[i];

		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static struct leco_ct_ent *heap_pop(struct leco_ct_ent **h, size_t *n)
{
	struct leco_ct_ent *top = h[0];

	h[0] = h[--*n];
	sift_down(h, *n, 0);
	return top;
}

/* Slot set: open addressing over group-key hashes (0 = empty). */
static bool slot_add(uint64_t *slots, size_t cap, uint64_t h)
{
	h |= 1;
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (slots[i] == h)
			return false;
		if (!slots[i]) {
			slots[i] = h;
			return true;
		}
	}
}

/*
 * The rules for one raw line (their results are cached by the rule engine, and sanitized).
 * Returns false when the line is dropped.
 */
static bool apply_rules(struct leco_reader *r, const char *raw, const char **text,
			const char **group)
{
	struct leco_rx_result res;

	*text = raw;
	*group = raw;
	if (r->raw || !r->cfg || leco_config_apply(r->cfg, raw, strlen(raw), &res) < 0)
		return true;
	if (res.dropped)
		return false;
	*text = res.text;
	if (res.grouped)
		*group = res.group;
	return true;
}

static const char *adup(struct leco_reader *r, const char *s)
{
	const char *p = leco_arena_strdup(&r->arena, s);

	return p ? p : "";
}

/* A rule's result as a line shows it: at most LINE_MAX_BYTES - 1 bytes, cut between characters. */
static const char *clip(const char *s, char *buf)
{
	if (strnlen(s, LINE_MAX_BYTES) < LINE_MAX_BYTES)
		return s;
	leco_sanitize_line(buf, LINE_MAX_BYTES, s, strlen(s));
	return buf;
}

/* Every used entry into the heap r->order; returns their count. */
static int order_entries(struct leco_reader *r, size_t *n)
{
	struct leco_conntab *t = &r->tab;

	*n = 0;
	if (leco_reserve((void **)&r->order, &r->cap_order, t->used, sizeof(*r->order)))
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nents; i++)
		if (t->ents[i].used)
			r->order[(*n)++] = &t->ents[i];
	for (size_t i = *n / 2; i-- > 0;)
		sift_down(r->order, *n, i);
	return 0;
}

/* A line from an annotated connection and what the rules made of its raw text. */
static void line_fill(struct leco_reader *r, struct leco_line *l, struct leco_ct_ent *e,
		      const struct leco_conn_info *ci, const char *raw, const char *text,
		      const char *group)
{
	const struct leco_conn *c = &e->c;
	uint64_t th;

	memset(l, 0, sizeof(*l));
	l->raw = adup(r, raw);
	l->text = text == raw ? l->raw : adup(r, text);
	l->group = group == raw ? l->raw : adup(r, group);
	l->age = r->now_mono > c->last_ns ? (double)(r->now_mono - c->last_ns) / LECO_NS : 0;
	l->alpha = leco_fade_alpha(&r->vconf, l->age);
	l->is_new = (r->now_mono > c->first_ns ? (double)(r->now_mono - c->first_ns) / LECO_NS
					       : 0) < r->vconf.new_s;
	/* text too: a config reload, or HH:MM turning into -1d, rewrites an idle line */
	th = leco_hash_str(l->text);
	l->changed = ci->first_poll || e->prev_rx != c->rx_bytes || e->prev_tx != c->tx_bytes ||
		     e->prev_state != c->state || e->prev_last_ns != c->last_ns ||
		     e->shown_hash != th;
	e->shown_hash = th;
	l->state = ci->state, l->dir = ci->dir, l->err = ci->err;
	l->proto = ci->proto, l->family = ci->family;
	snprintf(l->laddr, sizeof(l->laddr), "%s", ci->laddr);
	snprintf(l->raddr, sizeof(l->raddr), "%s", ci->raddr);
	l->lport = ci->lport, l->rport = ci->rport;
	l->rx = ci->rx, l->tx = ci->tx;
	l->rx_rate = ci->rx_rate, l->tx_rate = ci->tx_rate;
	l->pid = ci->pid, l->uid = ci->uid;
	l->comm = adup(r, ci->comm), l->cmd = adup(r, ci->cmd), l->exe = adup(r, ci->exe);
	l->user = adup(r, ci->user), l->cgroup = adup(r, ci->cgroup), l->unit = adup(r, ci->unit);
	l->first_seen = ci->first_seen, l->last_seen = ci->last_seen;
	l->cookie = ci->cookie;
	l->owner = ci->owner, l->restarted = ci->restarted, l->count = ci->count;
	l->start_time = ci->start_time;
	l->first_ever = leco_hmark_first_ever(r->hmark, &e->key, ci, r->now_mono);
	l->rname = adup(r, ci->rname), l->rname_src = ci->rname_src;
}

/* Entry `e` as the next line, unless the rules drop it or a newer connection owns its slot. */
static void view_add(struct leco_reader *r, struct leco_ct_ent *e, size_t slot_cap)
{
	char timef[32], raw[LINE_MAX_BYTES], tbuf[LINE_MAX_BYTES], gbuf[LINE_MAX_BYTES];
	const struct leco_conn *c = &e->c;
	const char *text, *group;
	struct leco_conn_info ci;
	double td = r->now_mono > c->first_ns ? (double)(r->now_mono - c->first_ns) / LECO_NS : 0;

	/* most connections a poll looks at are not shown (older ones in a full slot, dropped
	 * lines): only what is shown is kept (lib/annotate.h) */
	leco_annotate_peek(r, e, &ci);
	leco_fmt_time(timef, sizeof(timef), e->first_real_ns, td, r->fconf.reltime_after_s);
	leco_fmt_line(raw, sizeof(raw), &r->fconf, timef, &ci);
	if (!apply_rules(r, raw, &text, &group))
		return;
	text = clip(text, tbuf);
	group = clip(group, gbuf);
	if (!slot_add(r->slots, slot_cap, leco_hash_str(group)))
		return; /* a newer connection owns this slot */
	line_fill(r, &r->lines[r->nlines++], e, &ci, raw, text, group);
	leco_annotate_keep(r, e);
}

int leco_view_build(struct leco_reader *r)
{
	size_t n, max_lines = r->max_lines_opt ? r->max_lines_opt : r->vconf.max_lines;
	size_t slot_cap = 16;

	leco_arena_reset(&r->arena);
	r->nlines = 0;
	if (order_entries(r, &n))
		return -ENOMEM;
	if (max_lines > n)
		max_lines = n;
	while (slot_cap < max_lines * 2)
		slot_cap <<= 1;
	if (leco_reserve((void **)&r->slots, &r->cap_slots, slot_cap, sizeof(*r->slots)) ||
	    leco_reserve((void **)&r->lines, &r->cap_lines, max_lines, sizeof(*r->lines)))
		return -ENOMEM;
	memset(r->slots, 0, slot_cap * sizeof(*r->slots));
	for (size_t left = n; left && r->nlines < max_lines;)
		view_add(r, heap_pop(r->order, &left), slot_cap);
	return (int)r->nlines;
}
