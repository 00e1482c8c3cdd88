/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-process (and per-exe, program, unit, user, remote, port, proto)
 * accounting: lib/account.c keeps the groups poll after poll, lib/top.c sorts
 * and hands them out, and the every-connection walk (leco_reader_conn) with
 * them. lib/pidstart.c says which process a pid names.
 */
#ifndef LECO_LIB_ACCOUNT_H
#define LECO_LIB_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

#define LECO_BY_COUNT 8
#define ACCT_NONE     UINT32_MAX

/* One group of one group-by. */
struct acct_group {
	uint64_t hash;
	char *key;	    /* identity (string group-bys) and the text handed out */
	char *attrs;	    /* process groups: "comm\0cmd\0user\0unit\0exe\0"; remote: rname */
	uint32_t tgid;	    /* process groups: identity with start_ns */
	uint32_t uid;	    /* process groups */
	uint64_t start_ns;  /* process start, CLOCK_MONOTONIC base; 0 unknown */
	int64_t start_time; /* ... in unix seconds, converted once: as the key says it */
	uint64_t rx, tx;    /* bytes since the accounting started */
	double prx, ptx;    /* this update's bytes for the rate (a late-seen connection's share) */
	double rx_rate, tx_rate, rx_avg, tx_avg;
	uint64_t conns_total, failed, blocked;
	uint64_t first_ns, last_ns; /* first and last activity of its connections */
	uint64_t checked_ns;	    /* process groups: when the process was last seen running */
	uint64_t next_check_ns;	    /* ... when to look again, and to read its start again */
	uint64_t next_verify_ns;
	uint32_t conns; /* open connections in the table, this update */
	uint32_t refs;	/* table entries in this group, this update */
	uint32_t live;	/* ... of them owned by a running process */
	uint32_t next;	/* hash chain / free list */
	bool used, exited, unattributed;
};

/* The groups of one group-by: a pool of groups and a hash of their identities. */
struct acct_dim {
	struct acct_group *g;
	uint32_t n, cap, free_head, used;
	uint32_t *buckets, nbuckets;
};

/* What the accounting keeps per entry of the reader's table (same index). */
struct acct_ent {
	uint64_t sig;	    /* the owner fields its groups were chosen from */
	uint64_t rx, tx;    /* bytes counted into its groups so far */
	uint64_t first_ns;  /* the record's when they were counted (another: made again) */
	uint32_t first_gen; /* the table entry's when chosen (0: no connection here) */
	uint32_t grp[LECO_BY_COUNT];
	uint8_t counted; /* ACCT_COUNTED_FAILED / _BLOCKED */
};

struct leco_pids;
struct acct_rank;

struct leco_account {
	struct acct_ent *ents;
	uint32_t cap_ents;
	struct acct_dim dims[LECO_BY_COUNT];
	struct acct_group total; /* everything, aged-out groups too */
	uint64_t prev_ns;	 /* monotonic time of the last update; 0 before the first */
	uint64_t keep_ns;
	uint32_t updates;
	struct leco_pids *pids;

	/* handed out (lib/top.c): valid until the next poll or call */
	struct leco_group *out;
	size_t nout, cap_out;
	struct leco_group out_total;
	char total_key[16];
	struct acct_rank *order; /* lib/top.c: groups with their sort values */
	size_t cap_order;
	struct leco_conn_info *conns;
	size_t nconns, cap_conns;
	uint32_t conns_gen; /* table generation the walk was made for (0: none) */
};

/* Start accounting for `r` (counting from the table as it is now): 0, -ENOMEM. */
int leco_account_start(struct leco_reader *r);
/* After every successful poll (lib/reader.c), when started. */
void leco_account_update(struct leco_reader *r);
void leco_account_free(struct leco_reader *r);
/* The process group of table entry `i` (NULL when none). */
const struct acct_group *leco_account_process(const struct leco_account *a, uint32_t i);
/* Unix seconds of monotonic `ns` as of the reader's last poll (0 for 0). */
int64_t leco_account_unix(const struct leco_reader *r, uint64_t ns);

/* lib/pidstart.c */
struct leco_pids *leco_pids_new(const char *proc_root);
void leco_pids_free(struct leco_pids *p);
/* Start of process `tgid` (CLOCK_MONOTONIC base, tick resolution), 0 when it cannot be read. */
uint64_t leco_pids_start(const struct leco_pids *p, uint32_t tgid);
/* Does a process `tgid` exist (whichever)? */
bool leco_pids_exists(const struct leco_pids *p, uint32_t tgid);
uint64_t leco_pids_tick_ns(const struct leco_pids *p);

#endif /* LECO_LIB_ACCOUNT_H */
