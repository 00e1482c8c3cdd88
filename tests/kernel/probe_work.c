// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-probe workload: known traffic in a private network namespace and
 * cgroup, then what the probes saw, compared with what was sent. TCP v4 and
 * v6 (1000 bytes out, 2000 back; the iterators are read while the connections
 * are open, also as a non-root group member through a pinned iterator), UDP v4
 * and v6 (connected and unconnected), an exec, datagrams dropped by nft on
 * output and on input, and batch lookups.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib/internal.h"
#include "probe_work.h"

#define TCP_OUT	    1000
#define TCP_BACK    2000
#define READER_UID  65534
#define READER_GID  4242 /* a group nobody else uses: pins 0640 root:4242 */
#define ITER_BUF_SZ (1 << 20)

struct tcp_conn {
	int lis, cli, acc;
};

__u64 work_hits(const struct work *w, enum probe_id id)
{
	__u32 k = id;
	__u64 v = 0;

	if (w->hits_fd >= 0)
		bpf_map_lookup_elem(w->hits_fd, &k, &v);
	return v;
}

static __u64 val(const struct work *w, enum probe_val id)
{
	__u32 k = id;
	__u64 v = 0;

	bpf_map_lookup_elem(w->vals_fd, &k, &v);
	return v;
}

static void set_cfg(const struct work *w, enum probe_cfg id, __u32 v)
{
	__u32 k = id;

	bpf_map_update_elem(w->cfg_fd, &k, &v, BPF_ANY);
}

static int failures; /* checks failed and values that differ from what was sent */

static void check(bool ok, const char *what, const char *detail)
{
	failures += !ok;
	printf("check %s: %s%s%s\n", what, ok ? "ok" : "FAIL", detail[0] ? ": " : "", detail);
}

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

int work_setup(struct work *w)
{
	w->cgroup_fd = w->netns_fd = -1;
	w->hits_fd = w->vals_fd = w->cfg_fd = w->sks_fd = -1;
	if (unshare(CLONE_NEWNET) || lo_up()) {
		perror("leco-probe: private network namespace");
		return -1;
	}
	w->netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (leco_cgroup2_mount("/proc/self/mounts", w->cgroup_root, sizeof(w->cgroup_root))) {
		fprintf(stderr, "leco-probe: no cgroup2 mount in /proc/self/mounts\n");
		return -1;
	}
	snprintf(w->cgroup_dir, sizeof(w->cgroup_dir), "%s/leco-probe-%d", w->cgroup_root,
		 (int)getpid());
	snprintf(w->pin_dir, sizeof(w->pin_dir), "/sys/fs/bpf/leco-probe-%d", (int)getpid());
	if (mkdir(w->cgroup_dir, 0755)) {
		fprintf(stderr, "leco-probe: mkdir %s: %s\n", w->cgroup_dir, strerror(errno));
		w->cgroup_dir[0] = 0;
		return -1;
	}
	char procs[2400];

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", w->cgroup_dir);
	w->cgroup_fd = open(w->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->cgroup_fd < 0 || write_file(procs, "0")) {
		fprintf(stderr, "leco-probe: joining %s: %s\n", w->cgroup_dir, strerror(errno));
		return -1;
	}
	return 0;
}

void work_cleanup(struct work *w)
{
	char procs[2100];

	if (w->pin_dir[0]) {
		snprintf(procs, sizeof(procs), "%s/sk_iter", w->pin_dir);
		unlink(procs);
		rmdir(w->pin_dir);
	}
	if (w->cgroup_dir[0]) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", w->cgroup_root);
		write_file(procs, "0");
		rmdir(w->cgroup_dir);
	}
	if (w->cgroup_fd >= 0)
		close(w->cgroup_fd);
	if (w->netns_fd >= 0)
		close(w->netns_fd);
}

static void sa_loop(int fam, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
	}
}

/* a socket bound to loopback:port (0 = any) with IPV6_V6ONLY; its port, or -1 */
static int bound(int fam, int type, int port, int *fd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	*fd = socket(fam, type | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -1;
	if (fam == AF_INET6)
		setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	sa_loop(fam, port, &ss, &len);
	if (bind(*fd, (struct sockaddr *)&ss, len) ||
	    getsockname(*fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(fam == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				    : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static bool xfer(int from, int to, size_t n)
{
	char buf[4096];
	size_t got = 0;

	memset(buf, 'x', sizeof(buf));
	if (n > sizeof(buf) || write(from, buf, n) != (ssize_t)n)
		return false;
	for (int i = 0; i < 1000 && got < n; i++) {
		ssize_t k = read(to, buf, n - got);

		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	return got == n;
}

/* listener on port, a client connected, accepted with the peer's address asked */
static bool tcp_open(int fam, int port, struct tcp_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len;

	c->cli = c->acc = -1;
	if (bound(fam, SOCK_STREAM, port, &c->lis) != port || listen(c->lis, 4))
		return false;
	c->cli = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa_loop(fam, port, &ss, &len);
	if (c->cli < 0 || connect(c->cli, (struct sockaddr *)&ss, len))
		return false;
	len = sizeof(ss);
	c->acc = accept4(c->lis, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	len = sizeof(ss);
	if (c->acc < 0 || getpeername(c->cli, (struct sockaddr *)&ss, &len))
		return false;
	return xfer(c->cli, c->acc, TCP_OUT) && xfer(c->acc, c->cli, TCP_BACK);
}

static void tcp_close(struct tcp_conn *c)
{
	close(c->cli);
	close(c->acc);
	close(c->lis);
}

/* read an iterator to the end into buf; bytes read or -errno */
static ssize_t iter_read(int fd, char *buf, size_t sz)
{
	size_t got = 0;

	for (int i = 0; i < 100000 && got < sz; i++) {
		ssize_t k = read(fd, buf + got, sz - got);

		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static ssize_t iter_read_link(struct bpf_link *link, char *buf, size_t sz)
{
	int fd = bpf_iter_create(bpf_link__fd(link));
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = iter_read(fd, buf, sz);
	close(fd);
	return n;
}

/* open+read path as uid 65534 (in the group or not), in a new netns; bytes read or -errno */
static ssize_t read_as(const char *path, bool member, bool *nocaps)
{
	int p[2], st;
	long out[2] = {-EIO, 0};
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid == 0) {
		gid_t g = member ? READER_GID : READER_GID + 1;
		static char buf[ITER_BUF_SZ];
		char line[256];
		FILE *f;
		int fd;

		/* another netns: the map iterator is not limited to the reader's */
		if (unshare(CLONE_NEWNET) || setgroups(1, &g) || setresgid(g, g, g) ||
		    setresuid(READER_UID, READER_UID, READER_UID))
			_exit(1);
		f = fopen("/proc/self/status", "re");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "CapEff:", 7))
				out[1] = strtoull(line + 7, NULL, 16) == 0;
		if (f)
			fclose(f);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		out[0] = fd < 0 ? -errno : iter_read(fd, buf, sizeof(buf));
		if (write(p[1], out, sizeof(out)) != sizeof(out))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], out, sizeof(out)) != sizeof(out))
		out[0] = -EIO;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	*nocaps = out[1];
	return out[0];
}

/* the sk storage iterator as root, then pinned 0640 root:READER_GID and read by others */
static __u64 sock_cookie(int fd)
{
	__u64 ck = 0;
	socklen_t len = sizeof(ck);

	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &ck, &len);
	return ck;
}

static bool accepted_cookie(__u64 ck, const __u64 *accepted)
{
	return ck && (ck == accepted[0] || ck == accepted[1]);
}

/*
 * Are the cookies taken at SYN_SENT/SYN_RECV those of the sockets for their whole life?
 * (Not on 6.1/6.12: the passive child gets the request socket's cookie after the
 * LISTEN->SYN_RECV event.) And the cookie at the passive SYN_RECV->ESTABLISHED event?
 */
static void check_cookies(const char *buf, ssize_t n, const __u64 *accepted)
{
	int same = 0, acc = 0, est = 0, recs = 0;
	char d[300];

	for (ssize_t o = 0; n > 0 && o + (ssize_t)sizeof(struct probe_iter_rec) <= n;
	     o += sizeof(struct probe_iter_rec), recs++) {
		struct probe_iter_rec r;

		memcpy(&r, buf + o, sizeof(r));
		same += r.cookie == r.cookie_now;
		acc += r.made_by == V_SS_SYN_RECV && accepted_cookie(r.cookie, accepted);
		est += r.made_by == V_SS_SYN_RECV && accepted_cookie(r.cookie_est, accepted);
	}
	snprintf(d, sizeof(d),
		 "%d of %d records: cookie at creation == cookie now; of the 2 made at SYN_RECV, "
		 "%d carry the accepted socket's SO_COOKIE",
		 same, recs, acc);
	printf("fact socket cookie stable from SYN_SENT/SYN_RECV on: %s: %s\n",
	       same == recs && acc == 2 ? "yes" : "NO", d);
	snprintf(d, sizeof(d), "%d of 2 accepted sockets (want 2)", est);
	check(est == 2, "passive SYN_RECV->ESTABLISHED event has the final cookie", d);
}

static void check_sk_iter(struct work *w, const __u64 *accepted)
{
	static char buf[ITER_BUF_SZ];
	char path[200], d[400];
	ssize_t n = iter_read_link(w->sk_iter, buf, sizeof(buf));
	int syn_sent = 0, syn_recv = 0, client_ok = 0;
	bool nocaps = false;

	for (ssize_t o = 0; n > 0 && o + (ssize_t)sizeof(struct probe_iter_rec) <= n;
	     o += sizeof(struct probe_iter_rec)) {
		struct probe_iter_rec r;

		memcpy(&r, buf + o, sizeof(r));
		syn_sent += r.made_by == V_SS_SYN_SENT;
		syn_recv += r.made_by == V_SS_SYN_RECV;
		client_ok += r.made_by == V_SS_SYN_SENT && r.bytes_acked == TCP_OUT + 1 &&
			     r.bytes_received == TCP_BACK;
	}
	snprintf(d, sizeof(d),
		 "%zd bytes; made at SYN_SENT %d, at SYN_RECV %d (want 2, 2); "
		 "clients with bytes_acked %d bytes_received %d: %d (want 2)",
		 n, syn_sent, syn_recv, TCP_OUT + 1, TCP_BACK, client_ok);
	check(syn_sent == 2 && syn_recv == 2 && client_ok == 2,
	      "iter/bpf_sk_storage_map read as root", d);
	check_cookies(buf, n, accepted);
	snprintf(path, sizeof(path), "%s/sk_iter", w->pin_dir);
	if (mkdir(w->pin_dir, 0755) || bpf_link__pin(w->sk_iter, path) ||
	    chown(path, 0, READER_GID) || chmod(path, 0640)) {
		snprintf(d, sizeof(d), "%s: %s", path, strerror(errno));
		check(false, "iterator pinned 0640 root:group", d);
		return;
	}
	n = read_as(path, true, &nocaps);
	snprintf(d, sizeof(d),
		 "uid %d gid %d, CapEff %s, own netns: read %zd bytes (root read %d records)",
		 READER_UID, READER_GID, nocaps ? "0" : "not 0", n, syn_sent + syn_recv);
	check(nocaps && n == (ssize_t)((syn_sent + syn_recv) * sizeof(struct probe_iter_rec)),
	      "pinned sk storage iterator read by a non-root group member", d);
	n = read_as(path, false, &nocaps);
	snprintf(d, sizeof(d), "uid %d outside the group: %s", READER_UID,
		 n < 0 ? strerror((int)-n) : "read");
	check(n == -EACCES, "pinned iterator refused to a user outside the group", d);
}

static void check_other_iters(struct work *w, const struct tcp_conn *c4, int port)
{
	static char buf[ITER_BUF_SZ];
	__u64 want = sock_cookie(c4->cli);
	int found = 0, socks = 0, on_port = 0;
	char d[200];
	ssize_t n;

	if (w->task_iter) {
		n = iter_read_link(w->task_iter, buf, sizeof(buf));
		for (ssize_t o = 0; n > 0 && o + 8 <= n; o += 8, socks++)
			found += !memcmp(buf + o, &want, 8);
		snprintf(d, sizeof(d), "%d sockets of this process (want 6), client cookie %s",
			 socks, found ? "found" : "missing");
		check(socks == 6 && found == 1, "iter/task_file with bpf_sock_from_file", d);
	}
	if (w->tcp_iter) {
		n = iter_read_link(w->tcp_iter, buf, sizeof(buf));
		for (ssize_t o = 0; n > 0 && o + 4 <= n; o += 4) {
			__u32 p;

			memcpy(&p, buf + o, 4);
			on_port += p == (__u32)port;
		}
		snprintf(d, sizeof(d),
			 "%zd records, %d on port %d (want 4: 2 listeners, 2 accepted)", n / 4,
			 on_port, port);
		check(on_port == 4, "iter/tcp", d);
	}
}

/* TCP v4 and v6 on one port; the iterators read while the connections are open */
static void tcp_phase(struct work *w)
{
	struct tcp_conn c4 = {-1, -1, -1}, c6 = {-1, -1, -1};
	int fd, port = bound(AF_INET, SOCK_STREAM, 0, &fd);
	bool ok;

	close(fd); /* a free port for both families */
	set_cfg(w, C_TCP_PORT, port);
	ok = tcp_open(AF_INET, port, &c4) && tcp_open(AF_INET6, port, &c6);
	check(ok, "tcp v4+v6 exchange", ok ? "" : strerror(errno));
	if (ok && w->sk_iter) {
		__u64 accepted[2] = {sock_cookie(c4.acc), sock_cookie(c6.acc)};

		check_sk_iter(w, accepted);
	}
	if (ok)
		check_other_iters(w, &c4, port);
	tcp_close(&c4);
	tcp_close(&c6);
}

static bool udp_send(int fd, int fam, int port, size_t n, bool addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[512];

	memset(buf, 'u', sizeof(buf));
	sa_loop(fam, port, &ss, &len);
	if (addr)
		return sendto(fd, buf, n, 0, (struct sockaddr *)&ss, len) == (ssize_t)n;
	return send(fd, buf, n, 0) == (ssize_t)n;
}

static bool udp_recv(int fd, size_t n, bool addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[512];

	if (addr)
		return recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &len) ==
		       (ssize_t)n;
	return recv(fd, buf, sizeof(buf), 0) == (ssize_t)n;
}

/* v4: 100 unconnected + 200 connected; v6: 300 unconnected; receivers on one port */
static void udp_phase(struct work *w)
{
	int r4 = -1, r6 = -1, s4 = -1, c4 = -1, s6 = -1;
	int port = bound(AF_INET, SOCK_DGRAM, 0, &r4);
	struct sockaddr_storage ss;
	socklen_t len;
	bool ok;

	set_cfg(w, C_UDP_PORT, port);
	ok = port > 0 && bound(AF_INET6, SOCK_DGRAM, port, &r6) == port;
	s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	c4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sa_loop(AF_INET, port, &ss, &len);
	ok = ok && !connect(c4, (struct sockaddr *)&ss, len);
	ok = ok && udp_send(s4, AF_INET, port, 100, true) &&
	     udp_send(c4, AF_INET, port, 200, false);
	ok = ok && udp_send(s6, AF_INET6, port, 300, true);
	ok = ok && udp_recv(r4, 100, true) && udp_recv(r4, 200, false) && udp_recv(r6, 300, true);
	check(ok, "udp v4+v6 exchange", ok ? "" : strerror(errno));
	close(r4);
	close(r6);
	close(s4);
	close(c4);
	close(s6);
}

static bool wait_child(pid_t pid, int *code)
{
	int st = 0;

	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return false;
	*code = WEXITSTATUS(st);
	return true;
}

static void exec_phase(void)
{
	pid_t pid = fork();
	int code = -1;

	if (pid == 0) {
		execl("/proc/self/exe", "leco-probe", "--noop", (char *)NULL);
		_exit(127);
	}
	check(wait_child(pid, &code) && code == 0, "exec of a child", "");
}

/* UDP to port 9 dropped by nft on output (EPERM), to port 10 on input (sent, never arrives) */
static const char nft_rules[] =
	"table inet leco_probe {\n"
	"  chain out { type filter hook output priority 0; udp dport 9 drop; }\n"
	"  chain in { type filter hook input priority 0; udp dport 10 drop; }\n"
	"}\n";

static void nft_phase(void)
{
	pid_t pid = fork();
	int code = -1;

	if (pid == 0) {
		FILE *nft = popen("nft -f -", "w");
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		bool out_eperm, in_sent;

		if (!nft || fputs(nft_rules, nft) < 0 || pclose(nft) != 0)
			_exit(2);
		out_eperm = !udp_send(fd, AF_INET, 9, 5, true) && errno == EPERM;
		in_sent = udp_send(fd, AF_INET, 10, 5, true);
		nft = popen("nft delete table inet leco_probe", "w");
		if (nft)
			pclose(nft);
		_exit(out_eperm && in_sent ? 0 : 3);
	}
	if (!wait_child(pid, &code))
		code = -1;
	check(code == 0, "nft drops on output (EPERM) and input",
	      code == 2 ? "nft failed (installed? nf_tables loaded?)"
	      : code	? "unexpected"
			: "");
}

/* bpf_map_lookup_batch over a map of 100 entries; entries read or -errno */
static int batch_count(enum bpf_map_type type, __u32 max)
{
	static __u32 keys[1024];
	static __u64 vals[1024];
	__u32 in = 0, out = 0, got = 0;
	int fd = bpf_map_create(type, NULL, sizeof(__u32), sizeof(__u64), max, NULL);
	int err = 0;

	if (fd < 0)
		return -errno;
	for (__u32 k = 0; k < 100; k++) {
		__u64 v = k * 3ull;

		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	}
	for (int i = 0; i < 100 && got < max; i++) {
		__u32 count = 32 < max - got ? 32 : max - got;

		err = bpf_map_lookup_batch(fd, i ? &in : NULL, &out, keys + got, vals + got, &count,
					   NULL);
		got += count;
		in = out;
		if (err)
			break;
	}
	close(fd);
	if (err && errno != ENOENT)
		return -errno;
	for (__u32 i = 0; i < got; i++)
		if (vals[i] != keys[i] * 3ull)
			return -EBADMSG;
	return (int)got;
}

static void batch_phase(void)
{
	int a = batch_count(BPF_MAP_TYPE_ARRAY, 100), l = batch_count(BPF_MAP_TYPE_LRU_HASH, 1024);
	char d[120];

	snprintf(d, sizeof(d), "ARRAY %d of 100, LRU_HASH %d of 100", a, l);
	check(a == 100 && l == 100, "bpf_map_lookup_batch", d);
}

struct want {
	enum probe_val id;
	const char *what;
	long long want; /* -1: no fixed value, printed only */
	bool at_least;
};

static const struct want wants[] = {
	{V_SS_SYN_SENT, "sk storage made by tp_btf at CLOSE->SYN_SENT (process)", 2, false},
	{V_SS_SYN_RECV, "sk storage made by tp_btf at LISTEN->SYN_RECV (softirq)", 2, false},
	{V_SS_PEER_FOUND, "cgroup/getpeername4/6 found that storage via ctx->sk", 4, false},
	{V_SS_RELEASE_FOUND, "cgroup/sock_release found storage (4 tcp + udp made by fentry)", -1,
	 false},
	{V_SS_RELEASE_NEW, "cgroup/sock_release created storage on udp sockets without", -1, false},
	{V_SS_FENTRY_NEW, "sk storage made by fentry udp_sendmsg (2 udp v4 sockets)", 2, false},
	{V_TCP_ACKED, "tcp_sock bytes_acked at ->CLOSE, clients (1000 + SYN + FIN)", 1002, false},
	{V_TCP_RECEIVED, "tcp_sock bytes_received at ->CLOSE, clients (2000 + FIN)", 2001, false},
	{V_NF_DROP_VALUE, "SKB_DROP_REASON_NETFILTER_DROP on this kernel", -1, false},
	{V_NF_DROP_SK, "kfree_skb NETFILTER_DROP with skb->sk (output drop)", 1, true},
	{V_NF_DROP_NOSK, "kfree_skb NETFILTER_DROP with skb->sk NULL (input drop)", 1, true},
	{V_UDP4_SENT, "fexit udp_sendmsg bytes", 300, false},
	{V_UDP4_RECV, "fexit udp_recvmsg bytes", 300, false},
	{V_UDP6_SENT, "fexit udpv6_sendmsg bytes", 300, false},
	{V_UDP6_RECV, "fexit udpv6_recvmsg bytes", 300, false},
	{V_UDP_CONSUMED, "fentry skb_consume_udp len (v4 + v6)", 600, false},
	{V_KRET_UDP4_SENT, "kretprobe udp_sendmsg bytes", 300, false},
	{V_KRET_UDP4_RECV, "kretprobe udp_recvmsg bytes", 300, false},
	{V_KRET_UDP6_SENT, "kretprobe udpv6_sendmsg bytes", 300, false},
	{V_KRET_UDP6_RECV, "kretprobe udpv6_recvmsg bytes", 300, false},
	{V_SK_LOOKUP_UDP, "sk_lookup runs for udp datagrams to the receivers' port", -1, false},
	{V_TASK_FILE_SOCKS, "iter/task_file sockets of this process", 6, false},
	{V_FETCH_ADD_CTR, "counter bumped by __sync_fetch_and_add at the exec", 1, false},
	{V_FETCH_ADD_SEEN, "fetch-add returned the old value (+1)", 1, false},
};

static void print_values(const struct work *w)
{
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const struct want *x = &wants[i];
		__u64 v = val(w, x->id);
		bool ok = x->at_least ? v >= (__u64)x->want : v == (__u64)x->want;

		failures += x->want >= 0 && !ok;
		if (x->want < 0)
			printf("value %s: %llu\n", x->what, (unsigned long long)v);
		else
			printf("value %s: %llu (want %s%lld)%s\n", x->what, (unsigned long long)v,
			       x->at_least ? ">= " : "", x->want, ok ? "" : " DIFFERS");
	}
}

int work_run(struct work *w)
{
	struct timespec t = {0, 20 * 1000 * 1000};

	set_cfg(w, C_TGID, getpid());
	tcp_phase(w);
	udp_phase(w);
	exec_phase();
	nft_phase();
	batch_phase();
	/* the v4 client reaches ->CLOSE when the server's FIN arrives: poll, bounded */
	for (int i = 0; i < 100 && !val(w, V_TCP_ACKED) && work_hits(w, P_TP_STATE); i++)
		nanosleep(&t, NULL);
	print_values(w);
	return failures;
}
