// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The annotate step: a connection of the table -> struct leco_conn_info.
 *
 * Looking up the process, user and cgroup behind a connection goes through
 * caches keyed by strings (lib/proc.c, lib/users.c, lib/cgroup.c) and then
 * copies the answers; doing that for every connection on every poll would cost
 * more than the whole poll does today. So the strings are kept per table entry,
 * in one allocation, with the record fields they were made from; an entry whose
 * record still has the same owner, cgroup and addresses reuses them. They are
 * made again now and then (ANNOT_REFRESH_NS) through the same caches, so that
 * the caches' expiry (and a label's claim on its name, lib/cgroup.c) works as
 * when every poll looked them up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"

/* Kept annotations older than this are made again through the caches. */
#define ANNOT_REFRESH_NS (60ULL * LECO_NS)

enum { S_COMM, S_CMD, S_EXE, S_USER, S_CGROUP, S_UNIT, S_LADDR, S_RADDR, S_COUNT };

/* An annotation, kept for one table entry (or being made, in the reader's scratch slot). */
struct leco_annot_slot {
	/* the entry and record fields the strings were made from */
	uint32_t first_gen; /* the entry's: a table entry reused for another connection differs */
	uint32_t tgid, uid;
	uint64_t first_ns, cgroup_id, start_ns;
	uint8_t family;
	uint8_t laddr[16], raddr[16];
	char comm[LECO_COMM_LEN];
	char script[LECO_SCRIPT_LEN];
	uint32_t epoch;	       /* the reader's annot_epoch when made */
	uint64_t made_ns;      /* monotonic time when made */
	int64_t start_time;    /* start_ns as unix seconds, converted once (stays put) */
	uint8_t family_shown;  /* 4 or 6, as the addresses are shown */
	uint16_t off[S_COUNT]; /* where each string starts in text[] */
	size_t size;	       /* bytes allocated for the slot */
	char text[];	       /* the strings, one after the other (each under 4 KiB) */
};

static bool slot_current(const struct leco_reader *r, const struct leco_annot_slot *s,
			 const struct leco_ct_ent *e)
{
	const struct leco_conn *c = &e->c;

	return s->epoch == r->annot_epoch && r->now_mono - s->made_ns < ANNOT_REFRESH_NS &&
	       s->first_gen == e->first_gen && s->first_ns == c->first_ns && s->tgid == c->tgid &&
	       s->start_ns == c->start_ns && s->uid == c->uid && s->cgroup_id == c->cgroup_id &&
	       s->family == c->family && !memcmp(s->comm, c->comm, sizeof(s->comm)) &&
	       !memcmp(s->script, c->script, sizeof(s->script)) &&
	       !memcmp(s->laddr, c->laddr, sizeof(s->laddr)) &&
	       !memcmp(s->raddr, c->raddr, sizeof(s->raddr));
}

/* Copy the strings v[] into the scratch slot (grown as needed); NULL when memory ran out. */
static struct leco_annot_slot *scratch_fill(struct leco_reader *r, const char *const v[S_COUNT])
{
	struct leco_annot_slot *s = r->annot_scratch;
	size_t len[S_COUNT], total = 0;

	for (int i = 0; i < S_COUNT; i++)
		total += (len[i] = strlen(v[i])) + 1;
	if (!s || s->size < sizeof(*s) + total) {
		free(s);
		r->annot_scratch_for = NULL;
		if (!(s = r->annot_scratch = malloc(sizeof(*s) + total)))
			return NULL;
		s->size = sizeof(*s) + total;
	}
	total = 0;
	for (int i = 0; i < S_COUNT; i++) {
		memcpy(s->text + total, v[i], len[i] + 1);
		s->off[i] = (uint16_t)total;
		total += len[i] + 1;
	}
	return s;
}

/* Look everything up for `e` into the scratch slot; NULL when memory ran out. */
/* The owner's process start as unix seconds; 0 if not known */
static int64_t start_time(const struct leco_reader *r, const struct leco_conn *c)
{
	return c->start_ns
		       ? leco_mono_to_real(c->start_ns, r->now_mono, r->now_real) / (int64_t)LECO_NS
		       : 0;
}

static struct leco_annot_slot *slot_make(struct leco_reader *r, const struct leco_ct_ent *e)
{
	const struct leco_conn *c = &e->c;
	char comm[LECO_COMM_LEN * 3 + 4], cgpath[1024], la[48], ra[48];
	const char *v[S_COUNT];
	struct leco_proc_info pi;
	struct leco_annot_slot *s;
	int fam = 4;

	leco_sanitize(comm, sizeof(comm), c->comm, strnlen(c->comm, LECO_COMM_LEN));
	leco_proc_lookup(r->proc, c->tgid, comm, c->flags & LECO_F_SCRIPT ? c->script : NULL,
			 r->now_mono, &pi);
	/* the path lookup's buffer is reused by the label lookup: copy it first */
	snprintf(cgpath, sizeof(cgpath), "%s",
		 leco_cgroups_path(r->cgroups, c->cgroup_id, r->now_mono));
	v[S_UNIT] = leco_cgroups_label(r->cgroups, c->cgroup_id, r->now_mono);
	v[S_USER] = leco_users_name(r->users, c->uid, r->now_mono);
	leco_fmt_addr(la, sizeof(la), c->laddr, c->family, &fam);
	leco_fmt_addr(ra, sizeof(ra), c->raddr, c->family, &fam);
	v[S_COMM] = comm, v[S_CMD] = pi.cmd, v[S_EXE] = pi.exe, v[S_CGROUP] = cgpath;
	v[S_LADDR] = la, v[S_RADDR] = ra;
	if (!(s = scratch_fill(r, v)))
		return NULL;
	s->first_gen = e->first_gen;
	s->first_ns = c->first_ns, s->cgroup_id = c->cgroup_id;
	s->tgid = c->tgid, s->uid = c->uid, s->family = c->family;
	s->start_ns = c->start_ns;
	s->start_time = start_time(r, c);
	memcpy(s->laddr, c->laddr, sizeof(s->laddr));
	memcpy(s->raddr, c->raddr, sizeof(s->raddr));
	memcpy(s->comm, c->comm, sizeof(s->comm));
	memcpy(s->script, c->script, sizeof(s->script));
	s->epoch = r->annot_epoch;
	s->made_ns = r->now_mono;
	s->family_shown = (uint8_t)fam;
	r->annot_scratch_for = e;
	return s;
}

static uint32_t index_of(const struct leco_reader *r, const struct leco_ct_ent *e)
{
	return (uint32_t)(e - r->tab.ents);
}

/* The kept slot for `e` if it is still current, else the one just made in the scratch slot. */
static struct leco_annot_slot *slot_for(struct leco_reader *r, struct leco_ct_ent *e)
{
	uint32_t i = index_of(r, e);

	if (i < r->annot_cap && r->annot[i] && slot_current(r, r->annot[i], e))
		return r->annot[i];
	if (r->annot_scratch && r->annot_scratch_for == e && slot_current(r, r->annot_scratch, e))
		return r->annot_scratch;
	return slot_make(r, e);
}

void leco_annotate_keep(struct leco_reader *r, struct leco_ct_ent *e)
{
	uint32_t i = index_of(r, e);

	if (r->annot_scratch_for != e || !r->annot_scratch)
		return; /* kept already (or memory ran out) */
	if (i >= r->annot_cap) {
		uint32_t cap = r->tab.cap_ents > i ? r->tab.cap_ents : i + 1;
		struct leco_annot_slot **p = realloc(r->annot, cap * sizeof(*p));

		if (!p)
			return;
		memset(p + r->annot_cap, 0, (cap - r->annot_cap) * sizeof(*p));
		r->annot = p;
		r->annot_cap = cap;
	}
	/* the scratch slot becomes the entry's: strings handed out from it stay where they are */
	free(r->annot[i]);
	r->annot[i] = r->annot_scratch;
	r->annot_scratch = NULL;
	r->annot_scratch_for = NULL;
}

/* String `i` of a slot; "" without one (memory ran out). */
static const char *text(const struct leco_annot_slot *s, int i)
{
	return s ? s->text + s->off[i] : "";
}

/* Bytes since the previous poll: a count below the last one restarted (the record was evicted
 * and made again), so all of it is new. */
static uint64_t delta(uint64_t now, uint64_t prev)
{
	return now >= prev ? now - prev : now;
}

/* The name of the remote address (lib/names.c): its own process's, else a borrowed one */
static void rname(const struct leco_reader *r, const struct leco_conn *c, struct leco_conn_info *ci)
{
	bool borrowed = false;
	const char *n = leco_names_lookup(r->names, c->raddr, c->family, c->tgid, c->start_ns,
					  c->first_ns, &borrowed);

	ci->rname = n ? n : "";
	ci->rname_src = !n ? "" : borrowed ? "other" : "self";
}

void leco_annotate_peek(struct leco_reader *r, struct leco_ct_ent *e, struct leco_conn_info *ci)
{
	const struct leco_conn *c = &e->c;
	struct leco_annot_slot *s = slot_for(r, e);
	double dt = r->prev_poll_mono && r->now_mono > r->prev_poll_mono
			    ? (double)(r->now_mono - r->prev_poll_mono) / LECO_NS
			    : 0;

	*ci = (struct leco_conn_info){
		.cookie = c->cookie ? c->cookie : e->key.cookie,
		.pid = c->tgid,
		.uid = c->uid,
		.state = c->state,
		.dir = c->dir,
		.err = c->state == LECO_ST_FAILED || c->state == LECO_ST_BLOCKED ? c->err : 0,
		.proto = c->proto,
		.family = s ? s->family_shown : (c->family == 6 ? 6 : 4),
		.lport = c->lport,
		.rport = c->rport,
		.rx = c->rx_bytes,
		.tx = c->tx_bytes,
		.rx_delta = delta(c->rx_bytes, e->prev_rx),
		.tx_delta = delta(c->tx_bytes, e->prev_tx),
		.cgroup_id = c->cgroup_id,
		.start_ns = c->start_ns,
		.start_time = s ? s->start_time : start_time(r, c),
		.first_ns = c->first_ns,
		.last_ns = c->last_ns,
		.first_seen = e->first_real_ns / (int64_t)LECO_NS,
		.last_seen =
			leco_mono_to_real(c->last_ns, r->now_mono, r->now_real) / (int64_t)LECO_NS,
		.first_poll = e->first_gen == r->tab.gen,
		.owner = leco_owner_name(c->owner),
		.restarted = !!(c->flags & LECO_F_RESTARTED),
		.count = c->count,
	};
	ci->comm = text(s, S_COMM), ci->cmd = text(s, S_CMD), ci->exe = text(s, S_EXE);
	ci->user = text(s, S_USER), ci->cgroup = text(s, S_CGROUP), ci->unit = text(s, S_UNIT);
	ci->laddr = text(s, S_LADDR), ci->raddr = text(s, S_RADDR);
	rname(r, c, ci);
	if (dt > 0) {
		/* first seen now but older than the previous poll (that poll's table was full, or
		 * the record came back): its bytes span its whole life */
		double span = ci->first_poll && c->first_ns < r->prev_poll_mono &&
					      r->now_mono > c->first_ns
				      ? (double)(r->now_mono - c->first_ns) / LECO_NS
				      : dt;

		ci->rx_rate = (double)ci->rx_delta / span;
		ci->tx_rate = (double)ci->tx_delta / span;
	}
}

void leco_annotate(struct leco_reader *r, struct leco_ct_ent *e, struct leco_conn_info *ci)
{
	leco_annotate_peek(r, e, ci);
	leco_annotate_keep(r, e);
}

int leco_annotate_each(struct leco_reader *r, leco_conn_cb cb, void *ctx)
{
	struct leco_conn_info ci;
	int ret;

	for (uint32_t i = 0; i < r->tab.nents; i++) {
		if (!r->tab.ents[i].used)
			continue;
		leco_annotate(r, &r->tab.ents[i], &ci);
		if ((ret = cb(ctx, &ci)) < 0)
			return ret;
	}
	return 0;
}

void leco_annotate_sweep(struct leco_reader *r)
{
	r->annot_scratch_for = NULL; /* entries may be reused by the next snapshot */
	for (uint32_t i = 0; i < r->annot_cap; i++) {
		if (r->annot[i] && (i >= r->tab.nents || !r->tab.ents[i].used)) {
			free(r->annot[i]);
			r->annot[i] = NULL;
		}
	}
}

void leco_annotate_invalidate(struct leco_reader *r)
{
	r->annot_epoch++;
}

void leco_annotate_free(struct leco_reader *r)
{
	for (uint32_t i = 0; i < r->annot_cap; i++)
		free(r->annot[i]);
	free(r->annot);
	free(r->annot_scratch);
	r->annot = NULL;
	r->annot_scratch = NULL;
	r->annot_cap = 0;
}
