// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libleco kernel side: one record per TCP socket or UDP socket+peer in an LRU
 * hash keyed by socket cookie (see leco.h for the layout, doc/kernel.md for
 * the hooks and the reasoning).
 *
 * Hot path (sock_send_length / sock_recv_length on a known socket): one
 * lookup, two atomic-free stores and one atomic add. Everything expensive
 * (addresses, owner, comm, cgroup) happens once, when a record is created.
 */
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
#define LECO_IPPROTO_TCP 6
#define LECO_IPPROTO_UDP 17

/* TCP states (include/net/tcp_states.h) */
#define ST_ESTABLISHED 1
#define ST_SYN_SENT    2
#define ST_SYN_RECV    3
#define ST_FIN_WAIT1   4
#define ST_CLOSE       7
#define ST_CLOSE_WAIT  8
#define ST_LAST_ACK    9
#define ST_LISTEN      10

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Set by the loader before load; 0 disables argv capture at exec. */
const volatile __u32 cfg_exec_args = 1;

/* ---- maps pinned for readers (leco.h) ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct leco_info);
} info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LECO_CONNS_MAX);
	__type(key, struct leco_key);
	__type(value, struct leco_conn);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LECO_EXECS_MAX);
	__type(key, __u32);
	__type(value, struct leco_exec);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct leco_stats);
} stats SEC(".maps");

/* ---- internal maps (not pinned) ---- */

/* Owner of a listening port, recorded at listen() in process context */
struct listen_key {
	__u32 netns; /* network namespace inode */
	__u16 port;  /* host byte order */
	__u16 _pad;
};

struct owner {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 uid;
	char comm[LECO_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct listen_key);
	__type(value, struct owner);
} listeners SEC(".maps");

/*
 * UDP peer of the current sendmsg/recvmsg, from the cgroup sock_addr hook,
 * keyed by pid_tgid (thread) and consumed by the sock_*_length tracepoint
 * that follows in the same thread.
 */
struct peer {
	__u64 cookie;
	__u8 addr[16];
	__u16 port;  /* host byte order */
	__u8 family; /* 4 or 6: address format in addr */
	__u8 _pad[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct peer);
} peers SEC(".maps");

/*
 * Per-CPU clock cache for the hot path: bpf_ktime_get_ns() costs 50-100 ns on
 * a VM clocksource (kvm-clock), more than the rest of the hook; last_ns of data
 * activity is taken once per jiffy per CPU instead (resolution 1 tick).
 */
struct leco_clk {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct leco_clk);
} clk_cache SEC(".maps");

/* scratch for the exec record (too big for the BPF stack) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct leco_exec);
} exec_scratch SEC(".maps");

/* ---- helpers ---- */

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

/* Local and remote address and ports of a socket, as the socket knows them now */
static __always_inline void sk_fill_addrs(struct sock *sk, struct leco_conn *c)
{
	if (c->family == 4) {
		bpf_core_read(c->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(c->raddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(c->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(c->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	c->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	c->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* Owner = the current task (process context only) */
static __always_inline void owner_current(struct leco_conn *c)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	c->tgid = tgid;
	c->uid = (__u32)bpf_get_current_uid_gid();
	c->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	if (bpf_map_lookup_elem(&execs, &tgid))
		c->flags |= LECO_F_EXEC_ARGS;
}

static __always_inline __u32 sk_netns(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Owner from the listening socket that accepted sk (softirq); 0 if unknown */
static __always_inline int owner_listener(struct sock *sk, struct leco_conn *c)
{
	struct listen_key lk = {};
	struct owner *o;

	lk.netns = sk_netns(sk);
	lk.port = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	o = bpf_map_lookup_elem(&listeners, &lk);
	if (!o)
		return 0;
	c->tgid = o->tgid;
	c->uid = o->uid;
	c->cgroup_id = o->cgroup_id;
	__builtin_memcpy(c->comm, o->comm, sizeof(c->comm));
	c->flags |= LECO_F_OWNER_LISTENER;
	return 1;
}

/* Insert a new record; returns the map's copy (or NULL) */
static __always_inline struct leco_conn *conn_insert(struct leco_key *key, struct leco_conn *c)
{
	struct leco_conn *p;
	long err;

	err = bpf_map_update_elem(&conns, key, c, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: another CPU won the race */) {
		STAT_INC(update_fail);
		return NULL;
	}
	p = bpf_map_lookup_elem(&conns, key);
	if (!err && p)
		STAT_INC(conns_new);
	return p;
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

/* The cookie is generated once per socket; read it directly when it exists */
static __always_inline __u64 sk_cookie(struct sock *sk)
{
	__u64 ck = sk->__sk_common.skc_cookie.counter;

	return likely(ck) ? ck : bpf_get_socket_cookie(sk);
}

static __always_inline __u8 sk_family(struct sock *sk)
{
	__u16 f = sk->__sk_common.skc_family;

	return f == AF_INET ? 4 : f == AF_INET6 ? 6 : 0;
}

/* ---- payload bytes: sock_send_length / sock_recv_length ---- */

static __always_inline void udp_peer_key(struct sock *sk, __u8 family, struct leco_key *key,
					 __u32 *flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct peer *p = bpf_map_lookup_elem(&peers, &id);

	if (p) {
		int match = p->cookie == key->cookie;

		if (match) {
			if (family == 6 && p->family == 4) {
				/* v4 datagram on a dual-stack v6 socket: IPv4-mapped */
				key->raddr[10] = 0xff;
				key->raddr[11] = 0xff;
				__builtin_memcpy(&key->raddr[12], p->addr, 4);
			} else {
				__builtin_memcpy(key->raddr, p->addr, 16);
			}
			key->rport = p->port;
			*flags |= LECO_F_UNCONNECTED;
		}
		bpf_map_delete_elem(&peers, &id);
		if (match)
			return;
	}
	/* connected socket: the peer is the socket's */
	if (family == 4) {
		*(__u32 *)key->raddr = sk->__sk_common.skc_daddr;
	} else {
		*(__u32 *)&key->raddr[0] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[0];
		*(__u32 *)&key->raddr[4] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[1];
		*(__u32 *)&key->raddr[8] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[2];
		*(__u32 *)&key->raddr[12] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3];
	}
	key->rport = bpf_ntohs(sk->__sk_common.skc_dport);
}

static __always_inline int on_data(struct sock *sk, int ret, int flags, int tx)
{
	struct leco_key key = {};
	struct leco_conn *c;
	struct leco_stats *s;
	__u32 cflags = 0;
	__u8 family, proto;
	__u64 now;
	int blocked = 0;

	if (!sk)
		return 0;
	family = sk_family(sk);
	if (!family)
		return 0;
	proto = sk->sk_protocol;
	if (proto == LECO_IPPROTO_TCP) {
		if (ret <= 0 || (!tx && (flags & MSG_PEEK)))
			return 0;
		key.cookie = sk_cookie(sk);
	} else if (proto == LECO_IPPROTO_UDP) {
		key.cookie = sk_cookie(sk);
		/* always consume the stashed peer, even for a call we skip */
		udp_peer_key(sk, family, &key, &cflags);
		if (ret <= 0) {
			if (!tx || ret != -EPERM)
				return 0;
			blocked = 1;
		} else if (!tx && (flags & MSG_PEEK)) {
			return 0;
		}
	} else {
		return 0;
	}

	c = bpf_map_lookup_elem(&conns, &key);
	if (likely(c && !blocked)) {
		now = now_tick();
		if (unlikely(!c->tgid)) {
			/* created in softirq without an owner: this task is it */
			owner_current(c);
			c->flags |= LECO_F_OWNER_LATE;
		} else if (unlikely(c->flags & LECO_F_OWNER_LISTENER) &&
			   c->tgid != bpf_get_current_pid_tgid() >> 32) {
			/* accepted by one process, used by another (socket activation,
			 * pre-fork servers): the user of the socket owns it */
			owner_current(c);
			c->flags = (c->flags & ~LECO_F_OWNER_LISTENER) | LECO_F_OWNER_LATE;
		}
		if (tx)
			__sync_fetch_and_add(&c->tx_bytes, ret);
		else
			__sync_fetch_and_add(&c->rx_bytes, ret);
		if (now > c->last_ns) /* the tick clock may lag a precise first_ns */
			c->last_ns = now;
		s = stats_get();
		if (s)
			s->events++;
		return 0;
	}

	now = bpf_ktime_get_ns();
	if (c && blocked) {
		c->state = LECO_ST_BLOCKED;
		c->err = EPERM;
		c->last_ns = now;
		STAT_INC(blocked);
		return 0;
	}

	/* first activity on this socket (or peer): build the record */
	{
		struct leco_conn n = {};

		n.first_ns = now;
		n.last_ns = now;
		n.cookie = key.cookie;
		n.family = family;
		n.proto = proto;
		n.flags = cflags;
		owner_current(&n);
		sk_fill_addrs(sk, &n);
		if (proto == LECO_IPPROTO_UDP) {
			__builtin_memcpy(n.raddr, key.raddr, 16);
			n.rport = key.rport;
			n.dir = tx ? LECO_DIR_OUT : LECO_DIR_IN;
			n.state = blocked ? LECO_ST_BLOCKED : LECO_ST_ACTIVE;
			if (blocked) {
				n.err = EPERM;
				STAT_INC(blocked);
			}
		} else {
			/* TCP socket we never saw connect or accept: opened before the
			 * probes were loaded, or its record was evicted */
			n.dir = LECO_DIR_OUT;
			n.state = LECO_ST_ESTABLISHED;
			STAT_INC(lost);
		}
		if (!blocked) {
			if (tx)
				n.tx_bytes = ret;
			else
				n.rx_bytes = ret;
		}
		c = conn_insert(&key, &n);
		if (c && c->first_ns != now && !blocked) {
			/* lost the creation race: count our bytes into the winner */
			if (tx)
				__sync_fetch_and_add(&c->tx_bytes, ret);
			else
				__sync_fetch_and_add(&c->rx_bytes, ret);
		}
		s = stats_get();
		if (s)
			s->events++;
	}
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(leco_send, struct sock *sk, int ret, int flags)
{
	return on_data(sk, ret, flags, 1);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(leco_recv, struct sock *sk, int ret, int flags)
{
	return on_data(sk, ret, flags, 0);
}

/* ---- TCP lifecycle: inet_sock_set_state ---- */

static __always_inline void state_listen(struct sock *sk)
{
	struct listen_key lk = {};
	struct owner o = {};

	lk.netns = sk_netns(sk);
	lk.port = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (!lk.port)
		lk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!lk.port)
		return;
	o.tgid = bpf_get_current_pid_tgid() >> 32;
	o.uid = (__u32)bpf_get_current_uid_gid();
	o.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o.comm, sizeof(o.comm));
	if (bpf_map_update_elem(&listeners, &lk, &o, BPF_ANY))
		STAT_INC(update_fail);
}

static __always_inline void state_new(struct sock *sk, struct leco_key *key, __u8 family,
				      int newstate, int in, __u64 now)
{
	struct leco_conn n = {};

	n.first_ns = now;
	n.last_ns = now;
	n.cookie = key->cookie;
	n.family = family;
	n.proto = LECO_IPPROTO_TCP;
	n.dir = in ? LECO_DIR_IN : LECO_DIR_OUT;
	n.state = newstate == ST_ESTABLISHED ? LECO_ST_ESTABLISHED : LECO_ST_CONNECTING;
	if (in) {
		/* softirq: the current task is whoever the packet interrupted */
		if (!owner_listener(sk, &n))
			STAT_INC(unattributed);
	} else if (newstate == ST_SYN_SENT) {
		owner_current(&n); /* connect(): caller's context */
	} else {
		STAT_INC(lost); /* established outbound we never saw start */
	}
	sk_fill_addrs(sk, &n);
	if (bpf_map_update_elem(&conns, key, &n, BPF_ANY))
		STAT_INC(update_fail);
	else
		STAT_INC(conns_new);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(leco_state, struct sock *sk, int oldstate, int newstate)
{
	struct leco_key key = {};
	struct leco_conn *c;
	__u8 family;
	__u64 now;

	if (!sk || sk->sk_protocol != LECO_IPPROTO_TCP)
		return 0;
	family = sk_family(sk);
	if (!family)
		return 0;
	if (newstate == ST_LISTEN) {
		state_listen(sk);
		return 0;
	}
	if (oldstate == ST_LISTEN && newstate == ST_CLOSE)
		return 0; /* listener closed; its entry ages out of the LRU */

	now = bpf_ktime_get_ns();
	key.cookie = bpf_get_socket_cookie(sk);
	if (oldstate == ST_CLOSE && newstate == ST_SYN_SENT) {
		state_new(sk, &key, family, newstate, 0, now);
		return 0;
	}
	if (oldstate == ST_LISTEN && newstate == ST_SYN_RECV) {
		state_new(sk, &key, family, newstate, 1, now);
		return 0;
	}

	c = bpf_map_lookup_elem(&conns, &key);
	if (newstate == ST_ESTABLISHED) {
		if (!c) {
			state_new(sk, &key, family, newstate, oldstate == ST_SYN_RECV, now);
			return 0;
		}
		c->state = LECO_ST_ESTABLISHED;
		sk_fill_addrs(sk, c); /* the child socket's addresses are final now */
		c->last_ns = now;
		return 0;
	}
	if (!c)
		return 0;
	if (newstate == ST_CLOSE && (oldstate == ST_SYN_SENT || oldstate == ST_SYN_RECV)) {
		if (!c->lport)
			c->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		if (c->state != LECO_ST_BLOCKED) {
			int err = BPF_CORE_READ(sk, sk_err);

			c->err = err;
			c->state = err ? LECO_ST_FAILED : LECO_ST_CLOSED;
		}
		c->last_ns = now;
		return 0;
	}
	if (newstate == ST_FIN_WAIT1 || newstate == ST_CLOSE_WAIT || newstate == ST_CLOSE ||
	    newstate == ST_LAST_ACK) {
		if (c->state == LECO_ST_ESTABLISHED || c->state == LECO_ST_CONNECTING)
			c->state = LECO_ST_CLOSED;
		c->last_ns = now;
	}
	return 0;
}

/* ---- firewall drops: kfree_skb with SKB_DROP_REASON_NETFILTER_DROP ---- */

SEC("tp_btf/kfree_skb")
int BPF_PROG(leco_drop, struct sk_buff *skb, void *location, int reason)
{
	struct leco_key key = {};
	struct leco_conn *c;
	struct sock *sk;

	if (!bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP) ||
	    reason != bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP))
		return 0;
	sk = BPF_CORE_READ(skb, sk);
	if (!sk)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != LECO_IPPROTO_TCP)
		return 0; /* UDP: the send returns -EPERM, seen in sock_send_length */
	/* may run in (timer) softirq: attribute through the socket's cookie only */
	key.cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	if (!key.cookie)
		return 0;
	STAT_INC(blocked);
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	if (c->state == LECO_ST_CONNECTING || c->state == LECO_ST_BLOCKED) {
		c->state = LECO_ST_BLOCKED;
		c->err = EPERM;
		if (!c->lport)
			c->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		c->last_ns = bpf_ktime_get_ns();
	}
	return 0;
}

/* ---- unconnected UDP peers: cgroup sock_addr hooks (MUST return 1) ---- */

static __always_inline void stash_peer(struct bpf_sock_addr *ctx, int v6)
{
	struct peer p = {};
	__u64 id;

	if (ctx->protocol != LECO_IPPROTO_UDP)
		return;
	p.cookie = bpf_get_socket_cookie(ctx);
	if (v6) {
		*(__u32 *)&p.addr[0] = ctx->user_ip6[0];
		*(__u32 *)&p.addr[4] = ctx->user_ip6[1];
		*(__u32 *)&p.addr[8] = ctx->user_ip6[2];
		*(__u32 *)&p.addr[12] = ctx->user_ip6[3];
		p.family = 6;
	} else {
		*(__u32 *)&p.addr[0] = ctx->user_ip4;
		p.family = 4;
	}
	p.port = bpf_ntohs((__u16)ctx->user_port);
	id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&peers, &id, &p, BPF_ANY);
}

/* Every one of these returns 1 ("allow") on every path: tests/bpf checks the
 * verified instructions. A 0 would fail the caller's sendmsg/recvmsg. */
SEC("cgroup/sendmsg4")
int leco_sendmsg4(struct bpf_sock_addr *ctx)
{
	stash_peer(ctx, 0);
	return 1;
}

SEC("cgroup/sendmsg6")
int leco_sendmsg6(struct bpf_sock_addr *ctx)
{
	stash_peer(ctx, 1);
	return 1;
}

SEC("cgroup/recvmsg4")
int leco_recvmsg4(struct bpf_sock_addr *ctx)
{
	stash_peer(ctx, 0);
	return 1;
}

SEC("cgroup/recvmsg6")
int leco_recvmsg6(struct bpf_sock_addr *ctx)
{
	stash_peer(ctx, 1);
	return 1;
}

/* ---- argv of interpreters at exec ---- */

/* comm names whose argv (script name) is worth keeping */
static __always_inline int is_interp(const char *c)
{
	switch (c[0]) {
	case 'p': /* python*, perl*, php*, pwsh */
		return (c[1] == 'y' && c[2] == 't' && c[3] == 'h') ||
		       (c[1] == 'e' && c[2] == 'r' && c[3] == 'l') ||
		       (c[1] == 'h' && c[2] == 'p') || (c[1] == 'w' && c[2] == 's' && c[3] == 'h');
	case 'n': /* node* */
		return c[1] == 'o' && c[2] == 'd' && c[3] == 'e';
	case 'r': /* ruby* */
		return c[1] == 'u' && c[2] == 'b' && c[3] == 'y';
	case 'l': /* lua*, luajit */
		return c[1] == 'u' && c[2] == 'a';
	case 'b': /* bash, busybox, bun */
		return (c[1] == 'a' && c[2] == 's' && c[3] == 'h' && !c[4]) ||
		       (c[1] == 'u' && c[2] == 's' && c[3] == 'y') ||
		       (c[1] == 'u' && c[2] == 'n' && !c[3]);
	case 's': /* sh */
		return c[1] == 'h' && !c[2];
	case 'd': /* dash, deno */
		return (c[1] == 'a' && c[2] == 's' && c[3] == 'h' && !c[4]) ||
		       (c[1] == 'e' && c[2] == 'n' && c[3] == 'o' && !c[4]);
	case 'z': /* zsh */
		return c[1] == 's' && c[2] == 'h' && !c[3];
	case 'k': /* ksh, mksh-like */
		return c[1] == 's' && c[2] == 'h' && !c[3];
	case 'm': /* mksh */
		return c[1] == 'k' && c[2] == 's' && c[3] == 'h' && !c[4];
	case 'f': /* fish */
		return c[1] == 'i' && c[2] == 's' && c[3] == 'h' && !c[4];
	case 'j': /* java */
		return c[1] == 'a' && c[2] == 'v' && c[3] == 'a';
	case 't': /* tclsh* */
		return c[1] == 'c' && c[2] == 'l' && c[3] == 's' && c[4] == 'h';
	case 'w': /* wish* */
		return c[1] == 'i' && c[2] == 's' && c[3] == 'h';
	case 'g': /* guile* */
		return c[1] == 'u' && c[2] == 'i' && c[3] == 'l' && c[4] == 'e';
	case 'R': /* Rscript */
		return c[1] == 's' && c[2] == 'c' && c[3] == 'r';
	case 'o': /* osascript-like: none on Linux; ocaml */
		return c[1] == 'c' && c[2] == 'a' && c[3] == 'm' && c[4] == 'l';
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(leco_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	char comm[LECO_COMM_LEN] = {};
	struct leco_exec *e;
	struct mm_struct *mm;
	unsigned long start, end;
	__u32 k = 0, tgid;
	__u64 len;
	int script;

	if (!cfg_exec_args)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(comm, sizeof(comm));
	/* "#!" scripts: bprm->interp was replaced by the interpreter's path */
	script = BPF_CORE_READ(bprm, interp) != BPF_CORE_READ(bprm, filename);
	if (!script && !is_interp(comm)) {
		/* not an interpreter: forget what an earlier program of this pid ran */
		bpf_map_delete_elem(&execs, &tgid);
		return 0;
	}
	e = bpf_map_lookup_elem(&exec_scratch, &k);
	if (!e)
		return 0;
	e->exec_ns = bpf_ktime_get_ns();
	e->tgid = tgid;
	__builtin_memcpy(e->comm, comm, sizeof(e->comm));
	mm = BPF_CORE_READ(p, mm);
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > LECO_ARGS_LEN)
		len = LECO_ARGS_LEN;
	if (len && bpf_probe_read_user(e->args, len & (LECO_ARGS_LEN * 2 - 1), (void *)start))
		len = 0;
	e->args_len = len;
	if (len < LECO_ARGS_LEN)
		e->args[len & (LECO_ARGS_LEN - 1)] = 0;
	if (bpf_map_update_elem(&execs, &tgid, e, BPF_ANY))
		STAT_INC(update_fail);
	else
		STAT_INC(execs);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
