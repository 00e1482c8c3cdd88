// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco serve: /metrics. Counters per label set (unit, program, user, proto, direction) kept
 * here, in the server: every poll adds what each connection did since the previous one, so a
 * counter never goes back when a connection leaves the table or its process exits. Label sets
 * are capped (--metrics-series); connections beyond the cap count in one overflow set
 * (program="_overflow"), and leco_series_dropped_total says how many label sets were refused.
 * The probes' own counters are kept the same way (a reloaded probe starts again from 0: its
 * new counts are added, the total does not fall).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "../../lib/hash.h"

enum { L_UNIT, L_PROGRAM, L_USER, L_PROTO, L_DIR, L_COUNT };
enum { R_REMOTE, R_PORT, R_PROTO, R_COUNT };

struct series {
	char *labels[L_COUNT]; /* one allocation: labels[0] */
	uint64_t hash;
	uint64_t rx, tx, conns, failed, blocked;
	uint32_t open; /* this poll */
	uint32_t next; /* hash chain, index + 1 */
};

struct stab {
	struct series *v;
	uint32_t n, cap, max, nlabels;
	uint32_t *buckets; /* index + 1; cap buckets */
	uint32_t nbuckets;
};

/* A connection seen by an earlier poll: its counts were taken once. */
struct track {
	uint64_t cookie;
	uint32_t gen;
	bool failed, blocked, used;
};

/* A counter of the probes, summed over reloads. */
struct acc {
	uint64_t last, total;
	bool seen;
};

struct web_metrics {
	struct stab series, remotes;
	unsigned int remote_n;
	struct track *tracks;
	uint32_t ntracks, cap_tracks, gen;
	uint64_t *dropped; /* hashes of refused label sets (open addressing, 0 = empty) */
	uint32_t ndropped, cap_dropped;
	uint64_t series_dropped;
	struct acc probe[7];
	struct leco_status st;
	bool up;
};

static void stab_free(struct stab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->v[i].labels[0]);
	free(t->v);
	free(t->buckets);
}

struct web_metrics *web_metrics_new(unsigned int series_max, unsigned int remote_n)
{
	struct web_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->series.max = series_max ? series_max : 1;
	m->series.nlabels = L_COUNT;
	m->remote_n = remote_n;
	m->remotes.max = remote_n ? (remote_n * 8 > 1024 ? remote_n * 8 : 1024) : 0;
	m->remotes.nlabels = R_COUNT;
	m->cap_dropped = 4096;
	m->dropped = calloc(m->cap_dropped, sizeof(*m->dropped));
	m->st.sz = sizeof(m->st);
	if (!m->dropped) {
		free(m);
		return NULL;
	}
	return m;
}

void web_metrics_free(struct web_metrics *m)
{
	if (!m)
		return;
	stab_free(&m->series);
	stab_free(&m->remotes);
	free(m->tracks);
	free(m->dropped);
	free(m);
}

static uint64_t labels_hash(const char *const *v, uint32_t n)
{
	uint64_t h = 0;

	for (uint32_t i = 0; i < n; i++)
		h = leco_hash(v[i], strlen(v[i]), h + i);
	return h | 1;
}

static bool labels_equal(const struct series *s, const char *const *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(s->labels[i], v[i]))
			return false;
	return true;
}

static int stab_grow(struct stab *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 64, nb = cap * 2;
	struct series *v = realloc(t->v, cap * sizeof(*v));
	uint32_t *b;

	if (!v)
		return -ENOMEM;
	t->v = v;
	if (!(b = calloc(nb, sizeof(*b))))
		return -ENOMEM;
	free(t->buckets);
	t->buckets = b, t->nbuckets = nb, t->cap = cap;
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t k = (uint32_t)(t->v[i].hash & (nb - 1));

		t->v[i].next = b[k];
		b[k] = i + 1;
	}
	return 0;
}

/* The series of these labels, made if there is room; NULL when the cap is reached (or memory
 * ran out). *hash gets the labels' hash either way. */
static struct series *stab_get(struct stab *t, const char *const *v, uint64_t *hash)
{
	uint64_t h = labels_hash(v, t->nlabels);
	struct series *s;
	size_t len = 0, off = 0;

	*hash = h;
	if (t->nbuckets)
		for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i; i = t->v[i - 1].next)
			if (t->v[i - 1].hash == h && labels_equal(&t->v[i - 1], v, t->nlabels))
				return &t->v[i - 1];
	if (t->n >= t->max || (t->n == t->cap && stab_grow(t)))
		return NULL;
	for (uint32_t i = 0; i < t->nlabels; i++)
		len += strlen(v[i]) + 1;
	s = &t->v[t->n];
	memset(s, 0, sizeof(*s));
	if (!(s->labels[0] = malloc(len)))
		return NULL;
	for (uint32_t i = 0; i < t->nlabels; i++) {
		s->labels[i] = s->labels[0] + off;
		memcpy(s->labels[i], v[i], strlen(v[i]) + 1);
		off += strlen(v[i]) + 1;
	}
	s->hash = h;
	s->next = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = ++t->n;
	return s;
}

/* Count a refused label set once (remembered by hash, up to the set's capacity). */
static void note_dropped(struct web_metrics *m, uint64_t h)
{
	uint32_t mask = m->cap_dropped - 1, i = (uint32_t)h & mask;

	if (m->ndropped >= m->cap_dropped / 2) {
		m->series_dropped++; /* full: no longer told apart, counted each time */
		return;
	}
	for (; m->dropped[i]; i = (i + 1) & mask)
		if (m->dropped[i] == h)
			return;
	m->dropped[i] = h;
	m->ndropped++;
	m->series_dropped++;
}

static struct series *series_for(struct web_metrics *m, const struct leco_conn_info *ci)
{
	const char *v[L_COUNT] = {ci->unit, ci->cmd, ci->user, leco_proto_name(ci->proto),
				  leco_direction_name(ci->dir)};
	static const char *const over[L_COUNT] = {"", "_overflow", "", "", ""};
	struct series *s;
	uint64_t h, oh;

	if ((s = stab_get(&m->series, v, &h)))
		return s;
	note_dropped(m, h);
	/* the overflow set: made before the cap is reached, so that it always exists */
	for (uint32_t i = 0; i < m->series.n; i++)
		if (labels_equal(&m->series.v[i], over, L_COUNT))
			return &m->series.v[i];
	m->series.max++;
	s = stab_get(&m->series, over, &oh);
	m->series.max--;
	return s;
}

static int track_grow(struct web_metrics *m)
{
	uint32_t cap = m->cap_tracks ? m->cap_tracks * 2 : 1024;
	struct track *old = m->tracks, *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->cap_tracks; i++) {
		if (!old[i].used)
			continue;
		uint32_t k = (uint32_t)leco_hash(&old[i].cookie, 8, 0) & (cap - 1);

		while (t[k].used)
			k = (k + 1) & (cap - 1);
		t[k] = old[i];
	}
	free(old);
	m->tracks = t, m->cap_tracks = cap;
	return 0;
}

/* The track of `cookie`; *fresh when this poll is the first to see it. NULL: out of memory. */
static struct track *track_get(struct web_metrics *m, uint64_t cookie, bool *fresh)
{
	uint32_t k;

	*fresh = false;
	if ((m->ntracks + 1) * 2 > m->cap_tracks && track_grow(m))
		return NULL;
	k = (uint32_t)leco_hash(&cookie, 8, 0) & (m->cap_tracks - 1);
	for (; m->tracks[k].used; k = (k + 1) & (m->cap_tracks - 1))
		if (m->tracks[k].cookie == cookie)
			return &m->tracks[k];
	m->tracks[k] = (struct track){.cookie = cookie, .used = true};
	m->ntracks++;
	*fresh = true;
	return &m->tracks[k];
}

/* Forget connections this poll did not see (rebuilt without them: linear probing). */
static int track_sweep(struct web_metrics *m)
{
	struct track *old = m->tracks;
	uint32_t cap = m->cap_tracks, n = 0;

	if (!cap)
		return 0;
	m->tracks = NULL, m->cap_tracks = 0, m->ntracks = 0;
	for (uint32_t i = 0; i < cap; i++)
		n += old[i].used && old[i].gen == m->gen;
	while (m->cap_tracks < 1024 || m->cap_tracks < n * 2 + 2)
		if (track_grow(m)) {
			m->tracks = old, m->cap_tracks = cap; /* keep the old one: no loss */
			return -ENOMEM;
		}
	for (uint32_t i = 0; i < cap; i++) {
		bool fresh;
		struct track *t;

		if (!old[i].used || old[i].gen != m->gen)
			continue;
		t = track_get(m, old[i].cookie, &fresh);
		*t = old[i];
	}
	free(old);
	return 0;
}

static bool is_open(int state)
{
	return state == LECO_STATE_CONNECTING || state == LECO_STATE_ESTABLISHED ||
	       state == LECO_STATE_ACTIVE;
}

static void add_remote(struct web_metrics *m, const struct leco_conn_info *ci)
{
	char port[8];
	const char *v[R_COUNT] = {ci->raddr, port, leco_proto_name(ci->proto)};
	struct series *s;
	uint64_t h;

	snprintf(port, sizeof(port), "%u", ci->rport);
	if ((s = stab_get(&m->remotes, v, &h))) {
		s->rx += ci->rx_delta;
		s->tx += ci->tx_delta;
	}
}

static void acc_add(struct acc *a, uint64_t v)
{
	a->total += !a->seen ? v : v >= a->last ? v - a->last : v;
	a->last = v;
	a->seen = true;
}

static void update_probe(struct web_metrics *m, struct leco_reader *r)
{
	const uint64_t *v[7] = {&m->st.stat_events,	  &m->st.stat_conns_new,
				&m->st.stat_update_fail,  &m->st.stat_lost,
				&m->st.stat_unattributed, &m->st.stat_blocked,
				&m->st.stat_execs};

	m->st = (struct leco_status){.sz = sizeof(m->st)};
	leco_reader_status(r, &m->st);
	m->up = m->st.state == LECO_READER_OK || m->st.state == LECO_READER_CONFIG;
	if (m->up)
		for (int i = 0; i < 7; i++)
			acc_add(&m->probe[i], *v[i]);
}

int web_metrics_update(struct web_metrics *m, struct leco_reader *r, int poll_ret)
{
	int n;

	update_probe(m, r);
	if (poll_ret < 0)
		return 0; /* the table is the previous poll's: its bytes were taken then */
	if ((n = leco_reader_conn_count(r)) < 0)
		return n;
	m->gen++;
	for (uint32_t i = 0; i < m->series.n; i++)
		m->series.v[i].open = 0;
	for (int i = 0; i < n; i++) {
		const struct leco_conn_info *ci = leco_reader_conn(r, (size_t)i);
		struct series *s = series_for(m, ci);
		struct track *t;
		bool fresh;

		if (!s || !(t = track_get(m, ci->cookie, &fresh)))
			return -ENOMEM;
		t->gen = m->gen;
		s->rx += ci->rx_delta;
		s->tx += ci->tx_delta;
		s->conns += fresh;
		s->open += is_open(ci->state);
		if (ci->state == LECO_STATE_FAILED && !t->failed)
			t->failed = true, s->failed++;
		if (ci->state == LECO_STATE_BLOCKED && !t->blocked)
			t->blocked = true, s->blocked++;
		if (m->remote_n)
			add_remote(m, ci);
	}
	return track_sweep(m);
}

/* ---- exposition ---------------------------------------------------------- */

struct out {
	FILE *f;
	bool om; /* OpenMetrics (else Prometheus text 0.0.4) */
};

/* HELP and TYPE (and UNIT) of a family; `base` is the name without _total. */
static void family(struct out *o, const char *base, bool counter, const char *unit,
		   const char *help)
{
	const char *sfx = counter && !o->om ? "_total" : "";

	fprintf(o->f, "# HELP %s%s %s\n# TYPE %s%s %s\n", base, sfx, help, base, sfx,
		counter ? "counter" : "gauge");
	if (o->om && unit)
		fprintf(o->f, "# UNIT %s %s\n", base, unit);
}

static void label_value(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f), fputc(*v, f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void sample(struct out *o, const char *base, bool counter, const char *const *names,
		   char *const *values, uint32_t n, unsigned long long v)
{
	fprintf(o->f, "%s%s", base, counter ? "_total" : "");
	for (uint32_t i = 0; i < n; i++) {
		fprintf(o->f, "%s%s=", i ? "," : "{", names[i]);
		label_value(o->f, values[i]);
	}
	fprintf(o->f, "%s %llu\n", n ? "}" : "", v);
}

static const char *const label_names[L_COUNT] = {"unit", "program", "user", "proto", "direction"};
static const char *const remote_names[R_COUNT] = {"remote", "port", "proto"};

static void series_families(struct out *o, struct web_metrics *m)
{
	static const struct {
		const char *base, *unit, *help;
		size_t field; /* offset in struct series */
		bool counter;
	} fam[] = {
		{"leco_received_bytes", "bytes", "Payload bytes received.",
		 offsetof(struct series, rx), true},
		{"leco_sent_bytes", "bytes", "Payload bytes sent.", offsetof(struct series, tx),
		 true},
		{"leco_connections", NULL, "Connections seen (TCP connections, UDP flows).",
		 offsetof(struct series, conns), true},
		{"leco_connections_failed", NULL, "Connections that failed to connect.",
		 offsetof(struct series, failed), true},
		{"leco_connections_blocked", NULL, "Connections blocked by the firewall.",
		 offsetof(struct series, blocked), true},
		{"leco_connections_open", NULL, "Connections open now.",
		 offsetof(struct series, open), false},
	};

	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		family(o, fam[k].base, fam[k].counter, fam[k].unit, fam[k].help);
		for (uint32_t i = 0; i < m->series.n; i++) {
			const char *p = (const char *)&m->series.v[i] + fam[k].field;
			unsigned long long v;

			if (fam[k].counter)
				v = *(const uint64_t *)(const void *)p;
			else
				v = *(const uint32_t *)(const void *)p;
			sample(o, fam[k].base, fam[k].counter, label_names, m->series.v[i].labels,
			       L_COUNT, v);
		}
	}
}

static int by_total_desc(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;
	uint64_t tx = x->rx + x->tx, ty = y->rx + y->tx;

	return tx < ty ? 1 : tx > ty ? -1 : strcmp(x->labels[0], y->labels[0]);
}

/* The top-N remote endpoints by bytes in all (opt-in: --metrics-remote N). */
static int remote_families(struct out *o, struct web_metrics *m)
{
	uint32_t n = m->remotes.n;
	struct series **v = n ? malloc(n * sizeof(*v)) : NULL;

	if (n && !v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		v[i] = &m->remotes.v[i];
	qsort(v, n, sizeof(*v), by_total_desc);
	n = n < m->remote_n ? n : m->remote_n;
	for (int rx = 1; rx >= 0; rx--) {
		const char *base = rx ? "leco_remote_received_bytes" : "leco_remote_sent_bytes";

		family(o, base, true, "bytes",
		       rx ? "Payload bytes received from the top remote endpoints."
			  : "Payload bytes sent to the top remote endpoints.");
		for (uint32_t i = 0; i < n; i++)
			sample(o, base, true, remote_names, v[i]->labels, R_COUNT,
			       rx ? v[i]->rx : v[i]->tx);
	}
	free(v);
	return 0;
}

static void probe_families(struct out *o, struct web_metrics *m)
{
	static const struct {
		const char *base, *help;
	} probe[7] = {
		{"leco_probe_events", "Events the probes handled."},
		{"leco_probe_records_new", "Connection records the probes made."},
		{"leco_probe_update_failures", "Failed updates of the connection table."},
		{"leco_probe_lost", "Events lost (ring buffer full)."},
		{"leco_probe_unattributed", "Connections no process could be found for."},
		{"leco_probe_blocked", "Connections blocked by the firewall (probe count)."},
		{"leco_probe_execs", "Process executions recorded."},
	};

	family(o, "leco_up", false, NULL, "1 when the probes are loaded and readable.");
	sample(o, "leco_up", false, NULL, NULL, 0, m->up);
	family(o, "leco_table_connections", false, NULL, "Entries in the connection table.");
	sample(o, "leco_table_connections", false, NULL, NULL, 0, m->st.conns);
	family(o, "leco_table_connections_max", false, NULL, "Capacity of the connection table.");
	sample(o, "leco_table_connections_max", false, NULL, NULL, 0, m->st.conns_max);
	for (int i = 0; i < 7; i++) {
		family(o, probe[i].base, true, NULL, probe[i].help);
		sample(o, probe[i].base, true, NULL, NULL, 0, m->probe[i].total);
	}
	family(o, "leco_polls", true, NULL, "Polls of the connection table by this server.");
	sample(o, "leco_polls", true, NULL, NULL, 0, m->st.polls);
	family(o, "leco_series_dropped", true, NULL,
	       "Label sets refused by the series cap (their bytes count in "
	       "program=\"_overflow\").");
	sample(o, "leco_series_dropped", true, NULL, NULL, 0, m->series_dropped);
}

int web_metrics_render(struct web_metrics *m, struct leco_reader *r, bool openmetrics, char **body,
		       size_t *len)
{
	struct web_buf b;
	struct out o;
	int ret;

	(void)r;
	if ((ret = web_buf_open(&b)))
		return ret;
	o = (struct out){.f = b.f, .om = openmetrics};
	series_families(&o, m);
	ret = m->remote_n ? remote_families(&o, m) : 0;
	probe_families(&o, m);
	if (openmetrics)
		fputs("# EOF\n", b.f);
	if (web_buf_close(&b) || ret) {
		free(b.data);
		return -ENOMEM;
	}
	*body = b.data, *len = b.len;
	return 0;
}
