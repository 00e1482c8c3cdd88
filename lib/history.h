/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The history store (issue 14): SQLite from C, internal interfaces.
 *
 *   lib/history_db.c     open (writer: create 0640, WAL, schema and migrations; reader: mode=ro),
 *                        statements, error text
 *   lib/history_store.c  the writer's interval: per-connection cursors -> groups -> rows, one
 *                        transaction per interval
 *   lib/history_tiers.c  rollups (raw -> 1 min -> 1 h -> 1 day), retention, the size cap
 *   lib/history_query.c  the read-only API: totals by range and group, new pairs
 *   lib/history_mark.c   first_ever for a live reader
 *   lib/recorder.c       the public recorder: a reader + the store, faults and reopening
 *
 * Schema (PRAGMA user_version 1, every table STRICT; column names are the fields' names in C,
 * JSON and Lua):
 *   apps(id, exe, cmd, unit, user, first_seen, last_seen)       interned app
 *   endpoints(id, raddr, rport, rname, first_seen, last_seen)    interned endpoint (rname: the
 *                                                                latest name it was reached by)
 *   pairs(app, endpoint, proto, first_seen, last_seen)           (app, endpoint) ever seen
 *   samples_raw|_1m|_1h|_1d(t, app, endpoint, proto, dir, rx, tx, conns, failed, blocked)
 *   samples_1h_app|_1d_app(t, app, rx, tx, conns, failed, blocked)  the same per app
 *   cursors(cookie, peer, first_ns, rx, tx, flags, gone)         what the last commit counted
 *   meta(key, value)                                             rollup horizons, counters
 */
#ifndef LECO_LIB_HISTORY_H
#define LECO_LIB_HISTORY_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/leco.h"
#include "leco.h"

#define LECO_HISTORY_SCHEMA 1

/* Tiers, finest first. A tier's bucket length in seconds (raw: the interval). */
enum { LECO_TIER_RAW, LECO_TIER_1M, LECO_TIER_1H, LECO_TIER_1D, LECO_TIERS };
extern const char *const leco_tier_table[LECO_TIERS];
/* The 1-hour and 1-day tiers summed per app only (NULL for the others): long ranges by app,
 * exe, unit or user read these. */
extern const char *const leco_tier_app_table[LECO_TIERS];

/* Defaults (include/leco.h documents them with the options) */
#define LECO_HISTORY_INTERVAL_S 10
#define LECO_HISTORY_KEEP_RAW_S (48 * 3600)
#define LECO_HISTORY_KEEP_1M_S	(14 * 86400)
#define LECO_HISTORY_KEEP_1H_S	(366 * 86400)
#define LECO_HISTORY_MAX_BYTES	(256ULL << 20)

/* ---- lib/history_db.c ---------------------------------------------------- */

/* Map a SQLite result code to a negative errno. */
int leco_hdb_errno(int rc);
/* Write "WHAT: <sqlite3_errmsg or errstr>" into msg; returns leco_hdb_errno(rc). */
int leco_hdb_fail(sqlite3 *db, int rc, const char *what, char *msg, size_t msgsz);
/* Run the ;-separated statements of `sql` (no results wanted). 0 or -errno with msg. */
int leco_hdb_exec(sqlite3 *db, const char *sql, char *msg, size_t msgsz);
/* Prepare `sql` once, to be reused with sqlite3_reset. 0 or -errno with msg. */
int leco_hdb_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *msg, size_t msgsz);
/* Step a statement that returns no rows, then reset it. 0 or -errno with msg. */
int leco_hdb_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, char *msg, size_t msgsz);

/*
 * Open the database at `path` for writing: created 0640 when missing (never over another
 * file), WAL (kept after close so that read-only readers can open it), synchronous=FULL
 * unless `nosync` (tests and benchmarks), incremental auto-vacuum, schema created or migrated
 * (the v0 prototype layout -> v1). Refuses a file that is not a SQLite database, a database
 * of a newer schema or with foreign tables. 0, or -errno with msg naming the path.
 */
int leco_hdb_open_write(const char *path, bool nosync, sqlite3 **db, char *msg, size_t msgsz);
/* Open read-only (URI mode=ro); checks the schema version. 0 or -errno with msg. */
int leco_hdb_open_read(const char *path, sqlite3 **db, char *msg, size_t msgsz);
/* The integer result of a one-row query (a pragma, a count; 0 when no row): a SQLite code. */
int leco_hdb_int(sqlite3 *db, const char *sql, int64_t *val);
/* meta(key) as an integer (`def` when absent); and set it. */
int leco_hdb_meta_get(sqlite3 *db, const char *key, int64_t def, int64_t *val);
int leco_hdb_meta_set(sqlite3 *db, const char *key, int64_t val, char *msg, size_t msgsz);

/* ---- lib/history_tiers.c ------------------------------------------------- */

/* The history writer's configuration. */
struct leco_hconf {
	uint32_t interval;	  /* raw bucket length, seconds */
	int64_t keep[LECO_TIERS]; /* seconds each tier keeps; <= 0: forever */
	uint64_t max_bytes;	  /* size cap of the file; 0: none */
	uint32_t batch_rows;	  /* rows a rollup or delete step handles at most */
	uint32_t max_gone;	  /* cursors of connections gone from the table kept at most */
};

/* Bucket start of tier `tier` containing unix time t (1d: local midnight, hour aligned). */
int64_t leco_tier_floor(const struct leco_hconf *c, int tier, int64_t t);
/* Start of the next bucket of `tier` after the one starting at `start`. */
int64_t leco_tier_next(const struct leco_hconf *c, int tier, int64_t start);

struct leco_tiers_stats {
	uint64_t rolled[LECO_TIERS];  /* rows written by rollups into each tier */
	uint64_t expired[LECO_TIERS]; /* rows deleted by age */
	uint64_t trimmed;	      /* rows deleted by the size cap */
	int64_t trimmed_before;	      /* the cap deleted everything older than this (0: never) */
};

/* The tiers' statements for one database, prepared once. */
struct leco_tiers;
int leco_tiers_new(sqlite3 *db, const struct leco_hconf *c, struct leco_tiers **t, char *msg,
		   size_t msgsz);
void leco_tiers_free(struct leco_tiers *t);

/*
 * Inside the interval's transaction: roll completed buckets up, one batch per tier (the raw
 * bucket `current` is still being written), and delete one batch of expired rows per tier;
 * `now` is the interval's wall time. 0 or -errno with msg.
 */
int leco_tiers_step(struct leco_tiers *t, int64_t now, int64_t current, struct leco_tiers_stats *st,
		    char *msg, size_t msgsz);
/*
 * Outside a transaction: when the file is over the cap, free pages (incremental vacuum) and,
 * if still over, delete the oldest history (all tiers alike, then the pairs, apps and
 * endpoints no row uses any more), one batch per call. Returns 2 when it deleted apps or
 * endpoints (interned ids must be looked up again), 1 when it trimmed, 0 when nothing was
 * needed, -errno with msg.
 */
int leco_tiers_cap(struct leco_tiers *t, struct leco_tiers_stats *st, char *msg, size_t msgsz);
/* Bytes the database file takes (page_count * page_size); -1 on error. */
int64_t leco_hdb_size(sqlite3 *db);

/* ---- lib/history_store.c ------------------------------------------------- */

/* What the store needs of a connection beyond the kernel record: made only for connections
 * with something to record (the annotate step is not free). Strings are sanitized. */
struct leco_hconn {
	const char *exe, *cmd, *unit, *user; /* the app */
	const char *raddr;		     /* the endpoint, with rport */
	uint16_t rport;
	const char *rname; /* raddr's name ("" or NULL: none; never erases a known one) */
	int proto, dir;
	int64_t first_seen, last_seen; /* unix seconds */
};
typedef void (*leco_hconn_fn)(void *ctx, void *ent, struct leco_hconn *out);

struct leco_hstore;
struct leco_hstore_counts {
	uint64_t intervals, commits, failures; /* ticks that wrote, committed, failed */
	uint64_t evicted;		       /* connections gone before their bytes were read */
	uint64_t reappeared;		       /* gone connections seen again (counted once) */
	uint64_t conns;			       /* connections seen in the last interval */
	uint64_t cursors;		       /* cursors kept */
	int64_t last_commit;		       /* unix seconds of the last committed interval */
	struct leco_tiers_stats tiers;
};

int leco_hstore_new(const struct leco_hconf *conf, const char *boot_id, struct leco_hstore **s);
void leco_hstore_free(struct leco_hstore *s);
/*
 * Attach to an open writable database (taken over). The first one of this store loads its
 * cursors (if written in this boot); another file gets the store's cursors, whole, with the
 * next commit; `same` is the file attached before (after a failure), whose cursors are the
 * store's already. 0 or -errno with msg (the database is closed).
 */
int leco_hstore_attach(struct leco_hstore *s, sqlite3 *db, bool same, char *msg, size_t msgsz);
/* Close the database (after a failure, or to reopen); the committed cursors stay in memory
 * and are written whole into the next database attached. */
void leco_hstore_detach(struct leco_hstore *s);
bool leco_hstore_attached(const struct leco_hstore *s);
sqlite3 *leco_hstore_db(struct leco_hstore *s);

/* One interval: begin at wall time `now` (unix seconds) ... */
void leco_hstore_begin(struct leco_hstore *s, int64_t now);
/*
 * ... each connection of the table: key (cookie + UDP peer) and record; `fill` is called when
 * there is something to record ...
 */
int leco_hstore_conn(struct leco_hstore *s, const struct leco_key *key, const struct leco_conn *c,
		     leco_hconn_fn fill, void *ctx, void *ent);
/*
 * ... and commit: rows, cursors, rollups and retention in one transaction. `complete` is
 * false when the snapshot was not the whole table (connections missing from it are then not
 * taken as gone). 0, or -errno with msg (the database is detached; the interval's bytes are
 * counted by the next commit, from the cursors of the last one).
 */
int leco_hstore_commit(struct leco_hstore *s, bool complete, char *msg, size_t msgsz);
void leco_hstore_counts(const struct leco_hstore *s, struct leco_hstore_counts *out);

/* ---- lib/history_mark.c ------------------------------------------------- */

struct leco_conn_info;
struct leco_hmark;
/* first_ever answers from the history at `path` (opened when it can be); NULL: no memory. */
struct leco_hmark *leco_hmark_new(const char *path);
void leco_hmark_free(struct leco_hmark *m);
/* Has the app of `ci` never talked to its endpoint before it? (connection `key`; `now`:
 * monotonic ns). False when the history cannot be read. */
bool leco_hmark_first_ever(struct leco_hmark *m, const struct leco_key *key,
			   const struct leco_conn_info *ci, uint64_t now);

/* ---- lib/recorder.c ------------------------------------------------------ */

/* A tick on records that did not come from the maps (tests, benchmarks). */
int leco_recorder_tick_records(struct leco_recorder *rec, const struct leco_key *keys,
			       const struct leco_conn *conns, size_t n);
/* The recorder's reader (tests: names put into its index). */
struct leco_reader *leco_recorder_reader(struct leco_recorder *rec);

#endif /* LECO_LIB_HISTORY_H */
