// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UDP: no kernel byte counters exist, so every datagram is counted, into one
 * record per (socket, peer) in the conns LRU hash. Per-socket storage
 * (udp_socks) keeps the socket's owner and direction, so a record recreated
 * after an eviction keeps both and is flagged as restarted, and names the
 * first peers so that sock_release can close them (tcp.bpf.c).
 *
 * Which hook counts depends on the kernel (leco-load picks the first tier
 * that loads and attaches; doc/kernel.md):
 *   fentry   fexit udp_sendmsg/udpv6_sendmsg, fentry skb_consume_udp
 *   kprobe   the same functions by kprobe/kretprobe (one body with fentry)
 *   tp_btf   sock_send_length/sock_recv_length + the cgroup sendmsg/recvmsg
 *            hooks for unconnected peers
 *   cgroup_skb   per packet, the last resort: udp_skb.bpf.c
 */
#include "udp.bpf.h"

/* ---- tier tp_btf: sock_send_length / sock_recv_length (>= 6.3) ---- */

/* The peer the cgroup sendmsg/recvmsg hook stashed for this thread, if it is this socket's */
static __always_inline int peer_stashed(struct udp_evt *e)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct peer_stash *p = bpf_map_lookup_elem(&peers, &id);
	int match;

	if (!p)
		return 0;
	match = p->cookie == e->key.cookie;
	if (match) {
		if (e->n.family == 6 && p->family == 4)
			peer_v4(e, *(__u32 *)p->addr, p->port);
		else
			__builtin_memcpy(e->key.raddr, p->addr, 16);
		e->key.rport = p->port;
		e->n.flags |= LECO_F_UNCONNECTED;
	}
	bpf_map_delete_elem(&peers, &id); /* always consumed, even for a call we skip */
	return match;
}

static __always_inline int udp_call(struct sock *sk, int ret, int flags, int tx)
{
	struct udp_evt e = {};

	e.n.family = sk_family(sk);
	if (!e.n.family)
		return 0;
	e.key.cookie = sk_cookie(sk, 1);
	e.tx = tx;
	if (!peer_stashed(&e))
		evt_peer(&e, sk, 1);
	if (ret <= 0) {
		if (!tx || ret != -EPERM || cfg_drops_udp())
			return 0;
		e.blocked = 1;
	} else if (!tx && (flags & MSG_PEEK)) {
		return 0;
	}
	e.bytes = ret;
	udp_account(&e, sk, 1);
	return 0;
}

/* TCP enters these too (the tracepoints are shared): it returns at the first compare */
SEC("tp_btf/sock_send_length")
int BPF_PROG(leco_send, struct sock *sk, int ret, int flags)
{
	if (sk->sk_protocol != LECO_IPPROTO_UDP)
		return 0;
	return udp_call(sk, ret, flags, 1);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(leco_recv, struct sock *sk, int ret, int flags)
{
	if (sk->sk_protocol != LECO_IPPROTO_UDP)
		return 0;
	return udp_call(sk, ret, flags, 0);
}

/* Unconnected UDP peers: cgroup sock_addr hooks, which MUST return 1 on every path */
static __always_inline void stash_peer(struct bpf_sock_addr *ctx, int v6)
{
	struct peer_stash p = {};
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

/* ---- tiers fentry and kprobe: the UDP functions only (TCP never enters) ---- */

/* The destination of a sendmsg: msg_name when given, else the connected peer. The sockaddr is
 * read a field at a time into the event: no copy of it on the stack (6.1 counts every byte). */
static __always_inline int peer_of_msg(struct udp_evt *e, struct sock *sk, struct msghdr *msg,
				       int btf)
{
	unsigned char *name = RD(btf, msg, msg_name);
	__u16 fam, port;
	__u32 a4;

	if (!name) {
		evt_peer(e, sk, btf);
		return 0;
	}
	if (bpf_probe_read_kernel(&fam, 2, name) || bpf_probe_read_kernel(&port, 2, name + 2))
		return -1;
	e->n.flags |= LECO_F_UNCONNECTED;
	if (fam == AF_INET) {
		if (bpf_probe_read_kernel(&a4, 4, name + 4))
			return -1;
		peer_v4(e, a4, bpf_ntohs(port));
		return 0;
	}
	if (fam != AF_INET6 || bpf_probe_read_kernel(e->key.raddr, 16, name + 8))
		return -1;
	e->key.rport = bpf_ntohs(port);
	return 0;
}

/* A udp(v6)_sendmsg that returned ret; `btf`: see RD */
static __always_inline int udp_sent(struct sock *sk, struct msghdr *msg, int ret, int v6, int btf)
{
	struct udp_evt e = {};
	const __u32 *a;

	if (ret <= 0 && (ret != -EPERM || cfg_drops_udp()))
		return 0;
	e.n.family = family_v(RD(btf, sk, __sk_common.skc_family));
	if (!e.n.family)
		return 0;
	e.key.cookie = sk_cookie(sk, btf);
	if (!e.key.cookie) {
		STAT_INC(update_fail);
		return 0;
	}
	e.tx = 1;
	if (peer_of_msg(&e, sk, msg, btf))
		return 0;
	/* udpv6_sendmsg hands IPv4 destinations to udp_sendmsg, whose fexit counts them */
	a = (const __u32 *)e.key.raddr;
	if (v6 && (e.n.family == 4 || (a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff))))
		return 0;
	e.blocked = ret < 0;
	e.bytes = ret;
	udp_account(&e, sk, btf);
	return 0;
}

/* Every UDP receive ends in skb_consume_udp with the datagram still in hand: its source is the
 * peer, whether or not the caller asked for an address (len < 0: MSG_PEEK) */
static __always_inline int udp_consumed(struct sock *sk, struct sk_buff *skb, int len, int btf)
{
	struct udp_evt e = {};
	unsigned char *head;
	__u16 nh, th, port;
	__u8 ver;

	if (len <= 0)
		return 0;
	e.n.family = family_v(RD(btf, sk, __sk_common.skc_family));
	if (!e.n.family)
		return 0;
	e.key.cookie = sk_cookie(sk, btf);
	if (!e.key.cookie) {
		STAT_INC(update_fail);
		return 0;
	}
	head = RD(btf, skb, head);
	nh = RD(btf, skb, network_header);
	th = RD(btf, skb, transport_header);
	if (bpf_probe_read_kernel(&ver, 1, head + nh) || bpf_probe_read_kernel(&port, 2, head + th))
		return 0;
	port = bpf_ntohs(port);
	if ((ver >> 4) == 4) {
		__u32 saddr;

		if (bpf_probe_read_kernel(&saddr, 4, head + nh + 12))
			return 0;
		peer_v4(&e, saddr, port);
	} else {
		if (bpf_probe_read_kernel(e.key.raddr, 16, head + nh + 8))
			return 0;
		e.key.rport = port;
	}
	if (RD(btf, sk, __sk_common.skc_state) != ST_ESTABLISHED)
		e.n.flags |= LECO_F_UNCONNECTED;
	e.bytes = len;
	udp_account(&e, sk, btf);
	return 0;
}

SEC("fexit/udp_sendmsg")
int BPF_PROG(leco_fx_send4, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	return udp_sent(sk, msg, ret, 0, 1);
}

SEC("fexit/udpv6_sendmsg")
int BPF_PROG(leco_fx_send6, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	return udp_sent(sk, msg, ret, 1, 1);
}

SEC("fentry/skb_consume_udp")
int BPF_PROG(leco_fx_recv, struct sock *sk, struct sk_buff *skb, int len)
{
	return udp_consumed(sk, skb, len, 1);
}

/* ---- tier kprobe: where trampolines are refused. A kretprobe has only the return value:
 * the entry's arguments wait for it in send_args, by thread. udpv6_sendmsg may call
 * udp_sendmsg (IPv4 destinations): the inner entry replaces the outer one's and its return
 * takes it, so the outer return finds none, as udp_sent would skip it anyway. ---- */

static __always_inline int send_enter(struct sock *sk, struct msghdr *msg)
{
	struct send_args a = {.sk = sk, .msg = msg};
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_update_elem(&send_args, &id, &a, BPF_ANY);
	return 0;
}

static __always_inline int send_exit(int ret, int v6)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct send_args *p = bpf_map_lookup_elem(&send_args, &id);
	struct send_args a;

	if (!p)
		return 0;
	a = *p;
	bpf_map_delete_elem(&send_args, &id);
	return udp_sent(a.sk, a.msg, ret, v6, 0);
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(leco_kp_send4, struct sock *sk, struct msghdr *msg)
{
	return send_enter(sk, msg);
}

SEC("kretprobe/udp_sendmsg")
int BPF_KRETPROBE(leco_kr_send4, int ret)
{
	return send_exit(ret, 0);
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(leco_kp_send6, struct sock *sk, struct msghdr *msg)
{
	return send_enter(sk, msg);
}

SEC("kretprobe/udpv6_sendmsg")
int BPF_KRETPROBE(leco_kr_send6, int ret)
{
	return send_exit(ret, 1);
}

SEC("kprobe/skb_consume_udp")
int BPF_KPROBE(leco_kp_recv, struct sock *sk, struct sk_buff *skb, int len)
{
	return udp_consumed(sk, skb, len, 0);
}

/* A kprobe cannot make a socket's cookie (no helper): make it at socket(), for UDP only.
 * A cgroup hook: returns 1 ("allow") on every path (tests/bpf checks it). */
SEC("cgroup/sock_create")
int leco_udp_create(struct bpf_sock *ctx)
{
	if (ctx->protocol == LECO_IPPROTO_UDP)
		bpf_get_socket_cookie(ctx);
	return 1;
}
