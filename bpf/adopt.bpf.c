// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sockets that were open before the probes were loaded: leco-load runs these
 * task_file iterators once, right after attaching. The first pass records the
 * owners of listening sockets (so accepts and inbound drops find them), the
 * second gives every TCP connection and UDP socket per-socket storage with a
 * process holding its fd as the owner. TCP byte counts then come from the
 * kernel's counters like any other connection's: totals since it started.
 */
#include "leco.bpf.h"

static __always_inline void owner_task(struct task_struct *t, struct owner *o)
{
	struct script_rec *s;

	o->tgid = t->tgid;
	o->start_ns = t->group_leader->start_time;
	o->uid = BPF_CORE_READ(t, cred, uid.val);
	o->cgroup_id = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&o->comm, t, comm);
	s = bpf_map_lookup_elem(&scripts, &o->tgid);
	if (s) {
		__builtin_memcpy(o->script, s->name, sizeof(o->script));
		o->flags = LECO_F_SCRIPT;
	}
}

/* A socket (TCP or UDP, IPv4 or IPv6) behind a file, or NULL */
static __always_inline struct sock *file_sock(struct file *f, __u8 *family)
{
	struct socket *so;
	struct sock *sk;
	__u16 proto;

	if (!f)
		return 0;
	so = bpf_sock_from_file(f);
	if (!so)
		return 0;
	sk = so->sk;
	if (!sk)
		return 0;
	*family = sk_family(sk);
	proto = sk->sk_protocol;
	if (!*family || (proto != LECO_IPPROTO_TCP && proto != LECO_IPPROTO_UDP))
		return 0;
	return sk;
}

SEC("iter/task_file")
int leco_adopt_listen(struct bpf_iter__task_file *ctx)
{
	struct task_struct *t = ctx->task;
	struct listen_key lk = {};
	struct owner o = {};
	struct sock *sk;
	__u8 family;

	sk = file_sock(ctx->file, &family);
	if (!sk || !t || sk->sk_protocol != LECO_IPPROTO_TCP ||
	    sk->__sk_common.skc_state != ST_LISTEN)
		return 0;
	lk.netns = sk_netns(sk);
	lk.port = sk->__sk_common.skc_num;
	if (bpf_map_lookup_elem(&listeners, &lk))
		return 0; /* the first holder (lowest pid) names it */
	owner_task(t, &o);
	bpf_map_update_elem(&listeners, &lk, &o, BPF_NOEXIST);
	return 0;
}

static __always_inline void adopt_tcp(struct sock *sk, __u8 family, struct owner *o, __u64 now)
{
	int st = sk->__sk_common.skc_state;
	struct leco_conn *c;

	if (st == ST_LISTEN || st == ST_CLOSE || bpf_sk_storage_get(&tcp_socks, sk, 0, 0))
		return;
	c = bpf_sk_storage_get(&tcp_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c) {
		STAT_INC(storage_fail);
		return;
	}
	c->first_ns = now;
	c->last_ns = now;
	c->cookie = bpf_get_socket_cookie(sk);
	c->family = family;
	c->proto = LECO_IPPROTO_TCP;
	c->flags = LECO_F_ADOPTED | LECO_F_DIRTY;
	c->state = st == ST_SYN_SENT	  ? LECO_ST_CONNECTING
		   : st == ST_ESTABLISHED ? LECO_ST_ESTABLISHED
					  : LECO_ST_CLOSED;
	sk_fill_addrs(sk, c);
	/* inbound if this host listens on its local port: a guess, counted from then on */
	c->dir = owner_listener(sk, c) ? LECO_DIR_IN : LECO_DIR_OUT;
	owner_set(c, o, LECO_OWNER_FD);
	STAT_INC(adopted);
}

SEC("iter/task_file")
int leco_adopt(struct bpf_iter__task_file *ctx)
{
	struct task_struct *t = ctx->task;
	struct owner o = {};
	struct udp_rec *u;
	struct sock *sk;
	__u8 family;
	__u64 now;

	sk = file_sock(ctx->file, &family);
	if (!sk || !t)
		return 0;
	now = bpf_ktime_get_ns();
	owner_task(t, &o);
	if (sk->sk_protocol == LECO_IPPROTO_TCP) {
		adopt_tcp(sk, family, &o, now);
		return 0;
	}
	if (bpf_sk_storage_get(&udp_socks, sk, 0, 0))
		return 0;
	u = bpf_sk_storage_get(&udp_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!u)
		return 0;
	bpf_get_socket_cookie(sk); /* hooks without the helper read the cookie from the socket */
	u->o = o;
	u->owner = LECO_OWNER_FD;
	u->first_ns = now;
	u->dir = sk->__sk_common.skc_dport ? LECO_DIR_OUT : LECO_DIR_IN;
	STAT_INC(adopted);
	return 0;
}
