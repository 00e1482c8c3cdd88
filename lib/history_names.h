/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interned names of the history writer (lib/history_names.c). */
#ifndef LECO_LIB_HISTORY_NAMES_H
#define LECO_LIB_HISTORY_NAMES_H

#include <sqlite3.h>
#include <stdint.h>

#include "history_idx.h"

struct leco_hname {
	uint64_t h;
	int64_t id;
	uint64_t val;	   /* hash of the value leco_hnames_set() last wrote (0: none yet) */
	uint32_t off, len; /* the key in buf */
};

/* One table's cache: `get` selects the id by the key columns, `add` inserts a row (the key
 * columns, then first_seen and last_seen) RETURNING id, `set` (if any) sets a value column of
 * row ?1 to ?2; all prepared by the owner. */
struct leco_hnames {
	struct leco_hname *v;
	uint32_t count;
	size_t cap;
	char *buf;
	size_t used, bcap;
	struct leco_hidx idx;
	sqlite3_stmt *get, *add, *set;
	uint32_t last; /* the entry of the last leco_hnames_get() (UINT32_MAX: not cached) */
};

/*
 * The id of the name made of strings s[0..ns-1] (and `port`, if not NULL), inserted with
 * first/last seen when new. Returns the id (> 0), or a negative SQLite result code.
 */
int64_t leco_hnames_get(struct leco_hnames *n, sqlite3 *db, const char *const *s, int ns,
			const uint16_t *port, int64_t first, int64_t last);
/*
 * Set the value column (the `set` statement) of `id`, the id the last leco_hnames_get() gave,
 * to `val`: skipped when this cache saw it written with that value already (the endpoints'
 * rname: one UPDATE per endpoint and name, not one per connection and interval). 0, or a
 * negative SQLite result code.
 */
int leco_hnames_set(struct leco_hnames *n, int64_t id, const char *val);
void leco_hnames_clear(struct leco_hnames *n);
void leco_hnames_free(struct leco_hnames *n);

#endif /* LECO_LIB_HISTORY_NAMES_H */
