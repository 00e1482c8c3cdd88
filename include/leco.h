/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libleco — annotated network connection lines from eBPF maps pinned by leco-load.
 *
 * Conventions (libbpf / sd-* style):
 *  - Objects are opaque; functions return 0 or a positive count on success and
 *    a negative errno on failure. Output parameters come last and are left
 *    untouched on failure. Destructors accept NULL.
 *  - Options structs start with `size_t sz`; build them with LECO_OPTS(). NULL
 *    options mean defaults. Unknown non-zero trailing bytes (options from a
 *    newer header) are rejected with -EINVAL.
 *  - Constructors take an optional `struct leco_error *` that receives a human
 *    message on failure. The library never prints, exits or aborts.
 *  - No global state: objects are independent. An object is used by one thread
 *    at a time (thread-compatible); different objects need no locking.
 */
#ifndef LECO_H
#define LECO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LECO_BUILDING_LIBRARY)
#define LECO_API __attribute__((visibility("default")))
#else
#define LECO_API
#endif

#define LECO_VERSION_MAJOR 0
#define LECO_VERSION_MINOR 1
#define LECO_VERSION_PATCH 0

/* Declare and initialise an options struct: zeroed, .sz set, then the given fields. */
#define LECO_OPTS(TYPE, NAME, ...)                                     \
	struct TYPE NAME = ({                                          \
		memset(&NAME, 0, sizeof(struct TYPE));                 \
		(struct TYPE){.sz = sizeof(struct TYPE), __VA_ARGS__}; \
	})

/* "0.1.0": the library's version string (static storage). */
LECO_API const char *leco_version(void);

/* Where leco-load pins the maps and readers look for them unless told otherwise (leco-load
 * --pin-dir, leco --pin-dir, .pin_dir, Lua pin_dir=). A build may choose another (CMake
 * -DLECO_PIN_DIR=...); the library, the CLI and the loader of one build agree. */
#ifndef LECO_DEFAULT_PIN_DIR
#define LECO_DEFAULT_PIN_DIR "/sys/fs/bpf/leco"
#endif

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

#define LECO_ERRMSG_MAX 1024

/*
 * Filled by constructors on failure. For configuration errors `msg` is
 * "FILE:LINE:COL: message" and file/line/col are set; otherwise line = col = 0.
 */
struct leco_error {
	int code;	   /* the negative errno also returned */
	unsigned int line; /* 1-based line in the config, 0 if n/a */
	unsigned int col;  /* 1-based byte column in the file line, 0 if n/a */
	char file[256];	   /* config file name (or the name given to load_string) */
	char msg[LECO_ERRMSG_MAX];
};

/* ------------------------------------------------------------------------ */
/* Configuration and rules (usable on their own, without any BPF)            */

struct leco_config;

/*
 * Parse an INI file (leco.ini, or an original leco widget.ini) with sections
 * [format], [view], [rx-proc], [rx-group]; compile every rule with PCRE2.
 * Returns 0, or -ENOENT/-EACCES (file), -EINVAL (syntax, regexp, replacement:
 * err->msg = "FILE:LINE:COL: ..."), -ENOMEM.
 */
LECO_API int leco_config_load_file(const char *path, struct leco_config **cfg,
				   struct leco_error *err);
/* Same from memory; `name` is used in messages (e.g. "<lua>"). `len` bytes, need not be
 * NUL-terminated. */
LECO_API int leco_config_load_string(const char *text, size_t len, const char *name,
				     struct leco_config **cfg, struct leco_error *err);
LECO_API void leco_config_free(struct leco_config *cfg);

/*
 * Build a config without INI text (the Lua module's rules tables): an empty config with the
 * defaults, named `name` in messages (NULL: "<config>"), then options and rules one by one.
 * Values are taken as they are: no INI trimming, comments or escapes.
 *  - leco_config_set(): option `key` of `section` ("format", "view"; doc/config.md) from its
 *    text; an unknown section or key is a notice, as in a file. -EINVAL for a bad value or an
 *    rx section (use leco_config_add_rule).
 *  - leco_config_add_rule(): append a rule to `section` ("rx-proc" or "rx-group"): `regexp`
 *    is the key and `replacement` the value of doc/rules.md (with its g`/N` prefix).
 * Errors: -EINVAL with err->msg = "NAME: [SECTION] rule N, regexp column C: ..." (or
 * "replacement column C"; err->line = 0, err->col = C), -ENOMEM.
 */
LECO_API int leco_config_new(const char *name, struct leco_config **cfg, struct leco_error *err);
LECO_API int leco_config_set(struct leco_config *cfg, const char *section, const char *key,
			     const char *value, struct leco_error *err);
LECO_API int leco_config_add_rule(struct leco_config *cfg, const char *section, const char *regexp,
				  const char *replacement, struct leco_error *err);

/* Notices: unknown sections/keys, ignored options ("FILE:LINE: ... ignored"). */
LECO_API size_t leco_config_notice_count(const struct leco_config *cfg);
LECO_API const char *leco_config_notice(const struct leco_config *cfg, size_t i);

/* Result of running the rules on one line. Strings are owned by the config and
 * stay valid until the next leco_config_apply() on it or leco_config_free(). */
struct leco_rx_result {
	const char *text;  /* the line after [rx-proc] (equal to the input if unchanged) */
	const char *group; /* group (slot) key: from [rx-group] or a g` rule; NULL if none */
	bool changed;	   /* [rx-proc] changed the text */
	bool grouped;	   /* a group key was set */
	bool dropped;	   /* an empty group key: do not display */
};

/*
 * Apply [rx-group] then [rx-proc] to `line` (`len` bytes). Returns 0, or
 * -E2BIG if the line exceeds the length bound, -ENOMEM; a rule that hits the
 * PCRE2 match limit counts as not matching. Never fails on any byte content.
 */
LECO_API int leco_config_apply(struct leco_config *cfg, const char *line, size_t len,
			       struct leco_rx_result *res);

/* ------------------------------------------------------------------------ */
/* Reader                                                                    */

struct leco_reader;

/* Connection state, same values as the kernel record (bpf/leco.h LECO_ST_*). */
enum leco_state {
	LECO_STATE_UNKNOWN = 0,
	LECO_STATE_CONNECTING = 1,
	LECO_STATE_ESTABLISHED = 2,
	LECO_STATE_FAILED = 3,
	LECO_STATE_BLOCKED = 4,
	LECO_STATE_CLOSED = 5,
	LECO_STATE_ACTIVE = 6,
};
enum leco_direction {
	LECO_DIRECTION_OUT = 0, /* this host initiated */
	LECO_DIRECTION_IN = 1,	/* remote initiated (accepted, or first datagram received) */
};
/*
 * Names, one spelling everywhere (C, CLI JSON, Lua, and what comes next), static storage:
 *  - leco_state_name: "connecting", "established", "failed", "blocked", "closed", "active",
 *    "unknown";
 *  - leco_direction_name: "out", "in";
 *  - leco_proto_name: "tcp", "udp", "other";
 *  - leco_errno_name: NULL for 0, else the errno's name ("ECONNREFUSED"), or "E<number>" for
 *    one libc has no name for, written to `buf` (`size` >= 16).
 */
LECO_API const char *leco_state_name(int state);
LECO_API const char *leco_direction_name(int dir);
LECO_API const char *leco_proto_name(int proto);
LECO_API const char *leco_errno_name(int err, char *buf, size_t size);

/* Monotonic and wall clocks, injectable for tests. */
struct leco_clock {
	void *ctx;
	uint64_t (*mono_ns)(void *ctx); /* CLOCK_MONOTONIC, same base as bpf_ktime_get_ns() */
	int64_t (*real_ns)(void *ctx);	/* CLOCK_REALTIME */
};

struct leco_reader_opts {
	size_t sz;
	const char *pin_dir;	 /* default LECO_DEFAULT_PIN_DIR */
	const char *config_path; /* leco.ini; re-read when it changes; NULL = defaults */
	const char *config_text; /* alternative to config_path: INI text (e.g. from Lua) */
	const char *proc_root;	 /* default "/proc" */
	const char *cgroup_root; /* default: the cgroup2 mount found in /proc/mounts */
	const char *passwd_path; /* NULL: NSS (getpwuid_r); else a passwd(5)-format file (tests) */
	const struct leco_clock *clock; /* NULL: the real clocks */
	bool raw;			/* do not apply rules: text == raw */
	unsigned int max_lines;		/* slots in the view; 0 = the config's max-lines */
	/* alternative to config_path/config_text: a config object (e.g. from leco_config_new);
	 * the reader takes it over (and frees it) when leco_reader_open() succeeds */
	struct leco_config *config;
	/* a history database (leco record): lines and leco_reader_conn() get first_ever;
	 * NULL = none. Opened read-only when it can be, retried while it cannot; never an
	 * error. */
	const char *history_path;
	size_t : 0;
};
#define leco_reader_opts__last_field history_path

/*
 * Health of the reader and of the probes behind it. OK and CONFIG mean the reader reads the
 * probes: "loaded" in the CLI and Lua.
 */
enum leco_reader_state {
	LECO_READER_OK = 0,
	LECO_READER_NO_PROBES = 1,  /* pin dir or maps missing: leco-load has not run */
	LECO_READER_NO_ACCESS = 2,  /* permission denied on the pins */
	LECO_READER_BAD_LAYOUT = 3, /* pinned maps from another layout version */
	LECO_READER_CONFIG = 4,	    /* the config failed to (re)load; last good rules kept */
	LECO_READER_DETACHED = 5,   /* maps pinned, programs not attached (an interrupted unload) */
};
/* "ok", "no_probes", "no_access", "bad_layout", "config_error", "unknown" (static storage) */
LECO_API const char *leco_reader_state_name(int state);

struct leco_status {
	size_t sz;
	int state;		 /* enum leco_reader_state */
	uint32_t layout_version; /* of the pinned maps (0 if none) */
	char version[32];	 /* loader version from the info map */
	uint32_t conns;		 /* entries in this reader's connection table */
	uint32_t conns_max;	 /* its capacity (UDP/drops table + closed ring + live TCP room) */
	uint64_t stat_events;	 /* probe health counters, summed over CPUs */
	uint64_t stat_conns_new;
	uint64_t stat_update_fail;
	uint64_t stat_lost;
	uint64_t stat_unattributed;
	uint64_t stat_blocked;
	uint64_t stat_execs;
	uint64_t polls;	     /* polls done by this reader */
	uint64_t reattaches; /* times the reader re-opened the pins */
	/* added with layout 2 */
	uint64_t stat_tcp_new;	    /* TCP connections tracked since load */
	uint64_t stat_blocked_in;   /* inbound packets dropped by the firewall, recorded */
	uint64_t stat_scan_merged;  /* of those, merged into one record per remote (port scans) */
	uint64_t stat_storage_fail; /* sockets the kernel refused per-socket storage (memory) */
	uint64_t stat_restarted; /* UDP records made again after an eviction (counts restarted) */
	uint64_t stat_adopted;	 /* sockets found open when the probes were loaded */
	uint32_t closed_max;	 /* capacity of the ring of closed TCP connections */
	uint64_t closed_total;	 /* TCP connections closed since load */
	uint64_t closed_overwritten; /* of those, overwritten in the ring (a reader further
					behind than closed_max missed them) */
	uint64_t closed_missed;	     /* closed connections this reader never read */
	uint64_t conns_evicted;	     /* UDP / inbound-drop records pushed out of the full table */
	uint32_t hooks;		     /* jobs described by leco_reader_hook() */
	/* added with layout 3: names of remote addresses (doc/names.md) */
	uint64_t stat_names_calls;  /* getaddrinfo() answers with addresses for a name */
	uint64_t stat_names_dup;    /* of those, repeats within a minute not recorded again */
	uint32_t names_max;	    /* slots of the names ring; 0: no names job */
	uint64_t names_total;	    /* answers recorded in the ring since load */
	uint64_t names_overwritten; /* of those, overwritten in the ring (evicted) */
	uint64_t names_missed;	    /* answers this reader never read */
	uint32_t names_known;	    /* (address, process, name) entries in this reader's index */
	uint64_t names_evicted;	    /* entries pushed out of this reader's full index */
	size_t : 0;
};

/*
 * One display line. Owned by the reader; valid until the next poll or free.
 * Strings are NUL-terminated, sanitized UTF-8 without control characters.
 */
struct leco_line {
	const char *text;  /* after rules (== raw when raw mode or no rule changed it) */
	const char *raw;   /* formatted line before rules */
	const char *group; /* slot key (rule group, or the raw line when none) */
	double alpha;	   /* opacity 0..1 from the fade curve */
	double age;	   /* seconds since last activity */
	bool is_new;	   /* first activity less than new-time (default 10 s) ago */
	bool changed;	   /* new, or its text/state/bytes changed since the previous poll */
	int state;	   /* enum leco_state */
	int dir;	   /* enum leco_direction */
	int err;	   /* positive errno for failed/blocked, else 0 */
	int proto;	   /* 6 TCP, 17 UDP */
	int family;	   /* 4 or 6 (IPv4-mapped shown as 4) */
	char laddr[48], raddr[48];
	uint16_t lport, rport;
	uint64_t rx, tx;	 /* payload bytes */
	double rx_rate, tx_rate; /* bytes/s over the last poll interval */
	uint32_t pid, uid;
	const char *comm;   /* kernel comm */
	const char *cmd;    /* comm, or the script name for interpreters */
	const char *exe;    /* /proc/PID/exe target, "" if unknown */
	const char *user;   /* user name, or the uid in decimal */
	const char *cgroup; /* cgroup path relative to the cgroup2 root, "" if unknown */
	const char *unit;   /* short unit label (e.g. "tmux", "org.foo"), "" if none */
	int64_t first_seen; /* unix seconds */
	int64_t last_seen;  /* unix seconds */
	uint64_t cookie;    /* socket cookie */
	/* added with layout 2 */
	const char *owner;  /* where pid/user come from: "connect", "accept", "close", "listener",
			       "io" (UDP: first to send or receive), "fd" (open at load), "" */
	bool restarted;	    /* UDP: the record was evicted once; rx/tx count from its return */
	uint32_t count;	    /* inbound blocked: packets dropped (0 otherwise) */
	int64_t start_time; /* unix seconds when the owning process started (pid + start_time
			       name a process even after its pid is reused); 0 if not known */
	/* the app (exe, cmd, unit, user) never talked to this endpoint (raddr, rport, proto)
	 * before this connection, by the history at .history_path; false without one */
	bool first_ever;
	/* added with layout 3 */
	const char *rname;     /* the name of raddr a program on this machine resolved (through
				  the C library's getaddrinfo; doc/names.md), "" if none */
	const char *rname_src; /* "self": the owning process resolved it; "other": another
				  process did (a borrowed name); "" without a name */
};

/*
 * Open a reader. Missing pins are not an error: the reader starts in
 * LECO_READER_NO_PROBES and attaches when they appear. Fails with -EINVAL
 * (bad options or config: err->msg says where), -ENOMEM.
 */
LECO_API int leco_reader_open(const struct leco_reader_opts *opts, struct leco_reader **reader,
			      struct leco_error *err);
LECO_API void leco_reader_free(struct leco_reader *reader);

/*
 * Take a snapshot of the connection table and rebuild the view. Returns the
 * number of lines, or a negative errno (-ENOENT probes not loaded, -EACCES,
 * -EPROTO layout mismatch); leco_reader_errmsg() then says why. The previous
 * lines are kept on failure. Re-attaches by itself when pins come back.
 */
LECO_API int leco_reader_poll(struct leco_reader *reader);
LECO_API size_t leco_reader_count(const struct leco_reader *reader);
LECO_API const struct leco_line *leco_reader_line(const struct leco_reader *reader, size_t i);

/* Last problem as text ("" when all is well); owned by the reader. */
LECO_API const char *leco_reader_errmsg(const struct leco_reader *reader);
LECO_API int leco_reader_status(struct leco_reader *reader, struct leco_status *status);

/*
 * Which hook serves job `i` (0 <= i < status.hooks) on this kernel, as
 * leco-load chose it: job ("udp bytes"), hook ("" when the kernel has none)
 * and what this kernel cannot give for that job ("" when nothing). Strings
 * belong to the reader. Returns 0, or -ENOENT past the end or when not attached.
 */
LECO_API int leco_reader_hook(const struct leco_reader *reader, size_t i, const char **job,
			      const char **hook, const char **lacks);

/* Notices of the reader's current config (see leco_config_notice). */
LECO_API size_t leco_reader_notice_count(const struct leco_reader *reader);
LECO_API const char *leco_reader_notice(const struct leco_reader *reader, size_t i);

/* ------------------------------------------------------------------------ */
/* Every connection, and aggregates (per process, unit, user, ...)          */

/*
 * One connection of the reader's table (open, closed, failed or blocked, also those of
 * processes that have exited), annotated: every field of a struct leco_line except the
 * display ones (text, raw, group, alpha, age, is_new, changed), spelled the same, and a few
 * more. Strings are sanitized, never NULL ("" when unknown), owned by the reader and valid
 * until its next poll or free. New fields are added at the end.
 */
struct leco_conn_info {
	uint64_t cookie;	   /* socket cookie */
	uint32_t pid, uid;	   /* process (tgid) and user behind the socket; pid 0: no owner */
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
	bool exited; /* the owning process is gone, or its pid names another one now (filled by
			leco_reader_conn(); false from the internal annotate step alone) */
	/* unix seconds when the owning process started (pid + start_time name a process even
	 * after its pid is reused): as the probes recorded it with the owner, else (a record
	 * without it) from /proc while the process runs (leco_reader_conn() only); 0 if unknown */
	int64_t start_time;
	const char *owner; /* where pid/user come from: "connect", "accept", "close", "listener",
			      "io" (UDP: first to send or receive), "fd" (open at load), "" */
	bool restarted;	   /* UDP: the record was evicted once; rx/tx count from its return */
	uint32_t count;	   /* inbound blocked: packets dropped (0 otherwise) */
	uint64_t start_ns; /* start_time as the probes recorded it: CLOCK_MONOTONIC ns, the clock
			      of first_ns; 0 if the record has none */
	/* the app (exe, cmd, unit, user) never talked to this endpoint (raddr, rport, proto)
	 * before this connection, by the history at .history_path; false without one */
	bool first_ever;
	/* added with layout 3 (doc/names.md) */
	const char *rname;     /* the name of raddr a program on this machine resolved (through
				  the C library's getaddrinfo), "" if none */
	const char *rname_src; /* "self": the owning process resolved it; "other": another
				  process did (a borrowed name); "" without a name */
};

/*
 * Every connection of the reader's table as of the last successful poll, in no particular
 * order. The first call after a poll annotates them all (what does not change is kept per
 * connection, so later polls pay for new connections mostly); a reader that never asks pays
 * nothing. The first call also starts the reader's accounting (see leco_reader_top), which
 * from then on follows every poll. leco_reader_conn_count() returns the count or -ENOMEM;
 * leco_reader_conn() returns NULL for i >= count. Valid until the next poll or free.
 */
LECO_API int leco_reader_conn_count(struct leco_reader *reader);
LECO_API const struct leco_conn_info *leco_reader_conn(struct leco_reader *reader, size_t i);

/* What connections are grouped by. */
enum leco_group_by {
	LECO_BY_PROCESS = 0, /* pid + process start time: a reused pid is another group */
	LECO_BY_EXE = 1,     /* executable path ("" when unknown) */
	LECO_BY_PROGRAM = 2, /* cmd: comm, or the script name for interpreters, as lines show it */
	LECO_BY_UNIT = 3,    /* unit label ("" for none) */
	LECO_BY_USER = 4,    /* user name */
	LECO_BY_REMOTE = 5,  /* remote address */
	LECO_BY_PORT = 6,    /* the service's port: remote port out, local port in */
	LECO_BY_PROTO = 7,   /* "tcp", "udp", "other" */
};
/* What groups are sorted by, largest first. */
enum leco_sort {
	LECO_SORT_RATE = 0, /* rx_rate + tx_rate */
	LECO_SORT_RX_RATE = 1,
	LECO_SORT_TX_RATE = 2,
	LECO_SORT_RATE_AVG = 3, /* rx_rate_avg + tx_rate_avg */
	LECO_SORT_RX_RATE_AVG = 4,
	LECO_SORT_TX_RATE_AVG = 5,
	LECO_SORT_TOTAL = 6, /* rx + tx */
	LECO_SORT_RX = 7,
	LECO_SORT_TX = 8,
	LECO_SORT_CONNS = 9,
	LECO_SORT_CONNS_TOTAL = 10,
	LECO_SORT_FAILED = 11,
	LECO_SORT_BLOCKED = 12,
	LECO_SORT_FIRST_SEEN = 13, /* newest first */
	LECO_SORT_LAST_SEEN = 14,  /* most recent first */
};
/*
 * Names, one spelling everywhere (static storage): group-by "process", "exe", "program",
 * "unit", "user", "remote", "port", "proto"; sort keys as the enum without LECO_SORT_, lower
 * case ("rate", "rx_rate", ..., "last_seen"). NULL for an unknown value. The _from_name
 * functions return the enum value, or -EINVAL for an unknown name.
 */
LECO_API const char *leco_group_by_name(int by);
LECO_API int leco_group_by_from_name(const char *name);
LECO_API const char *leco_sort_name(int sort);
LECO_API int leco_sort_from_name(const char *name);

struct leco_top_opts {
	size_t sz;
	int by;		   /* enum leco_group_by; default LECO_BY_PROCESS */
	int sort;	   /* enum leco_sort; default LECO_SORT_RATE */
	size_t n;	   /* at most this many groups after sorting; 0 = all */
	unsigned int keep; /* seconds a group with no connection left in the reader's table stays
			      after its last activity; 0 = 600 */
	size_t : 0;
};
#define leco_top_opts__last_field keep

/*
 * One group of connections. Bytes are payload bytes since the reader's accounting started
 * (connections already in the table then count from there; later ones from their start),
 * including connections that have closed and left the table since.
 */
struct leco_group {
	int by;			 /* enum leco_group_by */
	const char *key;	 /* the group's key as text: "1234:1767378700" (pid:start_time,
				    or the pid alone when the start is unknown), an exe path, a
				    program, unit or user name, an address, a port number, a
				    protocol name; "unattributed" for connections without owner */
	bool unattributed;	 /* the connections of no known process (pid 0) */
	bool exited;		 /* process groups: the process is gone; others: no connection
				    the reader still holds belongs to a running process */
	uint64_t rx, tx;	 /* bytes */
	double rx_rate, tx_rate; /* bytes/s over the last poll interval (a failed or skipped
				    poll makes the next interval longer, not the rate wrong) */
	double rx_rate_avg, tx_rate_avg; /* smoothed: exponential average, 5 s time constant */
	uint32_t conns;			 /* open now (connecting, established, UDP active) */
	uint64_t conns_total;		 /* connections seen in all */
	uint64_t failed, blocked;	 /* of them: failed to connect, blocked by the firewall */
	int64_t first_seen, last_seen;	 /* unix seconds: first and last activity */
	/* process groups only (else 0 / ""): */
	uint32_t pid, uid;
	int64_t start_time; /* unix seconds; 0 if unknown */
	const char *comm, *cmd, *user, *unit, *exe;
	/* remote groups only (else ""): the name of the address (rname, doc/names.md) its latest
	 * connection with a name had when it was first counted; "" if none had one */
	const char *rname;
};

/*
 * Group the connections of the last successful poll. The first call starts the reader's
 * accounting: from then on every poll keeps per-group totals for every group-by at once (so
 * switching `by` loses nothing), retires the bytes of connections that leave the table into
 * their groups, and ages out groups with no connection left after `keep` seconds idle. Then
 * sorts by opts->sort and keeps the first opts->n. Returns the number of groups, -EINVAL (bad
 * opts), -ENOMEM. leco_reader_group() returns NULL for i >= count; leco_reader_top_total() is
 * every group together (including those aged out: bytes never vanish), NULL before the first
 * call. Valid until the next poll, leco_reader_top() or free.
 */
LECO_API int leco_reader_top(struct leco_reader *reader, const struct leco_top_opts *opts);
LECO_API const struct leco_group *leco_reader_group(const struct leco_reader *reader, size_t i);
LECO_API const struct leco_group *leco_reader_top_total(const struct leco_reader *reader);

/* ------------------------------------------------------------------------ */
/* History: the recorder (SQLite writer) and read-only queries               */

/*
 * A history database holds, per interval and per (app, endpoint, proto, dir), the payload
 * bytes (rx, tx) and the connections opened (conns), failed and blocked; an app is exe + cmd
 * + unit + user, an endpoint raddr + rport. Tiers: raw intervals, 1-minute, 1-hour and
 * 1-day buckets, each kept for its own time (rolled up before they go). doc/history.md.
 */
struct leco_recorder;

struct leco_recorder_opts {
	size_t sz;
	const char *pin_dir;   /* default LECO_DEFAULT_PIN_DIR */
	const char *proc_root; /* as in struct leco_reader_opts */
	const char *cgroup_root;
	const char *passwd_path;
	const struct leco_clock *clock; /* NULL: the real clocks */
	unsigned int interval;		/* seconds per raw bucket; 0: 10 */
	/* seconds each tier keeps its rows; 0: the default (raw 48 h, 1-minute 14 days,
	 * 1-hour 366 days, 1-day forever), < 0: forever */
	int64_t keep_raw, keep_1m, keep_1h, keep_1d;
	uint64_t max_bytes; /* size cap of the database file; 0: 256 MiB; UINT64_MAX: none */
	bool no_sync;	    /* no fsync per commit (tests, benchmarks): power loss may cost more */
	size_t : 0;
};
#define leco_recorder_opts__last_field no_sync

/*
 * A recorder writing the database at `db_path`: created (mode 0640) when missing, migrated
 * from an older schema; one recorder per database (-EBUSY for a second). Missing pins are not
 * an error (as for a reader). Fails with -EINVAL (options), -ENOMEM, or the database's error
 * (err->msg names the file).
 */
LECO_API int leco_recorder_open(const char *db_path, const struct leco_recorder_opts *opts,
				struct leco_recorder **rec, struct leco_error *err);
LECO_API void leco_recorder_free(struct leco_recorder *rec);
/*
 * Record one interval: read the connection table, count what each connection has beyond
 * what the last committed interval counted, and commit it all in one transaction. Call it
 * once per interval. 0, or a negative errno with leco_recorder_errmsg() saying what: the
 * probes (-ENOENT, -EACCES, -EPROTO, as leco_reader_poll), or the database (-ENOSPC disk
 * full, -EROFS, -EBADMSG not a database, -EBUSY, -EIO ...). Nothing is lost by a failed call
 * while the kernel table still holds the connections: the next one counts them, once. A
 * database deleted or replaced under the recorder is noticed and opened anew.
 */
LECO_API int leco_recorder_tick(struct leco_recorder *rec);
/* Last problem as text ("" when the last tick went through); owned by the recorder. */
LECO_API const char *leco_recorder_errmsg(const struct leco_recorder *rec);

struct leco_recorder_status {
	size_t sz;
	int reader_state;    /* enum leco_reader_state of its reader */
	int db_error;	     /* negative errno of the last database failure, 0 if it worked */
	uint64_t intervals;  /* ticks */
	uint64_t commits;    /* intervals committed */
	uint64_t failures;   /* ticks the database failed (not opened, or not committed) */
	uint64_t reopens;    /* times the database was opened again */
	uint64_t evicted;    /* connections gone from the table before their end was read */
	uint64_t reappeared; /* connections seen again after they left it (counted once) */
	uint64_t conns;	     /* connections in the last snapshot */
	uint64_t cursors;    /* connections remembered */
	uint64_t rolled_up;  /* rows written by rollups */
	uint64_t expired;    /* rows deleted by age */
	uint64_t trimmed;    /* rows deleted by the size cap */
	int64_t last_commit; /* unix seconds of the last committed interval, 0 if none */
	int64_t db_bytes;    /* size of the database file, -1 if unknown */
	size_t : 0;
};
LECO_API int leco_recorder_status(struct leco_recorder *rec, struct leco_recorder_status *st);

/* Read-only access to a history database (any number of readers, while it is written). */
struct leco_history;

LECO_API int leco_history_open(const char *db_path, struct leco_history **h,
			       struct leco_error *err);
LECO_API void leco_history_free(struct leco_history *h);
LECO_API const char *leco_history_errmsg(const struct leco_history *h);

/* What totals are grouped by; the names are the CLI's and Lua's (--by app, by = 'app'). */
enum leco_history_by {
	LECO_HISTORY_BY_APP = 0, /* cmd: the program name shown in lines */
	LECO_HISTORY_BY_EXE,
	LECO_HISTORY_BY_UNIT,
	LECO_HISTORY_BY_USER,
	LECO_HISTORY_BY_REMOTE, /* raddr */
	LECO_HISTORY_BY_PORT,	/* rport */
	LECO_HISTORY_BY_PROTO,
	LECO_HISTORY_BY_DAY,  /* "2026-11-01", local time */
	LECO_HISTORY_BY_HOUR, /* "2026-11-01 14:00", local time */
};
/* "app", "exe", "unit", "user", "remote", "port", "proto", "day", "hour"; NULL if unknown */
LECO_API const char *leco_history_by_name(int by);
/* The enum for a name, or -EINVAL. */
LECO_API int leco_history_by_parse(const char *name);
/*
 * A time as the CLI and Lua take it: "2h", "30m", "7d", "90s", "1w" (that long before `now`),
 * "2026-11-01" (local midnight), "2026-11-01 14:30" or "2026-11-01T14:30[:SS]" (local), "@UNIX".
 * 0 or -EINVAL.
 */
LECO_API int leco_history_parse_time(const char *s, int64_t now, int64_t *t);

struct leco_history_query {
	size_t sz;
	int64_t since;	  /* unix seconds, inclusive */
	int64_t until;	  /* unix seconds, exclusive; 0: now */
	int by;		  /* enum leco_history_by */
	unsigned int top; /* the first N by rx + tx; 0: all */
	size_t : 0;
};
#define leco_history_query__last_field top

/* One group's totals. Strings are owned by the handle, valid until its next query or free. */
struct leco_history_total {
	const char *key;
	uint64_t rx, tx;		 /* payload bytes */
	uint64_t conns, failed, blocked; /* connections opened, failed, blocked */
	/* the group's first and last activity ever recorded (day and hour groups: in the range) */
	int64_t first_seen, last_seen;
	/* by remote: the name a program here resolved to reach the address (doc/names.md), the
	 * latest recorded for it; "" when none was, and for the other groupings */
	const char *rname;
};

/*
 * Totals per group over [since, until), largest rx + tx first. Each part of the range is read
 * from the coarsest tier that holds it whole (exact to the raw interval); older than a finer
 * tier keeps, the range is rounded in to whole buckets of the tier that still holds it.
 * Returns the number of groups, or -errno with leco_history_errmsg().
 */
LECO_API int leco_history_totals(struct leco_history *h, const struct leco_history_query *q);
LECO_API const struct leco_history_total *leco_history_total(const struct leco_history *h,
							     size_t i);

/* An (app, endpoint, proto) pair; strings owned by the handle (until its next query). */
struct leco_history_pair {
	const char *app; /* cmd */
	const char *exe, *unit, *user;
	const char *raddr;
	uint16_t rport;
	int proto;
	int64_t first_seen, last_seen;
	const char *rname; /* the endpoint's latest recorded name of raddr, "" if none */
};
/* The pairs first seen in [since, until) (until 0: now), oldest first, at most `top` (0: all).
 * Returns their number or -errno. */
LECO_API int leco_history_new_pairs(struct leco_history *h, int64_t since, int64_t until,
				    unsigned int top);
LECO_API const struct leco_history_pair *leco_history_pair(const struct leco_history *h, size_t i);

#ifdef __cplusplus
}
#endif

#endif /* LECO_H */
