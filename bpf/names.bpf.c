// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Names of remote addresses: what the C library's resolver answered. A uprobe on getaddrinfo()
 * keeps where the name and the answer are (by thread), a uretprobe reads the name, walks the
 * answer (bounded) and puts (name, distinct addresses, process, time) into the pinned "names"
 * ring, which every reader reads from its own position, as it reads the closed ring. leco-load
 * attaches both to the C library it runs with itself (optional job "names"); this runs once
 * per lookup, never per packet.
 *
 * Not put into the ring: literal addresses ("127.0.0.1", "::1": no name), failed lookups, and
 * the same answer to the same process within a minute (names_seen).
 */
#include "leco.bpf.h"

#define UAF_INET       2
#define UAF_INET6      10
#define GAI_WALK_MAX   16		       /* addrinfo entries looked at per answer */
#define NAME_REPEAT_NS (60ULL * 1000000000ULL) /* an unchanged answer is written again after */

/* struct addrinfo of the caller (glibc, LP64): read from user memory, fixed offsets */
struct u_addrinfo {
	__s32 ai_flags;
	__s32 ai_family;
	__s32 ai_socktype;
	__s32 ai_protocol;
	__u32 ai_addrlen;
	__u32 _pad;
	__u64 ai_addr;
	__u64 ai_canonname;
	__u64 ai_next;
};

/* An address literal: only digits and dots, or any ':' (IPv6) */
static __always_inline int is_literal(const char *name)
{
	int word = 0;

	for (int i = 0; i < LECO_NAME_LEN; i++) {
		char ch = name[i];

		if (!ch)
			break;
		if (ch == ':')
			return 1;
		if ((ch < '0' || ch > '9') && ch != '.')
			word = 1;
	}
	return !word;
}

/* getaddrinfo(node, service, hints, res): keep where the name is and where the answer goes
 * (both stay the caller's until it returns) */
SEC("uprobe")
int BPF_KPROBE(leco_gai, const char *node, const char *service, const void *hints, void *res)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct name_args a = {.node = (__u64)node, .res = (__u64)res};

	if (node && res)
		bpf_map_update_elem(&name_calls, &id, &a, BPF_ANY);
	return 0;
}

/* Add one address of the answer (IPv4 mapped) unless it is there already */
static __always_inline void answer_add(struct name_answer *a, __u64 hi, __u64 lo)
{
	__u16 n = a->naddr;

	for (int j = 0; j < LECO_NAME_ADDRS; j++) {
		__u64 *p = (__u64 *)a->addr[j];

		if (j >= n)
			break;
		if (p[0] == hi && p[1] == lo)
			return;
	}
	if (n >= LECO_NAME_ADDRS) {
		a->more = 1;
		return;
	}
	((__u64 *)a->addr[n & (LECO_NAME_ADDRS - 1)])[0] = hi;
	((__u64 *)a->addr[n & (LECO_NAME_ADDRS - 1)])[1] = lo;
	a->naddr = n + 1;
}

/* The distinct IPv4/IPv6 addresses of the answer list at `ai` */
static __always_inline void answer_walk(struct name_answer *a, __u64 ai)
{
	struct u_addrinfo e;
	__u64 v6[2];
	__u32 v4;

	for (int i = 0; i < GAI_WALK_MAX && ai; i++) {
		if (bpf_probe_read_user(&e, sizeof(e), (void *)ai))
			return;
		ai = e.ai_next;
		if (!e.ai_addr)
			continue;
		if (e.ai_family == UAF_INET) {
			/* sockaddr_in: the address at offset 4 */
			if (bpf_probe_read_user(&v4, 4, (void *)(e.ai_addr + 4)))
				continue;
			/* ::ffff:a.b.c.d, as bytes in memory (little or big endian alike) */
			v6[0] = 0;
			v6[1] = 0;
			((__u8 *)v6)[10] = 0xff;
			((__u8 *)v6)[11] = 0xff;
			((__u32 *)v6)[3] = v4;
		} else if (e.ai_family == UAF_INET6) {
			/* sockaddr_in6: the address at offset 8 */
			if (bpf_probe_read_user(v6, 16, (void *)(e.ai_addr + 8)))
				continue;
		} else {
			continue;
		}
		answer_add(a, v6[0], v6[1]);
	}
}

/* The same answer was given to this process less than a minute ago (and put in the ring) */
static __always_inline int answer_repeated(struct name_call *c, __u64 now)
{
	struct name_answer *old = bpf_map_lookup_elem(&names_seen, &c->k);

	if (!old || now - old->ns >= NAME_REPEAT_NS || old->naddr != c->a.naddr)
		return 0;
	for (int j = 0; j < LECO_NAME_ADDRS; j++) {
		__u64 *p = (__u64 *)old->addr[j], *q = (__u64 *)c->a.addr[j];

		if (j >= c->a.naddr)
			break;
		if (p[0] != q[0] || p[1] != q[1])
			return 0;
	}
	return 1;
}

/* Into the ring: `begun` first, the record, `done` last (struct leco_name) */
static __always_inline void name_push(struct name_call *c, __u64 now)
{
	struct leco_ring_head *h;
	struct leco_name *s;
	__u32 k = 0;
	__u64 seq;

	h = bpf_map_lookup_elem(&names_head, &k);
	if (!h)
		return;
	seq = __sync_fetch_and_add(&h->next, 1);
	k = seq & cfg_names_mask();
	s = bpf_map_lookup_elem(&names, &k);
	if (!s)
		return;
	__sync_lock_test_and_set(&s->begun, seq + 1);
	s->ns = now;
	s->start_ns = current_start();
	s->tgid = c->k.tgid;
	s->naddr = c->a.naddr;
	s->more = c->a.more;
	bpf_probe_read_kernel(s->addr, sizeof(s->addr), c->a.addr);
	bpf_probe_read_kernel(s->name, sizeof(s->name), c->k.name);
	__sync_lock_test_and_set(&s->done, seq + 1);
}

/* The name asked for into c->k (no address literal), the answer's addresses into c->a */
static __always_inline int answer_read(struct name_call *c, const struct name_args *a)
{
	__u64 ai = 0;

	if (bpf_probe_read_user_str(c->k.name, sizeof(c->k.name), (void *)a->node) <= 1 ||
	    is_literal(c->k.name) || bpf_probe_read_user(&ai, sizeof(ai), (void *)a->res))
		return 0;
	c->a.naddr = 0;
	c->a.more = 0;
	answer_walk(&c->a, ai);
	return c->a.naddr;
}

/* getaddrinfo() returned: 0 is an answer at *res */
SEC("uretprobe")
int BPF_KRETPROBE(leco_gai_ret, int ret)
{
	__u64 id = bpf_get_current_pid_tgid(), now;
	struct name_args *a = bpf_map_lookup_elem(&name_calls, &id);
	struct name_call *c;
	__u32 k = 0;

	if (!a)
		return 0;
	c = ret == 0 ? bpf_map_lookup_elem(&name_scratch, &k) : NULL;
	if (c && answer_read(c, a)) {
		c->k.tgid = id >> 32;
		STAT_INC(names_calls);
		now = bpf_ktime_get_ns();
		if (answer_repeated(c, now)) {
			STAT_INC(names_dup);
		} else {
			c->a.ns = now;
			bpf_map_update_elem(&names_seen, &c->k, &c->a, BPF_ANY);
			name_push(c, now);
		}
	}
	bpf_map_delete_elem(&name_calls, &id);
	return 0;
}
