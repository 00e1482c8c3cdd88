// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The map reader against maps this test creates and pins itself with the
 * bpf/leco.h layout, in a private bpffs mounted on a temp dir (root): layout
 * check and refusal, batch read over several chunks and the key-iteration
 * fallback, exec captures, stats, read-only fds, reattach after the pins are
 * replaced or removed, and an unprivileged reader (permission denied, then
 * read access through file permissions only).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static char mnt[256], pins[300], procdir[300];
static bool mounted;

struct mapset {
	int info, conns, execs, stats;
};

static int create_maps(struct mapset *m, uint32_t layout, uint32_t value_size, uint32_t max)
{
	struct leco_info info = {
		.magic = LECO_MAGIC,
		.layout_version = layout,
		.key_size = sizeof(struct leco_key),
		.conn_size = sizeof(struct leco_conn),
		.exec_size = sizeof(struct leco_exec),
		.stats_size = sizeof(struct leco_stats),
		.conns_max = max,
	};
	__u32 zero = 0;
	int ncpu = libbpf_num_possible_cpus();
	struct leco_stats *st = calloc((size_t)ncpu, sizeof(*st));

	snprintf(info.version, sizeof(info.version), "test-%u", layout);
	m->info = bpf_map_create(BPF_MAP_TYPE_ARRAY, "leco_info", 4, sizeof(info), 1, NULL);
	m->conns = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "leco_conns", sizeof(struct leco_key),
				  value_size, max, NULL);
	m->execs = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "leco_execs", 4, sizeof(struct leco_exec),
				  64, NULL);
	m->stats = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "leco_stats", 4,
				  sizeof(struct leco_stats), 1, NULL);
	if (m->info < 0 || m->conns < 0 || m->execs < 0 || m->stats < 0 || !st)
		return -1;
	for (int i = 0; i < ncpu; i++) {
		st[i].events = 10;
		st[i].blocked = 1;
	}
	bpf_map_update_elem(m->stats, &zero, st, 0);
	free(st);
	return bpf_map_update_elem(m->info, &zero, &info, 0);
}

static void fill(struct mapset *m, uint32_t n, uint64_t cookie0)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * LECO_NS + (uint64_t)ts.tv_nsec;

	for (uint32_t i = 0; i < n; i++) {
		struct leco_key k = {.cookie = cookie0 + i};
		struct leco_conn c = {0};

		c.cookie = k.cookie;
		c.first_ns = now - 5 * LECO_NS;
		c.last_ns = now - (uint64_t)(n - i) * 1000;
		c.rx_bytes = i;
		c.tx_bytes = 2 * i;
		c.family = 4;
		c.proto = 6;
		c.state = LECO_ST_ESTABLISHED;
		c.uid = 0;
		c.tgid = 4242;
		c.rport = (uint16_t)(1000 + i);
		c.lport = 40000;
		inet_pton(AF_INET, "127.0.0.1", c.raddr);
		inet_pton(AF_INET, "127.0.0.1", c.laddr);
		memcpy(c.comm, "python3", 8);
		bpf_map_update_elem(m->conns, &k, &c, 0);
	}
	struct leco_exec ex = {.exec_ns = 1, .tgid = 4242, .args_len = 22};
	uint32_t tgid = 4242;

	memcpy(ex.comm, "python3", 8);
	memcpy(ex.args, "python3\0/x/y/tool.py\0", 22);
	bpf_map_update_elem(m->execs, &tgid, &ex, 0);
}

static int pin_all(const struct mapset *m, const char *dir)
{
	char p[600];
	const int fds[] = {m->info, m->conns, m->execs, m->stats};
	const char *names[] = {LECO_PIN_INFO, LECO_PIN_CONNS, LECO_PIN_EXECS, LECO_PIN_STATS};

	mkdir(dir, 0755);
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
		if (bpf_obj_pin(fds[i], p))
			return -errno;
	}
	return 0;
}

static void unpin_all(const char *dir)
{
	const char *names[] = {LECO_PIN_INFO, LECO_PIN_CONNS, LECO_PIN_EXECS, LECO_PIN_STATS};
	char p[600];

	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
}

static void close_all(struct mapset *m)
{
	close(m->info);
	close(m->conns);
	close(m->execs);
	close(m->stats);
}

static struct leco_reader *open_reader(const char *dir)
{
	struct leco_reader *r = NULL;
	struct leco_error err;

	LECO_OPTS(leco_reader_opts, o, .pin_dir = dir, .raw = true, .max_lines = 2000,
		  .proc_root = procdir, .cgroup_root = procdir);
	CHECKF(leco_reader_open(&o, &r, &err) == 0, "%s", err.msg);
	return r;
}

static void test_read(void)
{
	struct mapset m;
	struct leco_reader *r;

	CHECK(create_maps(&m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 1024) == 0);
	fill(&m, 600, 1000);
	CHECK_INTEQ(pin_all(&m, pins), 0);
	r = open_reader(pins);
	if (!r)
		return;
	/* 600 records: three batch chunks */
	CHECK_INTEQ(leco_reader_poll(r), 600);
	const struct leco_line *l = leco_reader_line(r, 0);

	CHECK_INTEQ(l->cookie, 1599); /* newest last_ns */
	CHECK_INTEQ(l->rx, 599);
	CHECK_INTEQ(l->tx, 1198);
	CHECK_INTEQ(l->rport, 1599);
	CHECK_STREQ(l->raddr, "127.0.0.1");
	CHECK_STREQ(l->cmd, "tool.py"); /* from the exec capture: pid 4242 is not in our /proc */
	CHECK_STREQ(l->comm, "python3");
	CHECK_INTEQ(l->state, LECO_STATE_ESTABLISHED);

	struct leco_status st = {.sz = sizeof(st)};

	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.state, LECO_READER_OK);
	CHECK_INTEQ(st.layout_version, LECO_LAYOUT_VERSION);
	CHECK_STREQ(st.version, "test-1");
	CHECK_INTEQ(st.conns, 600);
	CHECK_INTEQ(st.conns_max, 1024);
	CHECK_INTEQ(st.stat_events, 10 * libbpf_num_possible_cpus());
	CHECK_INTEQ(st.stat_blocked, libbpf_num_possible_cpus());

	/* read-only fds: the reader cannot write even as root */
	struct leco_key k = {.cookie = 1};
	struct leco_conn c = {0};

	CHECK(bpf_map_update_elem(r->maps.conns_fd, &k, &c, 0) < 0);
	CHECK(errno == EPERM || errno == EACCES);

	/* changes between polls */
	CHECK_INTEQ(leco_reader_poll(r), 600);
	CHECK(!leco_reader_line(r, 0)->changed);
	k.cookie = 1000;
	CHECK(bpf_map_lookup_elem(m.conns, &k, &c) == 0);
	c.rx_bytes = 123456;
	c.last_ns += 10 * LECO_NS;
	bpf_map_update_elem(m.conns, &k, &c, 0);
	CHECK_INTEQ(leco_reader_poll(r), 600);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 1000);
	CHECK(leco_reader_line(r, 0)->changed);
	CHECK_INTEQ(leco_reader_line(r, 0)->rx, 123456);

	/* key iteration fallback reads the same */
	r->maps.batch_unsupported = true;
	CHECK_INTEQ(leco_reader_poll(r), 600);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 1000);
	CHECK_INTEQ(leco_reader_line(r, 599)->cookie, 1001);

	/* replaced pins (leco-load restart): the reader reattaches by itself */
	struct mapset m2;

	CHECK(create_maps(&m2, LECO_LAYOUT_VERSION, sizeof(struct leco_conn), 1024) == 0);
	fill(&m2, 5, 9000);
	CHECK_INTEQ(pin_all(&m2, pins), 0);
	CHECK_INTEQ(leco_reader_poll(r), 5);
	CHECK_INTEQ(leco_reader_line(r, 0)->cookie, 9004);
	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.reattaches, 1);

	/* removed: a state, the old lines stay; back: reattached */
	unpin_all(pins);
	CHECK_INTEQ(leco_reader_poll(r), -ENOENT);
	CHECK_INTEQ(leco_reader_count(r), 5);
	CHECK_INTEQ(r->state, LECO_READER_NO_PROBES);
	CHECK(strstr(leco_reader_errmsg(r), "probes not loaded") != NULL);
	CHECK_INTEQ(pin_all(&m, pins), 0);
	CHECK_INTEQ(leco_reader_poll(r), 600);
	CHECK_INTEQ(leco_reader_status(r, &st), 0);
	CHECK_INTEQ(st.reattaches, 2);
	CHECK_STREQ(leco_reader_errmsg(r), "");
	leco_reader_free(r);
	close_all(&m2);
	close_all(&m);
}

static void test_layout_mismatch(void)
{
	char dir[600];
	struct mapset m;
	struct leco_reader *r;

	snprintf(dir, sizeof(dir), "%s/v2", mnt);
	CHECK(create_maps(&m, LECO_LAYOUT_VERSION + 1, sizeof(struct leco_conn), 64) == 0);
	fill(&m, 3, 1);
	CHECK_INTEQ(pin_all(&m, dir), 0);
	r = open_reader(dir);
	CHECK_INTEQ(leco_reader_poll(r), -EPROTO);
	CHECK_INTEQ(r->state, LECO_READER_BAD_LAYOUT);
	CHECKF(strstr(leco_reader_errmsg(r), "another layout (version 2, this libleco reads 1)"),
	       "%s", leco_reader_errmsg(r));
	CHECK_INTEQ(leco_reader_count(r), 0);
	leco_reader_free(r);
	close_all(&m);

	/* right version, wrong record size in the map itself */
	snprintf(dir, sizeof(dir), "%s/size", mnt);
	CHECK(create_maps(&m, LECO_LAYOUT_VERSION, sizeof(struct leco_conn) - 8, 64) == 0);
	CHECK_INTEQ(pin_all(&m, dir), 0);
	r = open_reader(dir);
	CHECK_INTEQ(leco_reader_poll(r), -EPROTO);
	CHECKF(strstr(leco_reader_errmsg(r), "conns value size 112") != NULL, "%s",
	       leco_reader_errmsg(r));
	leco_reader_free(r);
	close_all(&m);
}

/* As nobody: permission denied with a hint; then read access by file mode alone. */
static void test_unprivileged(void)
{
	char p[600];
	const char *names[] = {LECO_PIN_INFO, LECO_PIN_CONNS, LECO_PIN_EXECS, LECO_PIN_STATS};

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 4; i++) {
			snprintf(p, sizeof(p), "%s/%s", pins, names[i]);
			chmod(p, pass ? 0444 : 0600);
		}
		fflush(NULL);
		pid_t pid = fork();

		if (!pid) {
			if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
				_exit(10);
			struct leco_reader *r = NULL;

			LECO_OPTS(leco_reader_opts, o, .pin_dir = pins, .raw = true,
				  .max_lines = 2000, .proc_root = procdir, .cgroup_root = procdir);
			if (leco_reader_open(&o, &r, NULL))
				_exit(11);
			int n = leco_reader_poll(r);

			if (pass == 0)
				_exit(n == -EACCES && r->state == LECO_READER_NO_ACCESS &&
						      strstr(leco_reader_errmsg(r),
							     "permission denied on") &&
						      strstr(leco_reader_errmsg(r),
							     "add yourself to group leco")
					      ? 0
					      : 12);
			_exit(n == 600 ? 0 : 13);
		}
		int status = 0;

		waitpid(pid, &status, 0);
		CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pass %d: child status %d",
		       pass, WEXITSTATUS(status));
	}
}

int main(void)
{
	if (geteuid() != 0)
		th_skip("needs root (creates and pins BPF maps in a private bpffs)");
	snprintf(mnt, sizeof(mnt), "/tmp/leco-test-%d-bpffs-XXXXXX", (int)getpid());
	if (!mkdtemp(mnt))
		return 1;
	chmod(mnt, 0755);
	if (mount("bpf", mnt, "bpf", 0, "mode=0755")) {
		rmdir(mnt);
		th_skip("cannot mount a bpffs");
	}
	mounted = true;
	snprintf(pins, sizeof(pins), "%s/leco", mnt);
	snprintf(procdir, sizeof(procdir), "/tmp/leco-test-%d-empty", (int)getpid());
	mkdir(procdir, 0755);
	RUN(test_read);
	RUN(test_layout_mismatch);
	RUN(test_unprivileged);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	rmdir(procdir);
	return th_done();
}
