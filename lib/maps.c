// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pins leco-load made, opened read-only: a reader never writes to a map,
 * so any number of readers see the same data. Three sources per poll:
 *   live    every live TCP connection, counts as of now: reading the pinned "tcp"
 *           iterator first refreshes it from the kernel's counters
 *   closed  the ring of closed TCP connections: each reader keeps its own
 *           position and reads only what was added since (missed ones counted)
 *   conns   the LRU hash of UDP flows and inbound drops, read whole
 * The layout is checked against bpf/leco.h before anything is read.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CHUNK		LECO_RING_CHUNK
#define ITER_BUF	4096
#define KERNEL_ENOTSUPP 524 /* kernel-internal "operation not supported" */

void leco_maps_init(struct leco_maps *m)
{
	memset(m, 0, sizeof(*m));
	m->info_fd = m->conns_fd = m->stats_fd = m->live_fd = -1;
	m->ring.fd = m->ring.head_fd = m->changes.fd = m->changes.head_fd = -1;
	m->names.fd = m->names.head_fd = -1;
}

void leco_maps_close(struct leco_maps *m)
{
	int *fds[] = {&m->info_fd,  &m->conns_fd,     &m->ring.fd,    &m->ring.head_fd,
		      &m->stats_fd, &m->live_fd,      &m->changes.fd, &m->changes.head_fd,
		      &m->names.fd, &m->names.head_fd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	free(m->kbuf);
	free(m->vbuf);
	free(m->sbuf);
	free(m->ibuf);
	free(m->nbuf);
	free(m->tcp_path);
	leco_maps_init(m);
}

static bool in_group(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* "permission denied on PATH": say which permission, and what would give it. When PATH
 * cannot even be looked at, the refusal is its directory's: describe that one. */
static void access_msg(const char *path, char *msg, size_t msgsz)
{
	char p[4096], gname[64];
	struct group *g;
	struct stat st;
	char *slash;

	snprintf(p, sizeof(p), "%s", path);
	while (stat(p, &st)) {
		slash = strrchr(p, '/');
		if (!slash || slash == p) {
			snprintf(msg, msgsz, "permission denied on %s", path);
			return;
		}
		*slash = 0;
	}
	g = getgrgid(st.st_gid);
	snprintf(gname, sizeof(gname), "%s", g ? g->gr_name : "?");
	if (!(st.st_mode & 0050) || st.st_gid == 0)
		snprintf(msg, msgsz,
			 "permission denied on %s (mode %04o, group %s): the pins are for root "
			 "only; load them with 'leco-load --group leco'",
			 p, (unsigned)(st.st_mode & 07777), gname);
	else if (!in_group(st.st_gid))
		snprintf(msg, msgsz,
			 "permission denied on %s (mode %04o, group %s): you are not in group %s "
			 "(add yourself, then log in again)",
			 p, (unsigned)(st.st_mode & 07777), gname, gname);
	else
		snprintf(msg, msgsz, "permission denied on %s (mode %04o, group %s)", p,
			 (unsigned)(st.st_mode & 07777), gname);
}

/* Open one pin read-only; -errno with a message on failure. */
static int pin_open(const char *dir, const char *name, int *fd, char *msg, size_t msgsz)
{
	LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = BPF_F_RDONLY);
	char path[4096];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = bpf_obj_get_opts(path, &o);
	if (ret >= 0) {
		*fd = ret;
		return 0;
	}
	ret = errno ? -errno : ret;
	if (ret == -ENOENT) {
		snprintf(msg, msgsz, "%s does not exist: probes not loaded (run leco-load)", path);
	} else if (ret == -EACCES || ret == -EPERM) {
		access_msg(path, msg, msgsz);
		ret = -EACCES;
	} else {
		snprintf(msg, msgsz, "cannot open %s: %s", path, strerror(-ret));
	}
	return ret;
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -errno;
	return 0;
}

static int layout_err(const char *dir, char *msg, size_t msgsz, const char *what, unsigned long got,
		      unsigned long want)
{
	snprintf(msg, msgsz,
		 "%s: pinned maps have another layout (%s %lu, this libleco reads %lu): "
		 "update libleco or re-run leco-load",
		 dir, what, got, want);
	return -EPROTO;
}

/* An info record of another size: another layout; name its version when it has one */
static int other_info(struct leco_maps *m, const char *dir, const struct bpf_map_info *mi,
		      char *msg, size_t msgsz)
{
	uint32_t *v = mi->key_size == 4 && mi->value_size >= 8 && mi->value_size <= 65536
			      ? calloc(1, mi->value_size)
			      : NULL;
	__u32 zero = 0;
	int ret;

	if (v && !bpf_map_lookup_elem(m->info_fd, &zero, v) && v[0] == LECO_MAGIC &&
	    v[1] != LECO_LAYOUT_VERSION)
		ret = layout_err(dir, msg, msgsz, "version", v[1], LECO_LAYOUT_VERSION);
	else
		ret = layout_err(dir, msg, msgsz, "info record size", mi->value_size,
				 sizeof(struct leco_info));
	free(v);
	return ret;
}

/* The info record: every size this reader relies on */
static int check_info(struct leco_maps *m, const char *dir, char *msg, size_t msgsz)
{
	const struct leco_info *i = &m->info;
	struct bpf_map_info mi;
	__u32 zero = 0;
	int ret;

	if ((ret = map_info(m->info_fd, &mi))) {
		snprintf(msg, msgsz, "%s/%s: cannot read map info: %s", dir, LECO_PIN_INFO,
			 strerror(-ret));
		return ret;
	}
	if (mi.value_size != sizeof(struct leco_info) || mi.key_size != 4)
		return other_info(m, dir, &mi, msg, msgsz);
	if (bpf_map_lookup_elem(m->info_fd, &zero, &m->info)) {
		ret = -errno;
		snprintf(msg, msgsz, "%s/%s: cannot read: %s", dir, LECO_PIN_INFO, strerror(-ret));
		return ret;
	}
	m->info.version[sizeof(m->info.version) - 1] = 0;
	m->info.links[sizeof(m->info.links) - 1] = 0;
	if (i->magic != LECO_MAGIC)
		return layout_err(dir, msg, msgsz, "magic", i->magic, LECO_MAGIC);
	if (i->layout_version != LECO_LAYOUT_VERSION)
		return layout_err(dir, msg, msgsz, "version", i->layout_version,
				  LECO_LAYOUT_VERSION);
	if (i->key_size != sizeof(struct leco_key))
		return layout_err(dir, msg, msgsz, "key size", i->key_size,
				  sizeof(struct leco_key));
	if (i->conn_size != sizeof(struct leco_conn))
		return layout_err(dir, msg, msgsz, "record size", i->conn_size,
				  sizeof(struct leco_conn));
	if (i->slot_size != sizeof(struct leco_slot))
		return layout_err(dir, msg, msgsz, "ring slot size", i->slot_size,
				  sizeof(struct leco_slot));
	if (i->stats_size != sizeof(struct leco_stats))
		return layout_err(dir, msg, msgsz, "stats size", i->stats_size,
				  sizeof(struct leco_stats));
	return 0;
}

/* The maps themselves must agree with what info says */
static int check_map(int fd, const char *dir, const char *name, __u32 key, __u32 value, __u32 *max,
		     char *msg, size_t msgsz)
{
	struct bpf_map_info mi;
	char what[64];
	int ret;

	if ((ret = map_info(fd, &mi))) {
		snprintf(msg, msgsz, "%s/%s: cannot read map info: %s", dir, name, strerror(-ret));
		return ret;
	}
	snprintf(what, sizeof(what), "%s key size", name);
	if (mi.key_size != key)
		return layout_err(dir, msg, msgsz, what, mi.key_size, key);
	snprintf(what, sizeof(what), "%s value size", name);
	if (mi.value_size != value)
		return layout_err(dir, msg, msgsz, what, mi.value_size, value);
	if (max)
		*max = mi.max_entries;
	return 0;
}

static void close_ring(struct leco_ring *g)
{
	if (g->fd >= 0)
		close(g->fd);
	if (g->head_fd >= 0)
		close(g->head_fd);
	memset(g, 0, sizeof(*g));
	g->fd = g->head_fd = -1;
}

/* A ring of `vsize` records and its head, checked */
static int open_ring(struct leco_ring *g, const char *dir, const char *ring, const char *head,
		     __u32 vsize, char *msg, size_t msgsz)
{
	int ret;

	if ((ret = pin_open(dir, ring, &g->fd, msg, msgsz)) ||
	    (ret = check_map(g->fd, dir, ring, 4, vsize, &g->max, msg, msgsz)) ||
	    (ret = pin_open(dir, head, &g->head_fd, msg, msgsz)) ||
	    (ret = check_map(g->head_fd, dir, head, 4, sizeof(struct leco_ring_head), NULL, msg,
			     msgsz)))
		return ret;
	return 0;
}

/* The names ring: only where leco-load attached the names job (the info map names its links);
 * without it no connection gets a name */
static int open_names(struct leco_maps *m, const char *dir, char *msg, size_t msgsz)
{
	int ret;

	if (!strstr(m->info.links, "leco_gai"))
		return 0;
	ret = open_ring(&m->names, dir, LECO_PIN_NAMES, LECO_PIN_NAMES_HEAD,
			sizeof(struct leco_name), msg, msgsz);
	if (!ret && m->names.max)
		return 0;
	close_ring(&m->names);
	if (ret == -ENOENT || !ret) {
		msg[0] = 0;
		return 0;
	}
	return ret;
}

/* Open every pin, each checked before the next: info first (its version says most) */
static int open_checked(struct leco_maps *m, const char *dir, char *msg, size_t msgsz)
{
	int ret;

	if ((ret = pin_open(dir, LECO_PIN_INFO, &m->info_fd, msg, msgsz)) ||
	    (ret = check_info(m, dir, msg, msgsz)) ||
	    (ret = pin_open(dir, LECO_PIN_CONNS, &m->conns_fd, msg, msgsz)) ||
	    (ret = check_map(m->conns_fd, dir, LECO_PIN_CONNS, sizeof(struct leco_key),
			     sizeof(struct leco_conn), &m->conns_max, msg, msgsz)) ||
	    (ret = open_ring(&m->ring, dir, LECO_PIN_RING, LECO_PIN_HEAD, sizeof(struct leco_slot),
			     msg, msgsz)) ||
	    (ret = pin_open(dir, LECO_PIN_STATS, &m->stats_fd, msg, msgsz)) ||
	    (ret = check_map(m->stats_fd, dir, LECO_PIN_STATS, 4, sizeof(struct leco_stats), NULL,
			     msg, msgsz)))
		return ret;
	if (!m->ring.max)
		return layout_err(dir, msg, msgsz, "ring size", 0, LECO_RING_MAX);
	if ((ret = open_names(m, dir, msg, msgsz)))
		return ret;
	/* live TCP: only where this kernel has the iterator (the info map names its link) */
	if (!strstr(m->info.links, LECO_PIN_TCP))
		return 0;
	if ((ret = pin_open(dir, LECO_PIN_LIVE, &m->live_fd, msg, msgsz)) ||
	    (ret = check_map(m->live_fd, dir, LECO_PIN_LIVE, sizeof(struct leco_key),
			     sizeof(struct leco_conn), &m->live_max, msg, msgsz)))
		return ret;
	/* the changes ring: without it every read is a whole one */
	ret = open_ring(&m->changes, dir, LECO_PIN_CHANGES, LECO_PIN_CHANGES_HEAD,
			sizeof(struct leco_slot), msg, msgsz);
	if (ret == -ENOENT || (!ret && !m->changes.max)) {
		close_ring(&m->changes);
		msg[0] = 0;
		return 0;
	}
	return ret;
}

/*
 * Are the programs still attached? Readers cannot open links, but links/ is
 * group-listable: every link the info map names must still be pinned. An
 * --unload interrupted between the links and the maps leaves maps alone.
 */
static void check_links(struct leco_maps *m, const char *dir)
{
	char names[sizeof(m->info.links)], path[4096], *save = NULL, *first = NULL;
	int want = 0, missing = 0;
	struct stat st;

	m->detached[0] = 0;
	snprintf(names, sizeof(names), "%s", m->info.links);
	for (char *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (!strcmp(t, LECO_PIN_TCP))
			snprintf(path, sizeof(path), "%s/%s", dir, t);
		else
			snprintf(path, sizeof(path), "%s/%s/%s", dir, LECO_PIN_LINKS, t);
		want++;
		if (!stat(path, &st))
			continue;
		if (errno != ENOENT)
			return; /* links/ not listable (an older leco-load): cannot tell */
		if (!missing++)
			first = t;
	}
	if (missing && missing == want)
		snprintf(m->detached, sizeof(m->detached),
			 "maps pinned but nothing attached: run leco-load");
	else if (missing)
		snprintf(m->detached, sizeof(m->detached),
			 "%d of %d probes detached (%s missing): run leco-load", missing, want,
			 first);
}

static int alloc_bufs(struct leco_maps *m, const char *dir)
{
	char path[4096];

	m->kbuf = calloc(CHUNK, sizeof(*m->kbuf));
	m->vbuf = calloc(CHUNK, sizeof(*m->vbuf));
	m->sbuf = calloc(CHUNK, sizeof(*m->sbuf));
	m->ibuf = malloc(ITER_BUF);
	if (m->names.fd >= 0 && !(m->nbuf = calloc(LECO_NAMES_CHUNK, sizeof(*m->nbuf))))
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", dir, LECO_PIN_TCP);
	if (m->live_fd >= 0)
		m->tcp_path = strdup(path);
	if (!m->kbuf || !m->vbuf || !m->sbuf || !m->ibuf || (m->live_fd >= 0 && !m->tcp_path))
		return -ENOMEM;
	return 0;
}

int leco_maps_open(struct leco_maps *m, const char *dir, char *msg, size_t msgsz)
{
	char path[4096];
	struct stat st;
	int ret;

	leco_maps_close(m);
	if (stat(dir, &st)) {
		ret = -errno;
		if (ret == -ENOENT)
			snprintf(msg, msgsz, "%s does not exist: probes not loaded (run leco-load)",
				 dir);
		else if (ret == -EACCES)
			access_msg(dir, msg, msgsz);
		else
			snprintf(msg, msgsz, "cannot open %s: %s", dir, strerror(-ret));
		return ret;
	}
	if ((ret = open_checked(m, dir, msg, msgsz)))
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", dir, LECO_PIN_CONNS);
	if (stat(path, &st)) {
		ret = -errno;
		snprintf(msg, msgsz, "cannot stat %s: %s", path, strerror(-ret));
		goto fail;
	}
	m->conns_dev = st.st_dev;
	m->conns_ino = st.st_ino;
	if ((ret = alloc_bufs(m, dir))) {
		snprintf(msg, msgsz, "out of memory");
		goto fail;
	}
	check_links(m, dir);
	return 0;
fail:
	leco_maps_close(m);
	return ret;
}

bool leco_maps_current(struct leco_maps *m, const char *dir)
{
	char path[4096];
	struct stat st;

	if (m->conns_fd < 0)
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, LECO_PIN_CONNS);
	if (stat(path, &st) || (uint64_t)st.st_dev != m->conns_dev ||
	    (uint64_t)st.st_ino != m->conns_ino)
		return false;
	check_links(m, dir);
	return true;
}

/* Key iteration: for kernels without batch lookup on this map type. */
static int read_by_keys(struct leco_maps *m, int fd, uint32_t max, leco_maps_cb cb, void *ctx)
{
	struct leco_key prev, next;
	bool first = true;
	size_t n = 0, limit = (size_t)max * 2 + CHUNK;
	int ret;

	for (size_t seen = 0; seen < limit; seen++) {
		if (bpf_map_get_next_key(fd, first ? NULL : &prev, &next))
			break; /* ENOENT: end of map */
		first = false;
		prev = next;
		if (bpf_map_lookup_elem(fd, &next, &m->vbuf[n]))
			continue; /* deleted meanwhile */
		m->kbuf[n++] = next;
		if (n == CHUNK) {
			if ((ret = cb(ctx, m->kbuf, m->vbuf, n)) < 0)
				return ret;
			n = 0;
		}
	}
	if (n && (ret = cb(ctx, m->kbuf, m->vbuf, n)) < 0)
		return ret;
	return 0;
}

/*
 * A hash of struct leco_key -> struct leco_conn in chunks, from bucket *pos (0: the start) on,
 * until `budget` records were read (0: no limit; whole buckets, so maybe a few more); *pos is
 * where to go on. 1 when it reached the end, 0 when more remain. A bucket larger than a
 * chunk, or no batch lookup: the whole hash key by key (and 1).
 */
static int read_hash_from(struct leco_maps *m, int fd, uint32_t max, uint64_t *pos, uint32_t budget,
			  leco_maps_cb cb, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	size_t total = 0, limit = (size_t)max * 2 + CHUNK;
	bool by_keys = m->batch_unsupported;
	uint64_t tok_out = 0;
	int ret;

	if (fd < 0)
		return -EBADF;
	while (!by_keys && (!budget || total < budget)) {
		__u32 want = budget && budget - total < CHUNK ? (__u32)(budget - total) : CHUNK;
		__u32 cnt = want;
		int err = bpf_map_lookup_batch(fd, *pos ? pos : NULL, &tok_out, m->kbuf, m->vbuf,
					       &cnt, &o);
		int e = err < 0 ? (errno ? errno : -err) : 0;

		if (e == ENOSPC && want < CHUNK) {
			budget = (uint32_t)total + 2 * want; /* a bucket larger than the rest */
			continue;
		}
		if (e && e != ENOENT) {
			/* a bucket larger than a chunk, or no batch lookup (known at once) */
			if (e != ENOSPC &&
			    (*pos || (e != EINVAL && e != KERNEL_ENOTSUPP && e != EOPNOTSUPP)))
				return -e;
			m->batch_unsupported = e != ENOSPC;
			by_keys = true;
			break;
		}
		if (cnt && (ret = cb(ctx, m->kbuf, m->vbuf, cnt)) < 0)
			return ret;
		total += cnt;
		if (e == ENOENT || total >= limit)
			return 1;
		*pos = tok_out;
	}
	if (!by_keys)
		return 0; /* the budget is spent */
	if ((ret = read_by_keys(m, fd, max, cb, ctx)) < 0)
		return ret;
	return 1;
}

static int read_hash(struct leco_maps *m, int fd, uint32_t max, leco_maps_cb cb, void *ctx)
{
	uint64_t pos = 0;
	int ret = read_hash_from(m, fd, max, &pos, 0, cb, ctx);

	return ret < 0 ? ret : 0;
}

int leco_maps_read_conns(struct leco_maps *m, leco_maps_cb cb, void *ctx)
{
	return read_hash(m, m->conns_fd, m->conns_max, cb, ctx);
}

/* Run the pinned iterator: it refreshes "live" and writes nothing (one read() walks all) */
static int refresh_live(struct leco_maps *m)
{
	int fd = open(m->tcp_path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	for (int i = 0; i < 1024; i++) {
		ssize_t n = read(fd, m->ibuf, ITER_BUF);

		if (n == 0)
			break;
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			ret = -errno;
			break;
		}
	}
	close(fd);
	return ret;
}

/* The records of one chunk of slots from the reader's position on; *stop: the next one was
 * claimed but is not written yet (read it next time) */
static int ring_chunk(struct leco_maps *m, struct leco_ring *g, uint64_t head, leco_maps_cb cb,
		      void *ctx, bool *stop)
{
	__u32 idx = (__u32)(g->pos % g->max), n = leco_ring_span(g, head, CHUNK), k = 0;
	int ret;

	if ((ret = leco_ring_slots(g, idx, &n, m->sbuf, sizeof(*m->sbuf), BPF_F_LOCK)) < 0)
		return ret;
	*stop = !n;
	for (__u32 i = 0; i < n; i++) {
		uint64_t want = g->pos + 1;

		if (m->sbuf[i].seq < want) {
			*stop = true;
			break;
		}
		if (m->sbuf[i].seq > want) {
			g->missed++; /* overwritten while we read */
		} else {
			m->vbuf[k] = m->sbuf[i].c;
			m->kbuf[k++] = (struct leco_key){.cookie = m->sbuf[i].c.cookie};
		}
		g->pos++;
	}
	return k ? cb(ctx, m->kbuf, m->vbuf, k) : 0;
}

/* What a ring got since this reader's last read; a new reader starts with what it still holds */
static int read_ring(struct leco_maps *m, struct leco_ring *g, leco_maps_cb cb, void *ctx)
{
	struct leco_ring_head h;
	bool stop = false;
	int ret;

	if ((ret = leco_ring_begin(g, &h)))
		return ret;
	while (g->pos < h.next && !stop)
		if ((ret = ring_chunk(m, g, h.next, cb, ctx, &stop)) < 0)
			return ret;
	return 0;
}

int leco_maps_read_ring(struct leco_maps *m, leco_maps_cb cb, void *ctx)
{
	return read_ring(m, &m->ring, cb, ctx);
}

int leco_maps_read_tcp(struct leco_maps *m, bool full, leco_maps_cb cb, void *ctx)
{
	struct leco_ring *g = &m->changes;
	struct leco_ring_head h;
	uint64_t missed;
	__u32 zero = 0;
	int ret;

	if (!m->tcp_path)
		return 1;
	if ((ret = refresh_live(m)) < 0)
		return ret;
	if (g->fd >= 0 && g->started && !full) {
		missed = g->missed;
		if ((ret = read_ring(m, g, cb, ctx)) < 0)
			return ret;
		if (g->missed == missed)
			return 0;
		/* changes were overwritten before this reader read them: all of "live" */
	}
	/* the head before "live": every change up to it is in "live" already (tcp.bpf.c) */
	if (g->fd >= 0) {
		if (bpf_map_lookup_elem(g->head_fd, &zero, &h))
			return -errno;
		g->pos = g->head = h.next;
		g->started = true;
	}
	if ((ret = read_hash(m, m->live_fd, m->live_max, cb, ctx)) < 0)
		return ret;
	return 1;
}

int leco_maps_sweep_live(struct leco_maps *m, uint64_t *pos, uint32_t budget, leco_maps_cb cb,
			 void *ctx)
{
	return m->tcp_path ? read_hash_from(m, m->live_fd, m->live_max, pos, budget, cb, ctx) : 1;
}

int leco_maps_stats(struct leco_maps *m, struct leco_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct leco_stats *v;
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (m->stats_fd < 0)
		return -ENOENT;
	if (ncpu <= 0 || ncpu > 65536)
		return -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v)); /* 128 bytes: already 8-aligned */
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->stats_fd, &zero, v)) {
		int ret = -errno;

		free(v);
		return ret;
	}
	for (int i = 0; i < ncpu; i++) {
		const uint64_t *a = (const uint64_t *)&v[i];
		uint64_t *s = (uint64_t *)sum;

		for (size_t f = 0; f < sizeof(*sum) / sizeof(uint64_t); f++)
			s[f] += a[f];
	}
	free(v);
	return 0;
}
