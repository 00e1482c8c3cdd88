// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-dump: a read-only test reader for the pins (tests only; the library is
 * the real reader). Opens the maps with BPF_F_RDONLY, checks the info record,
 * and prints one JSON object per line:
 *
 *	{"info": {...}}              first line (with the hooks chosen)
 *	{"stats": {...}}             summed over CPUs
 *	{"conn": {..., "src": S}}    one per record: S = "conns" (the LRU hash:
 *	                             UDP, inbound drops), "tcp" (live TCP, after
 *	                             running the iterator that refreshes it),
 *	                             "closed" (the ring, oldest first)
 *	{"name": {...}}              one per record of the names ring (oldest first):
 *	                             name, tgid, start_ns, ns, addrs (text), more, seq
 *
 * leco-dump [-p DIR] [-b]: -b reads the hash key by key instead of in batches.
 * Exit 0, or 1 with a message on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

static const char *const owners[] = {"", "connect", "accept", "close", "listener", "io", "fd"};

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
	putchar('"');
	for (size_t i = 0; i < n && s[i]; i++) {
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

static void print_conn(const struct leco_key *k, const struct leco_conn *c, const char *src,
		       unsigned long long seq)
{
	printf("{\"conn\": {\"src\": \"%s\", \"seq\": %llu, \"key_cookie\": %llu, "
	       "\"key_netns\": %u, \"key_raddr\": ",
	       src, seq, (unsigned long long)k->cookie, k->netns);
	jaddr(k->raddr, c->family == 4 ? 4 : 6);
	printf(", \"key_rport\": %u, \"cookie\": %llu, \"first_ns\": %llu, \"last_ns\": %llu, "
	       "\"rx\": %llu, \"tx\": %llu, \"cgroup_id\": %llu, \"start_ns\": %llu, "
	       "\"tgid\": %u, \"uid\": %u, "
	       "\"err\": %d, \"flags\": %u, \"family\": %u, \"proto\": %u, \"dir\": %u, "
	       "\"state\": %u, \"lport\": %u, \"rport\": %u, \"count\": %u, \"owner\": \"%s\", "
	       "\"laddr\": ",
	       k->rport, (unsigned long long)c->cookie, (unsigned long long)c->first_ns,
	       (unsigned long long)c->last_ns, (unsigned long long)c->rx_bytes,
	       (unsigned long long)c->tx_bytes, (unsigned long long)c->cgroup_id,
	       (unsigned long long)c->start_ns, c->tgid, c->uid, c->err, c->flags, c->family,
	       c->proto, c->dir, c->state, c->lport, c->rport, c->count,
	       c->owner < 7 ? owners[c->owner] : "?");
	jaddr(c->laddr, c->family);
	printf(", \"raddr\": ");
	jaddr(c->raddr, c->family);
	printf(", \"comm\": ");
	jstr(c->comm, sizeof(c->comm));
	printf(", \"script\": ");
	jstr(c->script, sizeof(c->script));
	printf("}}\n");
}

static int dump_hash(int fd, const char *src)
{
	enum { N = 256 };
	static struct leco_key keys[N];
	static struct leco_conn vals[N];
	struct leco_key cur, next;
	__u64 in = 0, out = 0;
	bool first = true;
	__u32 cnt;
	int r;

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
		for (__u32 i = 0; i < cnt; i++)
			print_conn(&keys[i], &vals[i], src, 0);
		if (r) /* ENOENT: done */
			return 0;
		first = false;
		in = out;
	}
	r = bpf_map_get_next_key(fd, NULL, &next);
	while (r == 0) {
		struct leco_conn c;

		if (bpf_map_lookup_elem(fd, &next, &c) == 0)
			print_conn(&next, &c, src, 0);
		cur = next;
		r = bpf_map_get_next_key(fd, &cur, &next);
	}
	return 0;
}

/* Live TCP: reading the pinned iterator refreshes the live hash (it returns no data) */
static int dump_tcp(void)
{
	char path[4096], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, LECO_PIN_TCP);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "leco-dump: failed to open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	if (n < 0) {
		fprintf(stderr, "leco-dump: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fd = open_pin(LECO_PIN_LIVE);
	if (fd < 0 || dump_hash(fd, "tcp") < 0)
		return -1;
	close(fd);
	return 0;
}

/* The ring of closed TCP connections, every slot still holding its sequence */
static int dump_ring(const struct leco_info *li)
{
	int fd = open_pin(LECO_PIN_RING), hfd = open_pin(LECO_PIN_HEAD);
	struct leco_ring_head h;
	struct leco_slot s;
	__u32 k = 0;
	__u64 from;

	if (fd < 0 || hfd < 0 || bpf_map_lookup_elem(hfd, &k, &h))
		return -1;
	from = h.next > li->ring_max ? h.next - li->ring_max : 0;
	for (__u64 seq = from; seq < h.next; seq++) {
		struct leco_key key = {};

		k = seq % li->ring_max;
		if (bpf_map_lookup_elem_flags(fd, &k, &s, BPF_F_LOCK))
			return -1;
		if (s.seq != seq + 1)
			continue; /* overwritten meanwhile, or still being written */
		key.cookie = s.c.cookie;
		print_conn(&key, &s.c, "closed", seq);
	}
	close(fd);
	close(hfd);
	return 0;
}

static int dump_info(struct leco_info *li)
{
	int fd = open_pin(LECO_PIN_INFO);
	__u32 k = 0;

	if (fd < 0)
		return -1;
	if (bpf_map_lookup_elem(fd, &k, li)) {
		fprintf(stderr, "leco-dump: failed to read the info map: %s\n", strerror(errno));
		return -1;
	}
	close(fd);
	if (li->magic != LECO_MAGIC || li->layout_version != LECO_LAYOUT_VERSION ||
	    li->key_size != sizeof(struct leco_key) || li->conn_size != sizeof(struct leco_conn) ||
	    li->slot_size != sizeof(struct leco_slot) ||
	    li->stats_size != sizeof(struct leco_stats) || !li->ring_max) {
		fprintf(stderr,
			"leco-dump: %s: layout version %u (want %u) or record sizes differ\n",
			pin_dir, li->layout_version, LECO_LAYOUT_VERSION);
		return -1;
	}
	li->version[sizeof(li->version) - 1] = 0;
	li->links[sizeof(li->links) - 1] = 0;
	printf("{\"info\": {\"magic\": %u, \"layout_version\": %u, \"conns_max\": %u, "
	       "\"ring_max\": %u, \"load_mono_ns\": %llu, \"version\": ",
	       li->magic, li->layout_version, li->conns_max, li->ring_max,
	       (unsigned long long)li->load_mono_ns);
	jstr(li->version, sizeof(li->version));
	printf(", \"links\": ");
	jstr(li->links, sizeof(li->links));
	printf(", \"hooks\": {");
	for (__u32 i = 0; i < li->njobs && i < LECO_JOBS_MAX; i++) {
		printf("%s", i ? ", " : "");
		jstr(li->jobs[i].job, sizeof(li->jobs[i].job));
		printf(": ");
		jstr(li->jobs[i].hook, sizeof(li->jobs[i].hook));
	}
	printf("}, \"lacks\": {");
	for (__u32 i = 0; i < li->njobs && i < LECO_JOBS_MAX; i++) {
		printf("%s", i ? ", " : "");
		jstr(li->jobs[i].job, sizeof(li->jobs[i].job));
		printf(": ");
		jstr(li->jobs[i].lacks, sizeof(li->jobs[i].lacks));
	}
	printf("}}}\n");
	return 0;
}

static const char *const stat_names[] = {
	"events",	"conns_new", "update_fail", "lost",	   "unattributed",
	"blocked",	"execs",     "tcp_new",	    "blocked_in",  "scan_merged",
	"storage_fail", "restarted", "adopted",	    "names_calls", "names_dup",
};

/* The names ring (absent before layout 3): whole records only (both marks = seq + 1) */
static int dump_names(void)
{
	int fd = open_pin(LECO_PIN_NAMES), hfd = open_pin(LECO_PIN_NAMES_HEAD);
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), k = 0;
	struct leco_ring_head h;
	struct leco_name r;
	char a[INET6_ADDRSTRLEN];

	if (fd < 0 || hfd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &len) || !mi.max_entries ||
	    bpf_map_lookup_elem(hfd, &k, &h))
		return -1;
	for (__u64 seq = h.next > mi.max_entries ? h.next - mi.max_entries : 0; seq < h.next;
	     seq++) {
		k = seq % mi.max_entries;
		if (bpf_map_lookup_elem(fd, &k, &r))
			return -1;
		if (r.done != seq + 1 || r.begun != seq + 1)
			continue; /* overwritten meanwhile, or still being written */
		printf("{\"name\": {\"seq\": %llu, \"tgid\": %u, \"start_ns\": %llu, \"ns\": %llu, "
		       "\"more\": %u, \"name\": ",
		       (unsigned long long)seq, r.tgid, (unsigned long long)r.start_ns,
		       (unsigned long long)r.ns, r.more);
		jstr(r.name, sizeof(r.name));
		printf(", \"addrs\": [");
		for (__u32 i = 0; i < r.naddr && i < LECO_NAME_ADDRS; i++) {
			const __u8 *p = r.addr[i];
			bool v4 = !memcmp(p, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);

			inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? p + 12 : p, a, sizeof(a));
			printf("%s\"%s\"", i ? ", " : "", a);
		}
		printf("]}}\n");
	}
	close(fd);
	close(hfd);
	return 0;
}

static int dump_stats(void)
{
	int fd = open_pin(LECO_PIN_STATS), ncpu = libbpf_num_possible_cpus();
	__u64 sum[sizeof(struct leco_stats) / 8] = {};
	struct leco_stats *st;
	__u32 k = 0;

	if (fd < 0 || ncpu <= 0)
		return -1;
	st = calloc(ncpu, sizeof(*st));
	if (!st || bpf_map_lookup_elem(fd, &k, st)) {
		fprintf(stderr, "leco-dump: failed to read the stats map: %s\n", strerror(errno));
		free(st);
		return -1;
	}
	close(fd);
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < sizeof(sum) / 8; i++)
			sum[i] += ((const __u64 *)&st[c])[i];
	free(st);
	printf("{\"stats\": {");
	for (size_t i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++)
		printf("%s\"%s\": %llu", i ? ", " : "", stat_names[i], (unsigned long long)sum[i]);
	printf("}}\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct leco_info li;
	int c, fd;

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
	if (dump_info(&li) || dump_stats())
		return 1;
	fd = open_pin(LECO_PIN_CONNS);
	if (fd < 0 || dump_hash(fd, "conns") < 0)
		return 1;
	close(fd);
	if (dump_tcp() || dump_ring(&li) || dump_names())
		return 1;
	return 0;
}
