// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UDP tier cgroup_skb, the last resort (doc/kernel.md): where neither the UDP
 * functions (fentry, kprobe) nor the 6.3 tracepoints can be hooked. Every
 * packet of every socket passes these programs, TCP segments too: they return
 * at the protocol compare.
 *
 * At ingress the current task is whoever the packet interrupted, and on 6.1 a
 * cgroup_skb program has no bpf_get_current_pid_tgid/_uid_gid/_comm: the owner
 * is kept in the socket's storage by cgroup/sock_create, where the current task
 * is the socket's creator. The peer comes from the packet (egress: its
 * destination, ingress: its source), the local address from struct bpf_sock.
 *
 * cgroup programs: return 1 ("allow") on every path (tests/bpf checks it).
 */
#include "udp.bpf.h"

#define LECO_ETH_P_IP	0x0800
#define LECO_ETH_P_IPV6 0x86DD

/* The peer and payload of a UDP packet (data at its network header). GSO at egress: one
 * packet carries all the datagrams of one send, its payload is the send's. An IPv6 packet
 * with extension headers before UDP is not counted. */
static __always_inline int skb_peer(struct __sk_buff *skb, struct udp_evt *e, int tx)
{
	__u8 h[40];
	__u16 ports[2]; /* source, destination */
	__u32 hl;

	if (skb->protocol == bpf_htons(LECO_ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 0, h, 20) || h[9] != LECO_IPPROTO_UDP)
			return -1;
		hl = (h[0] & 15) * 4;
		if (bpf_skb_load_bytes(skb, hl, ports, 4))
			return -1;
		peer_v4(e, *(__u32 *)&h[tx ? 16 : 12], bpf_ntohs(ports[tx]));
	} else if (skb->protocol == bpf_htons(LECO_ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, 0, h, 40) || h[6] != LECO_IPPROTO_UDP)
			return -1;
		hl = 40;
		if (bpf_skb_load_bytes(skb, hl, ports, 4))
			return -1;
		__builtin_memcpy(e->key.raddr, &h[tx ? 24 : 8], 16);
		e->key.rport = bpf_ntohs(ports[tx]);
	} else {
		return -1;
	}
	if (skb->len < hl + 8)
		return -1;
	e->bytes = skb->len - hl - 8;
	return 0;
}

static __always_inline void skb_udp(struct __sk_buff *skb, int tx)
{
	struct bpf_sock *sk = skb->sk;
	struct udp_evt e = {};
	struct udp_rec *u;
	__u64 now;

	if (!sk)
		return;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != LECO_IPPROTO_UDP)
		return;
	e.n.family = family_v(sk->family);
	if (!e.n.family || skb_peer(skb, &e, tx))
		return;
	e.key.cookie = bpf_get_socket_cookie(skb);
	e.tx = tx;
	if (udp_count(&e, bpf_map_lookup_elem(&conns, &e.key)))
		return;
	if (sk->state != ST_ESTABLISHED)
		e.n.flags |= LECO_F_UNCONNECTED;
	if (e.n.family == 4) {
		*(__u32 *)e.n.laddr = sk->src_ip4;
	} else {
		*(__u32 *)&e.n.laddr[0] = sk->src_ip6[0];
		*(__u32 *)&e.n.laddr[4] = sk->src_ip6[1];
		*(__u32 *)&e.n.laddr[8] = sk->src_ip6[2];
		*(__u32 *)&e.n.laddr[12] = sk->src_ip6[3];
	}
	e.n.lport = sk->src_port;
	now = bpf_ktime_get_ns();
	u = bpf_sk_storage_get(&udp_socks, sk, 0, 0);
	if (!u) { /* made before the load and not adopted: no owner known */
		u = bpf_sk_storage_get(&udp_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (!u) {
			STAT_INC(storage_fail);
			return;
		}
		u->owner = LECO_OWNER_NONE;
	}
	if (!u->first_ns) { /* the direction of its first datagram */
		u->first_ns = now;
		u->dir = tx ? LECO_DIR_OUT : LECO_DIR_IN;
	}
	udp_new(&e, u, now); /* u is not NULL: udp_new's owner_current() is never reached */
}

SEC("cgroup_skb/egress")
int leco_skb_out(struct __sk_buff *skb)
{
	skb_udp(skb, 1);
	return 1;
}

SEC("cgroup_skb/ingress")
int leco_skb_in(struct __sk_buff *skb)
{
	skb_udp(skb, 0);
	return 1;
}

/* The owner: the creator, at socket() (the cgroup_skb programs have no current task) */
SEC("cgroup/sock_create")
int leco_skb_create(struct bpf_sock *ctx)
{
	struct udp_rec *u;

	if (ctx->protocol != LECO_IPPROTO_UDP)
		return 1;
	u = bpf_sk_storage_get(&udp_socks, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (u) {
		owner_now(&u->o);
		u->owner = LECO_OWNER_IO;
	}
	return 1;
}
