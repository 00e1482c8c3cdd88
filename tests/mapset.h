/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A set of maps with the bpf/leco.h layout, made and filled from user space
 * (root), for tests and benchmarks of the reader without loading the probes:
 * info, conns, the closed ring (its slots hold a bpf_spin_lock, so the map
 * needs BTF saying where) and its head, stats; with mapset_live() also "live",
 * the changes ring and a pinned iterator that does nothing (the real one takes
 * the probes: tests/bpf), so that what the reader reads is what the test wrote;
 * with mapset_names() the names ring and its head.
 */
#ifndef LECO_TESTS_MAPSET_H
#define LECO_TESTS_MAPSET_H

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/leco.h"

struct mapset {
	int info, conns, ring, head, stats;
	uint32_t ring_max;
	int live, changes, changes_head, iter; /* mapset_live(); -1 without */
	uint32_t changes_max;
	int names, names_head; /* mapset_names(); -1 without */
	uint32_t names_max;
};

#define MAPSET_NPINS 11
static const char *const mapset_pins[MAPSET_NPINS] = {
	LECO_PIN_INFO,	LECO_PIN_CONNS, LECO_PIN_RING,	    LECO_PIN_HEAD,
	LECO_PIN_STATS, LECO_PIN_LIVE,	LECO_PIN_CHANGES,   LECO_PIN_CHANGES_HEAD,
	LECO_PIN_TCP,	LECO_PIN_NAMES, LECO_PIN_NAMES_HEAD};

/* A ring: an ARRAY of struct leco_slot whose BTF places the bpf_spin_lock */
static inline int mapset_ring(const char *name, uint32_t max)
{
	struct btf *btf = btf__new_empty();
	int u32, lock, slot, fd = -1;

	if (!btf)
		return -1;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	lock = btf__add_struct(btf, "bpf_spin_lock", 4);
	btf__add_field(btf, "val", u32, 0, 0);
	slot = btf__add_struct(btf, "leco_slot", sizeof(struct leco_slot));
	btf__add_field(btf, "lock", lock, 0, 0);
	if (u32 > 0 && lock > 0 && slot > 0 && !btf__load_into_kernel(btf)) {
		LIBBPF_OPTS(bpf_map_create_opts, o, .btf_fd = btf__fd(btf), .btf_key_type_id = u32,
			    .btf_value_type_id = slot);

		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, sizeof(struct leco_slot), max, &o);
	}
	btf__free(btf);
	return fd;
}

/* links: the info map's list of link names ("" for none) */
static inline int mapset_create(struct mapset *m, uint32_t layout, uint32_t value_size,
				uint32_t max, uint32_t ring_max, const char *links)
{
	struct leco_info info = {
		.magic = LECO_MAGIC,
		.layout_version = layout,
		.key_size = sizeof(struct leco_key),
		.conn_size = sizeof(struct leco_conn),
		.slot_size = sizeof(struct leco_slot),
		.stats_size = sizeof(struct leco_stats),
		.conns_max = max,
		.ring_max = ring_max,
		.njobs = 1,
	};
	struct leco_ring_head h = {0};
	__u32 zero = 0;
	int ncpu = libbpf_num_possible_cpus();
	struct leco_stats *st = calloc((size_t)ncpu, sizeof(*st));

	snprintf(info.version, sizeof(info.version), "test-%u", layout);
	snprintf(info.links, sizeof(info.links), "%s", links);
	snprintf(info.jobs[0].job, sizeof(info.jobs[0].job), "udp bytes");
	snprintf(info.jobs[0].hook, sizeof(info.jobs[0].hook), "test hook");
	snprintf(info.jobs[0].lacks, sizeof(info.jobs[0].lacks), "test lack");
	m->ring_max = ring_max;
	m->info = bpf_map_create(BPF_MAP_TYPE_ARRAY, "info", 4, sizeof(info), 1, NULL);
	m->conns = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "conns", sizeof(struct leco_key),
				  value_size, max, NULL);
	m->ring = mapset_ring("closed", ring_max);
	m->live = m->changes = m->changes_head = m->iter = -1;
	m->names = m->names_head = -1;
	m->head = bpf_map_create(BPF_MAP_TYPE_ARRAY, "closed_head", 4, sizeof(h), 1, NULL);
	m->stats = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "stats", 4, sizeof(struct leco_stats),
				  1, NULL);
	if (m->info < 0 || m->conns < 0 || m->ring < 0 || m->head < 0 || m->stats < 0 || !st) {
		free(st);
		return -1;
	}
	for (int i = 0; i < ncpu; i++) {
		st[i].events = 10;
		st[i].blocked = 1;
	}
	bpf_map_update_elem(m->stats, &zero, st, 0);
	free(st);
	bpf_map_update_elem(m->head, &zero, &h, 0);
	return bpf_map_update_elem(m->info, &zero, &info, 0);
}

/* Claim the next sequence of the ring whose head is head_fd (the kernel's fetch-and-add) */
static inline uint64_t mapset_claim_at(int head_fd)
{
	struct leco_ring_head h;
	__u32 zero = 0;
	uint64_t seq;

	bpf_map_lookup_elem(head_fd, &zero, &h);
	seq = h.next++;
	bpf_map_update_elem(head_fd, &zero, &h, 0);
	return seq;
}

/* What the kernel does at a TCP close: claim a sequence, then write the slot under its lock */
static inline uint64_t mapset_claim(struct mapset *m)
{
	return mapset_claim_at(m->head);
}

static inline int mapset_write(struct mapset *m, uint64_t seq, const struct leco_conn *c)
{
	struct leco_slot s = {.seq = seq + 1, .c = *c};
	__u32 k = (__u32)(seq % m->ring_max);

	return bpf_map_update_elem(m->ring, &k, &s, BPF_F_LOCK);
}

static inline int mapset_push(struct mapset *m, const struct leco_conn *c)
{
	return mapset_write(m, mapset_claim(m), c);
}

/* An iterator over all maps that prints nothing, as a pinnable link: reading it runs nothing
 * of ours (the real one refreshes "live"; here the test writes it) */
static inline int mapset_noop_iter(void)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id = vmlinux ? btf__find_by_name_kind(vmlinux, "bpf_iter_bpf_map", BTF_KIND_FUNC) : -1;
	int prog, link;

	btf__free(vmlinux);
	if (id < 0)
		return -1;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_ITER,
		    .attach_btf_id = (__u32)id);
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "noop_iter", "GPL", insns, 2, &o);
	if (prog < 0)
		return -1;
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	close(prog);
	return link;
}

/* "live", the changes ring (changes_max slots) and the iterator pinned as "tcp" */
static inline int mapset_live(struct mapset *m, uint32_t changes_max)
{
	struct leco_ring_head h = {0};
	__u32 zero = 0;

	m->changes_max = changes_max;
	m->live = bpf_map_create(BPF_MAP_TYPE_HASH, "live", sizeof(struct leco_key),
				 sizeof(struct leco_conn), 1024, NULL);
	m->changes = mapset_ring("changes", changes_max);
	m->changes_head = bpf_map_create(BPF_MAP_TYPE_ARRAY, "changes_head", 4, sizeof(h), 1, NULL);
	m->iter = mapset_noop_iter();
	if (m->live < 0 || m->changes < 0 || m->changes_head < 0 || m->iter < 0)
		return -1;
	return bpf_map_update_elem(m->changes_head, &zero, &h, 0);
}

/* What the iterator does with a record that changed: into "live", then the changes ring */
static inline int mapset_change(struct mapset *m, const struct leco_conn *c)
{
	struct leco_key k = {.cookie = c->cookie};
	struct leco_ring_head h;
	struct leco_slot s = {.c = *c};
	__u32 zero = 0, idx;

	if (bpf_map_update_elem(m->live, &k, c, 0) ||
	    bpf_map_lookup_elem(m->changes_head, &zero, &h))
		return -1;
	s.seq = ++h.next;
	idx = (__u32)((s.seq - 1) % m->changes_max);
	if (bpf_map_update_elem(m->changes_head, &zero, &h, 0))
		return -1;
	return bpf_map_update_elem(m->changes, &idx, &s, BPF_F_LOCK);
}

/* The names ring (names_max slots) and its head */
static inline int mapset_names(struct mapset *m, uint32_t names_max)
{
	struct leco_ring_head h = {0};
	__u32 zero = 0;

	m->names_max = names_max;
	m->names = bpf_map_create(BPF_MAP_TYPE_ARRAY, "names", 4, sizeof(struct leco_name),
				  names_max, NULL);
	m->names_head = bpf_map_create(BPF_MAP_TYPE_ARRAY, "names_head", 4, sizeof(h), 1, NULL);
	if (m->names < 0 || m->names_head < 0)
		return -1;
	return bpf_map_update_elem(m->names_head, &zero, &h, 0);
}

/* Claim the next sequence of the names ring (as the probe's fetch-and-add does) */
static inline uint64_t mapset_name_claim(struct mapset *m)
{
	return mapset_claim_at(m->names_head);
}

/* Write slot seq % names_max with the marks given (done, begun: seq + 1 once whole) */
static inline int mapset_name_write(struct mapset *m, uint64_t seq, struct leco_name r,
				    uint64_t done, uint64_t begun)
{
	__u32 k = (__u32)(seq % m->names_max);

	r.done = done;
	r.begun = begun;
	return bpf_map_update_elem(m->names, &k, &r, 0);
}

/* Per-CPU stats: field `off` (offsetof in struct leco_stats) set to v on CPU 0, 0 elsewhere */
static inline void mapset_stat(struct mapset *m, size_t off, uint64_t v)
{
	int ncpu = libbpf_num_possible_cpus();
	struct leco_stats *st = calloc((size_t)ncpu, sizeof(*st));
	__u32 zero = 0;

	if (!st)
		return;
	bpf_map_lookup_elem(m->stats, &zero, st);
	for (int i = 0; i < ncpu; i++)
		memcpy((char *)&st[i] + off, &(uint64_t){i ? 0 : v}, sizeof(uint64_t));
	bpf_map_update_elem(m->stats, &zero, st, 0);
	free(st);
}

static inline int mapset_pin(const struct mapset *m, const char *dir)
{
	const int fds[MAPSET_NPINS] = {m->info,	 m->conns, m->ring,	 m->head,
				       m->stats, m->live,  m->changes,	 m->changes_head,
				       m->iter,	 m->names, m->names_head};
	char p[4200];

	mkdir(dir, 0755);
	for (int i = 0; i < MAPSET_NPINS; i++) {
		if (fds[i] < 0)
			continue; /* no mapset_live() */
		snprintf(p, sizeof(p), "%s/%s", dir, mapset_pins[i]);
		unlink(p);
		if (bpf_obj_pin(fds[i], p))
			return -errno;
	}
	return 0;
}

static inline void mapset_unpin(const char *dir)
{
	char p[4200];

	for (int i = 0; i < MAPSET_NPINS; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, mapset_pins[i]);
		unlink(p);
	}
}

static inline void mapset_close(struct mapset *m)
{
	close(m->info);
	close(m->conns);
	close(m->ring);
	close(m->head);
	close(m->stats);
	const int more[] = {m->live, m->changes, m->changes_head, m->iter, m->names, m->names_head};

	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (more[i] >= 0)
			close(more[i]);
}

#endif /* LECO_TESTS_MAPSET_H */
