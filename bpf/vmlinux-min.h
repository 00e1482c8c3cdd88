/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal CO-RE header for leco.bpf.c: the build uses it instead of a
 * generated vmlinux.h when the build machine has no kernel BTF
 * (LECO_VMLINUX=minimal or auto without /sys/kernel/btf/vmlinux).
 *
 * Only the fields leco.bpf.c reads, declared with preserve_access_index:
 * libbpf relocates every access against the running kernel's BTF at load
 * time, matching by name (also into the anonymous unions/structs the real
 * layouts wrap some of these fields in), so offsets here do not matter and
 * need not match any kernel. Field sizes do: keep them as in the kernel.
 * UAPI types (map types, struct bpf_sock_addr) come from <linux/bpf.h>.
 */
#ifndef LECO_VMLINUX_MIN_H
#define LECO_VMLINUX_MIN_H

#include <linux/types.h>
#include <linux/bpf.h>

#ifndef __bpf__
#error "vmlinux-min.h is for the BPF target only"
#endif

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct {
	__s64 counter;
} atomic64_t;

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	atomic64_t skc_cookie;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	int sk_err;
};

struct inet_sock {
	struct sock sk;
	__be16 inet_sport;
};

struct sk_buff {
	struct sock *sk;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
};

struct task_struct {
	struct mm_struct *mm;
};

struct linux_binprm {
	const char *filename;
	const char *interp;
};

enum skb_drop_reason {
	SKB_DROP_REASON_NETFILTER_DROP = 12, /* value resolved at load (bpf_core_enum_value) */
};

#pragma clang attribute pop

#endif /* LECO_VMLINUX_MIN_H */
