// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The view: connections newest activity first, each formatted, run through the
 * rules (whose results are cached per distinct line), grouped into slots by group key; the first
 * (newest) connection of a group owns its slot; at most max-lines slots.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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

static const struct leco_exec *get_exec(void *ctx, uint32_t tgid)
{
	struct leco_reader *r = ctx;

	if (!r->attached || leco_maps_exec(&r->maps, tgid, &r->exec))
		return NULL;
	return &r->exec;
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

int leco_view_build(struct leco_reader *r)
{
	struct leco_conntab *t = &r->tab;
	size_t n = 0, max_lines = r->max_lines_opt ? r->max_lines_opt : r->vconf.max_lines;
	size_t slot_cap = 16;
	double dt = r->prev_poll_mono && r->now_mono > r->prev_poll_mono
			    ? (double)(r->now_mono - r->prev_poll_mono) / LECO_NS
			    : 0;

	leco_arena_reset(&r->arena);
	r->nlines = 0;
	if (t->used > r->cap_order) {
		struct leco_ct_ent **o = realloc(r->order, t->used * sizeof(*o));

		if (!o)
			return -ENOMEM;
		r->order = o;
		r->cap_order = t->used;
	}
	for (uint32_t i = 0; i < t->nents; i++)
		if (t->ents[i].used)
			r->order[n++] = &t->ents[i];
	for (size_t i = n / 2; i-- > 0;)
		sift_down(r->order, n, i);

	if (max_lines > n)
		max_lines = n;
	while (slot_cap < max_lines * 2)
		slot_cap <<= 1;
	if (slot_cap > r->cap_slots) {
		uint64_t *s = realloc(r->slots, slot_cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		r->slots = s;
		r->cap_slots = slot_cap;
	}
	memset(r->slots, 0, slot_cap * sizeof(*r->slots));
	if (max_lines > r->cap_lines) {
		struct leco_line *l = realloc(r->lines, max_lines * sizeof(*l));

		if (!l)
			return -ENOMEM;
		r->lines = l;
		r->cap_lines = max_lines;
	}

	for (size_t left = n; left && r->nlines < max_lines;) {
		struct leco_ct_ent *e = heap_pop(r->order, &left);
		const struct leco_conn *c = &e->c;
		struct leco_line *l = &r->lines[r->nlines];
		char comm[LECO_COMM_LEN * 3 + 4], timef[32], la[48], ra[48];
		char raw[LINE_MAX_BYTES], tbuf[LINE_MAX_BYTES], gbuf[LINE_MAX_BYTES];
		const char *user, *text, *group, *cgpath, *unit;
		struct leco_proc_info pi;
		double td = r->now_mono > c->first_ns
				    ? (double)(r->now_mono - c->first_ns) / LECO_NS
				    : 0;
		int fam = 4;

		leco_sanitize(comm, sizeof(comm), c->comm, strnlen(c->comm, LECO_COMM_LEN));
		leco_proc_lookup(r->proc, c->tgid, comm, c->first_ns, get_exec, r, r->now_mono,
				 &pi);
		user = leco_users_name(r->users, c->uid, r->now_mono);
		cgpath = adup(r, leco_cgroups_path(r->cgroups, c->cgroup_id, r->now_mono));
		unit = adup(r, leco_cgroups_label(r->cgroups, c->cgroup_id, r->now_mono));
		leco_fmt_time(timef, sizeof(timef), e->first_real_ns, td, r->fconf.reltime_after_s);
		leco_fmt_addr(la, sizeof(la), c->laddr, c->family, &fam);
		leco_fmt_addr(ra, sizeof(ra), c->raddr, c->family, &fam);

		struct leco_fmt_in in = {
			.time = timef,
			.user = user,
			.cmd = pi.cmd,
			.label = unit,
			.laddr = la,
			.raddr = ra,
			.lport = c->lport,
			.rport = c->rport,
			.proto = c->proto,
			.dir = c->dir,
			.state = c->state,
			.err = c->err,
			.rx = c->rx_bytes,
			.tx = c->tx_bytes,
		};
		leco_fmt_line(raw, sizeof(raw), &r->fconf, &in);

		if (!apply_rules(r, raw, &text, &group))
			continue;
		text = clip(text, tbuf);
		group = clip(group, gbuf);
		if (!slot_add(r->slots, slot_cap, leco_hash_str(group)))
			continue; /* a newer connection owns this slot */

		memset(l, 0, sizeof(*l));
		l->raw = adup(r, raw);
		l->text = text == raw ? l->raw : adup(r, text);
		l->group = group == raw ? l->raw : adup(r, group);
		l->age =
			r->now_mono > c->last_ns ? (double)(r->now_mono - c->last_ns) / LECO_NS : 0;
		l->alpha = leco_fade_alpha(&r->vconf, l->age);
		l->is_new = td < r->vconf.new_s;
		uint64_t th = leco_hash_str(l->text);

		/* text too: a config reload, or HH:MM turning into -1d, rewrites an idle line */
		l->changed = e->first_gen == t->gen || e->prev_rx != c->rx_bytes ||
			     e->prev_tx != c->tx_bytes || e->prev_state != c->state ||
			     e->prev_last_ns != c->last_ns || e->shown_hash != th;
		e->shown_hash = th;
		l->state = c->state;
		l->dir = c->dir;
		l->err = c->state == LECO_ST_FAILED || c->state == LECO_ST_BLOCKED ? c->err : 0;
		l->proto = c->proto;
		l->family = fam;
		snprintf(l->laddr, sizeof(l->laddr), "%s", la);
		snprintf(l->raddr, sizeof(l->raddr), "%s", ra);
		l->lport = c->lport;
		l->rport = c->rport;
		l->rx = c->rx_bytes;
		l->tx = c->tx_bytes;
		if (dt > 0) {
			/* first seen now but older than the previous poll (that poll's table
			 * was full, or the record came back): its bytes span its whole life */
			double span = e->first_gen == t->gen && c->first_ns < r->prev_poll_mono &&
						      r->now_mono > c->first_ns
					      ? (double)(r->now_mono - c->first_ns) / LECO_NS
					      : dt;

			l->rx_rate = (double)(c->rx_bytes -
					      (c->rx_bytes >= e->prev_rx ? e->prev_rx : 0)) /
				     span;
			l->tx_rate = (double)(c->tx_bytes -
					      (c->tx_bytes >= e->prev_tx ? e->prev_tx : 0)) /
				     span;
		}
		l->pid = c->tgid;
		l->uid = c->uid;
		l->comm = adup(r, comm);
		l->cmd = adup(r, pi.cmd);
		l->exe = adup(r, pi.exe);
		l->user = adup(r, user);
		l->cgroup = cgpath;
		l->unit = unit;
		l->first_seen = e->first_real_ns / (int64_t)LECO_NS;
		l->last_seen =
			leco_mono_to_real(c->last_ns, r->now_mono, r->now_real) / (int64_t)LECO_NS;
		l->cookie = c->cookie ? c->cookie : e->key.cookie;
		r->nlines++;
	}
	return (int)r->nlines;
}
