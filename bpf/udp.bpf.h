/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counting one UDP datagram, whichever hook saw it (udp.bpf.c, udp_skb.bpf.c)
 * or a send the firewall dropped (drop.bpf.c): the conns record of (socket,
 * peer), made on the first datagram with the owner and direction the
 * socket's storage keeps.
 */
#ifndef LECO_UDP_BPF_H
#define LECO_UDP_BPF_H

#include "leco.bpf.h"

/*
 * One datagram (or a send the firewall refused) as the tier saw it, with the
 * record it makes if it is the first for its (socket, peer): the tier sets
 * n.family and n.flags, udp_account the rest. One struct, so that the record is
 * built where it is (the verifier of 6.1 counts the stack of the whole call
 * chain, 512 bytes at most).
 */
struct udp_evt {
	struct leco_key key; /* cookie + peer */
	struct leco_conn n;
	__s64 bytes;
	__u8 tx;
	__u8 blocked;
	__u8 _pad[6];
};

/*
 * A field behind a pointer the hook was given: a plain load when the pointer is
 * BTF-typed (fentry, tp_btf: the verifier checks the access), a CO-RE
 * bpf_probe_read_kernel when it is a kprobe's register. `btf` is a constant at
 * every call (everything here is inlined): only one of the two is compiled in.
 */
#define RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

/* An IPv6 address of a socket */
#define RD_ADDR6(btf, dst, sk, f)                                     \
	do {                                                          \
		if (btf)                                              \
			addr6_copy(dst, &(sk)->__sk_common.f);        \
		else                                                  \
			bpf_core_read(dst, 16, &(sk)->__sk_common.f); \
	} while (0)

/* Two bits per peer in a 256-bit filter: a record that existed once and is gone was evicted */
static __always_inline int bloom_test_set(struct udp_rec *u, const struct leco_key *k)
{
	const __u32 *a = (const __u32 *)k->raddr;
	__u64 h = (a[0] * 0x9E3779B97F4A7C15ULL) ^ (a[1] * 0xC2B2AE3D27D4EB4FULL) ^
		  (a[2] * 0x165667B19E3779F9ULL) ^ (a[3] * 0x27D4EB2F165667C5ULL) ^
		  ((__u64)k->rport * 0x94D049BB133111EBULL);
	__u32 b1 = (h >> 20) & 255, b2 = (h >> 40) & 255;
	__u64 m1 = 1ULL << (b1 & 63), m2 = 1ULL << (b2 & 63);
	int seen = (u->bloom[(b1 >> 6) & 3] & m1) && (u->bloom[(b2 >> 6) & 3] & m2);

	u->bloom[(b1 >> 6) & 3] |= m1;
	u->bloom[(b2 >> 6) & 3] |= m2;
	return seen;
}

/* Socket-wide owner and direction: the first process that sent or received on it */
static __always_inline struct udp_rec *udp_sock_of(void *sk, int tx, __u64 now)
{
	struct udp_rec *u = bpf_sk_storage_get(&udp_socks, sk, 0, 0);

	if (likely(u))
		return u;
	u = bpf_sk_storage_get(&udp_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!u) {
		STAT_INC(storage_fail);
		return 0;
	}
	owner_now(&u->o);
	u->owner = LECO_OWNER_IO;
	u->first_ns = now;
	u->dir = tx ? LECO_DIR_OUT : LECO_DIR_IN;
	return u;
}

static __noinline void udp_new(struct udp_evt *e, struct udp_rec *u, __u64 now)
{
	struct leco_conn *n = &e->n, *c;
	long err;

	n->first_ns = now;
	n->last_ns = now;
	n->cookie = e->key.cookie;
	n->proto = LECO_IPPROTO_UDP;
	if (u) {
		__u32 i = u->npeers;

		owner_set(n, &u->o, u->owner);
		n->dir = u->dir;
		if (bloom_test_set(u, &e->key)) {
			n->flags |= LECO_F_RESTARTED;
			STAT_INC(restarted);
		} else if (i < UDP_PEERS_KEPT) {
			__builtin_memcpy(u->peers[i & (UDP_PEERS_KEPT - 1)].addr, e->key.raddr, 16);
			u->peers[i & (UDP_PEERS_KEPT - 1)].port = e->key.rport;
		}
		u->npeers = i + 1;
	} else {
		owner_current(n, LECO_OWNER_IO);
		n->dir = e->tx ? LECO_DIR_OUT : LECO_DIR_IN;
	}
	__builtin_memcpy(n->raddr, e->key.raddr, 16);
	n->rport = e->key.rport;
	if (e->blocked) {
		n->state = LECO_ST_BLOCKED;
		n->err = EPERM;
		STAT_INC(blocked);
	} else {
		n->state = LECO_ST_ACTIVE;
		if (e->tx)
			n->tx_bytes = e->bytes;
		else
			n->rx_bytes = e->bytes;
	}
	err = bpf_map_update_elem(&conns, &e->key, n, BPF_NOEXIST);
	if (!err) {
		STAT_INC(conns_new);
		return;
	}
	if (err != -EEXIST) {
		STAT_INC(update_fail);
		return;
	}
	/* another CPU made it first: count into that one */
	c = bpf_map_lookup_elem(&conns, &e->key);
	if (c && !e->blocked) {
		if (e->tx)
			__sync_fetch_and_add(&c->tx_bytes, e->bytes);
		else
			__sync_fetch_and_add(&c->rx_bytes, e->bytes);
	}
}

/* The socket's local address and port, into the record to be made */
static __always_inline void evt_local(struct udp_evt *e, struct sock *sk, int btf)
{
	if (e->n.family == 4)
		*(__u32 *)e->n.laddr = RD(btf, sk, __sk_common.skc_rcv_saddr);
	else
		RD_ADDR6(btf, e->n.laddr, sk, skc_v6_rcv_saddr);
	e->n.lport = RD(btf, sk, __sk_common.skc_num);
}

/* Count one datagram into its record c, or mark c blocked; 0: no record yet, make it */
static __always_inline int udp_count(struct udp_evt *e, struct leco_conn *c)
{
	struct leco_stats *s;
	__u64 now;

	if (likely(c && !e->blocked)) {
		now = now_tick();
		if (e->tx)
			__sync_fetch_and_add(&c->tx_bytes, e->bytes);
		else
			__sync_fetch_and_add(&c->rx_bytes, e->bytes);
		if (now > c->last_ns) /* the tick clock may lag a precise first_ns */
			c->last_ns = now;
		s = stats_get();
		if (s)
			s->events++;
		return 1;
	}
	if (!c)
		return 0;
	if (c->state != LECO_ST_BLOCKED)
		STAT_INC(blocked);
	c->state = LECO_ST_BLOCKED;
	c->err = EPERM;
	c->last_ns = bpf_ktime_get_ns();
	return 1;
}

/* Count one datagram. `btf`: sk is BTF-typed (RD), and with it the socket's storage is
 * reachable; a kprobe's is not (no owner kept per socket, no restart flag, no closing) */
static __always_inline void udp_account(struct udp_evt *e, struct sock *sk, int btf)
{
	__u64 now;

	if (udp_count(e, bpf_map_lookup_elem(&conns, &e->key)))
		return;
	now = bpf_ktime_get_ns();
	evt_local(e, sk, btf);
	udp_new(e, btf ? udp_sock_of(sk, e->tx, now) : 0, now);
}

/* The cookie is generated once per socket; read it directly when it exists. A kprobe cannot
 * call the helper: its tier generates every UDP socket's cookie at socket() (leco_udp_create),
 * adoption those open at load; 0 (neither ran) is returned and the datagram not counted */
static __always_inline __u64 sk_cookie(struct sock *sk, int btf)
{
	__u64 ck = RD(btf, sk, __sk_common.skc_cookie.counter);

	if (likely(ck) || !btf)
		return ck;
	return bpf_get_socket_cookie(sk);
}

/* The peer of a connected socket */
static __always_inline void evt_peer(struct udp_evt *e, struct sock *sk, int btf)
{
	if (e->n.family == 4)
		*(__u32 *)e->key.raddr = RD(btf, sk, __sk_common.skc_daddr);
	else
		RD_ADDR6(btf, e->key.raddr, sk, skc_v6_daddr);
	e->key.rport = bpf_ntohs(RD(btf, sk, __sk_common.skc_dport));
}

/* An IPv4 peer of a dual-stack IPv6 socket is kept IPv4-mapped */
static __always_inline void peer_v4(struct udp_evt *e, __u32 addr, __u16 port)
{
	if (e->n.family == 6) {
		e->key.raddr[10] = 0xff;
		e->key.raddr[11] = 0xff;
		*(__u32 *)&e->key.raddr[12] = addr;
	} else {
		*(__u32 *)e->key.raddr = addr;
	}
	e->key.rport = port;
}

#endif /* LECO_UDP_BPF_H */
