// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * first_ever for a live reader: has this connection's app (exe, cmd, unit, user) talked to
 * its endpoint (raddr, rport, proto) before it, by the history database? One indexed query
 * per connection, read-only, answers cached per connection for a while (an earlier connection
 * recorded later can still turn a yes into a no). Without the database (not there yet, not
 * readable, replaced) the answer is no, and the file is tried again every few seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "annotate.h"
#include "hash.h"
#include "history.h"
#include "history_idx.h"

#define RETRY_NS   (5ULL * LECO_NS)  /* between attempts to open the database */
#define RECHECK_NS (30ULL * LECO_NS) /* an answer is asked again after this */
#define CACHE_MAX  8192

struct answer {
	uint64_t h, checked_ns;
	struct leco_key key;
	bool first_ever;
};

struct leco_hmark {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *q;
	dev_t dev;
	ino_t ino;
	uint64_t next_try_ns, next_stat_ns;
	struct answer *a;
	uint32_t n;
	size_t cap;
	struct leco_hidx idx;
	char msg[256];
};

static const char query[] =
	"SELECT 1 FROM pairs p JOIN apps a ON a.id = p.app JOIN endpoints e ON e.id = p.endpoint "
	"WHERE a.exe = ?1 AND a.cmd = ?2 AND a.unit = ?3 AND a.user = ?4 AND e.raddr = ?5 "
	"AND e.rport = ?6 AND p.proto = ?7 AND p.first_seen < ?8 LIMIT 1";

struct leco_hmark *leco_hmark_new(const char *path)
{
	struct leco_hmark *m = calloc(1, sizeof(*m));

	if (m && !(m->path = strdup(path))) {
		free(m);
		m = NULL;
	}
	return m;
}

static void close_db(struct leco_hmark *m)
{
	sqlite3_finalize(m->q);
	sqlite3_close(m->db);
	m->q = NULL;
	m->db = NULL;
}

void leco_hmark_free(struct leco_hmark *m)
{
	if (!m)
		return;
	close_db(m);
	leco_hidx_free(&m->idx);
	free(m->a);
	free(m->path);
	free(m);
}

/* The database, (re)opened when missing or when the file at the path changed. */
static bool ready(struct leco_hmark *m, uint64_t now)
{
	struct stat st;

	if (m->db && now >= m->next_stat_ns) {
		m->next_stat_ns = now + RETRY_NS;
		if (stat(m->path, &st) || st.st_dev != m->dev || st.st_ino != m->ino)
			close_db(m);
	}
	if (m->db)
		return true;
	if (now < m->next_try_ns)
		return false;
	m->next_try_ns = now + RETRY_NS;
	m->next_stat_ns = now + RETRY_NS;
	if (leco_hdb_open_read(m->path, &m->db, m->msg, sizeof(m->msg)))
		return false;
	if (leco_hdb_prepare(m->db, query, &m->q, m->msg, sizeof(m->msg)) || stat(m->path, &st)) {
		close_db(m);
		return false;
	}
	m->dev = st.st_dev, m->ino = st.st_ino;
	m->n = 0; /* answers from another file are not this one's */
	leco_hidx_clear(&m->idx);
	return true;
}

static bool ask(struct leco_hmark *m, const struct leco_conn_info *ci)
{
	const char *s[5] = {ci->exe, ci->cmd, ci->unit, ci->user, ci->raddr};
	int rc;

	for (int i = 0; i < 5; i++)
		sqlite3_bind_text(m->q, i + 1, s[i], -1, SQLITE_STATIC);
	sqlite3_bind_int(m->q, 6, ci->rport);
	sqlite3_bind_int(m->q, 7, ci->proto);
	sqlite3_bind_int64(m->q, 8, ci->first_seen);
	rc = sqlite3_step(m->q);
	sqlite3_reset(m->q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		close_db(m); /* tried again in a while */
		return false;
	}
	return rc == SQLITE_DONE;
}

struct akey {
	const struct leco_hmark *m;
	const struct leco_key *key;
	uint64_t h;
};

static int answer_eq(const void *ctx, uint32_t e)
{
	const struct akey *k = ctx;

	return k->m->a[e].h == k->h && !memcmp(&k->m->a[e].key, k->key, sizeof(*k->key));
}

static uint64_t answer_hash(const void *ctx, uint32_t e, int *live)
{
	*live = 1;
	return ((const struct leco_hmark *)ctx)->a[e].h;
}

static void remember(struct leco_hmark *m, const struct leco_key *key, uint64_t h, bool yes,
		     uint64_t now)
{
	if (m->n >= CACHE_MAX) {
		m->n = 0;
		leco_hidx_clear(&m->idx);
	}
	if (leco_reserve((void **)&m->a, &m->cap, m->n + 1, sizeof(*m->a)) ||
	    leco_hidx_add(&m->idx, h, m->n, answer_hash, m))
		return;
	m->a[m->n++] = (struct answer){.h = h, .checked_ns = now, .key = *key, .first_ever = yes};
}

bool leco_hmark_first_ever(struct leco_hmark *m, const struct leco_key *key,
			   const struct leco_conn_info *ci, uint64_t now)
{
	uint64_t h = leco_hash(key, sizeof(*key), 0);
	struct akey k = {m, key, h};
	uint32_t e;
	bool yes;

	if (!m || !ready(m, now))
		return false;
	e = leco_hidx_find(&m->idx, h, answer_eq, &k);
	if (e != UINT32_MAX && now - m->a[e].checked_ns < RECHECK_NS)
		return m->a[e].first_ever;
	yes = ask(m, ci);
	if (e != UINT32_MAX)
		m->a[e].first_ever = yes, m->a[e].checked_ns = now;
	else if (m->db)
		remember(m, key, h, yes, now);
	return yes;
}
