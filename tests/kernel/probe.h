/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel feature probes shared by probe.bpf.c and probe.c: which hooks load,
 * attach and fire on the running kernel (used to establish what Debian 12's
 * 6.1 kernel offers, see doc/kernel.md "Tested kernels").
 */
#ifndef LECO_PROBE_H
#define LECO_PROBE_H

/* One counter per program: how often it ran (map "hits") */
enum probe_id {
	P_TP_STATE,
	P_TP_KFREE_SKB,
	P_TP_EXEC,
	P_TP_TCP_DESTROY,
	P_TRACEPOINT_TCP_DESTROY,
	P_TP_SEND_LENGTH,
	P_TP_RECV_LENGTH,
	P_FENTRY_UDP_SENDMSG,
	P_FEXIT_UDP_SENDMSG,
	P_FEXIT_UDP_RECVMSG,
	P_FEXIT_UDPV6_SENDMSG,
	P_FEXIT_UDPV6_RECVMSG,
	P_FENTRY_SKB_CONSUME_UDP,
	P_KPROBE_UDP_SENDMSG,
	P_KRETPROBE_UDP_SENDMSG,
	P_KRETPROBE_UDP_RECVMSG,
	P_KRETPROBE_UDPV6_SENDMSG,
	P_KRETPROBE_UDPV6_RECVMSG,
	P_KPROBE_SKB_CONSUME_UDP,
	P_CGSKB_INGRESS,
	P_CGSKB_EGRESS,
	P_SOCK_RELEASE,
	P_GETPEERNAME4,
	P_GETPEERNAME6,
	P_SENDMSG4,
	P_RECVMSG4,
	P_SENDMSG6,
	P_RECVMSG6,
	P_SK_LOOKUP,
	P_ITER_SK_STORAGE,
	P_ITER_TASK_FILE,
	P_ITER_TCP,
	P_FETCH_ADD,
	P_N,
};

/* Values measured by the programs (map "vals"), filtered to the probe's own traffic */
enum probe_val {
	V_SS_SYN_SENT,	    /* sk storage created at CLOSE->SYN_SENT (process context) */
	V_SS_SYN_RECV,	    /* ... at LISTEN->SYN_RECV (softirq) */
	V_SS_RELEASE_FOUND, /* cgroup/sock_release found storage made by tp_btf */
	V_SS_RELEASE_NEW,   /* cgroup/sock_release created storage (UDP sockets) */
	V_SS_PEER_FOUND,    /* cgroup/getpeername4/6 found storage (ctx->sk) */
	V_SS_FENTRY_NEW,    /* fentry udp_sendmsg created storage on a UDP socket */
	V_NF_DROP_SK,	    /* kfree_skb reason NETFILTER_DROP, skb->sk set (output) */
	V_NF_DROP_NOSK,	    /* ... skb->sk NULL (input) */
	V_NF_DROP_VALUE,    /* SKB_DROP_REASON_NETFILTER_DROP on this kernel (CO-RE) */
	V_UDP4_SENT,	    /* fexit udp_sendmsg: sum of positive returns (probe's tgid) */
	V_UDP4_RECV,	    /* fexit udp_recvmsg */
	V_UDP6_SENT,	    /* fexit udpv6_sendmsg */
	V_UDP6_RECV,	    /* fexit udpv6_recvmsg */
	V_UDP_CONSUMED,	    /* fentry skb_consume_udp: sum of len */
	V_KRET_UDP4_SENT,   /* kretprobe udp_sendmsg: sum of positive returns */
	V_KRET_UDP4_RECV,
	V_KRET_UDP6_SENT,
	V_KRET_UDP6_RECV,
	V_TCP_ACKED,	   /* tcp_sock bytes_acked at ->CLOSE of the client socket */
	V_TCP_RECEIVED,	   /* tcp_sock bytes_received at ->CLOSE of the client socket */
	V_SK_LOOKUP_UDP,   /* sk_lookup runs for UDP datagrams to the probe's port */
	V_TASK_FILE_SOCKS, /* iter/task_file: sockets of the probe's tgid */
	V_FETCH_ADD_CTR,   /* a counter bumped with __sync_fetch_and_add (BPF_FETCH) */
	V_FETCH_ADD_SEEN,  /* the value that fetch-add returned, plus one */
	V_N,
};

/* Configuration written by the loader before the workload (map "cfg") */
enum probe_cfg {
	C_TGID,	    /* the probe's tgid */
	C_TCP_PORT, /* listener port of the v4 TCP exchange */
	C_UDP_PORT, /* receiver port of the v4/v6 UDP exchange */
	C_N,
};

/* sk storage value, and what iter/bpf_sk_storage_map emits per socket */
struct probe_sk {
	__u64 cookie;	  /* bpf_get_socket_cookie when the storage was made */
	__u64 cookie_est; /* ... at SYN_RECV->ESTABLISHED (passive side) */
	__u32 tgid;
	__u32 made_by; /* enum probe_val of the creator */
};

struct probe_iter_rec {
	__u64 cookie;	  /* taken when the storage was made */
	__u64 cookie_now; /* the socket's cookie when the iterator runs */
	__u64 cookie_est; /* taken at SYN_RECV->ESTABLISHED */
	__u64 bytes_received;
	__u64 bytes_acked;
	__u32 made_by;
	__u16 lport;
	__u16 state;
};

#endif
