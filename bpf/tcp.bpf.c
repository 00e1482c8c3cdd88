// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP: one record per socket in per-socket storage (tcp_socks), made at the
 * connect or accept transition and living exactly as long as the socket, so
 * no burst of other connections can push it out. No per-call work: byte
 * counts come from the kernel's tcp_sock counters, read by the pinned
 * iterator at every reader poll and once more at the final ->CLOSE, where
 * the record with its exact final counts goes into the "closed" ring.
 */
#include "leco.bpf.h"

static __always_inline void state_listen(struct sock *sk)
{
	struct listen_key lk = {};
	struct owner o = {};

	lk.netns = sk_netns(sk);
	lk.port = sk_lport(sk);
	if (!lk.port)
		return;
	owner_now(&o);
	if (bpf_map_update_elem(&listeners, &lk, &o, BPF_ANY))
		STAT_INC(update_fail);
}

/* A new connection: connect() (out, the caller's context) or the child of a listener (in) */
static __always_inline void tcp_new(struct sock *sk, __u8 family, int in, __u64 now)
{
	struct leco_conn *c = bpf_sk_storage_get(&tcp_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (!c) {
		STAT_INC(storage_fail);
		return;
	}
	/* a socket can connect again after a failed attempt: start over */
	__builtin_memset(c, 0, sizeof(*c));
	c->first_ns = now;
	c->last_ns = now;
	c->cookie = bpf_get_socket_cookie(sk);
	c->family = family;
	c->proto = LECO_IPPROTO_TCP;
	c->dir = in ? LECO_DIR_IN : LECO_DIR_OUT;
	c->state = LECO_ST_CONNECTING;
	c->flags = LECO_F_DIRTY;
	if (!in)
		owner_current(c, LECO_OWNER_CONNECT);
	else if (!owner_listener(sk, c)) /* softirq: the current task is meaningless */
		STAT_INC(unattributed);
	sk_fill_addrs(sk, c);
	STAT_INC(tcp_new);
}

/* A socket we did not see start (opened before the probes and not adopted) */
static __always_inline struct leco_conn *tcp_late(struct sock *sk, __u8 family, __u64 now)
{
	struct leco_conn *c = bpf_sk_storage_get(&tcp_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (!c) {
		STAT_INC(storage_fail);
		return 0;
	}
	c->first_ns = now;
	c->cookie = bpf_get_socket_cookie(sk);
	c->family = family;
	c->proto = LECO_IPPROTO_TCP;
	c->state = LECO_ST_ESTABLISHED;
	c->flags = LECO_F_LATE | LECO_F_DIRTY;
	c->dir = owner_listener(sk, c) ? LECO_DIR_IN : LECO_DIR_OUT;
	sk_fill_addrs(sk, c);
	STAT_INC(lost);
	return c;
}

/* Copy a record into a ring (closed, changes; `mask` = its size - 1): readers remember their
 * position in it */
static __always_inline void ring_push(void *ring, void *head, __u32 mask, const struct leco_conn *c)
{
	struct leco_ring_head *h;
	struct leco_slot *slot;
	__u32 k = 0;
	__u64 seq;

	h = bpf_map_lookup_elem(head, &k);
	if (!h)
		return;
	seq = __sync_fetch_and_add(&h->next, 1);
	k = seq & mask;
	slot = bpf_map_lookup_elem(ring, &k);
	if (!slot)
		return;
	bpf_spin_lock(&slot->lock);
	slot->seq = seq + 1;
	slot->c = *c;
	bpf_spin_unlock(&slot->lock);
}

/* ->CLOSE: the counters are final; the record goes into the ring */
static __always_inline void tcp_close(struct sock *sk, struct leco_conn *c, int oldstate)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct leco_key key = {};
	__u32 flags;

	if (oldstate == ST_SYN_SENT || oldstate == ST_SYN_RECV) {
		if (!c->lport)
			c->lport = sk_lport(sk);
		if (c->state != LECO_ST_BLOCKED) {
			c->err = sk->sk_err;
			c->state = c->err ? LECO_ST_FAILED : LECO_ST_CLOSED;
		}
	} else if (c->state == LECO_ST_ESTABLISHED || c->state == LECO_ST_CONNECTING) {
		c->state = LECO_ST_CLOSED;
	}
	if (tp)
		tcp_payload(tp, oldstate, c->dir, &c->rx_bytes, &c->tx_bytes);
	/* FINAL first (an atomic: a full barrier), then out of "live" if the iterator put it
	 * there: an iterator run that sets EXPORTED or writes it back after this sees FINAL
	 * after its write and takes it out itself. Most short connections never get there,
	 * and a delete that finds nothing still costs ~250 ns (the bucket lock). */
	flags = __sync_fetch_and_or(&c->flags, LECO_F_FINAL);
	ring_push(&closed, &closed_head, LECO_RING_MAX - 1, c);
	if (flags & LECO_F_EXPORTED) {
		key.cookie = c->cookie;
		bpf_map_delete_elem(&live, &key);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(leco_state, struct sock *sk, int oldstate, int newstate)
{
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
	/* FIN_WAIT1, CLOSE_WAIT, LAST_ACK..: nothing to do, the iterator reads the state */
	if (newstate != ST_SYN_SENT && newstate != ST_SYN_RECV && newstate != ST_ESTABLISHED &&
	    newstate != ST_CLOSE)
		return 0;
	now = bpf_ktime_get_ns();
	if ((oldstate == ST_CLOSE && newstate == ST_SYN_SENT) ||
	    (oldstate == ST_LISTEN && newstate == ST_SYN_RECV)) {
		tcp_new(sk, family, oldstate == ST_LISTEN, now);
		return 0;
	}
	c = bpf_sk_storage_get(&tcp_socks, sk, 0, 0);
	if (!c && !(c = tcp_late(sk, family, now)))
		return 0;
	c->last_ns = now;
	mark_dirty(c);
	STAT_INC(events);
	if (newstate == ST_ESTABLISHED) {
		c->state = LECO_ST_ESTABLISHED;
		sk_fill_addrs(sk, c); /* the child socket's addresses are final now */
		/* and its cookie: before 6.18 the child takes its request's cookie after the
		 * LISTEN->SYN_RECV event, where tcp_new read a provisional one */
		c->cookie = bpf_get_socket_cookie(sk);
	} else if (newstate == ST_CLOSE) {
		tcp_close(sk, c, oldstate);
	}
	return 0;
}

/* Export one record into "live" */
static __always_inline void live_put(struct leco_key *key, const struct leco_conn *out)
{
	struct leco_conn *v = bpf_map_lookup_elem(&live, key);
	long err;

	if (v) {
		*v = *out;
		return;
	}
	err = bpf_map_update_elem(&live, key, out, BPF_NOEXIST);
	if (err && err != -EEXIST)
		STAT_INC(update_fail);
}

/*
 * Reading the pinned iterator runs this once per live TCP socket: a record
 * whose counts, last activity or anything else changed since it was last
 * exported goes into "live", which readers then read whole. The storage keeps
 * what was exported, so an idle socket costs a read of its counters and
 * nothing else. Nothing is written to the reader (a read() returns no data),
 * so one read() walks every socket: an iterator that printed records would
 * restart its walk of the storage's few buckets at every read() of 32 KiB.
 */
SEC("iter/bpf_sk_storage_map")
int leco_tcp_iter(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct leco_conn *c = ctx->value, out;
	struct leco_key key = {};
	struct sock *sk = ctx->sk;
	struct tcp_sock *tp;
	__u64 rx, tx, last;
	__u8 state;
	int st;

	/* an inbound connection still connecting may not have its final cookie yet */
	if (!sk || !c || (c->flags & LECO_F_FINAL) ||
	    (c->state == LECO_ST_CONNECTING && c->dir == LECO_DIR_IN))
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 0;
	st = sk->__sk_common.skc_state;
	tcp_payload(tp, st, c->dir, &rx, &tx);
	/* most recent packet sent or received (tcp_clock_us: the same clock, in us) */
	last = tp->tcp_mstamp * 1000;
	if (last < c->last_ns)
		last = c->last_ns;
	/* past ESTABLISHED (FIN_WAIT1, CLOSE_WAIT..): closing, which the state program
	 * leaves to this one */
	state = c->state;
	if ((state == LECO_ST_ESTABLISHED || state == LECO_ST_CONNECTING) && st != ST_ESTABLISHED &&
	    st != ST_SYN_SENT && st != ST_SYN_RECV)
		state = LECO_ST_CLOSED;
	if (!(c->flags & LECO_F_DIRTY) && rx == c->rx_bytes && tx == c->tx_bytes &&
	    last == c->last_ns && state == c->state)
		return 0;
	/* a change made after this point sets DIRTY again: the next run exports it */
	__sync_fetch_and_and(&c->flags, ~LECO_F_DIRTY);
	__sync_fetch_and_or(&c->flags, LECO_F_EXPORTED);
	c->rx_bytes = rx;
	c->tx_bytes = tx;
	c->last_ns = last;
	c->state = state;
	out = *c;
	key.cookie = c->cookie;
	/* "live" first, then the changes ring: a reader that reads the changes ring's head and
	 * then "live" whole finds in "live" every change before that head */
	live_put(&key, &out);
	ring_push(&changes, &changes_head, LECO_CHANGES_MAX - 1, &out);
	/* closed meanwhile (see tcp_close): take back what was just written */
	if (__sync_fetch_and_or(&c->flags, 0) & LECO_F_FINAL)
		bpf_map_delete_elem(&live, &key);
	return 0;
}

/*
 * Owners of inbound connections. Every cgroup program returns 1 ("allow") on
 * every path: tests/bpf checks the verified instructions. A 0 would fail the
 * caller's call, machine-wide.
 */

/* getpeername4/6 runs inside accept() in the accepting process when it asks for the address */
static __always_inline void owner_accept(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *bsk = ctx->sk;
	struct leco_conn *c;

	if (!bsk || ctx->protocol != LECO_IPPROTO_TCP)
		return;
	c = bpf_sk_storage_get(&tcp_socks, bsk, 0, 0);
	if (c && c->dir == LECO_DIR_IN &&
	    (c->owner == LECO_OWNER_LISTENER || c->owner == LECO_OWNER_NONE)) {
		owner_current(c, LECO_OWNER_ACCEPT);
		mark_dirty(c);
	}
}

SEC("cgroup/getpeername4")
int leco_accept4(struct bpf_sock_addr *ctx)
{
	owner_accept(ctx);
	return 1;
}

SEC("cgroup/getpeername6")
int leco_accept6(struct bpf_sock_addr *ctx)
{
	owner_accept(ctx);
	return 1;
}

/* UDP: the socket's records (by name for the first few peers) become CLOSED */
static int close_peer_cb(void *map, struct leco_key *k, struct leco_conn *c, __u64 *cookie)
{
	if (k->cookie == *cookie && c->state == LECO_ST_ACTIVE) {
		c->state = LECO_ST_CLOSED;
		c->last_ns = bpf_ktime_get_ns();
	}
	return 0;
}

static __always_inline void udp_release(struct bpf_sock *bsk)
{
	struct udp_rec *u = bpf_sk_storage_get(&udp_socks, bsk, 0, 0);
	struct leco_key key = {};
	__u64 now = bpf_ktime_get_ns();

	if (!u)
		return;
	key.cookie = bpf_get_socket_cookie(bsk);
	for (int i = 0; i < UDP_PEERS_KEPT; i++) {
		struct leco_conn *c;

		if (i >= u->npeers)
			return;
		__builtin_memcpy(key.raddr, u->peers[i].addr, 16);
		key.rport = u->peers[i].port;
		c = bpf_map_lookup_elem(&conns, &key);
		if (c && c->state == LECO_ST_ACTIVE) {
			c->state = LECO_ST_CLOSED;
			c->last_ns = now;
		}
	}
	/* more peers than kept by name (a server socket): one walk of the table */
	if (u->npeers > UDP_PEERS_KEPT)
		bpf_for_each_map_elem(&conns, close_peer_cb, &key.cookie, 0);
}

/* sock_release: the last closer; the cookie is readable, the ports are not */
SEC("cgroup/sock_release")
int leco_release(struct bpf_sock *ctx)
{
	struct leco_conn *c;

	if (ctx->protocol == LECO_IPPROTO_UDP) {
		udp_release(ctx);
		return 1;
	}
	if (ctx->protocol != LECO_IPPROTO_TCP)
		return 1;
	c = bpf_sk_storage_get(&tcp_socks, ctx, 0, 0);
	if (c && (c->owner == LECO_OWNER_LISTENER || c->owner == LECO_OWNER_NONE)) {
		owner_current(c, LECO_OWNER_CLOSE);
		mark_dirty(c);
	}
	return 1;
}
