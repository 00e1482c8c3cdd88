// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-dump: a read-only test reader for the pinned maps (tests only; the
 * library is the real reader). Opens the pins with BPF_F_RDONLY, checks the
 * info record, and prints one JSON object per line:
 *
 *	{"info": {...}}              first line
 *	{"stats": {...}}             summed over CPUs
 *	{"conn": {...}}              one per conns record (batch lookup, or
 *	                             get_next_key when batch is refused)
 *	{"exec": {...}}              one per execs record
 *
 * leco-dump [-p DIR] [--no-batch]. Exit 0, or 1 with a message on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "leco.h"

static const char *pin_dir = LECO_DEFAULT_PIN_DIR;
static bool no_batch;

static int open_pin(const char *name)
{
	LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = BPF_F_RDONLY);
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get_opts(path, &o);
	if (fd < 0)
		fprintf(stderr, "leco-dump: failed to open %s: %s\n", path, strerror(errno));
	return fd;
}

/* JSON string of a fixed-size, possibly unterminated byte field */
static void jstr(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jaddr(const __u8 *a, int family)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "?");
	printf("\"%s\"", buf);
}

static void print_conn(const struct leco_key *k, const struct leco_conn *c)
{
	printf("{\"conn\": {\"key_cookie\": %llu, \"key_raddr\": ", (unsigned long long)k->cookie);
	jaddr(k->raddr, c->family == 4 ? 4 : 6);
	printf(", \"key_rport\": %u, \"cookie\": %llu, \"first_ns\": %llu, \"last_ns\": %llu, "
	       "\"rx\": %llu, \"tx\": %llu, \"cgroup_id\": %llu, \"tgid\": %u, \"uid\": %u, "
	       "\"err\": %d, \"flags\": %u, \"family\": %u, \"proto\": %u, \"dir\": %u, "
	       "\"state\": %u, \"lport\": %u, \"rport\": %u, \"laddr\": ",
	       k->rport, (unsigned long long)c->cookie, (unsigned long long)c->first_ns,
	       (unsigned long long)c->last_ns, (unsigned long long)c->rx_bytes,
	       (unsigned long long)c->tx_bytes, (unsigned long long)c->cgroup_id, c->tgid, c->uid,
	       c->err, c->flags, c->family, c->proto, c->dir, c->state, c->lport, c->rport);
	jaddr(c->laddr, c->family);
	printf(", \"raddr\": ");
	jaddr(c->raddr, c->family);
	printf(", \"comm\": ");
	jstr(c->comm, sizeof(c->comm));
	printf("}}\n");
}

static int dump_conns(int fd)
{
	enum { N = 256 };
	static struct leco_key keys[N];
	static struct leco_conn vals[N];
	struct leco_key cur, next;
	__u64 in = 0, out = 0;
	bool first = true;
	__u32 i, cnt;
	int r, n = 0;

	while (!no_batch) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		cnt = N;
		r = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &cnt, &bo);
		if (r && errno != ENOENT) {
			if (first &&
			    (errno == EINVAL || errno == ENOTSUP || errno == 524 /* ENOTSUPP */))
				break; /* no batch ops: fall back */
			fprintf(stderr, "leco-dump: batch lookup failed: %s\n", strerror(errno));
			return -1;
		}
		for (i = 0; i < cnt; i++)
			print_conn(&keys[i], &vals[i]);
		n += cnt;
		if (r) /* ENOENT: done */
			return n;
		first = false;
		in = out;
	}
	/* get_next_key walk */
	r = bpf_map_get_next_key(fd, NULL, &next);
	while (r == 0) {
		struct leco_conn c;

		if (bpf_map_lookup_elem(fd, &next, &c) == 0) {
			print_conn(&next, &c);
			n++;
		}
		cur = next;
		r = bpf_map_get_next_key(fd, &cur, &next);
	}
	return n;
}

int main(int argc, char **argv)
{
	struct leco_info li;
	struct leco_stats *st;
	__u64 sum[sizeof(struct leco_stats) / 8] = {};
	int fd_info, fd_conns, fd_execs, fd_stats, ncpu, c;
	__u32 k = 0, tgid, next;
	int r;

	while ((c = getopt(argc, argv, "p:b")) != -1) {
		if (c == 'p')
			pin_dir = optarg;
		else if (c == 'b')
			no_batch = true;
		else {
			fprintf(stderr, "usage: leco-dump [-p DIR] [-b (no batch)]\n");
			return 1;
		}
	}
	fd_info = open_pin(LECO_PIN_INFO);
	fd_conns = open_pin(LECO_PIN_CONNS);
	fd_execs = open_pin(LECO_PIN_EXECS);
	fd_stats = open_pin(LECO_PIN_STATS);
	if (fd_info < 0 || fd_conns < 0 || fd_execs < 0 || fd_stats < 0)
		return 1;
	if (bpf_map_lookup_elem(fd_info, &k, &li)) {
		fprintf(stderr, "leco-dump: failed to read the info map: %s\n", strerror(errno));
		return 1;
	}
	if (li.magic != LECO_MAGIC || li.layout_version != LECO_LAYOUT_VERSION ||
	    li.key_size != sizeof(struct leco_key) || li.conn_size != sizeof(struct leco_conn) ||
	    li.exec_size != sizeof(struct leco_exec) ||
	    li.stats_size != sizeof(struct leco_stats)) {
		fprintf(stderr,
			"leco-dump: %s: layout version %u (want %u) or record sizes differ\n",
			pin_dir, li.layout_version, LECO_LAYOUT_VERSION);
		return 1;
	}
	li.version[sizeof(li.version) - 1] = 0;
	printf("{\"info\": {\"magic\": %u, \"layout_version\": %u, \"conns_max\": %u, "
	       "\"load_mono_ns\": %llu, \"version\": ",
	       li.magic, li.layout_version, li.conns_max, (unsigned long long)li.load_mono_ns);
	jstr(li.version, sizeof(li.version));
	printf("}}\n");

	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return 1;
	st = calloc(ncpu, sizeof(*st));
	if (!st || bpf_map_lookup_elem(fd_stats, &k, st)) {
		fprintf(stderr, "leco-dump: failed to read the stats map: %s\n", strerror(errno));
		return 1;
	}
	for (c = 0; c < ncpu; c++) {
		const __u64 *v = (const __u64 *)&st[c];

		for (size_t i = 0; i < sizeof(sum) / 8; i++)
			sum[i] += v[i];
	}
	printf("{\"stats\": {\"events\": %llu, \"conns_new\": %llu, \"update_fail\": %llu, "
	       "\"lost\": %llu, \"unattributed\": %llu, \"blocked\": %llu, \"execs\": %llu}}\n",
	       (unsigned long long)sum[0], (unsigned long long)sum[1], (unsigned long long)sum[2],
	       (unsigned long long)sum[3], (unsigned long long)sum[4], (unsigned long long)sum[5],
	       (unsigned long long)sum[6]);
	free(st);

	if (dump_conns(fd_conns) < 0)
		return 1;

	r = bpf_map_get_next_key(fd_execs, NULL, &next);
	while (r == 0) {
		struct leco_exec e;

		if (bpf_map_lookup_elem(fd_execs, &next, &e) == 0) {
			__u32 len = e.args_len < LECO_ARGS_LEN ? e.args_len : LECO_ARGS_LEN;

			printf("{\"exec\": {\"tgid\": %u, \"exec_ns\": %llu, \"args_len\": %u, "
			       "\"comm\": ",
			       e.tgid, (unsigned long long)e.exec_ns, e.args_len);
			jstr(e.comm, sizeof(e.comm));
			printf(", \"args\": [");
			for (__u32 i = 0, first = 1; i < len;) {
				size_t l = strnlen(e.args + i, len - i);

				printf("%s", first ? "" : ", ");
				jstr(e.args + i, l);
				first = 0;
				i += l + 1;
			}
			printf("]}}\n");
		}
		tgid = next;
		r = bpf_map_get_next_key(fd_execs, &tgid, &next);
	}
	return 0;
}
