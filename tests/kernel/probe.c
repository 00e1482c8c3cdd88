// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-probe: which kernel hooks load, attach and fire on the running kernel.
 *
 * usage: leco-probe [-v] [--strict] PROBE.bpf.o
 *
 * Each program of probe.bpf.c is first loaded on its own (a program the
 * verifier refuses does not hide the others), then all that loaded are loaded
 * together, attached one by one, and a workload (probe_work.c) makes known
 * traffic in a private network namespace and cgroup. Prints one line per
 * program ("probe HOOK: load ok, attach ok, fired N") and per measured value
 * ("value WHAT: N (want W)"), then "probe-summary: ...". Exit 0 when the
 * probe ran (whatever the kernel offers), 1 when it could not set up; with
 * --strict also 1 when a check failed or a value differs from what was sent
 * (the guest test: Debian 12's kernel must keep offering what libleco uses).
 * Needs root. Used to establish what a kernel offers (doc/kernel.md, "Tested
 * kernels"), on the host and inside the QEMU guest (tests/kernel).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe_work.h"

static const struct probe probes[] = {
	{"tp_state", A_AUTO, P_TP_STATE},
	{"tp_kfree_skb", A_AUTO, P_TP_KFREE_SKB},
	{"tp_exec", A_AUTO, P_TP_EXEC},
	{"tp_tcp_destroy", A_AUTO, P_TP_TCP_DESTROY},
	{"tracepoint_tcp_destroy", A_AUTO, P_TRACEPOINT_TCP_DESTROY},
	{"tp_send_length", A_AUTO, P_TP_SEND_LENGTH},
	{"tp_recv_length", A_AUTO, P_TP_RECV_LENGTH},
	{"fentry_udp_sendmsg", A_AUTO, P_FENTRY_UDP_SENDMSG},
	{"fexit_udp_sendmsg", A_AUTO, P_FEXIT_UDP_SENDMSG},
	{"fexit_udp_recvmsg", A_AUTO, P_FEXIT_UDP_RECVMSG},
	{"fexit_udpv6_sendmsg", A_AUTO, P_FEXIT_UDPV6_SENDMSG},
	{"fexit_udpv6_recvmsg", A_AUTO, P_FEXIT_UDPV6_RECVMSG},
	{"fentry_skb_consume_udp", A_AUTO, P_FENTRY_SKB_CONSUME_UDP},
	{"kprobe_udp_sendmsg", A_AUTO, P_KPROBE_UDP_SENDMSG},
	{"kretprobe_udp_sendmsg", A_AUTO, P_KRETPROBE_UDP_SENDMSG},
	{"kretprobe_udp_recvmsg", A_AUTO, P_KRETPROBE_UDP_RECVMSG},
	{"kretprobe_udpv6_sendmsg", A_AUTO, P_KRETPROBE_UDPV6_SENDMSG},
	{"kretprobe_udpv6_recvmsg", A_AUTO, P_KRETPROBE_UDPV6_RECVMSG},
	{"kprobe_skb_consume_udp", A_AUTO, P_KPROBE_SKB_CONSUME_UDP},
	{"cgskb_ingress", A_CGROUP, P_CGSKB_INGRESS},
	{"cgskb_egress", A_CGROUP, P_CGSKB_EGRESS},
	{"release", A_CGROUP, P_SOCK_RELEASE},
	{"peer4", A_CGROUP, P_GETPEERNAME4},
	{"peer6", A_CGROUP, P_GETPEERNAME6},
	{"send4", A_CGROUP, P_SENDMSG4},
	{"recv4", A_CGROUP, P_RECVMSG4},
	{"send6", A_CGROUP, P_SENDMSG6},
	{"recv6", A_CGROUP, P_RECVMSG6},
	{"lookup", A_NETNS, P_SK_LOOKUP},
	{"iter_sk_storage", A_ITER_MAP, P_ITER_SK_STORAGE},
	{"iter_task_file", A_ITER, P_ITER_TASK_FILE},
	{"iter_tcp", A_ITER, P_ITER_TCP},
	{"fetch_add", A_AUTO, P_FETCH_ADD},
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

static bool verbose;
static char logbuf[1 << 16];
static size_t loglen;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	if (verbose)
		vfprintf(stderr, fmt, copy);
	va_end(copy);
	if (level == LIBBPF_DEBUG || loglen + 1 >= sizeof(logbuf))
		return 0;
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	if (n > 0)
		loglen += (size_t)n < sizeof(logbuf) - loglen ? (size_t)n
							      : sizeof(logbuf) - loglen - 1;
	return 0;
}

/* the telling line of what libbpf said: the verifier's last message, else its first line */
static void log_reason(char *out, size_t n)
{
	char *end = strstr(logbuf, "-- END PROG LOAD LOG --");
	char *line = NULL, *p, *nl;

	out[0] = 0;
	if (end) {
		for (p = logbuf; p < end; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl || nl >= end)
				break;
			if (nl > p && strncmp(p, "processed ", 10) &&
			    strncmp(p, "verification time", 17) && strncmp(p, "stack depth", 11) &&
			    !strstr(p, "-- BEGIN"))
				line = p;
		}
	}
	if (!line)
		line = strncmp(logbuf, "libbpf: ", 8) ? logbuf : logbuf + 8;
	nl = strchr(line, '\n');
	snprintf(out, n, "%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
}

static struct bpf_object *open_with(const char *path, const bool *autoload)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;

	if (!obj)
		return NULL;
	bpf_object__for_each_program(prog, obj)
	{
		bool on = false;

		for (size_t i = 0; i < NPROBES; i++)
			if (!strcmp(bpf_program__name(prog), probes[i].name))
				on = autoload[i];
		bpf_program__set_autoload(prog, on);
	}
	return obj;
}

/* phase 1: each program loaded alone */
static void load_each(const char *path, struct result *res)
{
	for (size_t i = 0; i < NPROBES; i++) {
		bool only[NPROBES] = {0};
		struct bpf_object *obj;

		only[i] = true;
		loglen = 0;
		logbuf[0] = 0;
		obj = open_with(path, only);
		res[i].load_err = obj ? bpf_object__load(obj) : -errno;
		if (res[i].load_err)
			log_reason(res[i].why, sizeof(res[i].why));
		bpf_object__close(obj);
	}
}

static int attach_one(struct bpf_program *prog, const struct probe *p, struct work *w,
		      struct bpf_link **link)
{
	union bpf_iter_link_info info = {0};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);

	switch (p->how) {
	case A_CGROUP:
		*link = bpf_program__attach_cgroup(prog, w->cgroup_fd);
		break;
	case A_NETNS:
		*link = bpf_program__attach_netns(prog, w->netns_fd);
		break;
	case A_ITER_MAP:
		info.map.map_fd = w->sks_fd;
		opts.link_info = &info;
		opts.link_info_len = sizeof(info);
		*link = bpf_program__attach_iter(prog, &opts);
		break;
	case A_ITER:
		*link = bpf_program__attach_iter(prog, NULL);
		break;
	default:
		*link = bpf_program__attach(prog);
	}
	return *link ? 0 : -errno;
}

/* phase 2: everything that loaded alone, loaded together and attached one by one */
static struct bpf_object *attach_all(const char *path, struct result *res, struct work *w)
{
	bool on[NPROBES];
	struct bpf_object *obj;

	for (size_t i = 0; i < NPROBES; i++)
		on[i] = res[i].load_err == 0;
	loglen = 0;
	obj = open_with(path, on);
	if (!obj || bpf_object__load(obj)) {
		log_reason(logbuf, sizeof(logbuf));
		fprintf(stderr, "leco-probe: loading the programs together failed: %s\n", logbuf);
		bpf_object__close(obj);
		return NULL;
	}
	w->hits_fd = bpf_object__find_map_fd_by_name(obj, "hits");
	w->vals_fd = bpf_object__find_map_fd_by_name(obj, "vals");
	w->cfg_fd = bpf_object__find_map_fd_by_name(obj, "cfg");
	w->sks_fd = bpf_object__find_map_fd_by_name(obj, "sks");
	for (size_t i = 0; i < NPROBES; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, probes[i].name);

		res[i].attach_err = -ENOENT;
		if (!on[i] || !prog)
			continue;
		loglen = 0;
		logbuf[0] = 0;
		res[i].attach_err = attach_one(prog, &probes[i], w, &res[i].link);
		if (res[i].attach_err)
			log_reason(res[i].why, sizeof(res[i].why));
		if (probes[i].id == P_ITER_SK_STORAGE && res[i].link)
			w->sk_iter = res[i].link;
		if (probes[i].id == P_ITER_TASK_FILE && res[i].link)
			w->task_iter = res[i].link;
		if (probes[i].id == P_ITER_TCP && res[i].link)
			w->tcp_iter = res[i].link;
	}
	return obj;
}

static void report(struct bpf_object *obj, struct result *res, struct work *w)
{
	unsigned int loaded = 0, attached = 0, fired = 0;
	struct utsname u;

	for (size_t i = 0; i < NPROBES; i++) {
		const struct bpf_program *prog =
			obj ? bpf_object__find_program_by_name(obj, probes[i].name) : NULL;
		const char *sec = prog ? bpf_program__section_name(prog) : probes[i].name;
		__u64 n = work_hits(w, probes[i].id);

		if (res[i].load_err) {
			printf("probe %s: load FAIL %d %s (%s)\n", sec, res[i].load_err,
			       strerror(-res[i].load_err), res[i].why);
			continue;
		}
		loaded++;
		if (res[i].attach_err) {
			printf("probe %s: load ok, attach FAIL %d %s (%s)\n", sec,
			       res[i].attach_err, strerror(-res[i].attach_err), res[i].why);
			continue;
		}
		attached++;
		fired += n > 0;
		printf("probe %s: load ok, attach ok, fired %llu\n", sec, (unsigned long long)n);
	}
	uname(&u);
	printf("probe-summary: kernel %s: %zu programs, %u load, %u attach, %u fired\n", u.release,
	       NPROBES, loaded, attached, fired);
}

int main(int argc, char **argv)
{
	struct result res[NPROBES] = {0};
	struct work w = {0};
	struct bpf_object *obj;
	bool strict = false;
	int arg = 1, failed = 0;

	if (argc == 2 && !strcmp(argv[1], "--noop"))
		return 0; /* the exec'd child of the workload */
	for (; arg < argc && argv[arg][0] == '-'; arg++) {
		if (!strcmp(argv[arg], "-v"))
			verbose = true;
		else if (!strcmp(argv[arg], "--strict"))
			strict = true;
		else
			break;
	}
	if (argc != arg + 1) {
		fprintf(stderr, "usage: leco-probe [-v] [--strict] PROBE.bpf.o\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "leco-probe: needs root\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(print_fn);
	if (work_setup(&w))
		return 1;
	load_each(argv[arg], res);
	obj = attach_all(argv[arg], res, &w);
	if (obj)
		failed = work_run(&w);
	report(obj, res, &w);
	for (size_t i = 0; i < NPROBES; i++)
		bpf_link__destroy(res[i].link);
	bpf_object__close(obj);
	work_cleanup(&w);
	if (strict && failed)
		printf("probe-strict: %d checks failed or values differ\n", failed);
	return !obj || (strict && failed) ? 1 : 0;
}
