// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Interned names of the history writer: an app (exe, cmd, unit, user) or an endpoint (raddr,
 * rport) -> its row id, cached in memory in front of the apps and endpoints tables. Lookups
 * and inserts run inside the interval's transaction; when it rolls back, or the size cap
 * deletes names, the cache is cleared (ids it holds may no longer exist).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "history_names.h"
#include "internal.h"

/* A cache bigger than this is cleared rather than grown (the tables stay the truth). */
#define NAMES_MAX 65536

struct key_ref {
	const struct leco_hnames *n;
	const char *key;
	size_t len;
	uint64_t h;
};

static int name_eq(const void *ctx, uint32_t e)
{
	const struct key_ref *k = ctx;
	const struct leco_hname *v = &k->n->v[e];

	return v->h == k->h && v->len == k->len && !memcmp(k->n->buf + v->off, k->key, k->len);
}

static uint64_t name_hash(const void *ctx, uint32_t e, int *live)
{
	const struct leco_hnames *n = ctx;

	*live = 1;
	return n->v[e].h;
}

void leco_hnames_clear(struct leco_hnames *n)
{
	n->count = 0;
	n->used = 0;
	n->last = UINT32_MAX;
	leco_hidx_clear(&n->idx);
}

void leco_hnames_free(struct leco_hnames *n)
{
	free(n->v);
	free(n->buf);
	leco_hidx_free(&n->idx);
	memset(n, 0, sizeof(*n));
}

static int64_t cached(struct leco_hnames *n, const char *key, size_t len, uint64_t h)
{
	struct key_ref k = {n, key, len, h};
	uint32_t e = leco_hidx_find(&n->idx, h, name_eq, &k);

	n->last = e;
	return e == UINT32_MAX ? 0 : n->v[e].id;
}

/* Remember key -> id; on any failure the name is just not cached. */
static void remember(struct leco_hnames *n, const char *key, size_t len, uint64_t h, int64_t id)
{
	if (n->count >= NAMES_MAX)
		leco_hnames_clear(n);
	if (leco_reserve((void **)&n->v, &n->cap, n->count + 1, sizeof(*n->v)) ||
	    leco_reserve((void **)&n->buf, &n->bcap, n->used + len, 1) ||
	    leco_hidx_add(&n->idx, h, n->count, name_hash, n))
		return;
	memcpy(n->buf + n->used, key, len);
	n->last = n->count;
	n->v[n->count++] = (struct leco_hname){.h = h, .id = id, .off = n->used, .len = len};
	n->used += len;
}

/* The key: the strings one after the other, each with its NUL; the port as two bytes. */
static size_t make_key(char *buf, size_t size, const char *const *s, int ns, const uint16_t *port)
{
	size_t len = 0;

	for (int i = 0; i < ns; i++) {
		size_t l = strlen(s[i]) + 1;

		if (len + l > size)
			l = size - len; /* names are bounded long before this */
		memcpy(buf + len, s[i], l);
		len += l;
	}
	if (port && len + 2 <= size) {
		memcpy(buf + len, port, 2);
		len += 2;
	}
	return len;
}

/* SELECT the id (bind the strings 1.., the port after them), else INSERT ... RETURNING id. */
static int64_t lookup(sqlite3 *db, sqlite3_stmt *get, sqlite3_stmt *add, const char *const *s,
		      int ns, const uint16_t *port, int64_t first, int64_t last)
{
	int64_t id = 0;
	int rc, i;

	for (int pass = 0; pass < 2 && !id; pass++) {
		sqlite3_stmt *st = pass ? add : get;

		for (i = 0; i < ns; i++)
			sqlite3_bind_text(st, i + 1, s[i], -1, SQLITE_STATIC);
		if (port)
			sqlite3_bind_int(st, ++i, *port);
		if (pass) {
			sqlite3_bind_int64(st, i + 1, first);
			sqlite3_bind_int64(st, i + 2, last);
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -(int64_t)(rc ? rc : SQLITE_ERROR);
	}
	return id ? id : -(int64_t)SQLITE_ERROR;
}

int64_t leco_hnames_get(struct leco_hnames *n, sqlite3 *db, const char *const *s, int ns,
			const uint16_t *port, int64_t first, int64_t last)
{
	char key[4096 + 2];
	size_t len = make_key(key, sizeof(key), s, ns, port);
	uint64_t h = leco_hash(key, len, 0);
	int64_t id = cached(n, key, len, h);

	if (id)
		return id;
	id = lookup(db, n->get, n->add, s, ns, port, first, last);
	if (id > 0)
		remember(n, key, len, h, id);
	return id;
}

int leco_hnames_set(struct leco_hnames *n, int64_t id, const char *val)
{
	struct leco_hname *v = n->last < n->count && n->v[n->last].id == id ? &n->v[n->last] : NULL;
	uint64_t h = leco_hash_str(val) | 1;
	int rc;

	if (v && v->val == h)
		return 0;
	sqlite3_bind_int64(n->set, 1, id);
	sqlite3_bind_text(n->set, 2, val, -1, SQLITE_STATIC);
	rc = sqlite3_step(n->set);
	sqlite3_reset(n->set);
	if (rc != SQLITE_DONE)
		return -(rc ? rc : SQLITE_ERROR);
	if (v)
		v->val = h;
	return 0;
}
