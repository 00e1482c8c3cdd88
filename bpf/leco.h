/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The record layout shared by the kernel programs (bpf/NAME.bpf.c), the loader
 * (bpf/leco-load.c) and the reader (lib/). Fixed-width types only, no pointers,
 * explicit padding: the same bytes mean the same thing on both sides.
 *
 * Any change to a struct, a map or the meaning of a field bumps
 * LECO_LAYOUT_VERSION. The loader writes it into the "info" map; a reader
 * refuses a pin directory whose version or record sizes differ.
 *
 * Where the records live (doc/kernel.md):
 *   live TCP connections   per-socket storage; reading the pinned "tcp" iterator copies
 *                          each, with its byte counts from the kernel's own tcp_sock
 *                          counters, into the "live" hash that readers then read
 *   closed TCP connections the "closed" ring: final counts, read once by each reader
 *   UDP flows, inbound     the "conns" LRU hash, read whole at every poll
 *   firewall drops
 *   names resolved         the "names" ring: what getaddrinfo() answered, read once by
 *                          each reader (optional job "names", a uprobe on the C library)
 */
#ifndef LECO_RECORD_H
#define LECO_RECORD_H

#ifdef __bpf__
/* vmlinux.h provides __u8.. and struct bpf_spin_lock in the BPF build */
#else
#include <linux/bpf.h>
#include <linux/types.h>
#endif

#define LECO_MAGIC	    0x4f43454cU /* "LECO" little endian */
#define LECO_LAYOUT_VERSION 3

/* Pin directory layout, relative to the pin dir (default /sys/fs/bpf/leco) */
#define LECO_PIN_INFO  "info"	     /* ARRAY[1] of struct leco_info */
#define LECO_PIN_CONNS "conns"	     /* LRU_HASH struct leco_key -> struct leco_conn */
#define LECO_PIN_RING  "closed"	     /* ARRAY[LECO_RING_MAX] of struct leco_slot */
#define LECO_PIN_HEAD  "closed_head" /* ARRAY[1] of struct leco_ring_head */
#define LECO_PIN_STATS "stats"	     /* PERCPU_ARRAY[1] of struct leco_stats */
#define LECO_PIN_TCP   "tcp"  /* iterator: reading it refreshes "live" (it returns no data) */
#define LECO_PIN_LIVE  "live" /* HASH struct leco_key -> struct leco_conn: live TCP */
/* ARRAY[LECO_CHANGES_MAX] of struct leco_slot: every record the iterator put into "live", and
 * its head (ARRAY[1] of struct leco_ring_head) */
#define LECO_PIN_CHANGES      "changes"
#define LECO_PIN_CHANGES_HEAD "changes_head"
#define LECO_PIN_LINKS	      "links" /* directory of pinned links (group-listable, not readable) */
/* ARRAY[LECO_NAMES_MAX] of struct leco_name: names resolved, and its head (ARRAY[1] of struct
 * leco_ring_head) */
#define LECO_PIN_NAMES	    "names"
#define LECO_PIN_NAMES_HEAD "names_head"

#define LECO_CONNS_MAX	  32768 /* UDP flows and inbound drops */
#define LECO_RING_MAX	  16384 /* closed TCP connections a reader can fall behind by */
#define LECO_TCP_LIVE_MAX 65536 /* live TCP connections exported in "live" */
#define LECO_CHANGES_MAX  16384 /* exports of live TCP records a reader can fall behind by */
#define LECO_COMM_LEN	  16
#define LECO_SCRIPT_LEN	  40 /* script name kept at exec (basename, truncated) */
#define LECO_JOBS_MAX	  10
#define LECO_NAMES_MAX	  4096 /* names resolved a reader can fall behind by */
#define LECO_NAME_LEN	  256  /* a DNS name is at most 253 bytes */
#define LECO_NAME_ADDRS	  8    /* addresses kept per answer */
#define LECO_LINKS_LEN	  400

/* enum leco_conn_state (the public API mirrors these values) */
#define LECO_ST_CONNECTING  1 /* TCP SYN sent, no answer yet */
#define LECO_ST_ESTABLISHED 2 /* TCP established */
#define LECO_ST_FAILED	    3 /* TCP connect failed, err = sk_err (ECONNREFUSED, ETIMEDOUT..) */
#define LECO_ST_BLOCKED	    4 /* dropped by the firewall (netfilter drop, or UDP send -EPERM) */
#define LECO_ST_CLOSED	    5 /* TCP closing or closed after being established; UDP socket closed */
#define LECO_ST_ACTIVE	    6 /* UDP flow with traffic (UDP has no connection state) */

#define LECO_DIR_OUT 0 /* this host initiated (connect, or first UDP datagram sent) */
#define LECO_DIR_IN  1 /* remote initiated (accepted, or first UDP datagram received) */

/* struct leco_conn.owner: where the owner (tgid, uid, cgroup, comm) was taken */
#define LECO_OWNER_NONE	    0 /* not known (an inbound drop to a port nobody listens on) */
#define LECO_OWNER_CONNECT  1 /* the process that called connect() */
#define LECO_OWNER_ACCEPT   2 /* the process that accepted it (getpeername inside accept) */
#define LECO_OWNER_CLOSE    3 /* the process that closed it last (sock_release) */
#define LECO_OWNER_LISTENER 4 /* the process that called listen() on its listener */
#define LECO_OWNER_IO	    5 /* UDP: the first process that sent or received on the socket */
#define LECO_OWNER_FD	    6 /* adopted at load: a process that held the socket's fd */

/* struct leco_conn.flags */
#define LECO_F_UNCONNECTED (1U << 0) /* UDP: peer from the msg address, not the socket */
#define LECO_F_SCRIPT	   (1U << 1) /* script holds the script name kept at exec */
#define LECO_F_RESTARTED   (1U << 2) /* UDP: recreated after an eviction, counts restarted */
#define LECO_F_ADOPTED	   (1U << 3) /* open before the probes were loaded (found at load) */
#define LECO_F_LATE	   (1U << 4) /* TCP: first seen after it started (counts still total) */
#define LECO_F_AGGREGATE   (1U << 5) /* inbound drops to several ports of this remote */
/* internal to the TCP storage */
#define LECO_F_FINAL	(1U << 6) /* TCP: closed, copied into the ring */
#define LECO_F_DIRTY	(1U << 7) /* TCP: changed since the iterator last exported it */
#define LECO_F_EXPORTED (1U << 8) /* TCP: the iterator has put it into "live" */

/*
 * Key of the conns hash: socket cookie (never reused, unlike the socket
 * pointer) plus the UDP peer, so one unconnected socket talking to several
 * peers gives one record per peer. Inbound drops have no socket: cookie is
 * LECO_KEY_NOSOCK | proto << 16 | local port (0: several ports), raddr the
 * remote, netns the network namespace inode.
 */
#define LECO_KEY_NOSOCK (1ULL << 63)

struct leco_key {
	__u64 cookie;
	__u8 raddr[16]; /* UDP peer / inbound drop source (IPv4 in the first 4 bytes) */
	__u16 rport;	/* UDP peer port, host byte order; zero otherwise */
	__u16 _pad0;
	__u32 netns; /* inbound drops only */
};

/*
 * One connection (TCP socket, UDP socket+peer, or inbound drops from one
 * remote to one port). Times are bpf_ktime_get_ns() (CLOCK_MONOTONIC).
 * TCP byte counts are payload bytes from tcp_sock (bytes_received, and
 * bytes_acked without the SYN and our FIN): received = delivered to the
 * socket, sent = acknowledged by the peer. UDP: payload of each datagram.
 */
struct leco_conn {
	__u64 first_ns;	 /* first activity: connect attempt, accept, first datagram, first drop */
	__u64 last_ns;	 /* last activity (TCP: last packet sent or received, or state change) */
	__u64 rx_bytes;	 /* payload bytes received */
	__u64 tx_bytes;	 /* payload bytes sent */
	__u64 cgroup_id; /* owner's cgroup2 id (inode number of the cgroup directory) */
	__u64 cookie;	 /* socket cookie (0 for inbound drops) */
	__u64 start_ns;	 /* owner's process start (its group leader's start_time: CLOCK_MONOTONIC
			    ns, the clock of first_ns); 0 if not known */
	__u32 tgid;	 /* owning process (thread group id); 0 if not known */
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
	char comm[LECO_COMM_LEN]; /* owner's comm */
	__u8 owner;		  /* LECO_OWNER_* */
	__u8 _pad0[3];
	__u32 count;		      /* inbound drops: packets dropped; else 0 */
	char script[LECO_SCRIPT_LEN]; /* owner's script name (LECO_F_SCRIPT), else empty */
};

/* One slot of the closed-connection ring; seq is 1 + the close's sequence number */
struct leco_slot {
	struct bpf_spin_lock lock; /* readers copy a slot under it (BPF_F_LOCK) */
	__u32 _pad0;
	__u64 seq; /* 0: never written */
	struct leco_conn c;
};

struct leco_ring_head {
	__u64 next; /* sequence number of the next close; slot = seq % LECO_RING_MAX */
	__u64 _reserved[3];
};

/*
 * One answer of the C library's resolver (getaddrinfo), in the "names" ring. No lock (a
 * uprobe program may not take one): the writer sets `begun` first and `done` last, each with
 * an atomic exchange, and a reader, which copies `done` first and `begun` last, takes the
 * record only when both are the sequence number it wants (lib/maps.c).
 */
struct leco_name {
	__u64 done;	/* 1 + the sequence number, once written; 0: never written */
	__u64 ns;	/* when getaddrinfo() returned (CLOCK_MONOTONIC, like first_ns) */
	__u64 start_ns; /* the resolving process's start (as leco_conn.start_ns) */
	__u32 tgid;	/* the resolving process */
	__u16 naddr;	/* addresses in addr[] */
	__u8 more;	/* the answer had more distinct addresses than addr[] keeps */
	__u8 _pad0;
	__u8 addr[LECO_NAME_ADDRS][16]; /* IPv6; IPv4 as IPv4-mapped (::ffff:a.b.c.d) */
	char name[LECO_NAME_LEN];	/* the name the program asked for, NUL-terminated */
	__u64 begun; /* 1 + the sequence number, set before the rest is written */
};

/* The loader's settings, in the unpinned "cfg" map (a map, not rodata: --object loads any
 * build of the object) */
struct leco_cfg {
	__u32 drops_udp; /* the UDP tier sees no send's return value (cgroup_skb), so the
			    kfree_skb hook reports the UDP sends the firewall drops */
	__u32 names_max; /* slots of the names ring (a power of two; --names-max) */
};

/* Health counters of the probes, per CPU; the reader sums them. */
struct leco_stats {
	__u64 events;	    /* UDP datagrams and TCP state changes that updated a record */
	__u64 conns_new;    /* conns records created (UDP flows, inbound drops) */
	__u64 update_fail;  /* map updates refused */
	__u64 lost;	    /* TCP sockets first seen after they started (LECO_F_LATE) */
	__u64 unattributed; /* inbound TCP with no listener owner */
	__u64 blocked;	    /* firewall drops and EPERM sends seen */
	__u64 execs;	    /* script names kept at exec */
	__u64 tcp_new;	    /* TCP connections tracked (per-socket storage created) */
	__u64 blocked_in;   /* inbound drops recorded (TCP SYN or UDP, no socket) */
	__u64 scan_merged;  /* of those, merged into a per-remote aggregate (port scans) */
	__u64 storage_fail; /* per-socket storage refused (memory) */
	__u64 restarted;    /* UDP records recreated after an eviction */
	__u64 adopted;	    /* sockets found open at load */
	/* added with layout 3 */
	__u64 names_calls; /* getaddrinfo() answers with addresses for a name (not a literal) */
	__u64 names_dup;   /* of those, the same answer to the same process within a minute:
			      not put into the names ring again */
	__u64 _reserved[1];
};

/* Which hook serves a job on this kernel: hook "" = none (the feature is missing) */
struct leco_job {
	char job[24];	 /* "udp bytes" */
	char hook[128];	 /* "tp_btf sock_send_length/sock_recv_length, cgroup sendmsg/recvmsg"
			    (layout 3: 80 bytes before) */
	char lacks[128]; /* what this kernel cannot give for the job, "" = nothing; for a job
			    with no hook, also why (layout 3: 64 bytes before) */
};

/* Written once by the loader after load, then frozen; the reader checks every field. */
struct leco_info {
	__u32 magic;	      /* LECO_MAGIC */
	__u32 layout_version; /* LECO_LAYOUT_VERSION */
	__u32 key_size;	      /* sizeof(struct leco_key) */
	__u32 conn_size;      /* sizeof(struct leco_conn) */
	__u32 slot_size;      /* sizeof(struct leco_slot) */
	__u32 stats_size;     /* sizeof(struct leco_stats) */
	__u32 conns_max;      /* max_entries of conns */
	__u32 ring_max;	      /* max_entries of closed */
	__u64 load_mono_ns;   /* CLOCK_MONOTONIC at load */
	char version[32];     /* loader's package version, e.g. "0.1.0" */
	__u32 njobs;
	__u32 _pad0;
	struct leco_job jobs[LECO_JOBS_MAX];
	char links[LECO_LINKS_LEN]; /* names of the pinned links, space separated */
};

#ifndef __bpf__
_Static_assert(sizeof(struct leco_key) == 32, "leco_key layout");
_Static_assert(sizeof(struct leco_conn) == 176, "leco_conn layout");
_Static_assert(sizeof(struct leco_slot) == 192, "leco_slot layout");
_Static_assert(sizeof(struct leco_stats) == 128, "leco_stats layout");
_Static_assert(sizeof(struct leco_info) == 3280, "leco_info layout");
_Static_assert(sizeof(struct leco_name) == 424, "leco_name layout");
#endif

#endif /* LECO_RECORD_H */
