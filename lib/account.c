// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Accounting: every connection of the reader's table counted into one group
 * per group-by (process, exe, program, unit, user, remote, port, proto), poll
 * after poll, from the first leco_reader_top() or leco_reader_conn_count().
 *
 * A group's bytes are the sum of its connections' deltas, added as each poll
 * sees them; they are never recomputed from the table. So a connection that
 * closes and leaves the table keeps its bytes in its groups (they were added
 * when a poll saw them), and it makes no difference whether closed connections
 * stay in the table for a while or leave it at once. What is "now" (open
 * connections, rates, whether a process runs) is counted afresh every poll.
 *
 * The groups of a connection are chosen once, when it is first seen (or when
 * its owner changes), which is the only time it is annotated here; the rest of
 * a poll is arithmetic per connection and per group.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "annotate.h"

#define KEEP_DEFAULT_NS	     (600ULL * LECO_NS)
#define IDLE_GROUPS_MAX	     16384   /* per group-by: groups with no connection in the table */
#define AVG_TAU_S	     5.0     /* time constant of the smoothed rates */
#define CHECK_EVERY_NS	     LECO_NS /* is the process still there? */
#define VERIFY_EVERY_NS	     (10 * LECO_NS) /* ... and is it still the same one? */
#define ACCT_COUNTED_FAILED  1
#define ACCT_COUNTED_BLOCKED 2
#define UNATTRIBUTED	     "unattributed"

/* ---- the groups of one group-by ------------------------------------------ */

static int dim_rehash(struct acct_dim *d, uint32_t nbuckets)
{
	uint32_t *b = malloc(nbuckets * sizeof(*b));

	if (!b)
		return -ENOMEM;
	memset(b, 0xff, nbuckets * sizeof(*b));
	free(d->buckets);
	d->buckets = b;
	d->nbuckets = nbuckets;
	for (uint32_t i = 0; i < d->n; i++) {
		struct acct_group *g = &d->g[i];

		if (!g->used)
			continue;
		g->next = b[g->hash & (nbuckets - 1)];
		b[g->hash & (nbuckets - 1)] = i;
	}
	return 0;
}

/* A new, zeroed group in the pool, linked under `hash`; ACCT_NONE when memory ran out. */
static uint32_t group_alloc(struct acct_dim *d, uint64_t hash)
{
	uint32_t i, h;

	if (!d->nbuckets && dim_rehash(d, 64))
		return ACCT_NONE;
	if (d->free_head != ACCT_NONE) {
		i = d->free_head;
		d->free_head = d->g[i].next;
	} else {
		if (d->n == d->cap) {
			uint32_t cap = d->cap ? d->cap * 2 : 64;
			struct acct_group *g = realloc(d->g, cap * sizeof(*g));

			if (!g)
				return ACCT_NONE;
			d->g = g;
			d->cap = cap;
		}
		i = d->n++;
	}
	memset(&d->g[i], 0, sizeof(d->g[i]));
	d->g[i].used = true;
	d->g[i].hash = hash;
	d->g[i].first_ns = UINT64_MAX;
	h = (uint32_t)(hash & (d->nbuckets - 1));
	d->g[i].next = d->buckets[h];
	d->buckets[h] = i;
	d->used++;
	if (d->used > d->nbuckets && d->nbuckets < (1U << 24))
		dim_rehash(d, d->nbuckets * 2); /* on failure chains just get longer */
	return i;
}

static void group_free(struct acct_dim *d, uint32_t i)
{
	struct acct_group *g = &d->g[i];
	uint32_t *pp = &d->buckets[g->hash & (d->nbuckets - 1)];

	while (*pp != i)
		pp = &d->g[*pp].next;
	*pp = g->next;
	free(g->key);
	free(g->attrs);
	g->key = g->attrs = NULL;
	g->used = false;
	g->next = d->free_head;
	d->free_head = i;
	d->used--;
}

static uint64_t str_hash(int by, const char *key, bool unattributed)
{
	return leco_hash(key, strlen(key), (uint64_t)by * 2 + unattributed);
}

/* The group of a string group-by with this key; made when missing. */
static uint32_t str_group(struct leco_account *a, int by, const char *key, bool unattributed)
{
	struct acct_dim *d = &a->dims[by];
	uint64_t h = str_hash(by, key, unattributed);
	uint32_t i;

	for (i = d->nbuckets ? d->buckets[h & (d->nbuckets - 1)] : ACCT_NONE; i != ACCT_NONE;
	     i = d->g[i].next)
		if (d->g[i].hash == h && d->g[i].unattributed == unattributed &&
		    !strcmp(d->g[i].key, key))
			return i;
	if ((i = group_alloc(d, h)) == ACCT_NONE)
		return ACCT_NONE;
	if (!(d->g[i].key = strdup(key))) {
		group_free(d, i);
		return ACCT_NONE;
	}
	d->g[i].unattributed = unattributed;
	return i;
}

/* ---- process groups: pid + start time ------------------------------------ */

static uint64_t tgid_hash(uint32_t tgid)
{
	return leco_hash(&tgid, sizeof(tgid), LECO_BY_PROCESS * 2);
}

/* Two start times of the same process: /proc has clock-tick resolution. */
static bool same_start(const struct leco_account *a, uint64_t x, uint64_t y)
{
	uint64_t tick = leco_pids_tick_ns(a->pids);

	return x > y ? x - y <= tick : y - x <= tick;
}

/* The group of (tgid, start), or, for start ACCT_NONE, the group of tgid that started last at or
 * before `before` (an unknown start counts as the earliest); ACCT_NONE if none. */
static uint32_t proc_find(const struct leco_account *a, uint32_t tgid, uint64_t start,
			  uint64_t before)
{
	const struct acct_dim *d = &a->dims[LECO_BY_PROCESS];
	uint64_t h = tgid_hash(tgid);
	uint32_t best = ACCT_NONE;

	for (uint32_t i = d->nbuckets ? d->buckets[h & (d->nbuckets - 1)] : ACCT_NONE;
	     i != ACCT_NONE; i = d->g[i].next) {
		const struct acct_group *g = &d->g[i];

		if (g->tgid != tgid || g->unattributed)
			continue;
		if (start != ACCT_NONE) {
			if (start ? g->start_ns && same_start(a, g->start_ns, start) : !g->start_ns)
				return i;
		} else if (g->start_ns <= before &&
			   (best == ACCT_NONE || g->start_ns > d->g[best].start_ns)) {
			best = i;
		}
	}
	return best;
}

/* "comm\0cmd\0user\0unit\0exe\0" of an annotated connection; NULL when memory ran out. */
static char *proc_attrs(const struct leco_conn_info *ci)
{
	const char *v[] = {ci->comm, ci->cmd, ci->user, ci->unit, ci->exe};
	size_t len[5], total = 0;
	char *s, *p;

	for (int i = 0; i < 5; i++)
		total += (len[i] = strlen(v[i])) + 1;
	if (!(p = s = malloc(total)))
		return NULL;
	for (int i = 0; i < 5; i++) {
		memcpy(p, v[i], len[i] + 1);
		p += len[i] + 1;
	}
	return s;
}

/* A new process group for (tgid, start) named after `ci`'s process. */
static uint32_t proc_new(struct leco_reader *r, struct leco_account *a, uint32_t tgid,
			 uint64_t start, const struct leco_conn_info *ci)
{
	struct acct_dim *d = &a->dims[LECO_BY_PROCESS];
	uint32_t i = group_alloc(d, tgid_hash(tgid));
	char key[48];

	if (i == ACCT_NONE)
		return ACCT_NONE;
	d->g[i].start_time = leco_account_unix(r, start);
	if (start)
		snprintf(key, sizeof(key), "%u:%lld", tgid, (long long)d->g[i].start_time);
	else
		snprintf(key, sizeof(key), "%u", tgid);
	d->g[i].tgid = tgid;
	d->g[i].uid = ci->uid;
	d->g[i].start_ns = start;
	d->g[i].next_check_ns = r->now_mono + CHECK_EVERY_NS;
	d->g[i].next_verify_ns = r->now_mono + VERIFY_EVERY_NS;
	if (!(d->g[i].key = strdup(key)) || !(d->g[i].attrs = proc_attrs(ci))) {
		group_free(d, i);
		return ACCT_NONE;
	}
	return i;
}

/* Is process `tgid` running as the process that started at `start` (as far as /proc can say:
 * one it hides, or one that exited just now, counts as running)? */
static bool proc_running(const struct leco_account *a, uint32_t tgid, uint64_t start)
{
	uint64_t now_start;

	if (!leco_pids_exists(a->pids, tgid))
		return false;
	now_start = leco_pids_start(a->pids, tgid);
	return !now_start || same_start(a, now_start, start);
}

/* The group of the process the probes recorded as the owner: pid + its start. */
static uint32_t process_group_recorded(struct leco_reader *r, struct leco_account *a,
				       const struct leco_ct_ent *e, const struct leco_conn_info *ci)
{
	struct acct_dim *d = &a->dims[LECO_BY_PROCESS];
	uint32_t g = proc_find(a, e->c.tgid, e->c.start_ns, 0);
	bool alive;

	if (g != ACCT_NONE || (g = proc_new(r, a, e->c.tgid, e->c.start_ns, ci)) == ACCT_NONE)
		return g;
	alive = proc_running(a, e->c.tgid, e->c.start_ns);
	d->g[g].exited = !alive;
	d->g[g].checked_ns = alive ? r->now_mono : 0;
	return g;
}

/*
 * The process that owned connection `e`. The probes record it with the owner (pid + start):
 * that group. A record without the start (hand-made maps) asks /proc: the group of its pid
 * that was seen running, as the same process, since the connection began; else the process
 * /proc names now, if it started before the connection; else (it exited, or the pid names a
 * newer process now) the group of that pid that started last before the connection, or one
 * for the pid with an unknown start.
 */
static uint32_t process_group(struct leco_reader *r, struct leco_account *a,
			      const struct leco_ct_ent *e, const struct leco_conn_info *ci)
{
	struct acct_dim *d = &a->dims[LECO_BY_PROCESS];
	uint64_t first = e->c.first_ns, slack = 2 * leco_pids_tick_ns(a->pids), start;
	uint32_t tgid = e->c.tgid, g, now_g;

	if (e->c.start_ns)
		return process_group_recorded(r, a, e, ci);
	g = proc_find(a, tgid, ACCT_NONE, first + slack);
	if (g != ACCT_NONE && !d->g[g].exited && d->g[g].checked_ns >= first)
		return g;
	start = leco_pids_start(a->pids, tgid);
	if (start && start <= first + slack) {
		now_g = proc_find(a, tgid, start, 0);
		if (now_g == ACCT_NONE)
			now_g = proc_new(r, a, tgid, start, ci);
		if (now_g != ACCT_NONE)
			d->g[now_g].checked_ns = r->now_mono;
		return now_g;
	}
	if (start && g != ACCT_NONE && d->g[g].start_ns && !same_start(a, d->g[g].start_ns, start))
		d->g[g].exited = true; /* its pid names another process now */
	if (g != ACCT_NONE)
		return g;
	if ((g = proc_find(a, tgid, 0, 0)) == ACCT_NONE &&
	    (g = proc_new(r, a, tgid, 0, ci)) != ACCT_NONE) {
		/* unreadable but there (hidepid): alive, unverifiable; else gone or replaced */
		d->g[g].exited = start || !leco_pids_exists(a->pids, tgid);
		d->g[g].checked_ns = d->g[g].exited ? 0 : r->now_mono;
	}
	return g;
}

/* Is each running process group's process still there, and still the same one? */
static void check_processes(struct leco_reader *r, struct leco_account *a)
{
	struct acct_dim *d = &a->dims[LECO_BY_PROCESS];
	uint64_t now = r->now_mono;

	for (uint32_t i = 0; i < d->n; i++) {
		struct acct_group *g = &d->g[i];
		bool alive;

		if (!g->used || g->exited || g->unattributed || now < g->next_check_ns)
			continue;
		g->next_check_ns = now + CHECK_EVERY_NS;
		alive = leco_pids_exists(a->pids, g->tgid);
		if (alive && (!g->start_ns || now >= g->next_verify_ns)) {
			uint64_t s = g->start_ns ? leco_pids_start(a->pids, g->tgid) : 0;

			/* unreadable (exited just now, or hidden): the next check decides */
			alive = !s || same_start(a, s, g->start_ns);
			g->next_verify_ns = now + VERIFY_EVERY_NS;
			if (alive)
				g->checked_ns = now;
		}
		g->exited = !alive;
	}
}

/* ---- per connection -------------------------------------------------------- */

/* The record fields a connection's groups are chosen from. */
static uint64_t owner_sig(const struct leco_reader *r, const struct leco_ct_ent *e)
{
	struct {
		uint64_t cgroup_id, start_ns;
		uint32_t tgid, uid, epoch;
		char comm[LECO_COMM_LEN];
		char script[LECO_SCRIPT_LEN];
	} s;

	memset(&s, 0, sizeof(s));
	s.cgroup_id = e->c.cgroup_id;
	s.start_ns = e->c.start_ns;
	s.tgid = e->c.tgid;
	s.uid = e->c.uid;
	s.epoch = r->annot_epoch;
	memcpy(s.comm, e->c.comm, sizeof(s.comm));
	if (e->c.flags & LECO_F_SCRIPT)
		memcpy(s.script, e->c.script, sizeof(s.script));
	return leco_hash(&s, sizeof(s), 0);
}

/* A remote group's name: the rname of its latest connection with one (memory out: the old) */
static void remote_name(struct acct_group *g, const char *rname)
{
	char *s;

	if (!rname || !rname[0] || (g->attrs && !strcmp(g->attrs, rname)) || !(s = strdup(rname)))
		return;
	free(g->attrs);
	g->attrs = s;
}

/* Choose the groups of table entry `i`; counts it into those it is new to. -ENOMEM. */
static int ent_assign(struct leco_reader *r, struct leco_account *a, uint32_t i, bool fresh,
		      uint64_t sig)
{
	struct leco_ct_ent *e = &r->tab.ents[i];
	struct acct_ent *ae = &a->ents[i];
	struct leco_conn_info ci;
	uint32_t grp[LECO_BY_COUNT];
	bool un = !e->c.tgid;
	char port[8];

	/* the groups copy what they keep: nothing is kept with the entry for this (the
	 * every-connection walk keeps its annotations, when asked for) */
	leco_annotate_peek(r, e, &ci);
	snprintf(port, sizeof(port), "%u", ci.dir == LECO_DIRECTION_IN ? ci.lport : ci.rport);
	grp[LECO_BY_PROCESS] = un ? str_group(a, LECO_BY_PROCESS, UNATTRIBUTED, true)
				  : process_group(r, a, e, &ci);
	grp[LECO_BY_EXE] = str_group(a, LECO_BY_EXE, un ? UNATTRIBUTED : ci.exe, un);
	grp[LECO_BY_PROGRAM] = str_group(a, LECO_BY_PROGRAM, un ? UNATTRIBUTED : ci.cmd, un);
	grp[LECO_BY_UNIT] = str_group(a, LECO_BY_UNIT, un ? UNATTRIBUTED : ci.unit, un);
	grp[LECO_BY_USER] = str_group(a, LECO_BY_USER, un ? UNATTRIBUTED : ci.user, un);
	grp[LECO_BY_REMOTE] = str_group(a, LECO_BY_REMOTE, ci.raddr, false);
	grp[LECO_BY_PORT] = str_group(a, LECO_BY_PORT, port, false);
	grp[LECO_BY_PROTO] = str_group(a, LECO_BY_PROTO, leco_proto_name(ci.proto), false);
	for (int d = 0; d < LECO_BY_COUNT; d++)
		if (grp[d] == ACCT_NONE)
			return -ENOMEM; /* tried again next poll; its bytes wait in the record */
	remote_name(&a->dims[LECO_BY_REMOTE].g[grp[LECO_BY_REMOTE]], ci.rname);
	if (fresh) {
		a->total.conns_total++;
		if (e->c.first_ns < a->total.first_ns)
			a->total.first_ns = e->c.first_ns;
		/* what the table holds when accounting starts counts from there */
		ae->rx = a->updates ? 0 : e->c.rx_bytes;
		ae->tx = a->updates ? 0 : e->c.tx_bytes;
		ae->first_ns = e->c.first_ns;
		ae->counted = 0;
	}
	for (int d = 0; d < LECO_BY_COUNT; d++) {
		struct acct_group *g = &a->dims[d].g[grp[d]];

		if (fresh || ae->grp[d] != grp[d])
			g->conns_total++;
		if (e->c.first_ns < g->first_ns)
			g->first_ns = e->c.first_ns;
		ae->grp[d] = grp[d];
	}
	ae->first_gen = e->first_gen;
	ae->sig = sig;
	return 0;
}

/* This poll's part of one connection, added to one group. */
struct acct_delta {
	uint64_t rx, tx, last_ns;
	double share; /* of the bytes, for the rate: 1, or less for a connection seen late */
	uint8_t failed, blocked, open, live;
};

/* a + b, or UINT64_MAX past it: a counter that cannot be right stays at the top, never wraps
 * to a small wrong one (records of random bytes; no real counter comes near) */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b >= a ? a + b : UINT64_MAX;
}

static void group_add(struct acct_group *g, const struct acct_delta *x)
{
	g->rx = sat_add(g->rx, x->rx);
	g->tx = sat_add(g->tx, x->tx);
	g->prx += (double)x->rx * x->share;
	g->ptx += (double)x->tx * x->share;
	g->failed += x->failed;
	g->blocked += x->blocked;
	g->conns += x->open;
	g->live += x->live;
	g->refs++;
	if (x->last_ns > g->last_ns)
		g->last_ns = x->last_ns;
}

/* Bytes since the last count; a count below it restarted, so all of it is new. */
static uint64_t delta(uint64_t now, uint64_t prev)
{
	return now >= prev ? now - prev : now;
}

static void ent_update(struct leco_reader *r, struct leco_account *a, uint32_t i, double dt)
{
	struct leco_ct_ent *e = &r->tab.ents[i];
	const struct leco_conn *c = &e->c;
	struct acct_ent *ae = &a->ents[i];
	struct acct_delta x = {.share = 1, .last_ns = c->last_ns};
	bool fresh = ae->first_gen != e->first_gen;
	uint64_t sig = owner_sig(r, e);

	/* out of memory: a new connection waits for the next poll (its bytes wait in the
	 * record), one whose owner changed stays in its groups */
	if ((fresh || ae->sig != sig) && ent_assign(r, a, i, fresh, sig) < 0 && fresh) {
		ae->first_gen = 0;
		return;
	}
	if (c->first_ns != ae->first_ns) { /* the record was made again: its counts restarted */
		ae->rx = ae->tx = 0;
		ae->first_ns = c->first_ns;
	}
	x.rx = delta(c->rx_bytes, ae->rx);
	x.tx = delta(c->tx_bytes, ae->tx);
	ae->rx = c->rx_bytes;
	ae->tx = c->tx_bytes;
	/* first seen now but older than the last update: its bytes span its life, not the
	 * interval (as for a line's rate, lib/annotate.c) */
	if (fresh && dt > 0 && c->first_ns < a->prev_ns && r->now_mono > c->first_ns)
		x.share = dt / ((double)(r->now_mono - c->first_ns) / LECO_NS);
	if (c->state == LECO_ST_FAILED && !(ae->counted & ACCT_COUNTED_FAILED))
		x.failed = 1, ae->counted |= ACCT_COUNTED_FAILED;
	if (c->state == LECO_ST_BLOCKED && !(ae->counted & ACCT_COUNTED_BLOCKED))
		x.blocked = 1, ae->counted |= ACCT_COUNTED_BLOCKED;
	x.open = c->state == LECO_ST_CONNECTING || c->state == LECO_ST_ESTABLISHED ||
		 c->state == LECO_ST_ACTIVE;
	x.live = !a->dims[LECO_BY_PROCESS].g[ae->grp[LECO_BY_PROCESS]].exited;
	for (int d = 0; d < LECO_BY_COUNT; d++)
		group_add(&a->dims[d].g[ae->grp[d]], &x);
	group_add(&a->total, &x);
}

/* ---- per group, after the connections ------------------------------------------- */

static void group_rates(struct acct_group *g, double dt, double f)
{
	if (dt > 0) {
		g->rx_rate = g->prx / dt;
		g->tx_rate = g->ptx / dt;
		g->rx_avg += (g->rx_rate - g->rx_avg) * f;
		g->tx_avg += (g->tx_rate - g->tx_avg) * f;
	}
	g->prx = g->ptx = 0;
}

static void group_reset(struct acct_group *g)
{
	g->conns = g->refs = g->live = 0;
}

static int cmp_idle(const void *x, const void *y, void *ctx)
{
	const struct acct_group *g = ctx;
	uint64_t a = g[*(const uint32_t *)x].last_ns, b = g[*(const uint32_t *)y].last_ns;

	return a < b ? -1 : a > b;
}

/* More than IDLE_GROUPS_MAX groups without connections: the longest idle go, down to three
 * quarters of it, so that a flood of new groups sorts the idle ones now and then, not every
 * poll. */
static void dim_trim(struct acct_dim *d, uint32_t idle)
{
	uint32_t *v = malloc(idle * sizeof(*v)), n = 0;

	if (!v)
		return;
	for (uint32_t i = 0; i < d->n; i++)
		if (d->g[i].used && !d->g[i].refs)
			v[n++] = i;
	qsort_r(v, n, sizeof(*v), cmp_idle, d->g);
	for (uint32_t k = 0; k + IDLE_GROUPS_MAX * 3 / 4 < n; k++)
		group_free(d, v[k]);
	free(v);
}

static void dim_finish(struct leco_reader *r, struct leco_account *a, int by, double dt, double f)
{
	struct acct_dim *d = &a->dims[by];
	uint32_t idle = 0;

	for (uint32_t i = 0; i < d->n; i++) {
		struct acct_group *g = &d->g[i];

		if (!g->used)
			continue;
		group_rates(g, dt, f);
		if (by != LECO_BY_PROCESS && g->refs)
			g->exited = !g->unattributed && !g->live;
		if (g->refs)
			continue;
		if (r->now_mono > g->last_ns && r->now_mono - g->last_ns > a->keep_ns)
			group_free(d, i);
		else
			idle++;
	}
	if (idle > IDLE_GROUPS_MAX)
		dim_trim(d, idle);
}

/* ---- the reader's side ------------------------------------------------------------ */

static int grow_ents(struct leco_account *a, uint32_t n)
{
	struct acct_ent *p;

	if (n <= a->cap_ents)
		return 0;
	if (!(p = realloc(a->ents, n * sizeof(*p))))
		return -ENOMEM;
	memset(p + a->cap_ents, 0, (n - a->cap_ents) * sizeof(*p));
	a->ents = p;
	a->cap_ents = n;
	return 0;
}

void leco_account_update(struct leco_reader *r)
{
	struct leco_account *a = r->acct;
	double dt = a->prev_ns && r->now_mono > a->prev_ns
			    ? (double)(r->now_mono - a->prev_ns) / LECO_NS
			    : 0;
	double f = 1 - exp(-dt / AVG_TAU_S);

	/* out of memory: skip this update; the next one spans the time since the last */
	if (grow_ents(a, r->tab.nents) < 0)
		return;
	check_processes(r, a);
	for (int by = 0; by < LECO_BY_COUNT; by++)
		for (uint32_t i = 0; i < a->dims[by].n; i++)
			group_reset(&a->dims[by].g[i]);
	group_reset(&a->total);
	for (uint32_t i = 0; i < a->cap_ents; i++) {
		if (i < r->tab.nents && r->tab.ents[i].used)
			ent_update(r, a, i, dt);
		else
			a->ents[i].first_gen = 0;
	}
	for (int by = 0; by < LECO_BY_COUNT; by++)
		dim_finish(r, a, by, dt, f);
	group_rates(&a->total, dt, f);
	a->prev_ns = r->now_mono;
	a->updates++;
}

int leco_account_start(struct leco_reader *r)
{
	struct leco_account *a;

	if (r->acct)
		return 0;
	if (!(a = calloc(1, sizeof(*a))))
		return -ENOMEM;
	for (int by = 0; by < LECO_BY_COUNT; by++)
		a->dims[by].free_head = ACCT_NONE;
	a->keep_ns = KEEP_DEFAULT_NS;
	a->total.first_ns = UINT64_MAX;
	if (!(a->pids = leco_pids_new(leco_proc_root(r->proc)))) {
		free(a);
		return -ENOMEM;
	}
	r->acct = a;
	/* the table as it is now is where counting starts; before any snapshot, the first */
	if (r->snap_mono)
		leco_account_update(r);
	return 0;
}

void leco_account_free(struct leco_reader *r)
{
	struct leco_account *a = r->acct;

	if (!a)
		return;
	for (int by = 0; by < LECO_BY_COUNT; by++) {
		struct acct_dim *d = &a->dims[by];

		for (uint32_t i = 0; i < d->n; i++) {
			free(d->g[i].key);
			free(d->g[i].attrs);
		}
		free(d->g);
		free(d->buckets);
	}
	leco_pids_free(a->pids);
	free(a->ents);
	free(a->out);
	free(a->order);
	free(a->conns);
	free(a);
	r->acct = NULL;
}

const struct acct_group *leco_account_process(const struct leco_account *a, uint32_t i)
{
	if (i >= a->cap_ents || !a->ents[i].first_gen)
		return NULL;
	return &a->dims[LECO_BY_PROCESS].g[a->ents[i].grp[LECO_BY_PROCESS]];
}

int64_t leco_account_unix(const struct leco_reader *r, uint64_t ns)
{
	if (!ns || ns == UINT64_MAX)
		return 0;
	return leco_mono_to_real(ns, r->now_mono, r->now_real) / (int64_t)LECO_NS;
}
