// SPDX-License-Identifier: GPL-2.0-or-later
/* Empty programs on the send/recv tracepoints: the cost bpf_stats reports for a
 * program that does nothing (its own clock reads), measured next to the probes. */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

SEC("tp_btf/sock_send_length")
int floor_send(void *ctx)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int floor_recv(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
