// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening the history database: the writer creates it (0640, never over another file), sets
 * WAL and the pragmas, creates or migrates the schema; readers open it read-only. Statements
 * are prepared once by their users and reused with sqlite3_reset; every error carries
 * sqlite3_errmsg. No sqlite3_exec: leco_hdb_exec steps each statement itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "history.h"

const char *const leco_tier_table[LECO_TIERS] = {"samples_raw", "samples_1m", "samples_1h",
						 "samples_1d"};
const char *const leco_tier_app_table[LECO_TIERS] = {NULL, NULL, "samples_1h_app",
						     "samples_1d_app"};

#define SAMPLES_COLUMNS                                                                            \
	"(t INTEGER NOT NULL, app INTEGER NOT NULL, endpoint INTEGER NOT NULL, "                   \
	"proto INTEGER NOT NULL, dir INTEGER NOT NULL, rx INTEGER NOT NULL, tx INTEGER NOT NULL, " \
	"conns INTEGER NOT NULL, failed INTEGER NOT NULL, blocked INTEGER NOT NULL, "              \
	"PRIMARY KEY (t, app, endpoint, proto, dir)) STRICT, WITHOUT ROWID;"

#define APP_COLUMNS                                                                             \
	"(t INTEGER NOT NULL, app INTEGER NOT NULL, rx INTEGER NOT NULL, tx INTEGER NOT NULL, " \
	"conns INTEGER NOT NULL, failed INTEGER NOT NULL, blocked INTEGER NOT NULL, "           \
	"PRIMARY KEY (t, app)) STRICT, WITHOUT ROWID;"

/* Schema v1. */
static const char schema_v1[] =
	"CREATE TABLE apps (id INTEGER PRIMARY KEY, exe TEXT NOT NULL, cmd TEXT NOT NULL, "
	"unit TEXT NOT NULL, user TEXT NOT NULL, first_seen INTEGER NOT NULL, "
	"last_seen INTEGER NOT NULL, UNIQUE (exe, cmd, unit, user)) STRICT;"
	"CREATE TABLE endpoints (id INTEGER PRIMARY KEY, raddr TEXT NOT NULL, "
	"rport INTEGER NOT NULL, rname TEXT NOT NULL DEFAULT '', first_seen INTEGER NOT NULL, "
	"last_seen INTEGER NOT NULL, UNIQUE (raddr, rport)) STRICT;"
	"CREATE TABLE pairs (app INTEGER NOT NULL, endpoint INTEGER NOT NULL, "
	"proto INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, "
	"PRIMARY KEY (app, endpoint, proto)) STRICT, WITHOUT ROWID;"
	"CREATE INDEX pairs_first_seen ON pairs (first_seen);"
	"CREATE INDEX pairs_endpoint ON pairs (endpoint);"
	"CREATE TABLE samples_raw " SAMPLES_COLUMNS "CREATE TABLE samples_1m " SAMPLES_COLUMNS
	"CREATE TABLE samples_1h " SAMPLES_COLUMNS "CREATE TABLE samples_1d " SAMPLES_COLUMNS
	/* the same per app only: what long ranges by app, exe, unit or user read */
	"CREATE TABLE samples_1h_app " APP_COLUMNS "CREATE TABLE samples_1d_app " APP_COLUMNS
	"CREATE TABLE cursors (cookie INTEGER NOT NULL, peer BLOB NOT NULL, "
	"first_ns INTEGER NOT NULL, rx INTEGER NOT NULL, tx INTEGER NOT NULL, "
	"flags INTEGER NOT NULL, gone INTEGER NOT NULL, PRIMARY KEY (cookie, peer)) STRICT, "
	"WITHOUT ROWID;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) STRICT, WITHOUT ROWID;";

/*
 * v0 -> v1. v0 is the prototype's layout: one flat table `samples` per interval with the app
 * and endpoint spelled out in every row, no interning, no tiers, no cursors. Its rows go to
 * samples_raw with the rollup horizons set before the oldest, so the recorder rolls them up
 * (in small batches, like any backlog) and then lets the raw rows expire.
 */
static const char migrate_v0[] =
	"INSERT OR IGNORE INTO apps (exe, cmd, unit, user, first_seen, last_seen) "
	"SELECT exe, cmd, unit, user, min(t), max(t) FROM samples GROUP BY exe, cmd, unit, user;"
	"INSERT OR IGNORE INTO endpoints (raddr, rport, first_seen, last_seen) "
	"SELECT raddr, rport, min(t), max(t) FROM samples GROUP BY raddr, rport;"
	"INSERT INTO pairs SELECT a.id, e.id, s.proto, min(s.t), max(s.t) FROM samples s "
	"JOIN apps a ON (a.exe, a.cmd, a.unit, a.user) = (s.exe, s.cmd, s.unit, s.user) "
	"JOIN endpoints e ON (e.raddr, e.rport) = (s.raddr, s.rport) GROUP BY a.id, e.id, s.proto;"
	"INSERT INTO samples_raw SELECT s.t, a.id, e.id, s.proto, s.dir, sum(s.rx), sum(s.tx), "
	"sum(s.conns), 0, 0 FROM samples s "
	"JOIN apps a ON (a.exe, a.cmd, a.unit, a.user) = (s.exe, s.cmd, s.unit, s.user) "
	"JOIN endpoints e ON (e.raddr, e.rport) = (s.raddr, s.rport) "
	"GROUP BY s.t, a.id, e.id, s.proto, s.dir;"
	"INSERT INTO meta SELECT 'upto_1m', min(t) / 60 * 60 FROM samples WHERE t IS NOT NULL;"
	"INSERT INTO meta SELECT 'upto_1h', min(t) / 3600 * 3600 FROM samples WHERE t IS NOT NULL;"
	"INSERT INTO meta SELECT 'upto_1d', min(t) / 86400 * 86400 - 86400 FROM samples "
	"WHERE t IS NOT NULL;"
	"DROP TABLE samples;";

int leco_hdb_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT:
		return -EBADMSG;
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int leco_hdb_fail(sqlite3 *db, int rc, const char *what, char *msg, size_t msgsz)
{
	const char *m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	snprintf(msg, msgsz, "%s: %s", what, m && *m ? m : sqlite3_errstr(rc));
	return leco_hdb_errno(rc) ? leco_hdb_errno(rc) : -EIO;
}

int leco_hdb_exec(sqlite3 *db, const char *sql, char *msg, size_t msgsz)
{
	const char *tail = sql;

	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		const char *start = tail;
		int rc = sqlite3_prepare_v2(db, start, -1, &st, &tail);

		if (rc != SQLITE_OK)
			return leco_hdb_fail(db, rc, "preparing the schema", msg, msgsz);
		if (!st)
			break; /* only whitespace left */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			char what[96];

			snprintf(what, sizeof(what), "%.*s", (int)strcspn(start, "("), start);
			return leco_hdb_fail(db, rc, what, msg, msgsz);
		}
	}
	return 0;
}

int leco_hdb_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *msg, size_t msgsz)
{
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);

	if (rc != SQLITE_OK) {
		char what[96];

		snprintf(what, sizeof(what), "preparing \"%.60s\"", sql);
		return leco_hdb_fail(db, rc, what, msg, msgsz);
	}
	return 0;
}

int leco_hdb_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, char *msg, size_t msgsz)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		rc = leco_hdb_fail(db, rc, what, msg, msgsz);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return 0;
}

int leco_hdb_int(sqlite3 *db, const char *sql, int64_t *val)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*val = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*val = 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int leco_hdb_meta_get(sqlite3 *db, const char *key, int64_t def, int64_t *val)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL);

	*val = def;
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*val = sqlite3_column_int64(st, 0);
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	return leco_hdb_errno(rc);
}

int leco_hdb_meta_set(sqlite3 *db, const char *key, int64_t val, char *msg, size_t msgsz)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return leco_hdb_fail(db, rc, "meta", msg, msgsz);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, val);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : leco_hdb_fail(db, rc, "meta", msg, msgsz);
}

int64_t leco_hdb_size(sqlite3 *db)
{
	int64_t pages = 0, size = 0;

	if (leco_hdb_int(db, "PRAGMA page_count", &pages) ||
	    leco_hdb_int(db, "PRAGMA page_size", &size))
		return -1;
	return pages * size;
}

/* Does table `name` exist? */
static bool has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool yes = false;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return yes;
}

/* The file at `path` as the writer wants it: a regular file, created 0640 when missing. */
static int make_file(const char *path, char *msg, size_t msgsz)
{
	struct stat st;
	int fd;

	if (!stat(path, &st)) {
		if (S_ISREG(st.st_mode))
			return 0;
		snprintf(msg, msgsz, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (errno != ENOENT) {
		snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640);
	if (fd < 0 && errno == EEXIST)
		return 0; /* made by someone else just now: sqlite checks what it is */
	if (fd < 0) {
		int e = errno;

		snprintf(msg, msgsz, "%s: cannot create: %s", path, strerror(e));
		return -e;
	}
	fchmod(fd, 0640); /* whatever the umask: group leco reads it, nobody else */
	close(fd);
	return 0;
}

/* Create (empty file) or migrate (v0) to v1; the version is checked by the caller. */
static int schema_setup(sqlite3 *db, int64_t version, const char *path, char *msg, size_t msgsz)
{
	int64_t ntables = 0;
	int ret;

	if (version == LECO_HISTORY_SCHEMA) {
		if (has_table(db, "apps") && has_table(db, "cursors") && has_table(db, "meta"))
			return 0;
		snprintf(msg, msgsz, "%s: schema version 1 but tables are missing", path);
		return -EBADMSG;
	}
	if (leco_hdb_int(db, "SELECT count(*) FROM sqlite_schema", &ntables))
		return leco_hdb_fail(db, SQLITE_ERROR, path, msg, msgsz);
	if (ntables && !has_table(db, "samples")) {
		snprintf(msg, msgsz, "%s: not a libleco history database (it has other tables)",
			 path);
		return -EBADMSG;
	}
	if (!ntables && (ret = leco_hdb_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", msg, msgsz)))
		return ret;
	if ((ret = leco_hdb_exec(db, "BEGIN IMMEDIATE", msg, msgsz)))
		return ret;
	ret = leco_hdb_exec(db, schema_v1, msg, msgsz);
	if (!ret && ntables)
		ret = leco_hdb_exec(db, migrate_v0, msg, msgsz);
	if (!ret)
		ret = leco_hdb_exec(db, "PRAGMA user_version = 1; COMMIT", msg, msgsz);
	if (ret) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); /* no result to read */
		return ret;
	}
	/* a migrated file was made without incremental vacuum: set it, and rebuild once */
	if (ntables)
		return leco_hdb_exec(db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM", msg, msgsz);
	return 0;
}

/* Open, and check that it is a database we can write, of a version we know. */
static int open_checked(const char *path, sqlite3 **pdb, int64_t *version, char *msg, size_t msgsz)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL);

	*pdb = db;
	if (rc != SQLITE_OK)
		return leco_hdb_fail(db, rc, path, msg, msgsz);
	if (sqlite3_db_readonly(db, "main") == 1) {
		snprintf(msg, msgsz, "%s: opened read-only (read-only file system or file?)", path);
		return -EROFS;
	}
	sqlite3_busy_timeout(db, 2000);
	sqlite3_extended_result_codes(db, 1);
	if ((rc = leco_hdb_int(db, "PRAGMA user_version", version)) != SQLITE_OK)
		return leco_hdb_fail(db, rc, path, msg, msgsz);
	if (*version > LECO_HISTORY_SCHEMA) {
		snprintf(msg, msgsz,
			 "%s: schema version %lld is newer than this libleco knows (%d)", path,
			 (long long)*version, LECO_HISTORY_SCHEMA);
		return -EPROTO;
	}
	return 0;
}

int leco_hdb_open_write(const char *path, bool nosync, sqlite3 **pdb, char *msg, size_t msgsz)
{
	sqlite3 *db = NULL;
	int64_t version = 0;
	int ret, one = 1;

	if ((ret = make_file(path, msg, msgsz)))
		return ret;
	if ((ret = open_checked(path, &db, &version, msg, msgsz)) ||
	    (ret = leco_hdb_exec(db, "PRAGMA journal_mode = WAL", msg, msgsz)) ||
	    (ret = schema_setup(db, version, path, msg, msgsz)) ||
	    (ret = leco_hdb_exec(db,
				 nosync ? "PRAGMA synchronous = OFF"
					/* WAL + FULL: every commit is on disk; power loss costs
					 * at most the interval being written */
					: "PRAGMA synchronous = FULL",
				 msg, msgsz)) ||
	    (ret = leco_hdb_exec(db,
				 "PRAGMA journal_size_limit = 8388608;"
				 "PRAGMA wal_autocheckpoint = 1000; PRAGMA cache_size = -4096",
				 msg, msgsz))) {
		sqlite3_close(db);
		return ret;
	}
	/* keep -wal and -shm after close: a reader that may not create files in the directory
	 * (group leco, directory 0750) can still open the database */
	sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	*pdb = db;
	return 0;
}

int leco_hdb_open_read(const char *path, sqlite3 **pdb, char *msg, size_t msgsz)
{
	sqlite3 *db = NULL;
	int64_t version = 0;
	struct stat st;
	int rc;

	if (stat(path, &st)) {
		int e = errno;

		snprintf(msg, msgsz, "%s: %s%s", path, strerror(e),
			 e == ENOENT ? " (no history recorded there yet: leco record)" : "");
		return -e;
	}
	if (access(path, R_OK)) {
		snprintf(msg, msgsz,
			 "%s: permission denied (the history is readable by its owner "
			 "and group only)",
			 path);
		return -EACCES;
	}
	/* SQLITE_OPEN_READONLY is what the URI parameter mode=ro sets */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_EXRESCODE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 2000);
		rc = leco_hdb_int(db, "PRAGMA user_version", &version);
	}
	if (rc != SQLITE_OK) {
		rc = leco_hdb_fail(db, rc, path, msg, msgsz);
		sqlite3_close(db);
		return rc;
	}
	if (version != LECO_HISTORY_SCHEMA || !has_table(db, "apps")) {
		snprintf(msg, msgsz,
			 version > LECO_HISTORY_SCHEMA
				 ? "%s: schema version %lld is newer than this libleco knows"
				 : "%s: schema version %lld: not (yet) a libleco history database "
				   "(leco record migrates it)",
			 path, (long long)version);
		sqlite3_close(db);
		return -EPROTO;
	}
	*pdb = db;
	return 0;
}
