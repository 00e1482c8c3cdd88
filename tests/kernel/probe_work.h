/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* leco-probe: the program table's types and the workload (probe_work.c) */
#ifndef LECO_PROBE_WORK_H
#define LECO_PROBE_WORK_H

#include <stdbool.h>
#include <linux/types.h>
#include "probe.h"

enum attach_how {
	A_AUTO,	    /* bpf_program__attach: tracepoints, fentry/fexit, kprobes */
	A_CGROUP,   /* the probe's own cgroup */
	A_NETNS,    /* the probe's own network namespace */
	A_ITER,	    /* an iterator */
	A_ITER_MAP, /* an iterator over the sk storage map */
};

struct probe {
	const char *name; /* program name in probe.bpf.c */
	enum attach_how how;
	enum probe_id id;
};

struct bpf_link;

struct result {
	int load_err;	/* 0 or -errno, the program loaded alone */
	int attach_err; /* 0 or -errno */
	struct bpf_link *link;
	char why[240]; /* what libbpf or the verifier said on failure */
};

struct work {
	int cgroup_fd, netns_fd;
	int hits_fd, vals_fd, cfg_fd, sks_fd;
	struct bpf_link *sk_iter, *task_iter, *tcp_iter;
	char cgroup_root[2048];
	char cgroup_dir[2300];
	char pin_dir[128];
};

/* private netns with lo up, own cgroup; 0 or -1 (said on stderr) */
int work_setup(struct work *w);
/* the traffic, then "check ..." and "value ..." lines on stdout; how many failed or differ */
int work_run(struct work *w);
__u64 work_hits(const struct work *w, enum probe_id id);
void work_cleanup(struct work *w);

#endif
