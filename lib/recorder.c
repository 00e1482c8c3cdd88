// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The recorder: a reader of the connection table and the history store (lib/history_*.c)
 * behind one object. It owns the database file: one recorder per file (flock), created 0640,
 * opened again after a failure (disk full, read-only file system: the next interval retries)
 * or when the file at its path was deleted or replaced (the old file's log is checkpointed
 * and emptied first, so that it can never be applied to the new one).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annotate.h"
#include "history.h"

struct leco_recorder {
	struct leco_reader *r;
	struct leco_hstore *s;
	struct leco_hconf conf;
	char *path;
	bool nosync;
	int lock_fd; /* the database file, flock()ed: one recorder per file */
	dev_t dev;
	ino_t ino;
	int db_err;
	uint64_t ticks, failures, reopens, dropped_seen;
	char msg[LECO_ERRMSG_MAX];
};

static int copy_opts(struct leco_recorder_opts *o, const struct leco_recorder_opts *in)
{
	static const struct leco_opt_field fields[] = {
		LECO_OPT_FIELD(leco_recorder_opts, pin_dir),
		LECO_OPT_FIELD(leco_recorder_opts, proc_root),
		LECO_OPT_FIELD(leco_recorder_opts, cgroup_root),
		LECO_OPT_FIELD(leco_recorder_opts, passwd_path),
		LECO_OPT_FIELD(leco_recorder_opts, clock),
		LECO_OPT_FIELD(leco_recorder_opts, interval),
		LECO_OPT_FIELD(leco_recorder_opts, keep_raw),
		LECO_OPT_FIELD(leco_recorder_opts, keep_1m),
		LECO_OPT_FIELD(leco_recorder_opts, keep_1h),
		LECO_OPT_FIELD(leco_recorder_opts, keep_1d),
		LECO_OPT_FIELD(leco_recorder_opts, max_bytes),
		LECO_OPT_FIELD(leco_recorder_opts, no_sync),
	};

	return leco_opts_copy(o, sizeof(*o), in, fields, sizeof(fields) / sizeof(fields[0]));
}

/* Tier retention from the options: 0 is the default, < 0 forever. */
static int64_t keep(int64_t v, int64_t def)
{
	return v ? v : def;
}

/* The options as the store's configuration; -EINVAL with msg. */
static int make_conf(const struct leco_recorder_opts *o, struct leco_hconf *c, char *msg,
		     size_t msgsz)
{
	memset(c, 0, sizeof(*c));
	c->interval = o->interval ? o->interval : LECO_HISTORY_INTERVAL_S;
	if (c->interval > 3600) {
		snprintf(msg, msgsz, "invalid options: interval %u s is over 3600", c->interval);
		return -EINVAL;
	}
	c->keep[LECO_TIER_RAW] = keep(o->keep_raw, LECO_HISTORY_KEEP_RAW_S);
	c->keep[LECO_TIER_1M] = keep(o->keep_1m, LECO_HISTORY_KEEP_1M_S);
	c->keep[LECO_TIER_1H] = keep(o->keep_1h, LECO_HISTORY_KEEP_1H_S);
	c->keep[LECO_TIER_1D] = keep(o->keep_1d, -1);
	for (int k = 0; k < LECO_TIERS; k++) {
		if (c->keep[k] > 0 && c->keep[k] < 2 * (int64_t)c->interval) {
			snprintf(msg, msgsz,
				 "invalid options: a tier kept %lld s, under two "
				 "intervals",
				 (long long)c->keep[k]);
			return -EINVAL;
		}
	}
	c->max_bytes = !o->max_bytes		    ? LECO_HISTORY_MAX_BYTES
		       : o->max_bytes == UINT64_MAX ? 0
						    : o->max_bytes;
	c->batch_rows = 20000;
	c->max_gone = 2 * LECO_CONNS_MAX;
	return 0;
}

/* This boot's id: socket cookies start over after a reboot, and so do the cursors. */
static void boot_id(char *buf, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, (int)size, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

/* Open (creating 0640 when missing) and lock the file at the path. 0 or -errno with msg. */
static int lock_file(struct leco_recorder *rec)
{
	struct stat st;
	bool created = false;
	int fd = open(rec->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ENOENT) {
		fd = open(rec->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		created = fd >= 0;
	}
	if (fd < 0 && errno == ELOOP) /* a symbolic link: the user's choice, follow it */
		fd = open(rec->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		snprintf(rec->msg, sizeof(rec->msg), "%s: %s", rec->path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(rec->msg, sizeof(rec->msg), "%s: not a regular file", rec->path);
		close(fd);
		return -EINVAL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		snprintf(rec->msg, sizeof(rec->msg), "%s: %s", rec->path,
			 e == EWOULDBLOCK ? "another leco record writes this database"
					  : strerror(e));
		close(fd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	if (created) {
		char side[4096];

		fchmod(fd, 0640); /* whatever the umask: the owner writes, the group reads */
		/* a log left by a deleted file must not be applied to this new one */
		snprintf(side, sizeof(side), "%s-wal", rec->path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", rec->path);
		unlink(side);
	}
	rec->lock_fd = fd;
	rec->dev = st.st_dev;
	rec->ino = st.st_ino;
	return 0;
}

static void close_db(struct leco_recorder *rec)
{
	leco_hstore_detach(rec->s); /* sqlite first: closing our fd drops its locks */
	if (rec->lock_fd >= 0)
		close(rec->lock_fd);
	rec->lock_fd = -1;
}

static int open_db(struct leco_recorder *rec)
{
	bool same = rec->lock_fd >= 0; /* the file written before (a failure, not a new file) */
	sqlite3 *db = NULL;
	int ret;

	if (!same && (ret = lock_file(rec)))
		return ret;
	if ((ret = leco_hdb_open_write(rec->path, rec->nosync, &db, rec->msg, sizeof(rec->msg))) ||
	    (ret = leco_hstore_attach(rec->s, db, same, rec->msg, sizeof(rec->msg)))) {
		if (ret == -EBADMSG || ret == -EPROTO)
			close_db(rec); /* not ours: another file may take its place */
		return ret;
	}
	return 0;
}

/* Is the file at the path still the one we write? */
static bool same_file(struct leco_recorder *rec, bool *gone)
{
	struct stat st;

	*gone = stat(rec->path, &st) != 0;
	return !*gone && st.st_dev == rec->dev && st.st_ino == rec->ino;
}

/* The database, opened (again) if need be. 0 or -errno with msg. */
static int ensure_db(struct leco_recorder *rec)
{
	bool gone = false;
	int rc;

	if (rec->lock_fd >= 0 && !same_file(rec, &gone)) {
		sqlite3 *db = leco_hstore_db(rec->s);

		/* empty the old file's log before the new file is opened: they share its name.
		 * Readers of the old file can hold it up (wait for them); an old file that cannot
		 * be written any more (read-only, I/O errors) cannot be helped */
		if (db && ((rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
							   NULL, NULL)) &
			   0xff) == SQLITE_BUSY) {
			snprintf(rec->msg, sizeof(rec->msg),
				 "%s was %s while open; waiting for readers of the old file to let "
				 "go of its log (%s)",
				 rec->path, gone ? "deleted" : "replaced", sqlite3_errmsg(db));
			return -EBUSY;
		}
		close_db(rec);
	}
	if (leco_hstore_attached(rec->s))
		return 0;
	rec->reopens++;
	return open_db(rec);
}

LECO_API void leco_recorder_free(struct leco_recorder *rec)
{
	if (!rec)
		return;
	close_db(rec);
	leco_hstore_free(rec->s);
	leco_reader_free(rec->r);
	free(rec->path);
	free(rec);
}

/* The reader, the store and the database of a new recorder; -errno with rec->msg. */
static int recorder_init(struct leco_recorder *rec, const struct leco_recorder_opts *o)
{
	LECO_OPTS(leco_reader_opts, ro, .pin_dir = o->pin_dir, .proc_root = o->proc_root,
		  .cgroup_root = o->cgroup_root, .passwd_path = o->passwd_path, .clock = o->clock,
		  .raw = true, .max_lines = 1);
	struct leco_error e;
	char boot[64];
	int ret;

	if ((ret = make_conf(o, &rec->conf, rec->msg, sizeof(rec->msg))))
		return ret;
	if ((ret = leco_reader_open(&ro, &rec->r, &e))) {
		snprintf(rec->msg, sizeof(rec->msg), "%s", e.msg);
		return ret;
	}
	boot_id(boot, sizeof(boot));
	if ((ret = leco_hstore_new(&rec->conf, boot, &rec->s))) {
		snprintf(rec->msg, sizeof(rec->msg), "out of memory");
		return ret;
	}
	ret = open_db(rec);
	/* a disk that is full or read-only now may not be in a while: the ticks retry. What
	 * looks like a mistake (no such directory, not ours, locked) is said at once */
	if (ret == -ENOSPC || ret == -EROFS || ret == -EIO) {
		rec->db_err = ret;
		return 0;
	}
	return ret;
}

LECO_API int leco_recorder_open(const char *db_path, const struct leco_recorder_opts *opts,
				struct leco_recorder **out, struct leco_error *err)
{
	struct leco_recorder_opts o;
	struct leco_recorder *rec;
	int ret;

	if (!out || !db_path || !*db_path)
		return leco_error_set(err, -EINVAL, "no database path or recorder pointer given");
	ret = copy_opts(&o, opts);
	if (ret)
		return leco_error_set(err, -EINVAL,
				      ret == -ERANGE
					      ? "invalid options: .sz ends inside a field"
					      : "invalid options: unknown fields (built against a "
						"newer libleco?)");
	if (!(rec = calloc(1, sizeof(*rec))) || !(rec->path = strdup(db_path))) {
		free(rec);
		return leco_error_set(err, -ENOMEM, "out of memory");
	}
	rec->lock_fd = -1;
	rec->nosync = o.no_sync;
	if ((ret = recorder_init(rec, &o))) {
		leco_error_set(err, ret, rec->msg);
		leco_recorder_free(rec);
		return ret;
	}
	*out = rec;
	return 0;
}

static void fill(void *ctx, void *ent, struct leco_hconn *out)
{
	struct leco_recorder *rec = ctx;
	struct leco_conn_info ci;

	leco_annotate(rec->r, ent, &ci);
	*out = (struct leco_hconn){
		.exe = ci.exe,
		.cmd = ci.cmd,
		.unit = ci.unit,
		.user = ci.user,
		.raddr = ci.raddr,
		.rport = ci.rport,
		.rname = ci.rname,
		.proto = ci.proto,
		.dir = ci.dir,
		.first_seen = ci.first_seen,
		.last_seen = ci.last_seen,
	};
}

/* After the reader's snapshot: the interval into the database. */
static int record(struct leco_recorder *rec)
{
	struct leco_conntab *t = &rec->r->tab;
	bool complete = t->dropped == rec->dropped_seen;
	char msg[LECO_ERRMSG_MAX - 512];
	int ret;

	rec->dropped_seen = t->dropped;
	if ((ret = ensure_db(rec))) {
		rec->db_err = ret;
		rec->failures++;
		return ret;
	}
	leco_hstore_begin(rec->s, rec->r->now_real / (int64_t)LECO_NS);
	for (uint32_t i = 0; i < t->nents; i++)
		if (t->ents[i].used && leco_hstore_conn(rec->s, &t->ents[i].key, &t->ents[i].c,
							fill, rec, &t->ents[i]) < 0)
			break; /* the commit reports it */
	if ((ret = leco_hstore_commit(rec->s, complete, msg, sizeof(msg)))) {
		snprintf(rec->msg, sizeof(rec->msg), "%s: %s (retrying each interval)", rec->path,
			 msg);
		rec->db_err = ret;
		rec->failures++;
		return ret;
	}
	rec->db_err = 0;
	rec->msg[0] = 0;
	return 0;
}

LECO_API int leco_recorder_tick(struct leco_recorder *rec)
{
	int ret;

	if (!rec)
		return -EINVAL;
	rec->ticks++;
	if ((ret = leco_reader_poll(rec->r)) < 0) {
		snprintf(rec->msg, sizeof(rec->msg), "%s", leco_reader_errmsg(rec->r));
		return ret;
	}
	return record(rec);
}

int leco_recorder_tick_records(struct leco_recorder *rec, const struct leco_key *keys,
			       const struct leco_conn *conns, size_t n)
{
	int ret = leco_reader_poll_records(rec->r, keys, conns, n);

	rec->ticks++;
	return ret < 0 ? ret : record(rec);
}

struct leco_reader *leco_recorder_reader(struct leco_recorder *rec)
{
	return rec->r;
}

LECO_API const char *leco_recorder_errmsg(const struct leco_recorder *rec)
{
	return rec ? rec->msg : "";
}

LECO_API int leco_recorder_status(struct leco_recorder *rec, struct leco_recorder_status *st)
{
	struct leco_recorder_status s;
	struct leco_hstore_counts c;
	struct leco_status rs = {.sz = sizeof(rs)};
	struct stat fst;

	if (!rec || !st || st->sz < sizeof(size_t))
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.sz = st->sz;
	leco_hstore_counts(rec->s, &c);
	leco_reader_status(rec->r, &rs);
	s.reader_state = rs.state;
	s.db_error = rec->db_err;
	s.intervals = rec->ticks, s.commits = c.commits, s.failures = rec->failures;
	s.reopens = rec->reopens;
	s.evicted = c.evicted, s.reappeared = c.reappeared;
	s.conns = c.conns, s.cursors = c.cursors;
	for (int k = 0; k < LECO_TIERS; k++)
		s.rolled_up += c.tiers.rolled[k], s.expired += c.tiers.expired[k];
	s.trimmed = c.tiers.trimmed;
	s.last_commit = c.last_commit;
	s.db_bytes = leco_hstore_attached(rec->s) ? leco_hdb_size(leco_hstore_db(rec->s))
		     : stat(rec->path, &fst)	  ? -1
						  : (int64_t)fst.st_size;
	memcpy(st, &s, st->sz < sizeof(s) ? st->sz : sizeof(s));
	return 0;
}
