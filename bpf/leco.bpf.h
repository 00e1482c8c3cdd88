/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the kernel-side files share: the maps (defined once in maps.bpf.c,
 * declared extern here, joined by `bpftool gen object`), constants, the
 * per-socket records, and the helpers every hook uses. See doc/kernel.md.
 */
#ifndef LECO_BPF_H
#define LECO_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "leco.h"

#define AF_INET		 2
#define AF_INET6	 10
#define MSG_PEEK	 2
#define EPERM		 1
#define EEXIST		 17
#define LECO_IPPROTO_TCP 6
#define LECO_IPPROTO_UDP 17

/* TCP states (include/net/tcp_states.h) */
#define ST_ESTABLISHED 1
#define ST_SYN_SENT    2
#define ST_SYN_RECV    3
#define ST_FIN_WAIT1   4
#define ST_FIN_WAIT2   5
#define ST_TIME_WAIT   6
#define ST_CLOSE       7
#define ST_CLOSE_WAIT  8
#define ST_LAST_ACK    9
#define ST_LISTEN      10
#define ST_CLOSING     11

#define UDP_PEERS_KEPT 4 /* peers per UDP socket closed by name at release */

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- internal records ---- */

/* Who owns a socket: copied into its record(s) */
struct owner {
	__u64 cgroup_id;
	__u64 start_ns; /* process start (group leader's start_time) */
	__u32 tgid;
	__u32 uid;
	char comm[LECO_COMM_LEN];
	char script[LECO_SCRIPT_LEN];
	__u32 flags; /* LECO_F_SCRIPT */
	__u32 _pad;
};

/* Owner of a listening port, recorded at listen() in process context */
struct listen_key {
	__u32 netns; /* network namespace inode */
	__u16 port;  /* host byte order */
	__u16 _pad;
};

/* A UDP peer: address (IPv4 in the first 4 bytes, or IPv4-mapped on a v6 socket) and port */
struct udp_peer {
	__u8 addr[16];
	__u16 port;
	__u16 _pad;
};

/* Per UDP socket: its owner and direction, and which peers had records */
struct udp_rec {
	struct owner o;
	__u64 first_ns;
	__u64 bloom[4]; /* peers that ever had a record: a miss later means an eviction */
	struct udp_peer peers[UDP_PEERS_KEPT];
	__u32 npeers; /* records created for this socket (peers[] holds the first few) */
	__u8 dir;
	__u8 owner; /* LECO_OWNER_IO, or LECO_OWNER_FD when adopted at load */
	__u8 _pad[2];
};

/* UDP peer of the current sendmsg/recvmsg, from the cgroup sock_addr hook, by thread */
struct peer_stash {
	__u64 cookie;
	__u8 addr[16];
	__u16 port;  /* host byte order */
	__u8 family; /* 4 or 6: address format in addr */
	__u8 _pad[5];
};

/* The arguments of a udp(v6)_sendmsg in flight, from its kprobe to its kretprobe (tier kprobe) */
struct send_args {
	struct sock *sk;
	struct msghdr *msg;
};

struct scan_key {
	__u32 netns;
	__u32 _pad;
	__u8 addr[16];
};

/* aligned: a copy of it is 5 loads, not 40 byte loads spilled to the stack */
struct script_rec {
	char name[LECO_SCRIPT_LEN] __attribute__((aligned(8)));
};

/* Per-CPU clock cache: bpf_ktime_get_ns() costs 50-100 ns on a VM clocksource */
struct leco_clk {
	__u64 jiffies;
	__u64 ns;
};

/* A getaddrinfo() call in flight (names.bpf.c), by thread: its node and res arguments */
struct name_args {
	__u64 node; /* const char * */
	__u64 res;  /* struct addrinfo ** */
};

/* The answer being recorded (per CPU): the name asked for (with the process: the key of
 * names_seen) and the distinct addresses found */
struct name_seen_key {
	__u32 tgid;
	__u32 _pad;
	char name[LECO_NAME_LEN];
};

struct name_answer {
	__u64 ns; /* when it was last put into the names ring */
	__u16 naddr;
	__u8 more;
	__u8 _pad[5];
	__u8 addr[LECO_NAME_ADDRS][16];
};

struct name_call {
	struct name_seen_key k;
	struct name_answer a;
};

#define EXEC_ARGS_LEN 256
struct exec_buf {
	char args[EXEC_ARGS_LEN];
	__u32 zero[8]; /* never written: zeros the verifier cannot see through (exec.bpf.c) */
};

/* ---- maps (maps.bpf.c) ---- */

#define MAP(name, t, maxe, k, v)           \
	struct name##_map {                \
		__uint(type, t);           \
		__uint(max_entries, maxe); \
		__type(key, k);            \
		__type(value, v);          \
	};                                 \
	extern struct name##_map name SEC(".maps")

#define STORAGE(name, v)                               \
	struct name##_map {                            \
		__uint(type, BPF_MAP_TYPE_SK_STORAGE); \
		__uint(map_flags, BPF_F_NO_PREALLOC);  \
		__type(key, int);                      \
		__type(value, v);                      \
	};                                             \
	extern struct name##_map name SEC(".maps")

/* pinned for readers (leco.h) */
MAP(info, BPF_MAP_TYPE_ARRAY, 1, __u32, struct leco_info);
MAP(conns, BPF_MAP_TYPE_LRU_HASH, LECO_CONNS_MAX, struct leco_key, struct leco_conn);
MAP(closed, BPF_MAP_TYPE_ARRAY, LECO_RING_MAX, __u32, struct leco_slot);
MAP(closed_head, BPF_MAP_TYPE_ARRAY, 1, __u32, struct leco_ring_head);
MAP(changes, BPF_MAP_TYPE_ARRAY, LECO_CHANGES_MAX, __u32, struct leco_slot);
MAP(changes_head, BPF_MAP_TYPE_ARRAY, 1, __u32, struct leco_ring_head);
MAP(stats, BPF_MAP_TYPE_PERCPU_ARRAY, 1, __u32, struct leco_stats);
/* live TCP: the storage is the record, "live" its copy for readers (refreshed by the iterator) */
STORAGE(tcp_socks, struct leco_conn);
struct live_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LECO_TCP_LIVE_MAX);
	__type(key, struct leco_key);
	__type(value, struct leco_conn);
};
extern struct live_map live SEC(".maps");
/* internal */
STORAGE(udp_socks, struct udp_rec);
MAP(listeners, BPF_MAP_TYPE_LRU_HASH, 4096, struct listen_key, struct owner);
MAP(peers, BPF_MAP_TYPE_LRU_HASH, 4096, __u64, struct peer_stash);
MAP(send_args, BPF_MAP_TYPE_LRU_HASH, 4096, __u64, struct send_args);
MAP(scripts, BPF_MAP_TYPE_LRU_HASH, 8192, __u32, struct script_rec);
MAP(interps, BPF_MAP_TYPE_HASH, 64, char[LECO_COMM_LEN], __u8);
MAP(scans, BPF_MAP_TYPE_LRU_HASH, 4096, struct scan_key, __u32);
MAP(clk_cache, BPF_MAP_TYPE_PERCPU_ARRAY, 1, __u32, struct leco_clk);
MAP(exec_scratch, BPF_MAP_TYPE_PERCPU_ARRAY, 1, __u32, struct exec_buf);
MAP(cfg, BPF_MAP_TYPE_ARRAY, 1, __u32, struct leco_cfg);
/* names (names.bpf.c): the ring readers read is pinned; calls in flight and recent answers
 * are not */
MAP(names, BPF_MAP_TYPE_ARRAY, LECO_NAMES_MAX, __u32, struct leco_name);
MAP(names_head, BPF_MAP_TYPE_ARRAY, 1, __u32, struct leco_ring_head);
MAP(name_calls, BPF_MAP_TYPE_LRU_HASH, 1024, __u64, struct name_args);
MAP(name_scratch, BPF_MAP_TYPE_PERCPU_ARRAY, 1, __u32, struct name_call);
MAP(names_seen, BPF_MAP_TYPE_LRU_HASH, 1024, struct name_seen_key, struct name_answer);

/* ---- helpers ---- */

static __always_inline int cfg_drops_udp(void)
{
	__u32 k = 0;
	struct leco_cfg *c = bpf_map_lookup_elem(&cfg, &k);

	return c && c->drops_udp;
}

/* Slots of the names ring - 1 (leco-load may make it smaller) */
static __always_inline __u32 cfg_names_mask(void)
{
	__u32 k = 0;
	struct leco_cfg *c = bpf_map_lookup_elem(&cfg, &k);

	return c && c->names_max ? c->names_max - 1 : LECO_NAMES_MAX - 1;
}

static __always_inline struct leco_stats *stats_get(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&stats, &k);
}

#define STAT_INC(field)                              \
	do {                                         \
		struct leco_stats *s_ = stats_get(); \
		if (s_)                              \
			s_->field++;                 \
	} while (0)

/*
 * Every struct sock here is a BTF pointer (tp_btf, fentry/fexit, iterators),
 * so fields are read with plain loads, relocated by CO-RE: a bpf_probe_read
 * helper call per field (BPF_CORE_READ) cost 20-40 ns each, ten of them per
 * new connection.
 */
static __always_inline __u8 family_v(__u16 f)
{
	return f == AF_INET ? 4 : f == AF_INET6 ? 6 : 0;
}

static __always_inline __u8 sk_family(struct sock *sk)
{
	return family_v(sk->__sk_common.skc_family);
}

static __always_inline __u32 sk_netns(struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

/* The local port: inet_num, the same as ntohs(inet_sport) once bound, and inside struct
 * sock (a cast to inet_sock reaches past the type the verifier knows) */
static __always_inline __u16 sk_lport(struct sock *sk)
{
	return sk->__sk_common.skc_num;
}

/* An IPv6 address of a socket (in6_addr, four 32-bit loads) */
static __always_inline void addr6_copy(__u8 *dst, const struct in6_addr *a)
{
	__u32 *d = (__u32 *)dst;

	d[0] = a->in6_u.u6_addr32[0];
	d[1] = a->in6_u.u6_addr32[1];
	d[2] = a->in6_u.u6_addr32[2];
	d[3] = a->in6_u.u6_addr32[3];
}

/* Local and remote address and ports of a socket, as the socket knows them now */
static __always_inline void sk_fill_addrs(struct sock *sk, struct leco_conn *c)
{
	if (c->family == 4) {
		*(__u32 *)c->laddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)c->raddr = sk->__sk_common.skc_daddr;
	} else {
		addr6_copy(c->laddr, &sk->__sk_common.skc_v6_rcv_saddr);
		addr6_copy(c->raddr, &sk->__sk_common.skc_v6_daddr);
	}
	c->lport = sk_lport(sk);
	c->rport = bpf_ntohs(sk->__sk_common.skc_dport);
}

/* When the current process started: CLOCK_MONOTONIC ns, like bpf_ktime_get_ns(). The
 * helper is there for the cgroup socket hooks too (measured on 6.1 and 6.18). */
static __always_inline __u64 current_start(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return t->group_leader->start_time;
}

/* The current task as an owner (process context only) */
static __always_inline void owner_now(struct owner *o)
{
	struct script_rec *s;

	o->tgid = bpf_get_current_pid_tgid() >> 32;
	o->start_ns = current_start();
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	s = bpf_map_lookup_elem(&scripts, &o->tgid);
	if (s) {
		__builtin_memcpy(o->script, s->name, sizeof(o->script));
		o->flags = LECO_F_SCRIPT;
	}
}

/* A TCP record changed: the iterator exports it at its next run */
static __always_inline void mark_dirty(struct leco_conn *c)
{
	__sync_fetch_and_or(&c->flags, LECO_F_DIRTY);
}

static __always_inline void owner_set(struct leco_conn *c, const struct owner *o, __u8 kind)
{
	c->tgid = o->tgid;
	c->start_ns = o->start_ns;
	c->uid = o->uid;
	c->cgroup_id = o->cgroup_id;
	__builtin_memcpy(c->comm, o->comm, sizeof(c->comm));
	__builtin_memcpy(c->script, o->script, sizeof(c->script));
	c->flags = (c->flags & ~LECO_F_SCRIPT) | (o->flags & LECO_F_SCRIPT);
	c->owner = kind;
}

static __always_inline void owner_current(struct leco_conn *c, __u8 kind)
{
	struct script_rec *s;

	c->tgid = bpf_get_current_pid_tgid() >> 32;
	c->start_ns = current_start();
	c->uid = (__u32)bpf_get_current_uid_gid();
	c->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	c->owner = kind;
	/* flags only ever change atomically: tcp_close sets FINAL from another CPU */
	__sync_fetch_and_and(&c->flags, ~LECO_F_SCRIPT);
	s = bpf_map_lookup_elem(&scripts, &c->tgid);
	if (s) {
		__builtin_memcpy(c->script, s->name, sizeof(c->script));
		__sync_fetch_and_or(&c->flags, LECO_F_SCRIPT);
	} else {
		c->script[0] = 0;
	}
}

/* Owner of the listener on sk's local port (the child of an accept); 0 if none known */
static __always_inline int owner_listener(struct sock *sk, struct leco_conn *c)
{
	struct listen_key lk = {};
	struct owner *o;

	lk.netns = sk_netns(sk);
	lk.port = sk_lport(sk);
	o = bpf_map_lookup_elem(&listeners, &lk);
	if (!o)
		return 0;
	owner_set(c, o, LECO_OWNER_LISTENER);
	return 1;
}

/* CLOCK_MONOTONIC ns, at most one tick old (see clk_cache) */
static __always_inline __u64 now_tick(void)
{
	__u64 j = bpf_jiffies64(), ns;
	__u32 k = 0;
	struct leco_clk *ck = bpf_map_lookup_elem(&clk_cache, &k);

	if (likely(ck && ck->jiffies == j))
		return ck->ns;
	ns = bpf_ktime_get_ns();
	if (ck) {
		ck->jiffies = j;
		ck->ns = ns;
	}
	return ns;
}

/*
 * TCP payload from the kernel's counters (tcp_sock): bytes_received counts
 * the peer's FIN too, bytes_acked our SYN (connecting side) and our FIN once
 * acknowledged. `st` is the state the FIN test applies to: the current one,
 * or at the final ->CLOSE the one before it.
 */
/* sk_flags moved into sock_common (skc_flags) in 6.x: read whichever this kernel has */
struct sock___flags_old {
	unsigned long sk_flags;
} __attribute__((preserve_access_index));
struct sock_common___flags_new {
	unsigned long skc_flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long sk_flags_of(struct sock *sk)
{
	struct sock_common___flags_new *n = (void *)sk;

	if (bpf_core_field_exists(n->skc_flags))
		return n->skc_flags;
	return ((struct sock___flags_old *)sk)->sk_flags;
}

static __always_inline void tcp_payload(struct tcp_sock *tp, int st, __u8 dir, __u64 *rx, __u64 *tx)
{
	__u64 acked = tp->bytes_acked, recvd = tp->bytes_received;
	unsigned long flags = sk_flags_of((struct sock *)tp);
	int done = bpf_core_enum_value(enum sock_flags, SOCK_DONE);

	if (dir == LECO_DIR_OUT && acked)
		acked--;
	if ((st == ST_FIN_WAIT1 || st == ST_FIN_WAIT2 || st == ST_CLOSING || st == ST_LAST_ACK ||
	     st == ST_TIME_WAIT) &&
	    acked && tp->snd_una == tp->write_seq)
		acked--;
	if (recvd && (flags & (1UL << (done & 63))))
		recvd--;
	*rx = recvd;
	*tx = acked;
}

#endif /* LECO_BPF_H */
