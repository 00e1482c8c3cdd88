// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-load: which program serves which job, per kernel. One table (jobs[])
 * lists each job's tiers in order of preference; every tier of an optional or
 * multi-tier job is probed alone (loaded and attached, then dropped), the
 * first that works is kept, as libbpf-tools do, and one final load attaches
 * everything chosen. The choice goes into the info map for readers.
 */
#include <errno.h>
#include <limits.h>
#include <link.h> /* dl_iterate_phdr (_GNU_SOURCE) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "interp.h"
#include "leco-load.h"
#include "leco.h"
#include "leco.skel.h"

#ifndef LECO_LOAD_VERSION
#define LECO_LOAD_VERSION "0.0.0"
#endif

enum kind {
	K_TRACE,     /* tracepoint, fentry, kprobe: bpf_program__attach */
	K_CGROUP,    /* cgroup hook on the cgroup2 root; must return 1 */
	K_ITER_MAP,  /* iterator over tcp_socks, pinned at DIR/tcp for readers */
	K_ITER_ONCE, /* iterator run once at load (adoption), not kept */
	K_UPROBE,    /* uprobe on function `func` of the C library (any process) */
	K_URETPROBE, /* uretprobe on the same */
};

struct prog {
	const char *name;
	enum kind kind;
	const char *func; /* K_UPROBE, K_URETPROBE: the C library's function */
};

struct tier {
	const char *name;  /* for --hooks */
	const char *hook;  /* what status shows */
	const char *lacks; /* what this tier cannot see, or NULL */
	struct prog progs[7];
};

struct job {
	const char *key;   /* for --hooks */
	const char *name;  /* in status */
	const char *lacks; /* what is missing without it */
	bool optional;
	struct tier tiers[4];
};

#define P(n, k)             \
	{                   \
#n, k, NULL \
	}
#define U(n, k, f)       \
	{                \
#n, k, f \
	}

static const struct job jobs[] = {
	{"tcp",
	 "tcp states",
	 NULL,
	 false,
	 {{"tp_btf", "tp_btf inet_sock_set_state", NULL, {P(leco_state, K_TRACE)}}}},
	{"live",
	 "tcp counters",
	 "live TCP byte counts (connections show once closed)",
	 true,
	 {{"iter",
	   "iter bpf_sk_storage_map (pinned at tcp)",
	   NULL,
	   {P(leco_tcp_iter, K_ITER_MAP)}}}},
	{"owners",
	 "owners",
	 "inbound owners beyond the listener; UDP records closing",
	 true,
	 {{"cgroup",
	   "cgroup getpeername4/6, sock_release",
	   NULL,
	   {P(leco_accept4, K_CGROUP), P(leco_accept6, K_CGROUP), P(leco_release, K_CGROUP)}}}},
	{"udp",
	 "udp bytes",
	 "UDP traffic",
	 true,
	 {{"fentry",
	   "fexit udp_sendmsg/udpv6_sendmsg, fentry skb_consume_udp",
	   NULL,
	   {P(leco_fx_send4, K_TRACE), P(leco_fx_send6, K_TRACE), P(leco_fx_recv, K_TRACE)}},
	  {"kprobe",
	   "kprobe+kretprobe udp(v6)_sendmsg, kprobe skb_consume_udp, cgroup sock_create",
	   "UDP records closing with their socket; restart flags",
	   {P(leco_kp_send4, K_TRACE), P(leco_kr_send4, K_TRACE), P(leco_kp_send6, K_TRACE),
	    P(leco_kr_send6, K_TRACE), P(leco_kp_recv, K_TRACE), P(leco_udp_create, K_CGROUP)}},
	  {"tp_btf",
	   "tp_btf sock_send_length/sock_recv_length, cgroup sendmsg/recvmsg",
	   "peer of recv() without an address on unconnected sockets",
	   {P(leco_send, K_TRACE), P(leco_recv, K_TRACE), P(leco_sendmsg4, K_CGROUP),
	    P(leco_sendmsg6, K_CGROUP), P(leco_recvmsg4, K_CGROUP), P(leco_recvmsg6, K_CGROUP)}},
	  {"cgroup_skb",
	   "cgroup_skb egress/ingress, cgroup sock_create",
	   "owner: the socket's creator; received: reached the socket, read or not; "
	   "per packet (TCP too)",
	   {P(leco_skb_out, K_CGROUP), P(leco_skb_in, K_CGROUP), P(leco_skb_create, K_CGROUP)}}}},
	{"drops",
	 "drops",
	 "firewall-blocked attempts",
	 true,
	 {{"tp_btf", "tp_btf kfree_skb", NULL, {P(leco_drop, K_TRACE)}}}},
	{"exec",
	 "script names",
	 "script names of processes that exited",
	 true,
	 {{"tp_btf", "tp_btf sched_process_exec", NULL, {P(leco_exec, K_TRACE)}}}},
	{"adopt",
	 "open at load",
	 "sockets opened before the load",
	 true,
	 {{"iter",
	   "iter task_file (once, at load)",
	   NULL,
	   {P(leco_adopt_listen, K_ITER_ONCE), P(leco_adopt, K_ITER_ONCE)}}}},
	{"names",
	 "names",
	 "names of remote addresses",
	 true,
	 {{"uprobe",
	   "uprobe getaddrinfo",
	   "programs that resolve without this getaddrinfo",
	   {U(leco_gai, K_UPROBE, "getaddrinfo"), U(leco_gai_ret, K_URETPROBE, "getaddrinfo")}}}},
};
#define NJOBS (sizeof(jobs) / sizeof(jobs[0]))
_Static_assert(NJOBS == LOAD_NJOBS, "leco-load.h: LOAD_NJOBS");

const struct map_pin map_pins[] = {
	{LECO_PIN_INFO, "info"},       {LECO_PIN_CONNS, "conns"},
	{LECO_PIN_RING, "closed"},     {LECO_PIN_HEAD, "closed_head"},
	{LECO_PIN_STATS, "stats"},     {LECO_PIN_LIVE, "live"},
	{LECO_PIN_CHANGES, "changes"}, {LECO_PIN_CHANGES_HEAD, "changes_head"},
	{LECO_PIN_NAMES, "names"},     {LECO_PIN_NAMES_HEAD, "names_head"},
};
const size_t n_map_pins = sizeof(map_pins) / sizeof(map_pins[0]);

/* Maps shrunk for a probe load: it only has to verify and attach */
static const char *const big_maps[] = {"conns",	  "closed", "changes", "listeners",  "peers",
				       "scripts", "scans",  "names",   "name_calls", "names_seen"};

/* dl_iterate_phdr: the real path of the first object named libc.so.* */
static int libc_of(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
	struct loader *l = data;

	(void)size;
	if (!base || strncmp(base + 1, "libc.so.", 8))
		return 0;
	return realpath(info->dlpi_name, l->libc) ? 1 : 0;
}

void find_libc(struct loader *l)
{
	l->libc[0] = 0;
	if (l->o.libc)
		snprintf(l->libc, sizeof(l->libc), "%s", l->o.libc);
	else if (dl_iterate_phdr(libc_of, l) != 1)
		l->libc[0] = 0;
}

/* The job list for --help */
void usage_jobs(FILE *f)
{
	for (size_t i = 0; i < NJOBS; i++) {
		fprintf(f, "  %-7s", jobs[i].key);
		for (int t = 0; t < 4 && jobs[i].tiers[t].name; t++)
			fprintf(f, " %s", jobs[i].tiers[t].name);
		fprintf(f, "%s\n", jobs[i].optional ? " none" : "");
	}
}

/* --hooks udp=tp_btf,drops=none */
int parse_hooks(struct options *o, char *arg)
{
	char *save = NULL;

	for (char *t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		size_t j;

		if (!eq) {
			load_msg("--hooks: '%s' is not JOB=TIER", t);
			return -EINVAL;
		}
		*eq = 0;
		for (j = 0; j < NJOBS && strcmp(jobs[j].key, t); j++)
			;
		if (j == NJOBS) {
			load_msg("--hooks: unknown job '%s' (see --help)", t);
			return -EINVAL;
		}
		o->force[j] = strcmp(eq + 1, "off") ? eq + 1 : "none";
	}
	return 0;
}

static size_t job_index(const char *key)
{
	size_t j = 0;

	while (j < NJOBS - 1 && strcmp(jobs[j].key, key))
		j++;
	return j;
}

static struct bpf_program *find_prog(struct bpf_object *obj, const char *name)
{
	return bpf_object__find_program_by_name(obj, name);
}

static struct bpf_map *find_map(struct bpf_object *obj, const char *name)
{
	return bpf_object__find_map_by_name(obj, name);
}

static struct bpf_link *attach_one(struct loader *l, const struct prog *p)
{
	struct bpf_program *bp = find_prog(l->obj, p->name);
	LIBBPF_OPTS(bpf_iter_attach_opts, io);
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = p->func, .retprobe = p->kind == K_URETPROBE);
	union bpf_iter_link_info li = {};

	switch (p->kind) {
	case K_UPROBE:
	case K_URETPROBE:
		if (!l->libc[0]) {
			errno = ENOENT;
			return NULL;
		}
		return bpf_program__attach_uprobe_opts(bp, -1, l->libc, 0, &uo);
	case K_CGROUP:
		return bpf_program__attach_cgroup(bp, l->cgfd);
	case K_ITER_MAP:
		li.map.map_fd = bpf_map__fd(find_map(l->obj, "tcp_socks"));
		io.link_info = &li;
		io.link_info_len = sizeof(li);
		return bpf_program__attach_iter(bp, &io);
	case K_ITER_ONCE:
		return bpf_program__attach_iter(bp, NULL);
	default:
		return bpf_program__attach(bp);
	}
}

static struct bpf_object *open_object(const struct options *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "leco_bpf");
	const void *elf;
	size_t sz;

	if (o->object)
		return bpf_object__open_file(o->object, &oo);
	elf = leco_bpf__elf_bytes(&sz);
	return bpf_object__open_mem(elf, sz, &oo);
}

/* Load the object with only `want` programs (by tier: want[job] = tier, -1 none) */
int open_load(struct loader *l, const int *want, bool probe)
{
	struct bpf_program *bp;
	int r;

	l->obj = open_object(&l->o);
	if (!l->obj)
		return -errno;
	bpf_object__for_each_program(bp, l->obj) bpf_program__set_autoload(bp, false);
	for (size_t j = 0; j < NJOBS; j++) {
		if (want[j] < 0)
			continue;
		for (const struct prog *p = jobs[j].tiers[want[j]].progs; p->name; p++) {
			if (!(bp = find_prog(l->obj, p->name))) {
				load_msg("program %s missing from the object", p->name);
				r = -ENOENT;
				goto fail;
			}
			bpf_program__set_autoload(bp, true);
		}
	}
	if (probe)
		for (size_t i = 0; i < sizeof(big_maps) / sizeof(big_maps[0]); i++)
			bpf_map__set_max_entries(find_map(l->obj, big_maps[i]), 64);
	if (!probe && l->o.conns_max)
		bpf_map__set_max_entries(find_map(l->obj, "conns"), (__u32)l->o.conns_max);
	if (!probe && l->o.names_max)
		bpf_map__set_max_entries(find_map(l->obj, "names"), (__u32)l->o.names_max);
	r = bpf_object__load(l->obj);
	if (!r)
		return 0;
fail:
	bpf_object__close(l->obj);
	l->obj = NULL;
	return r;
}

/* Without a send's return value (cgroup_skb), kfree_skb reports the refused UDP sends */
int write_cfg(struct loader *l)
{
	size_t u = job_index("udp");
	struct leco_cfg c = {
		.drops_udp = l->chosen[u] >= 0 &&
			     !strcmp(jobs[u].tiers[l->chosen[u]].name, "cgroup_skb"),
		.names_max = find_map(l->obj, "names")
				     ? bpf_map__max_entries(find_map(l->obj, "names"))
				     : 0,
	};
	__u32 k = 0;

	return bpf_map__update_elem(find_map(l->obj, "cfg"), &k, sizeof(k), &c, sizeof(c), BPF_ANY);
}

/* Does tier t of job j load and attach here? */
static int probe_tier(struct loader *l, size_t j, int t)
{
	int want[NJOBS], r;

	for (size_t i = 0; i < NJOBS; i++)
		want[i] = i == j ? t : -1;
	load_quiet = true;
	r = open_load(l, want, true);
	for (const struct prog *p = jobs[j].tiers[t].progs; !r && p->name; p++) {
		struct bpf_link *k = attach_one(l, p);

		if (!k)
			r = -errno;
		bpf_link__destroy(k);
	}
	load_quiet = false;
	bpf_object__close(l->obj);
	l->obj = NULL;
	return r;
}

static bool uses_libc(const struct tier *t)
{
	return t->progs[0].kind == K_UPROBE;
}

/* Why tier t of job j is not used (r: what probing it returned; libbpf's own codes too) */
static void tier_why(struct loader *l, size_t j, int t, int r)
{
	const struct tier *tr = &jobs[j].tiers[t];
	size_t n = strlen(l->why[j]);
	char e[64], w[160];

	libbpf_strerror(r, e, sizeof(e));
	if (uses_libc(tr) && !l->libc[0])
		snprintf(w, sizeof(w), "%s: no C library found (--libc PATH)", tr->name);
	else if (uses_libc(tr) && access(l->libc, R_OK))
		snprintf(w, sizeof(w), "%.8s on %.40s: %.40s", tr->name, l->libc, strerror(errno));
	else if (uses_libc(tr))
		snprintf(w, sizeof(w), "%.8s on %.40s: %.40s", tr->name, l->libc,
			 r == -ENOENT ? "no such function in it" : e);
	else
		snprintf(w, sizeof(w), "%.24s: %s", tr->name, e);
	/* every tier passed over, with its reason: "fentry: ...; kprobe: ..." */
	snprintf(l->why[j] + n, sizeof(l->why[j]) - n, "%s%s", n ? "; " : "", w);
}

/* Pick a tier per job: the forced one, else the first that loads and attaches */
int choose_tiers(struct loader *l)
{
	for (size_t j = 0; j < NJOBS; j++) {
		const struct job *jb = &jobs[j];
		const char *force = l->o.force[j];
		int t, r = 0;

		l->chosen[j] = -1;
		l->why[j][0] = 0;
		if (force && !strcmp(force, "none") && jb->optional)
			continue;
		for (t = 0; t < 4 && jb->tiers[t].name; t++) {
			if (force && strcmp(force, jb->tiers[t].name))
				continue;
			/* a job with one required tier is tried by the final load itself */
			if (!jb->optional && !jb->tiers[1].name) {
				l->chosen[j] = t;
				break;
			}
			r = probe_tier(l, j, t);
			if (!r) {
				l->chosen[j] = t;
				break;
			}
			tier_why(l, j, t, r);
			if (load_verbose || force)
				load_msg("%s: %s unavailable (%s)", jb->name, jb->tiers[t].name,
					 strerror(-r));
		}
		if (force && l->chosen[j] < 0) {
			load_msg("--hooks %s=%s: %s", jb->key, force,
				 l->why[j][0] ? l->why[j] : "no such tier");
			return -EINVAL;
		}
	}
	return 0;
}

static void run_once(struct bpf_link *k)
{
	char buf[256];
	int fd = bpf_iter_create(bpf_link__fd(k));

	if (fd < 0)
		return;
	for (int i = 0; i < 1 << 20 && read(fd, buf, sizeof(buf)) > 0; i++)
		;
	close(fd);
}

int attach_all(struct loader *l)
{
	for (size_t j = 0; j < NJOBS; j++) {
		if (l->chosen[j] < 0)
			continue;
		for (const struct prog *p = jobs[j].tiers[l->chosen[j]].progs; p->name; p++) {
			struct bpf_link *k = attach_one(l, p);

			if (!k) {
				load_msg("failed to attach %s: %s", p->name, strerror(errno));
				return -1;
			}
			if (p->kind == K_ITER_ONCE) {
				run_once(k);
				bpf_link__destroy(k);
				continue;
			}
			l->links[l->nlinks++] =
				(struct link_pin){p->kind == K_ITER_MAP ? LECO_PIN_TCP : p->name, k,
						  p->kind == K_ITER_MAP};
		}
	}
	return 0;
}

/* The interpreter list, shared with lib/proc.c, into the kernel's interps map */
int fill_interps(struct bpf_object *obj)
{
	static const char *const names[] = {LECO_INTERPRETERS};
	__u8 one = 1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char key[LECO_COMM_LEN] = {};

		strncpy(key, names[i], sizeof(key) - 1);
		if (bpf_map__update_elem(find_map(obj, "interps"), key, sizeof(key), &one, 1,
					 BPF_ANY))
			return -errno;
	}
	return 0;
}

/* "uprobe getaddrinfo in /lib/.../libc.so.6": the path's end when all of it does not fit */
static void libc_hook(char *buf, size_t n, const char *hook, const char *libc)
{
	size_t room = n - strlen(hook) - sizeof(" in ...");
	size_t len = strlen(libc);

	snprintf(buf, n, "%s in %s%.*s", hook, len <= room ? "" : "...", (int)room,
		 len <= room ? libc : libc + len - room);
}

int write_info(struct loader *l)
{
	struct leco_info li = {};
	struct timespec ts;
	size_t off = 0;
	__u32 k = 0;
	int r;

	li.magic = LECO_MAGIC;
	li.layout_version = LECO_LAYOUT_VERSION;
	li.key_size = sizeof(struct leco_key);
	li.conn_size = sizeof(struct leco_conn);
	li.slot_size = sizeof(struct leco_slot);
	li.stats_size = sizeof(struct leco_stats);
	li.conns_max = bpf_map__max_entries(find_map(l->obj, "conns"));
	li.ring_max = bpf_map__max_entries(find_map(l->obj, "closed"));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	li.load_mono_ns = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	snprintf(li.version, sizeof(li.version), "%s", LECO_LOAD_VERSION);
	for (size_t j = 0; j < NJOBS && j < LECO_JOBS_MAX; j++, li.njobs++) {
		const struct tier *t = l->chosen[j] >= 0 ? &jobs[j].tiers[l->chosen[j]] : NULL;

		snprintf(li.jobs[j].job, sizeof(li.jobs[j].job), "%s", jobs[j].name);
		if (t && uses_libc(t))
			libc_hook(li.jobs[j].hook, sizeof(li.jobs[j].hook), t->hook, l->libc);
		else
			snprintf(li.jobs[j].hook, sizeof(li.jobs[j].hook), "%s", t ? t->hook : "");
		if (t)
			snprintf(li.jobs[j].lacks, sizeof(li.jobs[j].lacks), "%s",
				 t->lacks ? t->lacks : "");
		else /* what is missing, and why */
			snprintf(li.jobs[j].lacks, sizeof(li.jobs[j].lacks), "%s (%s)",
				 jobs[j].lacks, l->why[j][0] ? l->why[j] : "turned off");
	}
	for (int i = 0; i < l->nlinks; i++)
		off += snprintf(li.links + off, off < sizeof(li.links) ? sizeof(li.links) - off : 0,
				"%s%s", i ? " " : "", l->links[i].name);
	if (off >= sizeof(li.links)) {
		load_msg("internal error: link names do not fit the info map");
		return -E2BIG;
	}
	r = bpf_map__update_elem(find_map(l->obj, "info"), &k, sizeof(k), &li, sizeof(li), BPF_ANY);
	if (r) {
		load_msg("failed to write the info map: %s", strerror(-r));
		return r;
	}
	/* read-only from now on, also for root: readers trust what it says */
	if (bpf_map_freeze(bpf_map__fd(find_map(l->obj, "info"))))
		load_msg("warning: could not freeze the info map: %s", strerror(errno));
	return 0;
}

void report_hooks(const struct loader *l)
{
	for (size_t j = 0; j < NJOBS; j++) {
		const struct tier *t = l->chosen[j] >= 0 ? &jobs[j].tiers[l->chosen[j]] : NULL;

		if (t)
			load_msg("  %-13s %s%s%s%s%s%s%s", jobs[j].name, t->hook,
				 uses_libc(t) ? " in " : "", uses_libc(t) ? l->libc : "",
				 t->lacks ? "; lacks: " : "", t->lacks ? t->lacks : "",
				 l->why[j][0] ? "; passed over: " : "", l->why[j]);
		else
			load_msg("  %-13s none (%s); no %s", jobs[j].name,
				 l->why[j][0] ? l->why[j] : "turned off", jobs[j].lacks);
	}
}
