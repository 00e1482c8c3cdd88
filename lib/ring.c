// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rings leco-load made (closed TCP connections, live exports, names): an
 * ARRAY of slots written in turn and a head with the next sequence number.
 * Every reader reads them from its own position; these are the steps shared by
 * lib/maps.c and lib/names.c.
 */
#include <bpf/bpf.h>
#include <errno.h>

#include "internal.h"

#define KERNEL_ENOTSUPP 524 /* kernel-internal "operation not supported" */

/* Slots [idx, idx + n) of a ring into buf (records of vsize bytes), each copied with `flags`
 * (BPF_F_LOCK: under its lock) */
int leco_ring_slots(struct leco_ring *g, uint32_t idx, uint32_t *n, void *buf, size_t vsize,
		    uint64_t flags)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = flags);
	__u32 keys[LECO_RING_CHUNK], prev = idx - 1, out;
	int err;

	if (!g->batch_unsupported) {
		err = bpf_map_lookup_batch(g->fd, idx ? &prev : NULL, &out, keys, buf, n, &o);
		if (!err || errno == ENOENT)
			return 0;
		if (errno != EINVAL && errno != KERNEL_ENOTSUPP && errno != EOPNOTSUPP)
			return -errno;
		g->batch_unsupported = true;
	}
	for (__u32 i = 0; i < *n; i++) {
		__u32 k = idx + i;

		if (bpf_map_lookup_elem_flags(g->fd, &k, (char *)buf + i * vsize, flags))
			return -errno;
	}
	return 0;
}

/* How many slots from the reader's position to read in one go (at most `chunk`) */
uint32_t leco_ring_span(const struct leco_ring *g, uint64_t head, uint32_t chunk)
{
	__u32 idx = (__u32)(g->pos % g->max), n = chunk;

	if (n > g->max - idx)
		n = g->max - idx;
	if (n > head - g->pos)
		n = (__u32)(head - g->pos);
	return n;
}

/* The ring's head now; the reader's position moved up to what the ring still holds (a new
 * reader starts with all of it; one that fell further behind counts the rest missed) */
int leco_ring_begin(struct leco_ring *g, struct leco_ring_head *h)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(g->head_fd, &zero, h))
		return -errno;
	g->head = h->next;
	if (!g->started)
		g->pos = h->next > g->max ? h->next - g->max : 0;
	g->started = true;
	if (h->next - g->pos > g->max) {
		g->missed += h->next - g->max - g->pos;
		g->pos = h->next - g->max;
	}
	return 0;
}
