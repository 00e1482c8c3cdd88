// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_poll --live: the same reader poll against the real probes (leco-load
 * from this build, into a private pin dir) with N live TCP sockets on
 * loopback (N/2 connections, both ends tracked), 10% of them moving data
 * between polls. Measures the whole poll — the usual one, which reads the
 * records that changed from the changes ring; the ones of the sweep that
 * checks all of "live" once a minute, a step per poll; and the one that reads
 * all of "live" at once (the first poll, the recovery ones: what the check
 * once a minute cost before the sweep) — and, alone, the run of the pinned live-TCP iterator
 * (the kernel's walk of the per-socket storage) and that plus the batch read
 * of all of "live", as process CPU time (user + system).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "poll.h"

#define LIVE_POLLS 20

static int run_cmd(const char *load, const char *dir, bool unload)
{
	pid_t pid = fork();
	int st = 0;

	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl(load, load, unload ? "--unload" : "-p", unload ? "-p" : dir,
		      unload ? dir : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

/* n/2 loopback connections: fds[2i] the client end, fds[2i+1] the accepted end */
static int make_pairs(int *fds, uint32_t n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4096) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		return -1;
	for (uint32_t i = 0; i + 1 < n; i += 2) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) ||
		    (fds[i + 1] = accept(l, NULL, NULL)) < 0 || send(fds[i], "hello", 5, 0) != 5)
			return -1;
	}
	close(l);
	return 0;
}

static void move_data(int *fds, uint32_t n, int round)
{
	char buf[256];

	for (uint32_t i = (uint32_t)(round % 10) * 2; i + 1 < n; i += 20) {
		if (send(fds[i], buf, sizeof(buf), 0) > 0)
			recv(fds[i + 1], buf, sizeof(buf), MSG_DONTWAIT);
	}
}

/* CPU of running the pinned iterator alone (it refreshes "live"), per run; and how many
 * live TCP sockets it walked: every one on the machine, other programs' too */
static double iter_cpu(const char *dir, int reps, size_t *records)
{
	char path[PATH_MAX], buf[4096];
	double t0 = bench_cpu_now(), t;
	struct leco_key k, next;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, LECO_PIN_TCP);
	for (int i = 0; i < reps; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	t = (bench_cpu_now() - t0) / reps;
	snprintf(path, sizeof(path), "%s/%s", dir, LECO_PIN_LIVE);
	*records = 0;
	fd = bpf_obj_get(path);
	for (int r = bpf_map_get_next_key(fd, NULL, &next); fd >= 0 && !r && *records < 1 << 24;
	     r = bpf_map_get_next_key(fd, &k, &next)) {
		k = next;
		++*records;
	}
	if (fd >= 0)
		close(fd);
	return t;
}

static int count_cb(void *ctx, const struct leco_key *k, const struct leco_conn *c, size_t n)
{
	*(size_t *)ctx += n;
	return 0;
}

/* CPU of the iterator run plus the batch read of "live", without the reader's table */
static double read_cpu(const char *dir, int reps)
{
	struct leco_maps m;
	char msg[512];
	double t0, t = -1;
	size_t got = 0;

	leco_maps_init(&m);
	if (leco_maps_open(&m, dir, msg, sizeof(msg)))
		return -1;
	t0 = bench_cpu_now();
	for (int i = 0; i < reps; i++)
		if (leco_maps_read_tcp(&m, true, count_cb, &got) < 0)
			goto out;
	t = (bench_cpu_now() - t0) / reps;
out:
	leco_maps_close(&m);
	return t;
}

/* How the polls measured read "live" */
enum live_mode {
	CHANGES, /* only what changed (no sweep under way) */
	SWEEP,	 /* the check once a minute: a sweep, a step per poll, SWEEPS of them */
	WHOLE,	 /* all of it every poll: the first poll and the recovery reads (and, before the
		  * sweep, the check once a minute) */
};

#define SWEEPS 3

/* CPU of polls with data moving between them: the mean per poll; the worst one; how many */
struct polls {
	double mean, worst;
	int n;
};

static int polls_cpu(struct leco_reader *r, int *fds, uint32_t n, enum live_mode mode,
		     struct polls *out)
{
	double total = 0;
	int lines = 0, sweeps = 0;

	*out = (struct polls){0};
	for (int p = 0; p < LIVE_POLLS * SWEEPS * 4 && lines >= 0; p++) {
		double t0, dt;

		if (mode == SWEEP && !r->sweeping && sweeps++ == SWEEPS)
			break;
		if (mode != SWEEP && p == LIVE_POLLS)
			break;
		move_data(fds, n, p);
		if (mode == WHOLE)
			r->live_all_mono = 0;
		if (mode == SWEEP && !r->sweeping) /* a minute since the last check */
			r->live_all_mono = r->live_all_mono > 61 * LECO_NS
						   ? r->live_all_mono - 61 * LECO_NS
						   : 1;
		t0 = bench_cpu_now();
		lines = leco_reader_poll(r);
		dt = bench_cpu_now() - t0;
		total += dt;
		out->worst = dt > out->worst ? dt : out->worst;
		out->n++;
	}
	if (lines < 0 || (mode == CHANGES && r->sweeping) || r->tab.live < n) {
		fprintf(stderr, "bench_poll: %s (%u live connections in the table)\n",
			lines < 0	  ? leco_reader_errmsg(r)
			: r->tab.live < n ? "live connections went missing"
					  : "a sweep began unasked",
			r->tab.live);
		return -1;
	}
	out->mean = total / out->n;
	return 0;
}

static void print_live(uint32_t n, const struct polls *d, const struct polls *sw,
		       const struct polls *w, double it, double rd, size_t recs)
{
	printf("%6u live TCP sockets: worst routine poll %.3f ms CPU (target <= %.1f ms); "
	       "%.3f ms per poll (worst %.3f) reading what changed; %.3f ms (worst %.3f) in the "
	       "%.1f "
	       "polls of a sweep, the check once a minute; %.3f ms (worst %.3f) in a poll that "
	       "reads "
	       "all of \"live\" (the first, the recovery ones; the check once a minute before the "
	       "sweep); of it the iterator run %.3f ms, with the read of all of \"live\" "
	       "%.3f ms (%zu live sockets walked, all programs')\n",
	       n, (d->worst > sw->worst ? d->worst : sw->worst) * 1e3, n <= 1000 ? 1.5 : 10.0,
	       d->mean * 1e3, d->worst * 1e3, sw->mean * 1e3, sw->worst * 1e3,
	       (double)sw->n / SWEEPS, w->mean * 1e3, w->worst * 1e3, it * 1e3, rd * 1e3, recs);
}

static int measure(const char *dir, int *fds, uint32_t n, const char *config)
{
	LECO_OPTS(leco_reader_opts, o, .pin_dir = dir, .config_path = config);
	struct leco_reader *r = NULL;
	struct leco_error err;
	struct polls d, sw, w;
	double it, rd;
	size_t recs = 0;
	int lines, ret;

	if (leco_reader_open(&o, &r, &err)) {
		fprintf(stderr, "bench_poll: %s\n", err.msg);
		return 1;
	}
	lines = leco_reader_poll(r);
	ret = lines < 0 || polls_cpu(r, fds, n, CHANGES, &d) || polls_cpu(r, fds, n, SWEEP, &sw) ||
	      polls_cpu(r, fds, n, WHOLE, &w);
	leco_reader_free(r);
	if (ret)
		return 1;
	it = iter_cpu(dir, LIVE_POLLS, &recs);
	rd = read_cpu(dir, LIVE_POLLS);
	print_live(n, &d, &sw, &w, it, rd, recs);
	return 0;
}

int bench_live(const char *mnt, uint32_t n, const char *config)
{
	char self[PATH_MAX], load[PATH_MAX + 16], dir[600];
	struct rlimit rl;
	ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int *fds = calloc(n, sizeof(*fds)), ret = 1;

	if (k <= 0 || !fds)
		return 1;
	self[k] = 0;
	snprintf(load, sizeof(load), "%s/leco-load", dirname(self));
	snprintf(dir, sizeof(dir), "%s/live-%u", mnt, n);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < n + 256)
		rl.rlim_cur = n + 256 < rl.rlim_max ? n + 256 : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < n + 64) {
		fprintf(stderr, "bench_poll: needs %u open files, the limit is %lu\n", n + 64,
			(unsigned long)rl.rlim_cur);
		free(fds);
		return 1;
	}
	memset(fds, -1, n * sizeof(*fds));
	if (run_cmd(load, dir, false)) {
		fprintf(stderr, "bench_poll: %s -p %s failed\n", load, dir);
		free(fds);
		return 1;
	}
	if (make_pairs(fds, n))
		perror("bench_poll: loopback connections");
	else
		ret = measure(dir, fds, n, config);
	for (uint32_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	run_cmd(load, dir, true);
	free(fds);
	return ret;
}
