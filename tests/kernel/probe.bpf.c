// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel feature probes (tests/kernel/probe.c loads them one by one): each
 * program counts its runs in "hits"; some measure a value into "vals" so the
 * loader can check it against the traffic it made. Only the probe's own
 * process (cfg C_TGID) and ports count, so other traffic on the machine does
 * not disturb the figures. Every cgroup program returns 1 (allow).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "probe.h"

#define ST_ESTABLISHED 1
#define ST_SYN_SENT    2
#define ST_SYN_RECV    3
#define ST_CLOSE       7
#define ST_LISTEN      10
#define PROTO_UDP      17

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, P_N);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, V_N);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, C_N);
	__type(key, __u32);
	__type(value, __u32);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct probe_sk);
} sks SEC(".maps");

static __always_inline void hit(__u32 id)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &id);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void add(__u32 id, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&vals, &id);

	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void set(__u32 id, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&vals, &id);

	if (v)
		*v = n;
}

static __always_inline __u32 cfgv(__u32 id)
{
	__u32 *v = bpf_map_lookup_elem(&cfg, &id);

	return v ? *v : 0;
}

static __always_inline int mine(void)
{
	__u32 tgid = cfgv(C_TGID);

	return tgid && (bpf_get_current_pid_tgid() >> 32) == tgid;
}

/* storage for sk, created if absent; counted in vals[by] when this call made it */
static __always_inline void mk(struct sock *sk, __u32 by)
{
	struct probe_sk *s = bpf_sk_storage_get(&sks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (!s || s->made_by)
		return;
	s->cookie = bpf_get_socket_cookie(sk);
	s->tgid = bpf_get_current_pid_tgid() >> 32;
	s->made_by = by;
	add(by, 1);
}

/* ---- tp_btf and classic tracepoints ---- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_state, struct sock *sk, int oldstate, int newstate)
{
	__u16 lport = sk->__sk_common.skc_num;
	__u16 dport = bpf_ntohs(sk->__sk_common.skc_dport);
	__u32 port = cfgv(C_TCP_PORT);
	struct probe_sk *s;
	struct tcp_sock *tp;

	hit(P_TP_STATE);
	if (!port || (lport != port && dport != port))
		return 0;
	if (oldstate == ST_CLOSE && newstate == ST_SYN_SENT)
		mk(sk, V_SS_SYN_SENT);
	else if (oldstate == ST_LISTEN && newstate == ST_SYN_RECV)
		mk(sk, V_SS_SYN_RECV);
	s = bpf_sk_storage_get(&sks, sk, 0, 0);
	if (s && oldstate == ST_SYN_RECV && newstate == ST_ESTABLISHED)
		s->cookie_est = bpf_get_socket_cookie(sk);
	if (newstate != ST_CLOSE)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (s && s->made_by == V_SS_SYN_SENT && tp) {
		set(V_TCP_ACKED, tp->bytes_acked);
		set(V_TCP_RECEIVED, tp->bytes_received);
	}
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	__u32 nf = bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP);

	hit(P_TP_KFREE_SKB);
	set(V_NF_DROP_VALUE, nf);
	if (reason != nf)
		return 0;
	add(skb->sk ? V_NF_DROP_SK : V_NF_DROP_NOSK, 1);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (BPF_CORE_READ(p, real_parent, tgid) == cfgv(C_TGID))
		hit(P_TP_EXEC);
	return 0;
}

/* atomic fetch-add whose result is used (a sequence counter): BPF_ATOMIC | BPF_FETCH */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(fetch_add, struct task_struct *p)
{
	__u32 k = V_FETCH_ADD_CTR;
	__u64 *ctr, old;

	if (BPF_CORE_READ(p, real_parent, tgid) != cfgv(C_TGID))
		return 0;
	ctr = bpf_map_lookup_elem(&vals, &k);
	if (!ctr)
		return 0;
	hit(P_FETCH_ADD);
	old = __sync_fetch_and_add(ctr, 1);
	set(V_FETCH_ADD_SEEN, old + 1);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tp_tcp_destroy, struct sock *sk)
{
	hit(P_TP_TCP_DESTROY);
	return 0;
}

SEC("tracepoint/tcp/tcp_destroy_sock")
int tracepoint_tcp_destroy(void *ctx)
{
	hit(P_TRACEPOINT_TCP_DESTROY);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tp_send_length, struct sock *sk, int ret, int flags)
{
	hit(P_TP_SEND_LENGTH);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_recv_length, struct sock *sk, int ret, int flags)
{
	hit(P_TP_RECV_LENGTH);
	return 0;
}

/* ---- fentry/fexit (trampolines) ---- */

SEC("fentry/udp_sendmsg")
int BPF_PROG(fentry_udp_sendmsg, struct sock *sk, struct msghdr *msg, size_t len)
{
	if (!mine())
		return 0;
	hit(P_FENTRY_UDP_SENDMSG);
	mk(sk, V_SS_FENTRY_NEW);
	return 0;
}

static __always_inline void sum(__u32 hit_id, __u32 val_id, int ret)
{
	if (!mine())
		return;
	hit(hit_id);
	if (ret > 0)
		add(val_id, ret);
}

SEC("fexit/udp_sendmsg")
int BPF_PROG(fexit_udp_sendmsg, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	sum(P_FEXIT_UDP_SENDMSG, V_UDP4_SENT, ret);
	return 0;
}

SEC("fexit/udp_recvmsg")
int BPF_PROG(fexit_udp_recvmsg, struct sock *sk, struct msghdr *msg, size_t len, int flags,
	     int *addr_len, int ret)
{
	sum(P_FEXIT_UDP_RECVMSG, V_UDP4_RECV, ret);
	return 0;
}

SEC("fexit/udpv6_sendmsg")
int BPF_PROG(fexit_udpv6_sendmsg, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	sum(P_FEXIT_UDPV6_SENDMSG, V_UDP6_SENT, ret);
	return 0;
}

SEC("fexit/udpv6_recvmsg")
int BPF_PROG(fexit_udpv6_recvmsg, struct sock *sk, struct msghdr *msg, size_t len, int flags,
	     int *addr_len, int ret)
{
	sum(P_FEXIT_UDPV6_RECVMSG, V_UDP6_RECV, ret);
	return 0;
}

SEC("fentry/skb_consume_udp")
int BPF_PROG(fentry_skb_consume_udp, struct sock *sk, struct sk_buff *skb, int len)
{
	sum(P_FENTRY_SKB_CONSUME_UDP, V_UDP_CONSUMED, len);
	return 0;
}

/* ---- kprobes ---- */

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(kprobe_udp_sendmsg, struct sock *sk)
{
	if (mine())
		hit(P_KPROBE_UDP_SENDMSG);
	return 0;
}

/* kretprobe on fn: runs and positive returns summed in vals[val] */
#define KRET_SUM(fn, id, val)                      \
	SEC("kretprobe/" #fn)                      \
	int BPF_KRETPROBE(kretprobe_##fn, int ret) \
	{                                          \
		sum(id, val, ret);                 \
		return 0;                          \
	}

KRET_SUM(udp_sendmsg, P_KRETPROBE_UDP_SENDMSG, V_KRET_UDP4_SENT)
KRET_SUM(udp_recvmsg, P_KRETPROBE_UDP_RECVMSG, V_KRET_UDP4_RECV)
KRET_SUM(udpv6_sendmsg, P_KRETPROBE_UDPV6_SENDMSG, V_KRET_UDP6_SENT)
KRET_SUM(udpv6_recvmsg, P_KRETPROBE_UDPV6_RECVMSG, V_KRET_UDP6_RECV)

SEC("kprobe/skb_consume_udp")
int BPF_KPROBE(kprobe_skb_consume_udp, struct sock *sk)
{
	if (mine())
		hit(P_KPROBE_SKB_CONSUME_UDP);
	return 0;
}

/* ---- cgroup hooks (attached to the probe's own cgroup): all return 1 ---- */

SEC("cgroup_skb/ingress")
int cgskb_ingress(struct __sk_buff *skb)
{
	hit(P_CGSKB_INGRESS);
	return 1;
}

SEC("cgroup_skb/egress")
int cgskb_egress(struct __sk_buff *skb)
{
	hit(P_CGSKB_EGRESS);
	return 1;
}

SEC("cgroup/sock_release")
int release(struct bpf_sock *ctx)
{
	struct probe_sk *s;

	if (!mine())
		return 1;
	hit(P_SOCK_RELEASE);
	s = bpf_sk_storage_get(&sks, ctx, 0, 0);
	if (s) {
		add(V_SS_RELEASE_FOUND, 1);
	} else if (ctx->protocol == PROTO_UDP) {
		s = bpf_sk_storage_get(&sks, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (s)
			add(V_SS_RELEASE_NEW, 1);
	}
	return 1;
}

static __always_inline void peer(struct bpf_sock_addr *ctx, __u32 id)
{
	struct bpf_sock *sk = ctx->sk;

	hit(id);
	if (sk && bpf_sk_storage_get(&sks, sk, 0, 0))
		add(V_SS_PEER_FOUND, 1);
}

SEC("cgroup/getpeername4")
int peer4(struct bpf_sock_addr *ctx)
{
	peer(ctx, P_GETPEERNAME4);
	return 1;
}

SEC("cgroup/getpeername6")
int peer6(struct bpf_sock_addr *ctx)
{
	peer(ctx, P_GETPEERNAME6);
	return 1;
}

/* programs that only count their runs */
#define ADDR_COUNTER(sec, name, id)         \
	SEC(sec)                            \
	int name(struct bpf_sock_addr *ctx) \
	{                                   \
		hit(id);                    \
		return 1;                   \
	}

ADDR_COUNTER("cgroup/sendmsg4", send4, P_SENDMSG4)
ADDR_COUNTER("cgroup/recvmsg4", recv4, P_RECVMSG4)
ADDR_COUNTER("cgroup/sendmsg6", send6, P_SENDMSG6)
ADDR_COUNTER("cgroup/recvmsg6", recv6, P_RECVMSG6)

/* ---- sk_lookup (attached to the probe's own netns) ---- */

SEC("sk_lookup")
int lookup(struct bpf_sk_lookup *ctx)
{
	hit(P_SK_LOOKUP);
	if (ctx->protocol == PROTO_UDP && ctx->local_port == cfgv(C_UDP_PORT))
		add(V_SK_LOOKUP_UDP, 1);
	return SK_PASS;
}

/* ---- iterators ---- */

SEC("iter/bpf_sk_storage_map")
int iter_sk_storage(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct probe_sk *v = ctx->value;
	struct sock *sk = ctx->sk;
	struct probe_iter_rec r = {};
	struct tcp_sock *tp;

	if (!sk || !v)
		return 0;
	hit(P_ITER_SK_STORAGE);
	r.cookie = v->cookie;
	r.cookie_now = bpf_get_socket_cookie(sk);
	r.cookie_est = v->cookie_est;
	r.made_by = v->made_by;
	r.lport = sk->__sk_common.skc_num;
	r.state = sk->__sk_common.skc_state;
	tp = bpf_skc_to_tcp_sock(sk);
	if (tp) {
		r.bytes_received = tp->bytes_received;
		r.bytes_acked = tp->bytes_acked;
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

SEC("iter/task_file")
int iter_task_file(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	__u64 ck;

	if (!task || !file)
		return 0;
	hit(P_ITER_TASK_FILE);
	if (task->tgid != cfgv(C_TGID))
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock || !sock->sk)
		return 0;
	add(V_TASK_FILE_SOCKS, 1);
	ck = bpf_get_socket_cookie(sock->sk);
	bpf_seq_write(ctx->meta->seq, &ck, sizeof(ck));
	return 0;
}

SEC("iter/tcp")
int iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	__u32 port;

	if (!skc)
		return 0;
	hit(P_ITER_TCP);
	port = skc->skc_num;
	bpf_seq_write(ctx->meta->seq, &port, sizeof(port));
	return 0;
}
