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

typedef __kernel_size_t size_t;

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
	volatile unsigned char skc_state;
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

struct tcp_sock {
	struct inet_sock inet;
	__u64 bytes_received;
	__u64 bytes_acked;
	__u32 snd_una;
	__u32 write_seq;
	__u64 tcp_mstamp;
};

enum sock_flags {
	SOCK_DONE = 1, /* value resolved at load (bpf_core_enum_value) */
};

struct net_device {
	possible_net_t nd_net;
};

struct sk_buff {
	struct sock *sk;
	struct net_device *dev;
	unsigned long _skb_refdst;
	int skb_iif;
	__u16 transport_header;
	__u16 network_header;
	unsigned char *head;
};

struct dst_entry {
	struct net_device *dev;
};

struct rtable {
	struct dst_entry dst;
	__u16 rt_type;
};

struct rt6_info {
	struct dst_entry dst;
	__u32 rt6i_flags;
};

struct in_addr {
	__be32 s_addr;
};

struct sockaddr_in {
	unsigned short sin_family;
	__be16 sin_port;
	struct in_addr sin_addr;
	unsigned char __pad[8];
};

struct sockaddr_in6 {
	unsigned short sin6_family;
	__be16 sin6_port;
	__be32 sin6_flowinfo;
	struct in6_addr sin6_addr;
	__u32 sin6_scope_id;
};

struct msghdr {
	void *msg_name;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
};

typedef struct {
	unsigned int val;
} kuid_t;

struct cred {
	kuid_t uid;
};

struct kernfs_node {
	__u64 id;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct css_set {
	struct cgroup *dfl_cgrp;
};

struct task_struct {
	struct mm_struct *mm;
	int tgid;
	struct task_struct *group_leader;
	__u64 start_time;
	const struct cred *cred;
	struct css_set *cgroups;
	char comm[16];
};

struct linux_binprm {
	const char *filename;
	const char *interp;
};

struct socket {
	struct sock *sk;
};

struct file {
	void *private_data;
};

struct seq_file {
	char *buf;
};

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct bpf_map {
	__u32 id;
};

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
};

struct bpf_iter__bpf_sk_storage_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
	struct sock *sk;
	void *value;
};

enum skb_drop_reason {
	SKB_DROP_REASON_NETFILTER_DROP = 12, /* value resolved at load (bpf_core_enum_value) */
};

/* The registers of a kprobe's or uprobe's context (udp.bpf.c's kprobe tier, names.bpf.c read the
 * arguments and the return value
 * through bpf_tracing.h's PT_REGS_*, which use the kernel's names with __VMLINUX_H__) */
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long r8;
	unsigned long r9;
	unsigned long sp;
	unsigned long bp;
	unsigned long ip;
};
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};
struct pt_regs {
	struct user_pt_regs user_regs;
};
#endif

#pragma clang attribute pop

#ifndef __VMLINUX_H__
#define __VMLINUX_H__ /* bpf_tracing.h: the kernel's register names (di, not rdi) */
#endif

#endif /* LECO_VMLINUX_MIN_H */
