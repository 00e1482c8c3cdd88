// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Firewall drops: kfree_skb with reason SKB_DROP_REASON_NETFILTER_DROP (the
 * value differs between kernels: 7 on 6.1, 12 on 6.18; resolved at load).
 *   outbound  skb->sk is the sender: a TCP connect's SYN (its record becomes
 *             BLOCKED) or a UDP datagram (the socket+peer record).
 *   inbound   no socket yet (netfilter runs before the transport lookup): the
 *             headers say who knocked; one record per (remote, local port),
 *             and past SCAN_PORTS ports one aggregate per remote, so a port
 *             scan stays a handful of records.
 * May run in softirq (retransmits, received packets): never attribute to the
 * current task here.
 */
#include "udp.bpf.h"

#define SCAN_PORTS 4
#define RTN_LOCAL  2
#define RTF_LOCAL  0x80000000U
#define TCP_SYN	   0x02
#define TCP_ACK	   0x10

/* What the headers of a received packet say */
struct pkt {
	__u8 saddr[16], daddr[16];
	__u16 sport, dport;
	__u8 family, proto;
	__u8 _pad[2];
};

static __always_inline void drop_tcp_out(struct sock *sk)
{
	struct leco_conn *c = bpf_sk_storage_get(&tcp_socks, sk, 0, 0);

	STAT_INC(blocked);
	if (!c || (c->state != LECO_ST_CONNECTING && c->state != LECO_ST_BLOCKED))
		return; /* a drop on an established connection only counts */
	c->state = LECO_ST_BLOCKED;
	c->err = EPERM;
	mark_dirty(c);
	if (!c->lport)
		c->lport = sk_lport(sk);
	c->last_ns = bpf_ktime_get_ns();
}

/* Parse the IP and TCP/UDP headers; 0 when it is a packet worth a record */
static __always_inline int parse(struct sk_buff *skb, struct pkt *p)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u8 h[40], ports[14];
	__u32 th;

	if (bpf_probe_read_kernel(h, 20, head + nh))
		return -1;
	if ((h[0] >> 4) == 4) {
		p->family = 4;
		p->proto = h[9];
		__builtin_memcpy(p->saddr, &h[12], 4);
		__builtin_memcpy(p->daddr, &h[16], 4);
		th = nh + (h[0] & 15) * 4;
	} else if ((h[0] >> 4) == 6) {
		if (bpf_probe_read_kernel(h, 40, head + nh))
			return -1;
		p->family = 6;
		p->proto = h[6]; /* extension headers: not followed */
		__builtin_memcpy(p->saddr, &h[8], 16);
		__builtin_memcpy(p->daddr, &h[24], 16);
		th = nh + 40;
	} else {
		return -1;
	}
	if (p->proto != LECO_IPPROTO_TCP && p->proto != LECO_IPPROTO_UDP)
		return -1;
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + (th & 0xffff)))
		return -1;
	p->sport = (ports[0] << 8) | ports[1];
	p->dport = (ports[2] << 8) | ports[3];
	/* TCP: only a connection attempt (SYN without ACK) is one */
	if (p->proto == LECO_IPPROTO_TCP && (ports[13] & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return -1;
	return 0;
}

/* Was the packet on its way to this host (not forwarded)? No route yet: assume so */
static __always_inline int for_this_host(struct sk_buff *skb, int family)
{
	unsigned long refdst = BPF_CORE_READ(skb, _skb_refdst) & ~1UL;

	if (!refdst)
		return 1;
	if (family == 4)
		return BPF_CORE_READ((struct rtable *)refdst, rt_type) == RTN_LOCAL;
	return !!(BPF_CORE_READ((struct rt6_info *)refdst, rt6i_flags) & RTF_LOCAL);
}

static __always_inline void count_in(struct leco_conn *c, __u16 sport, __u64 now)
{
	__sync_fetch_and_add(&c->count, 1);
	c->rport = sport;
	c->last_ns = now;
}

static __noinline void record_in(struct pkt *p, __u32 netns, struct leco_key *key, __u32 flags,
				 __u64 now)
{
	struct leco_conn n = {};
	struct leco_conn *c;
	struct listen_key lk = {.netns = netns, .port = p->dport};
	struct owner *o;
	long err;

	n.first_ns = now;
	n.last_ns = now;
	n.family = p->family;
	n.proto = p->proto;
	n.dir = LECO_DIR_IN;
	n.state = LECO_ST_BLOCKED;
	n.err = EPERM;
	n.flags = flags;
	n.count = 1;
	__builtin_memcpy(n.laddr, p->daddr, 16);
	__builtin_memcpy(n.raddr, p->saddr, 16);
	n.lport = flags & LECO_F_AGGREGATE ? 0 : p->dport;
	n.rport = p->sport;
	o = p->proto == LECO_IPPROTO_TCP ? bpf_map_lookup_elem(&listeners, &lk) : 0;
	if (o && !(flags & LECO_F_AGGREGATE))
		owner_set(&n, o, LECO_OWNER_LISTENER);
	err = bpf_map_update_elem(&conns, key, &n, BPF_NOEXIST);
	if (!err) {
		STAT_INC(conns_new);
	} else if (err == -EEXIST) {
		c = bpf_map_lookup_elem(&conns, key);
		if (c)
			count_in(c, p->sport, now);
	} else {
		STAT_INC(update_fail);
	}
}

static __noinline void drop_in(struct sk_buff *skb)
{
	struct scan_key sk = {};
	struct leco_key key = {};
	struct leco_conn *c;
	struct pkt p = {};
	__u32 *ports, one = 1;
	__u64 now;

	if (parse(skb, &p) || !for_this_host(skb, p.family))
		return;
	now = bpf_ktime_get_ns();
	STAT_INC(blocked_in);
	key.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	__builtin_memcpy(key.raddr, p.saddr, 16);
	key.cookie = LECO_KEY_NOSOCK | ((__u64)p.proto << 16) | p.dport;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c) {
		count_in(c, p.sport, now);
		return;
	}
	sk.netns = key.netns;
	__builtin_memcpy(sk.addr, p.saddr, 16);
	ports = bpf_map_lookup_elem(&scans, &sk);
	if (!ports) {
		bpf_map_update_elem(&scans, &sk, &one, BPF_NOEXIST);
	} else if (*ports >= SCAN_PORTS) {
		/* one more port from a remote that tried several: the aggregate */
		STAT_INC(scan_merged);
		key.cookie = LECO_KEY_NOSOCK | ((__u64)p.proto << 16);
		c = bpf_map_lookup_elem(&conns, &key);
		if (c)
			count_in(c, p.sport, now);
		else
			record_in(&p, key.netns, &key, LECO_F_AGGREGATE, now);
		return;
	} else {
		__sync_fetch_and_add(ports, 1);
	}
	record_in(&p, key.netns, &key, 0, now);
}

/* A UDP datagram dropped on its way out: the sender's record for that peer */
static __noinline void drop_udp_out(struct sk_buff *skb, struct sock *sk)
{
	struct udp_evt e = {};
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u8 h[40];

	e.n.family = sk_family(sk);
	if (!e.n.family || bpf_probe_read_kernel(h, 20, head + nh))
		return;
	/* skb->sk is an RCU pointer on newer kernels, which the cookie helper refuses:
	 * the cookie exists once a hook of ours (or SO_COOKIE) asked for it */
	e.key.cookie = sk->__sk_common.skc_cookie.counter;
	if (!e.key.cookie)
		return;
	if ((h[0] >> 4) == 4) {
		__be16 port;

		if (bpf_probe_read_kernel(&port, 2, head + nh + (h[0] & 15) * 4 + 2))
			return;
		peer_v4(&e, *(__u32 *)&h[16], bpf_ntohs(port));
	} else {
		__be16 port;

		if (bpf_probe_read_kernel(h, 40, head + nh) ||
		    bpf_probe_read_kernel(&port, 2, head + nh + 40 + 2))
			return;
		__builtin_memcpy(e.key.raddr, &h[24], 16);
		e.key.rport = bpf_ntohs(port);
	}
	if (sk->__sk_common.skc_state != ST_ESTABLISHED)
		e.n.flags |= LECO_F_UNCONNECTED;
	e.tx = 1;
	e.blocked = 1;
	udp_account(&e, sk, 1);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(leco_drop, struct sk_buff *skb, void *location, int reason)
{
	struct sock *sk;

	if (!bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP) ||
	    reason != bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP))
		return 0;
	if (BPF_CORE_READ(skb, skb_iif)) {
		drop_in(skb);
		return 0;
	}
	sk = skb->sk;
	if (!sk)
		return 0;
	if (sk->sk_protocol == LECO_IPPROTO_TCP)
		drop_tcp_out(sk);
	else if (sk->sk_protocol == LECO_IPPROTO_UDP && cfg_drops_udp())
		drop_udp_out(skb, sk);
	return 0;
}
