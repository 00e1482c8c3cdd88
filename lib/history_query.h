/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The read-only history handle, shared by lib/history_query.c (opening, time, new pairs) and
 * lib/history_totals.c (totals). */
#ifndef LECO_LIB_HISTORY_QUERY_H
#define LECO_LIB_HISTORY_QUERY_H

#include <sys/types.h>

#include "history.h"
#include "history_idx.h"

/* Sums for one id (app, endpoint, proto or bucket time) while rows are read. */
struct leco_hagg {
	uint64_t h;
	int64_t id;
	uint64_t rx, tx, conns, failed, blocked;
	int64_t first, last; /* bucket times (day, hour, proto groups) */
};

struct leco_history {
	char *path;
	sqlite3 *db;
	dev_t dev;
	ino_t ino;
	sqlite3_stmt *seg[LECO_TIERS];	   /* a tier's rows in [?1, ?2) */
	sqlite3_stmt *seg_app[LECO_TIERS]; /* the same from its per-app table, if any */
	sqlite3_stmt *meta, *app, *ep, *pairs;

	struct leco_hagg *agg; /* per id, then per key (reused) */
	uint32_t nagg;
	size_t capagg;
	struct leco_hidx idx;
	struct leco_history_total *tot;
	size_t ntot, captot;
	struct leco_history_pair *pair;
	size_t npair, cappair;
	char *buf; /* the result's strings */
	size_t used, capbuf;
	char msg[LECO_ERRMSG_MAX];
};

extern const char leco_hq_pairs_sql[];
/* Reopen if the file at the path changed; 0 or -errno with h->msg. */
int leco_hq_refresh(struct leco_history *h);
/* Copy a string into h->buf; its offset, or -ENOMEM. Pointers are made when all are in. */
int64_t leco_hq_str(struct leco_history *h, const char *s);

#endif /* LECO_LIB_HISTORY_QUERY_H */
