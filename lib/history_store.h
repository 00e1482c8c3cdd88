/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The history writer's state, shared by lib/history_store.c (an interval's connections) and
 * lib/history_commit.c (its transaction). Private to those two files. */
#ifndef LECO_LIB_HISTORY_STORE_H
#define LECO_LIB_HISTORY_STORE_H

#include "history.h"
#include "history_names.h"

#define C_OPENED  0x01
#define C_FAILED  0x02
#define C_BLOCKED 0x04
#define C_FINAL	  0x08 /* the last committed state was final (closed, failed, blocked) */
#define C_NOCLOSE                                                                   \
	0x10 /* UDP: no close state; leaving the table is its end, not an eviction, \
	      * and a record seen again is a new one (its first_ns differs) */

enum { CUR_COMMITTED, CUR_NEW, CUR_DEAD };

struct cursor {
	uint64_t cookie, first_ns, rx, tx; /* committed */
	uint64_t h;
	uint32_t gone; /* unix seconds it left the table; 0 while in it */
	uint32_t seen; /* generation (interval) that last saw it */
	int32_t pend;  /* its entry in the pending list, -1 if none */
	uint8_t peer[18];
	uint8_t flags, state;
};

/* A cursor's new values, applied when the interval commits. */
struct pending {
	uint32_t cur;
	uint64_t first_ns, rx, tx;
	uint32_t gone;
	uint8_t flags;
	bool del;
};

struct group {
	uint64_t h;
	int64_t app, ep;
	int32_t proto, dir;
	uint64_t rx, tx, conns, failed, blocked;
	int64_t first, last;
};

enum {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAMPLE,
	S_PAIR,
	S_APP_SEEN,
	S_EP_SEEN,
	S_CUR_PUT,
	S_CUR_DEL,
	S_CUR_CLEAR,
	S_META,
	S_META_ADD,
	S_COUNT
};

struct leco_hstore {
	struct leco_hconf conf;
	uint32_t max_gone;
	int64_t boot;

	sqlite3 *db;
	struct leco_tiers *tiers;
	sqlite3_stmt *st[S_COUNT];
	struct leco_hnames apps, eps;

	struct cursor *cur;
	uint32_t ncur, ndead;
	size_t capcur;
	struct leco_hidx cidx;
	struct pending *pend;
	uint32_t npend;
	size_t cappend;
	struct group *grp;
	uint32_t ngrp;
	size_t capgrp;
	struct leco_hidx gidx;

	uint32_t gen;
	int64_t now, bucket, last_bucket;
	uint64_t tick_evicted, tick_reappeared, tick_conns;
	bool loaded, rewrite_all;
	int tick_err; /* a step of this interval failed: it rolls back */
	char tick_msg[512];
	struct leco_hstore_counts cnt;
};

/* lib/history_store.c */
extern const char *const leco_hstore_sql[S_COUNT];
/* The first failure of this interval (it rolls back); later ones are ignored. */
void leco_hstore_tick_fail(struct leco_hstore *s, int err, const char *msg);
/* The pending entry of cursor ci (made from its committed values); NULL when out of memory. */
struct pending *leco_hstore_pend(struct leco_hstore *s, uint32_t ci);
/* Drop dead cursors from the array when there are many. */
void leco_hstore_compact(struct leco_hstore *s);

#endif /* LECO_LIB_HISTORY_STORE_H */
