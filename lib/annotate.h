/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The annotate step (lib/annotate.c): one connection of the reader's table with
 * the process, script, user and unit behind it, its addresses as text, and its
 * bytes and rates since the previous poll. One function per connection, for any
 * consumer: the lines view (lib/view.c) today, per-process accounting, history
 * and the web server next.
 */
#ifndef LECO_LIB_ANNOTATE_H
#define LECO_LIB_ANNOTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/*
 * One connection, annotated: every field of a struct leco_line except the display ones (text,
 * raw, group, alpha, age, is_new, changed), spelled the same. Strings are sanitized, never
 * NULL ("" when unknown, or when memory ran out), owned by the reader and valid until its next
 * poll or free.
 */
struct leco_conn_info {
	uint64_t cookie;	   /* socket cookie */
	uint32_t pid, uid;	   /* process (tgid) and user behind the socket */
	int state;		   /* enum leco_state */
	int dir;		   /* enum leco_direction */
	int err;		   /* positive errno for failed/blocked, else 0 */
	int proto;		   /* 6 TCP, 17 UDP */
	int family;		   /* 4 or 6 (IPv4-mapped shown as 4) */
	const char *laddr, *raddr; /* addresses as text */
	uint16_t lport, rport;	   /* host byte order */
	uint64_t rx, tx;	   /* payload bytes, as the kernel counts them */
	/* bytes since the previous poll that read the table; all of them when this poll sees
	 * the connection first (or its count restarted) */
	uint64_t rx_delta, tx_delta;
	/* bytes/s over the last poll interval (0 on the first poll); for a connection first
	 * seen now but older than the previous poll: over its life */
	double rx_rate, tx_rate;
	const char *comm;	    /* kernel comm */
	const char *cmd;	    /* comm, or the script name for interpreters */
	const char *exe;	    /* /proc/PID/exe target, "" if unknown */
	const char *user;	    /* user name, or the uid in decimal */
	const char *cgroup;	    /* cgroup path relative to the cgroup2 root, "" if unknown */
	const char *unit;	    /* short unit label ("tmux", "org.foo"), "" if none */
	uint64_t cgroup_id;	    /* kernel cgroup id (inode of its directory) */
	uint64_t first_ns, last_ns; /* CLOCK_MONOTONIC of first and last activity (kernel stamps) */
	int64_t first_seen;	    /* unix seconds of first activity */
	int64_t last_seen;	    /* unix seconds of last activity */
	bool first_poll;	    /* this poll is the first of this reader to see it */
	const char *owner; /* where pid/user come from: "connect", "accept", "close", "listener",
			      "io", "fd", "" (static strings) */
	bool restarted;	   /* UDP: the record was evicted once and made again */
	uint32_t count;	   /* inbound blocked: packets dropped */
	/* the owner's process start (pid + start: a process, even after its pid is reused):
	 * CLOCK_MONOTONIC ns as the kernel recorded it, and as unix seconds; 0 if not known */
	uint64_t start_ns;
	int64_t start_time;
	/* the name of raddr as a program on this machine resolved it (lib/names.c): "" if
	 * none; rname_src "self" (the owning process resolved it), "other" (another process
	 * did: borrowed) or "" */
	const char *rname;
	const char *rname_src;
};

/*
 * Annotate entry `e` of the reader's table, as of the last poll. What does not change for a
 * connection (process, script, user, unit, address text) is computed once and kept with the
 * entry; it is made again when the record's owner, cgroup or addresses change, when the config
 * changes the widths, and once a minute through the caches behind it (so that their expiry
 * still applies). The rest is arithmetic on the record. Never fails.
 */
void leco_annotate(struct leco_reader *r, struct leco_ct_ent *e, struct leco_conn_info *ci);

/*
 * The same, for a consumer that looks at many connections and keeps few (the lines view): what
 * is made is not kept, and `ci`'s strings are valid only until the next call of any
 * leco_annotate* function, unless leco_annotate_keep(r, e) follows at once, which keeps it with
 * the entry (the strings then stay valid until the next poll).
 */
void leco_annotate_peek(struct leco_reader *r, struct leco_ct_ent *e, struct leco_conn_info *ci);
void leco_annotate_keep(struct leco_reader *r, struct leco_ct_ent *e);

/* Annotate every connection of the table (open, closed and failed alike, in no particular
 * order) and call `cb`; stops at, and returns, the first negative return of `cb`. */
typedef int (*leco_conn_cb)(void *ctx, const struct leco_conn_info *ci);
int leco_annotate_each(struct leco_reader *r, leco_conn_cb cb, void *ctx);

/* After a snapshot: forget what was kept for entries the table no longer holds. */
void leco_annotate_sweep(struct leco_reader *r);
/* The config changed (widths of script names and labels): make every annotation again. */
void leco_annotate_invalidate(struct leco_reader *r);
void leco_annotate_free(struct leco_reader *r);

#endif /* LECO_LIB_ANNOTATE_H */
