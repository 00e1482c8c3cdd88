// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The maps pinned by leco-load, opened read-only: a reader never writes to a
 * map and never consumes a ring buffer, so any number of readers see the same
 * data. The layout is checked against bpf/leco.h before anything is read.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CHUNK		256
#define KERNEL_ENOTSUPP 524 /* kernel-internal "operation not supported" */

void leco_maps_init(struct leco_maps *m)
{
	memset(m, 0, sizeof(*m));
	m->info_fd = m->conns_fd = m->execs_fd = m->stats_fd = -1;
}

void leco_maps_close(struct leco_maps *m)
{
	int *fds[] = {&m->info_fd, &m->conns_fd, &m->execs_fd, &m->stats_fd};

	for (size_t i = 0; i < 4; i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	free(m->kbuf);
	free(m->vbuf);
	leco_maps_init(m);
}

/* Open one pin read-only; -errno with a message on failure. */
static int pin_open(const char *dir, const char *name, bool optional, int *fd, char *msg,
		    size_t msgsz)
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
	if (ret == -ENOENT && optional)
		return 0;
	if (ret == -ENOENT)
		snprintf(msg, msgsz, "%s does not exist: probes not loaded (run leco-load)", path);
	else if (ret == -EACCES || ret == -EPERM)
		snprintf(msg, msgsz, "permission denied on %s: add yourself to group leco", path),
			ret = -EACCES;
	else
		snprintf(msg, msgsz, "cannot open %s: %s", path, strerror(-ret));
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

static int check_layout(struct leco_maps *m, const char *dir, char *msg, size_t msgsz)
{
	struct bpf_map_info mi;
	__u32 zero = 0;
	int ret;

	if ((ret = map_info(m->info_fd, &mi))) {
		snprintf(msg, msgsz, "%s/%s: cannot read map info: %s", dir, LECO_PIN_INFO,
			 strerror(-ret));
		return ret;
	}
	if (mi.value_size != sizeof(struct leco_info) || mi.key_size != 4)
		return layout_err(dir, msg, msgsz, "info record size", mi.value_size,
				  sizeof(struct leco_info));
	if (bpf_map_lookup_elem(m->info_fd, &zero, &m->info)) {
		ret = -errno;
		snprintf(msg, msgsz, "%s/%s: cannot read: %s", dir, LECO_PIN_INFO, strerror(-ret));
		return ret;
	}
	m->info.version[sizeof(m->info.version) - 1] = 0;
	if (m->info.magic != LECO_MAGIC)
		return layout_err(dir, msg, msgsz, "magic", m->info.magic, LECO_MAGIC);
	if (m->info.layout_version != LECO_LAYOUT_VERSION)
		return layout_err(dir, msg, msgsz, "version", m->info.layout_version,
				  LECO_LAYOUT_VERSION);
	if (m->info.key_size != sizeof(struct leco_key))
		return layout_err(dir, msg, msgsz, "key size", m->info.key_size,
				  sizeof(struct leco_key));
	if (m->info.conn_size != sizeof(struct leco_conn))
		return layout_err(dir, msg, msgsz, "record size", m->info.conn_size,
				  sizeof(struct leco_conn));
	if (m->info.exec_size != sizeof(struct leco_exec))
		return layout_err(dir, msg, msgsz, "exec record size", m->info.exec_size,
				  sizeof(struct leco_exec));
	if (m->info.stats_size != sizeof(struct leco_stats))
		return layout_err(dir, msg, msgsz, "stats size", m->info.stats_size,
				  sizeof(struct leco_stats));

	/* the maps themselves must agree with what info says */
	if ((ret = map_info(m->conns_fd, &mi))) {
		snprintf(msg, msgsz, "%s/%s: cannot read map info: %s", dir, LECO_PIN_CONNS,
			 strerror(-ret));
		return ret;
	}
	if (mi.key_size != sizeof(struct leco_key))
		return layout_err(dir, msg, msgsz, "conns key size", mi.key_size,
				  sizeof(struct leco_key));
	if (mi.value_size != sizeof(struct leco_conn))
		return layout_err(dir, msg, msgsz, "conns value size", mi.value_size,
				  sizeof(struct leco_conn));
	m->conns_id = mi.id;
	m->conns_max = mi.max_entries;
	if (m->execs_fd >= 0 && !map_info(m->execs_fd, &mi) &&
	    (mi.key_size != 4 || mi.value_size != sizeof(struct leco_exec)))
		return layout_err(dir, msg, msgsz, "execs value size", mi.value_size,
				  sizeof(struct leco_exec));
	if (m->stats_fd >= 0 && !map_info(m->stats_fd, &mi) &&
	    (mi.key_size != 4 || mi.value_size != sizeof(struct leco_stats)))
		return layout_err(dir, msg, msgsz, "stats value size", mi.value_size,
				  sizeof(struct leco_stats));
	return 0;
}

int leco_maps_open(struct leco_maps *m, const char *dir, char *msg, size_t msgsz)
{
	struct stat st;
	int ret;

	leco_maps_close(m);
	if (stat(dir, &st)) {
		ret = -errno;
		if (ret == -ENOENT)
			snprintf(msg, msgsz, "%s does not exist: probes not loaded (run leco-load)",
				 dir);
		else if (ret == -EACCES)
			snprintf(msg, msgsz, "permission denied on %s: add yourself to group leco",
				 dir);
		else
			snprintf(msg, msgsz, "cannot open %s: %s", dir, strerror(-ret));
		return ret;
	}
	if ((ret = pin_open(dir, LECO_PIN_INFO, false, &m->info_fd, msg, msgsz)) ||
	    (ret = pin_open(dir, LECO_PIN_CONNS, false, &m->conns_fd, msg, msgsz)) ||
	    (ret = pin_open(dir, LECO_PIN_EXECS, true, &m->execs_fd, msg, msgsz)) ||
	    (ret = pin_open(dir, LECO_PIN_STATS, true, &m->stats_fd, msg, msgsz)))
		goto fail;
	if ((ret = check_layout(m, dir, msg, msgsz)))
		goto fail;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, LECO_PIN_CONNS);
	if (stat(path, &st)) {
		ret = -errno;
		snprintf(msg, msgsz, "cannot stat %s: %s", path, strerror(-ret));
		goto fail;
	}
	m->conns_dev = st.st_dev;
	m->conns_ino = st.st_ino;
	m->kbuf = calloc(CHUNK, sizeof(*m->kbuf));
	m->vbuf = calloc(CHUNK, sizeof(*m->vbuf));
	if (!m->kbuf || !m->vbuf) {
		ret = -ENOMEM;
		snprintf(msg, msgsz, "out of memory");
		goto fail;
	}
	return 0;
fail:
	leco_maps_close(m);
	return ret;
}

bool leco_maps_current(const struct leco_maps *m, const char *dir)
{
	char path[4096];
	struct stat st;

	if (m->conns_fd < 0)
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, LECO_PIN_CONNS);
	return !stat(path, &st) && (uint64_t)st.st_dev == m->conns_dev &&
	       (uint64_t)st.st_ino == m->conns_ino;
}

/* Key iteration: for kernels without batch lookup on this map type. */
static int read_by_keys(struct leco_maps *m, leco_maps_cb cb, void *ctx)
{
	struct leco_key prev, next;
	bool first = true;
	size_t n = 0, limit = (size_t)m->conns_max * 2 + CHUNK;
	int ret;

	for (size_t seen = 0; seen < limit; seen++) {
		if (bpf_map_get_next_key(m->conns_fd, first ? NULL : &prev, &next))
			break; /* ENOENT: end of map */
		first = false;
		prev = next;
		if (bpf_map_lookup_elem(m->conns_fd, &next, &m->vbuf[n]))
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

int leco_maps_read_conns(struct leco_maps *m, leco_maps_cb cb, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint64_t tok_in = 0, tok_out = 0;
	size_t total = 0, limit = (size_t)m->conns_max * 2 + CHUNK;
	bool first = true;
	int ret;

	if (m->conns_fd < 0)
		return -EBADF;
	if (m->batch_unsupported)
		return read_by_keys(m, cb, ctx);
	while (total < limit) {
		__u32 cnt = CHUNK;
		int err = bpf_map_lookup_batch(m->conns_fd, first ? NULL : &tok_in, &tok_out,
					       m->kbuf, m->vbuf, &cnt, &o);
		int e = err < 0 ? (errno ? errno : -err) : 0;

		if (e && e != ENOENT) {
			if (first && (e == EINVAL || e == KERNEL_ENOTSUPP || e == EOPNOTSUPP)) {
				m->batch_unsupported = true;
				return read_by_keys(m, cb, ctx);
			}
			if (e == ENOSPC) /* a bucket larger than a chunk: read key by key */
				return read_by_keys(m, cb, ctx);
			return -e;
		}
		if (cnt && (ret = cb(ctx, m->kbuf, m->vbuf, cnt)) < 0)
			return ret;
		total += cnt;
		if (e == ENOENT)
			break;
		first = false;
		tok_in = tok_out;
	}
	return 0;
}

int leco_maps_exec(struct leco_maps *m, uint32_t tgid, struct leco_exec *ex)
{
	if (m->execs_fd < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(m->execs_fd, &tgid, ex))
		return -errno;
	return 0;
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
		sum->events += v[i].events;
		sum->conns_new += v[i].conns_new;
		sum->update_fail += v[i].update_fail;
		sum->lost += v[i].lost;
		sum->unattributed += v[i].unattributed;
		sum->blocked += v[i].blocked;
		sum->execs += v[i].execs;
	}
	free(v);
	return 0;
}
