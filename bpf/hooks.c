// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-load: which program serves which job, per kernel. One table (jobs[])
 * lists each job's tiers in order of preference; every tier of an optional or
 * multi-tier job is probed alone (loaded and attached, then dropped), the
 * first that works is kept, as libbpf-tools do, and one final load attaches
 * everything chosen. The choice goes into the info map for readers.
 */
#include <errno.h>
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
};

struct prog {
	const char *name;
	enum kind kind;
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

#define P(n, k)       \
	{             \
#n, k \
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
	    P(leco_sendmsg6, K_CGROUP), P(leco_recvmsg4, K_CGROUP), P(leco_recvmsg6, K_CGROUP)}}}},
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
};
#define NJOBS (sizeof(jobs) / sizeof(jobs[0]))
_Static_assert(NJOBS == LOAD_NJOBS, "leco-load.h: LOAD_NJOBS");

const struct map_pin map_pins[] = {
	{LECO_PIN_INFO, "info"},       {LECO_PIN_CONNS, "conns"},
	{LECO_PIN_RING, "closed"},     {LECO_PIN_HEAD, "closed_head"},
	{LECO_PIN_STATS, "stats"},     {LECO_PIN_LIVE, "live"},
	{LECO_PIN_CHANGES, "changes"}, {LECO_PIN_CHANGES_HEAD, "changes_head"},
};
const size_t n_map_pins = sizeof(map_pins) / sizeof(map_pins[0]);

/* Maps shrunk for a probe load: it only has to verify and attach */
static const char *const big_maps[] = {"conns", "closed",  "changes", "listeners",
				       "peers", "scripts", "scans"};

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
		o->force[j] = eq + 1;
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
	union bpf_iter_link_info li = {};

	switch (p->kind) {
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
	else if (l->o.conns_max)
		bpf_map__set_max_entries(find_map(l->obj, "conns"), (__u32)l->o.conns_max);
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
			/* every tier passed over, with its reason: "fentry: ...; kprobe: ..." */
			size_t n = strlen(l->why[j]);

			snprintf(l->why[j] + n, sizeof(l->why[j]) - n, "%s%s: %s", n ? "; " : "",
				 jb->tiers[t].name, strerror(-r));
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
		snprintf(li.jobs[j].hook, sizeof(li.jobs[j].hook), "%s", t ? t->hook : "");
		snprintf(li.jobs[j].lacks, sizeof(li.jobs[j].lacks), "%s",
			 !t	    ? jobs[j].lacks
			 : t->lacks ? t->lacks
				    : "");
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
			load_msg("  %-13s %s%s%s%s%s", jobs[j].name, t->hook,
				 t->lacks ? "; lacks: " : "", t->lacks ? t->lacks : "",
				 l->why[j][0] ? "; passed over: " : "", l->why[j]);
		else
			load_msg("  %-13s none: this kernel lacks it (%s); no %s", jobs[j].name,
				 l->why[j][0] ? l->why[j] : "turned off", jobs[j].lacks);
	}
}
