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
	size_t : 0;
};
#define leco_reader_opts__last_field config

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

#ifdef __cplusplus
}
#endif

#endif /* LECO_H */
