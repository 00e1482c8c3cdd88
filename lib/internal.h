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
 * Annotate process `tgid` whose kernel comm is `comm` (sanitized). get_exec
 * (may be NULL) returns the exec capture for tgid, used when its tgid matches,
 * exec_ns <= first_ns and its comm matches; else /proc/PID/cmdline when
 * /proc/PID/comm still equals comm. Strings valid until the next call.
 */
typedef const struct leco_exec *(*leco_exec_get_fn)(void *ctx, uint32_t tgid);
void leco_proc_lookup(struct leco_proc *p, uint32_t tgid, const char *comm, uint64_t first_ns,
		      leco_exec_get_fn get_exec, void *ctx, uint64_t now,
		      struct leco_proc_info *info);

struct leco_cgroups;
struct leco_cgroups *leco_cgroups_new(const char *cgroup_root, unsigned int label_cut);
void leco_cgroups_free(struct leco_cgroups *cg);
void leco_cgroups_set_cut(struct leco_cgroups *cg, unsigned int label_cut);
/* Cgroup path relative to the root ("" for the root or unknown). Never NULL. */
const char *leco_cgroups_path(struct leco_cgroups *cg, uint64_t id, uint64_t now);
/* Short, disambiguated label for `id` ("" for none). Never NULL. */
const char *leco_cgroups_label(struct leco_cgroups *cg, uint64_t id, uint64_t now);
/* The cgroup2 mount point from `mounts` (a /proc/mounts path) into buf; -ENOENT. */
int leco_cgroup2_mount(const char *mounts, char *buf, size_t bufsz);

/* ---- pinned maps (lib/maps.c) ------------------------------------------- */

struct leco_maps {
	int info_fd, conns_fd, execs_fd, stats_fd;
	uint64_t conns_dev, conns_ino; /* identity of the conns pin */
	uint32_t conns_id;	       /* kernel map id of conns */
	uint32_t conns_max;
	struct leco_info info;
	bool batch_unsupported;
	struct leco_key *kbuf; /* one chunk of keys and values */
	struct leco_conn *vbuf;
};
void leco_maps_init(struct leco_maps *m);
/*
 * Open the pins under `dir` read-only and check the layout. Returns 0,
 * -ENOENT (missing), -EACCES, -EPROTO (layout), other -errno; `msg` says why.
 */
int leco_maps_open(struct leco_maps *m, const char *dir, char *msg, size_t msgsz);
void leco_maps_close(struct leco_maps *m);
/* Do the pins under `dir` still name the maps we hold open? */
bool leco_maps_current(const struct leco_maps *m, const char *dir);
/* Callback per chunk of records; return < 0 to stop with that error. */
typedef int (*leco_maps_cb)(void *ctx, const struct leco_key *keys, const struct leco_conn *conns,
			    size_t n);
/* Read the whole connection table in chunks (batch lookup, get_next_key fallback). */
int leco_maps_read_conns(struct leco_maps *m, leco_maps_cb cb, void *ctx);
int leco_maps_exec(struct leco_maps *m, uint32_t tgid, struct leco_exec *ex);
int leco_maps_stats(struct leco_maps *m, struct leco_stats *sum);

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
};

struct leco_conntab {
	struct leco_ct_ent *ents;
	uint32_t *buckets;
	uint32_t nbuckets, nents, cap_ents, used, free_head, max;
	uint32_t gen;
	uint64_t dropped; /* records ignored because the table was full */
};

void leco_conntab_init(struct leco_conntab *t, uint32_t max);
void leco_conntab_free(struct leco_conntab *t);
/* Start a snapshot: bumps the generation. */
void leco_conntab_begin(struct leco_conntab *t);
/* Insert or update one record seen in this snapshot. */
int leco_conntab_put(struct leco_conntab *t, const struct leco_key *k, const struct leco_conn *c,
		     uint64_t now_mono, int64_t now_real);
/* End a snapshot: forget entries the snapshot did not contain. */
void leco_conntab_end(struct leco_conntab *t);

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
	uint64_t now_mono, prev_poll_mono; /* this poll; the last snapshot read (0: none) */
	uint64_t snap_mono;
	int64_t now_real;

	struct leco_users *users;
	struct leco_proc *proc;
	struct leco_cgroups *cgroups;
	struct leco_exec exec;
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
