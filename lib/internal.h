/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal interfaces of the reader half of libleco: caches, sanitizing,
 * annotation (proc, users, cgroups), pinned maps, formatting, the connection
 * table and the view. Nothing here is exported (see lib/libleco.map).
 */
#ifndef LECO_LIB_INTERNAL_H
#define LECO_LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "bpf/leco.h"
#include "cgroup2.h"
#include "config.h"
#include "hash.h"
#include "leco.h"
#include "sanitize.h"

#define LECO_NS 1000000000ULL

/* Wall time of monotonic `t` given both clocks now; ages beyond 100 years are clamped. */
static inline int64_t leco_mono_to_real(uint64_t t, uint64_t now_mono, int64_t now_real)
{
	uint64_t age = now_mono > t ? now_mono - t : 0;

	if (age > 100ULL * 366 * 86400 * 1000000000ULL)
		age = 100ULL * 366 * 86400 * 1000000000ULL;
	return now_real - (int64_t)age;
}

/* ---- helpers for every part (lib/leco.c) ---------------------------------- */

/* "connect", "accept", ... for struct leco_conn.owner (LECO_OWNER_*); "" for none */
const char *leco_owner_name(int owner);

/* Where a field of an options struct starts and how long it is. */
struct leco_opt_field {
	size_t off, len;
};
#define LECO_OPT_FIELD(type, f)                                         \
	{                                                               \
		offsetof(struct type, f), sizeof(((struct type *)0)->f) \
	}
/*
 * Copy the caller's options struct `in` (its `size_t sz` first) into `out` (`outsz` bytes),
 * zeroed first; NULL: all defaults. A shorter (older) struct is fine if it ends on a field
 * boundary, a longer one only with zero tail bytes. -ERANGE for a size that ends inside a
 * field (copying part of a pointer would make a wild one) or is too small, -EINVAL for unknown
 * non-zero fields.
 */
int leco_opts_copy(void *out, size_t outsz, const void *in, const struct leco_opt_field *fields,
		   size_t nfields);
/* Grow *p to hold n elements of `size` bytes (at least doubling *cap); -ENOMEM (*p untouched). */
int leco_reserve(void **p, size_t *cap, size_t n, size_t size);
/* Fill `err` (if not NULL) with code and msg; returns code. */
int leco_error_set(struct leco_error *err, int code, const char *msg);

/* ---- small helpers (lib/cache.c) ---------------------------------------- */

/*
 * A bounded cache of strings keyed by a 64-bit key, optionally with a string key
 * too (then both must match). Entries expire `ttl_ns` after insertion (or after
 * the last hit when `bump` is set); when full, the oldest entry is evicted.
 * Values are copied; lookups return a pointer valid until the next put/clear.
 */
struct leco_cache;
struct leco_cache *leco_cache_new(size_t cap, uint64_t ttl_ns, bool bump);
void leco_cache_free(struct leco_cache *c);
void leco_cache_clear(struct leco_cache *c);
const char *leco_cache_get(struct leco_cache *c, uint64_t key, const char *skey, uint64_t now);
int leco_cache_put(struct leco_cache *c, uint64_t key, const char *skey, const char *val,
		   uint64_t now);
size_t leco_cache_count(const struct leco_cache *c);

/* Per-poll string storage: strings stay valid until leco_arena_reset(). */
struct leco_arena {
	struct leco_arena_chunk *head;
	size_t used_total;
};
const char *leco_arena_strdup(struct leco_arena *a, const char *s);
void leco_arena_reset(struct leco_arena *a);
void leco_arena_free(struct leco_arena *a);

/* ---- annotation: users, processes, cgroups ------------------------------- */

struct leco_users;
struct leco_users *leco_users_new(const char *passwd_path);
void leco_users_free(struct leco_users *u);
/* User name for `uid` (sanitized), or the uid in decimal. Never NULL. */
const char *leco_users_name(struct leco_users *u, uint32_t uid, uint64_t now);

struct leco_proc;
struct leco_proc_info {
	const char *cmd; /* script name for interpreters (cut), else comm; never NULL */
	const char *exe; /* "" if unknown */
};
struct leco_proc *leco_proc_new(const char *proc_root, unsigned int script_cut);
void leco_proc_free(struct leco_proc *p);
void leco_proc_set_cut(struct leco_proc *p, unsigned int script_cut);
/* The /proc (or fixture tree) it reads. */
const char *leco_proc_root(const struct leco_proc *p);
/* Is `comm` (sanitized) an interpreter whose script name we look for? */
bool leco_proc_is_interpreter(const char *comm);
/*
 * Script name from an argv block (NUL-separated, `len` bytes): the first
 * argument after argv[0] that is not an option, has no '=' and contains '.' or
 * '/', basename only. Returns false when there is none. Sanitized into `out`.
 */
bool leco_proc_script_from_args(const char *args, size_t len, char *out, size_t outsz);
/*
 * Annotate process `tgid` whose kernel comm is `comm` (sanitized). The name is
 * `script` when given (the script name the kernel kept at exec, from the
 * record: raw bytes, at most LECO_SCRIPT_LEN), else for an interpreter the
 * script in /proc/PID/cmdline when /proc/PID/comm still equals comm. Strings
 * valid until the next call.
 */
void leco_proc_lookup(struct leco_proc *p, uint32_t tgid, const char *comm, const char *script,
		      uint64_t now, struct leco_proc_info *info);

struct leco_cgroups;
struct leco_cgroups *leco_cgroups_new(const char *cgroup_root, unsigned int label_cut);
void leco_cgroups_free(struct leco_cgroups *cg);
void leco_cgroups_set_cut(struct leco_cgroups *cg, unsigned int label_cut);
/* Cgroup path relative to the root ("" for the root or unknown). Never NULL. */
const char *leco_cgroups_path(struct leco_cgroups *cg, uint64_t id, uint64_t now);
/* Short, disambiguated label for `id` ("" for none). Never NULL. */
const char *leco_cgroups_label(struct leco_cgroups *cg, uint64_t id, uint64_t now);

/* ---- pinned maps (lib/maps.c) ------------------------------------------- */

/* A ring of struct leco_slot and its head, read from this reader's own position */
struct leco_ring {
	int fd, head_fd;
	uint32_t max;
	bool started;		/* pos is valid */
	bool batch_unsupported; /* no BPF_F_LOCK batch lookup: slot by slot */
	uint64_t pos;		/* sequence of the next record this reader reads */
	uint64_t head;		/* the head at the last read */
	uint64_t missed;	/* records this reader never read (fell behind, overwritten) */
};

struct leco_maps {
	int info_fd, conns_fd, stats_fd, live_fd;
	char *tcp_path; /* the pinned live-TCP iterator; NULL: this kernel has none */
	uint32_t live_max;
	uint64_t conns_dev, conns_ino; /* identity of the conns pin */
	uint32_t conns_max;
	struct leco_info info;
	bool batch_unsupported;
	struct leco_ring ring;	  /* closed TCP connections */
	struct leco_ring changes; /* records the iterator exported into "live"; fd -1: none */
	struct leco_ring names;	  /* names resolved (the names job); fd -1: none */
	char detached[160];	  /* "" or why the probes are not attached */
	struct leco_key *kbuf;	  /* one chunk of keys and values */
	struct leco_conn *vbuf;
	struct leco_slot *sbuf;
	char *ibuf; /* read() of the iterator (it writes nothing) */
	struct leco_name *nbuf;
};
void leco_maps_init(struct leco_maps *m);
/*
 * Open the pins under `dir` read-only and check the layout. Returns 0,
 * -ENOENT (missing), -EACCES, -EPROTO (layout), other -errno; `msg` says why.
 * m->detached says whether the programs are still attached.
 */
int leco_maps_open(struct leco_maps *m, const char *dir, char *msg, size_t msgsz);
void leco_maps_close(struct leco_maps *m);
/* Do the pins under `dir` still name the maps we hold open? (refreshes m->detached) */
bool leco_maps_current(struct leco_maps *m, const char *dir);
/* Callback per chunk of records; return < 0 to stop with that error. */
typedef int (*leco_maps_cb)(void *ctx, const struct leco_key *keys, const struct leco_conn *conns,
			    size_t n);
/* The conns hash whole, in chunks (batch lookup, get_next_key fallback). */
int leco_maps_read_conns(struct leco_maps *m, leco_maps_cb cb, void *ctx);
/*
 * Live TCP connections with their byte counts now (the iterator refreshes "live"): the ones
 * that changed since this reader's last read (the "changes" ring), or, with `full`, on the
 * first read, or when the reader fell behind the ring, all of them ("live" whole). Returns 1
 * when it read all of them, 0 when only the changed ones, or -errno.
 */
int leco_maps_read_tcp(struct leco_maps *m, bool full, leco_maps_cb cb, void *ctx);
/*
 * One step of a sweep of "live" (no iterator run): its records from bucket *pos on (0: the
 * start) until about `budget` were read (whole buckets); *pos is where the next step goes on.
 * Returns 1 when the sweep reached the end (a bucket larger than a chunk, or no batch lookup:
 * all of "live" in this step), 0 when more remain, or -errno.
 */
int leco_maps_sweep_live(struct leco_maps *m, uint64_t *pos, uint32_t budget, leco_maps_cb cb,
			 void *ctx);
/* Closed TCP connections added to the ring since this reader's last read. */
int leco_maps_read_ring(struct leco_maps *m, leco_maps_cb cb, void *ctx);
int leco_maps_stats(struct leco_maps *m, struct leco_stats *sum);
#define LECO_RING_CHUNK 256 /* most slots leco_ring_slots() reads at once */
/* Ring helpers shared by the readers of the rings (lib/ring.c):
 *  - leco_ring_begin: the head now; the position moved up to what the ring still holds (a new
 *    reader starts with all of it, one further behind counts the rest as missed);
 *  - leco_ring_span: how many slots to read from the position on (at most `chunk`, never past
 *    the end of the array or the head);
 *  - leco_ring_slots: slots [idx, idx + *n) into buf (records of vsize bytes), each copied
 *    with `flags` (BPF_F_LOCK: under its lock); batch lookup, else one by one. */
int leco_ring_begin(struct leco_ring *g, struct leco_ring_head *h);
uint32_t leco_ring_span(const struct leco_ring *g, uint64_t head, uint32_t chunk);
int leco_ring_slots(struct leco_ring *g, uint32_t idx, uint32_t *n, void *buf, size_t vsize,
		    uint64_t flags);

/* ---- names of remote addresses (lib/names.c) ----------------------------- */

#define LECO_NAMES_CHUNK     64	   /* names ring records read per batch */
#define LECO_NAMES_INDEX_MAX 16384 /* entries of a reader's names index */

/* Names resolved since this reader's last read, one record at a time (whole ones only: a
 * record being written is read next time); 0 without the names job. */
typedef int (*leco_names_cb)(void *ctx, const struct leco_name *n);
int leco_maps_read_names(struct leco_maps *m, leco_names_cb cb, void *ctx);

/* A reader's index of the names resolved on the machine: (address, process, name, when) */
struct leco_names;
struct leco_names *leco_names_new(size_t cap);
void leco_names_free(struct leco_names *x);
/* Read what the names ring got since the last read into the index; forget what is older than
 * a day (`now`: CLOCK_MONOTONIC). 0 or -errno (the index keeps what it had). */
int leco_names_read(struct leco_names *x, struct leco_maps *m, uint64_t now);
/* One record into the index, as if read from the ring (tests, benchmarks) */
int leco_names_add(struct leco_names *x, const struct leco_name *r);
/*
 * The name of remote address `raddr` (family 4: IPv4 in the first 4 bytes; 6: IPv6, mapped
 * IPv4 included) for a connection of process (tgid, start_ns) that began at first_ns
 * (CLOCK_MONOTONIC): the one that process resolved, else one another process resolved within
 * an hour of first_ns (*borrowed set), else NULL. Valid until the next leco_names_read().
 */
const char *leco_names_lookup(const struct leco_names *x, const uint8_t raddr[16], int family,
			      uint32_t tgid, uint64_t start_ns, uint64_t first_ns, bool *borrowed);
size_t leco_names_count(const struct leco_names *x);
uint64_t leco_names_evicted(const struct leco_names *x); /* pushed out of the full index */

/* ---- formatting (lib/format.c) ------------------------------------------ */

/* "58B", "3.4M": the original's sz_repr. */
void leco_fmt_size(char *buf, size_t bufsz, uint64_t sz);
/* "-1d", "-22h", "now": the original's td_repr with one unit. */
void leco_fmt_reltime(char *buf, size_t bufsz, double td_s);
/* Time field: "HH:MM" (local time of `first_real_ns`) if td_s < reltime_after, else "%5s" of -Nu.
 */
void leco_fmt_time(char *buf, size_t bufsz, int64_t first_real_ns, double td_s,
		   uint64_t reltime_after_s);
/* Address text: IPv4, IPv6 (mapped shown as IPv4), "[::]" for the unspecified v6. Sets *family. */
void leco_fmt_addr(char *buf, size_t bufsz, const uint8_t addr[16], int family_in, int *family);
/* Short word for a failure errno ("refused", "timeout", ...). */
const char *leco_fmt_err_word(int state, int err);

struct leco_conn_info;
/* The display line of an annotated connection (lib/annotate.h) whose time field is `time`;
 * returns its length (truncated to bufsz - 1). */
size_t leco_fmt_line(char *buf, size_t bufsz, const struct leco_format_conf *f, const char *time,
		     const struct leco_conn_info *ci);

/* ---- connection table (lib/conntab.c) --------------------------------- */

struct leco_ct_ent {
	struct leco_key key;
	struct leco_conn c;
	uint64_t prev_rx, prev_tx, prev_last_ns; /* at the previous poll */
	int64_t first_real_ns;			 /* wall time of first_ns, fixed when first seen */
	uint64_t shown_hash;			 /* hash of the text the view last showed for it */
	uint32_t gen;				 /* poll generation that last saw it */
	uint32_t first_gen;			 /* poll generation that first saw it */
	uint32_t next;				 /* hash chain / free list */
	uint8_t prev_state;
	bool used;
	bool keep; /* a closed connection from the ring, kept after the kernel forgot it */
	bool live; /* live TCP: kept when a snapshot read only the live records that changed */
};

struct leco_conntab {
	struct leco_ct_ent *ents;
	uint32_t *buckets;
	uint32_t nbuckets, nents, cap_ents, used, free_head, max;
	uint32_t gen;
	uint64_t dropped;	 /* records ignored because the table was full */
	uint64_t keep_ns;	 /* closed connections stay this long after their last activity */
	uint32_t keep_max, kept; /* at most this many of them; how many now */
	uint32_t live;		 /* live TCP entries after the last leco_conntab_end() */
};

void leco_conntab_init(struct leco_conntab *t, uint32_t max);
void leco_conntab_free(struct leco_conntab *t);
/* Start a snapshot: bumps the generation. */
void leco_conntab_begin(struct leco_conntab *t);
/* Where a record comes from */
enum leco_ct_src {
	LECO_CT_CONNS,	/* the conns hash, read whole every snapshot */
	LECO_CT_LIVE,	/* live TCP: every one, or only the ones that changed */
	LECO_CT_CLOSED, /* a final record from the closed ring */
};
/* Insert or update one record seen in this snapshot. */
int leco_conntab_put(struct leco_conntab *t, const struct leco_key *k, const struct leco_conn *c,
		     enum leco_ct_src src, uint64_t now_mono, int64_t now_real);
/* End a snapshot: forget entries it did not contain, except live TCP ones last seen at
 * generation `live_cut` or later (0: all of them stay; this snapshot's: it read all of
 * "live"), and closed ones that aged out by now. */
void leco_conntab_end(struct leco_conntab *t, uint64_t now, uint32_t live_cut);

/* ---- reader (lib/reader.c; the steps: lib/annotate.c, lib/view.c) ------- */

struct leco_reader {
	char *pin_dir, *config_path, *config_text;
	struct leco_clock clock;
	bool raw;
	unsigned int max_lines_opt;

	struct leco_config *cfg; /* NULL: defaults, no rules */
	struct leco_format_conf fconf;
	struct leco_view_conf vconf;
	struct stat *cfg_st;
	bool cfg_failed;

	struct leco_maps maps;
	bool attached, ever_attached;
	int state;
	uint64_t polls, reattaches;

	struct leco_conntab tab;
	uint64_t poll_start_ns, conns_old; /* conns records made before this poll began */
	uint64_t conns_evicted;		   /* conns inserts - present, highest seen */
	uint64_t now_mono, prev_poll_mono; /* this poll; the last snapshot read (0: none) */
	uint64_t snap_mono;
	uint64_t live_all_mono;	  /* when all of live TCP was last read or swept (0: never) */
	uint64_t ring_missed_now; /* the closed ring's missed count then: more means read whole */
	bool live_all;		  /* this snapshot read every live TCP record */
	/* the sweep: all of "live" read a step per poll, for the check once a minute */
	bool sweeping;
	uint32_t sweep_gen;    /* the table's generation when it began */
	uint32_t sweep_left;   /* steps of sweep_budget records left, then all the rest */
	uint32_t sweep_budget; /* records a step reads (whole buckets: about) */
	uint32_t sweep_min;    /* ... at least (tests: fewer) */
	uint64_t sweep_pos;    /* where its next step goes on in "live" */
	uint32_t live_cut;     /* live TCP entries last seen before this generation go */
	int64_t now_real;

	struct leco_users *users;
	struct leco_proc *proc;
	struct leco_cgroups *cgroups;
	struct leco_names *names;	       /* names of remote addresses (lib/names.c) */
	struct leco_annot_slot **annot;	       /* per table entry: what lib/annotate.c keeps */
	struct leco_annot_slot *annot_scratch; /* the annotation made last, not kept (yet) */
	const struct leco_ct_ent *annot_scratch_for; /* ... and its entry */
	uint32_t annot_cap, annot_epoch;

	struct leco_hmark *hmark;  /* first_ever from a history database (lib/history_mark.c) */
	struct leco_account *acct; /* per-process accounting (lib/account.c), once asked for */

	struct leco_line *lines;
	size_t nlines, cap_lines;
	struct leco_ct_ent **order;
	size_t cap_order;
	uint64_t *slots;
	size_t cap_slots;
	struct leco_arena arena;

	char msg[LECO_ERRMSG_MAX];
	char cfg_msg[LECO_ERRMSG_MAX];
};

/* Feed a snapshot that did not come from maps (tests, benchmarks) and rebuild the view. */
int leco_reader_poll_records(struct leco_reader *r, const struct leco_key *keys,
			     const struct leco_conn *conns, size_t n);
/* Rebuild r->lines from the connection table (lib/view.c). */
int leco_view_build(struct leco_reader *r);

#endif /* LECO_LIB_INTERNAL_H */
