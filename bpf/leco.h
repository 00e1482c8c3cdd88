/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The record layout shared by the kernel program (bpf/leco.bpf.c), the loader
 * (bpf/leco-load.c) and the reader (lib/). Fixed-width types only, no pointers,
 * explicit padding: the same bytes mean the same thing on both sides.
 *
 * Any change to a struct, a map or the meaning of a field bumps
 * LECO_LAYOUT_VERSION. The loader writes it into the "info" map; a reader
 * refuses a pin directory whose version or record sizes differ.
 */
#ifndef LECO_RECORD_H
#define LECO_RECORD_H

#ifdef __bpf__
/* vmlinux.h provides __u8.. in the BPF build */
#else
#include <linux/types.h>
#endif

#define LECO_MAGIC	    0x4f43454cU /* "LECO" little endian */
#define LECO_LAYOUT_VERSION 1

/* Pin directory layout, relative to the pin dir (default /sys/fs/bpf/leco) */
#define LECO_PIN_INFO  "info"  /* ARRAY[1] of struct leco_info */
#define LECO_PIN_CONNS "conns" /* LRU_HASH struct leco_key -> struct leco_conn */
#define LECO_PIN_EXECS "execs" /* LRU_HASH __u32 tgid -> struct leco_exec */
#define LECO_PIN_STATS "stats" /* PERCPU_ARRAY[1] of struct leco_stats */
#define LECO_PIN_LINKS "links" /* directory of pinned links (loader only) */

#define LECO_CONNS_MAX 32768 /* >= 16k live connections plus closed ones kept */
#define LECO_EXECS_MAX 8192
#define LECO_COMM_LEN  16
#define LECO_ARGS_LEN  256 /* argv bytes captured at exec, NUL separated */

/* enum leco_conn_state (the public API mirrors these values) */
#define LECO_ST_CONNECTING  1 /* TCP SYN sent, no answer yet */
#define LECO_ST_ESTABLISHED 2 /* TCP established */
#define LECO_ST_FAILED	    3 /* TCP connect failed, err = sk_err (ECONNREFUSED, ETIMEDOUT..) */
#define LECO_ST_BLOCKED	    4 /* dropped by the firewall (netfilter drop, or UDP send -EPERM) */
#define LECO_ST_CLOSED	    5 /* TCP closed after being established */
#define LECO_ST_ACTIVE	    6 /* UDP flow with traffic (UDP has no connection state) */

#define LECO_DIR_OUT 0 /* this host initiated (connect, or first UDP datagram sent) */
#define LECO_DIR_IN  1 /* remote initiated (accepted, or first UDP datagram received) */

/* struct leco_conn.flags */
#define LECO_F_OWNER_LISTENER (1U << 0) /* owner taken from the listening socket */
#define LECO_F_OWNER_LATE     (1U << 1) /* owner filled at first send/recv (softirq creation) */
#define LECO_F_UNCONNECTED    (1U << 2) /* UDP: peer from sendmsg/recvmsg address, not the socket */
#define LECO_F_EXEC_ARGS      (1U << 3) /* an execs entry existed for tgid when first seen */

/*
 * Key: socket cookie (never reused, unlike the socket pointer) plus, for UDP,
 * the peer address, so one unconnected socket talking to several peers gives
 * one record per peer. TCP keys have raddr/rport zeroed.
 */
struct leco_key {
	__u64 cookie;
	__u8 raddr[16]; /* UDP peer (IPv4 in the first 4 bytes); zero for TCP */
	__u16 rport;	/* UDP peer port, host byte order; zero for TCP */
	__u16 _pad0;
	__u32 _pad1;
};

/*
 * One connection (TCP socket, or UDP socket+peer). Times are bpf_ktime_get_ns()
 * (CLOCK_MONOTONIC). Byte counts are payload bytes as returned by
 * send/recv-family calls (sock_send_length / sock_recv_length).
 */
struct leco_conn {
	__u64 first_ns;	 /* first activity: connect attempt, accept, first datagram */
	__u64 last_ns;	 /* last activity of any kind, incl. state changes; data activity is
			    stamped from a per-CPU tick cache (at most one jiffy old), >= first_ns */
	__u64 rx_bytes;	 /* payload bytes received */
	__u64 tx_bytes;	 /* payload bytes sent */
	__u64 cgroup_id; /* cgroup2 id (inode number of the cgroup directory) */
	__u64 cookie;	 /* socket cookie, same as the key's */
	__u32 tgid;	 /* owning process (thread group id); 0 if not known yet */
	__u32 uid;	 /* owner's uid */
	__s32 err;	 /* positive errno for FAILED / BLOCKED (EPERM, ECONNREFUSED..) */
	__u32 flags;	 /* LECO_F_* */
	__u8 laddr[16];	 /* IPv4 in the first 4 bytes (family 4), else IPv6 */
	__u8 raddr[16];
	__u16 lport; /* host byte order */
	__u16 rport; /* host byte order */
	__u8 family; /* 4 or 6 (IPv4-mapped IPv6 stays 6; the reader prints it as IPv4) */
	__u8 proto;  /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8 dir;    /* LECO_DIR_* */
	__u8 state;  /* LECO_ST_* */
	char comm[LECO_COMM_LEN]; /* owner's comm at first attribution */
};

/* argv captured at exec for interpreters, so scripts that exit stay named */
struct leco_exec {
	__u64 exec_ns; /* bpf_ktime_get_ns() at exec: a record whose first_ns predates it is
			  from an earlier program of a reused pid */
	__u32 tgid;
	__u32 args_len; /* bytes valid in args */
	char comm[LECO_COMM_LEN];
	char args[LECO_ARGS_LEN]; /* argv[0]\0argv[1]\0... truncated */
};

/* Health counters of the probes, per CPU; the reader sums them. */
struct leco_stats {
	__u64 events;	    /* hook invocations that touched a record */
	__u64 conns_new;    /* records created */
	__u64 update_fail;  /* bpf_map_update_elem failures */
	__u64 lost;	    /* activity on a TCP socket with no record (evicted, or pre-load) */
	__u64 unattributed; /* records created in softirq with no owner found */
	__u64 blocked;	    /* firewall drops / EPERM sends seen */
	__u64 execs;	    /* argv captures */
	__u64 _reserved[9];
};

/* Written once by the loader after load; the reader checks every field. */
struct leco_info {
	__u32 magic;	      /* LECO_MAGIC */
	__u32 layout_version; /* LECO_LAYOUT_VERSION */
	__u32 key_size;	      /* sizeof(struct leco_key) */
	__u32 conn_size;      /* sizeof(struct leco_conn) */
	__u32 exec_size;      /* sizeof(struct leco_exec) */
	__u32 stats_size;     /* sizeof(struct leco_stats) */
	__u32 conns_max;      /* max_entries of conns */
	__u32 _pad0;
	__u64 load_mono_ns; /* CLOCK_MONOTONIC at load */
	char version[32];   /* loader's package version, e.g. "0.1.0" */
};

#ifndef __bpf__
_Static_assert(sizeof(struct leco_key) == 32, "leco_key layout");
_Static_assert(sizeof(struct leco_conn) == 120, "leco_conn layout");
_Static_assert(sizeof(struct leco_exec) == 16 + LECO_COMM_LEN + LECO_ARGS_LEN, "leco_exec layout");
_Static_assert(sizeof(struct leco_stats) == 128, "leco_stats layout");
_Static_assert(sizeof(struct leco_info) == 72, "leco_info layout");
#endif

#endif /* LECO_RECORD_H */
