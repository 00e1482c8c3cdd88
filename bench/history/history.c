// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_history [--days N] [--leco PATH] [--keep]: the history targets of issue 14, next to the
 * sizes the anchors reach.
 *   1. the recorder's CPU at 1,000 live connections and 10 s intervals (an hour of intervals,
 *      fsync on, rollups included): all of them sending every interval, and one in ten
 *   2. a synthetic year of a busy desktop (300 apps, 20,000 endpoints, 1,000,000 connections)
 *      fed through the recorder with an accelerated clock: the database's size on disk
 *   3. `leco report --since 365d --by app` on that year: wall time (the CLI, and the call)
 * The recorder is the library's (lib/recorder.c) fed records (no probes needed); its clock
 * is injected. Prints figures; never fails on them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "internal.h"

#define NS	   1000000000ULL
#define MAX_LIVE   1024
#define APPS	   300
#define ENDPOINTS  20000
#define YEAR_CONNS 1000000

static uint64_t mono = 1000 * NS;
static int64_t base;
static char dir[64];

static uint64_t t_mono(void *ctx)
{
	return mono;
}

static int64_t t_real(void *ctx)
{
	return base * (int64_t)NS + (int64_t)(mono - 1000 * NS);
}

static const struct leco_clock clk = {NULL, t_mono, t_real};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: the same synthetic year every run */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Skewed pick in [0, n): a few are common, most are rare. */
static uint32_t skewed(uint32_t n)
{
	double u = (double)(rnd() >> 11) / (double)(1ULL << 53);

	return (uint32_t)((double)n * u * u * u) % n;
}

static struct leco_recorder *open_rec(const char *name, bool sync)
{
	LECO_OPTS(leco_recorder_opts, o, .clock = &clk, .no_sync = !sync,
		  .pin_dir = "/nonexistent/leco-bench", .proc_root = "/nonexistent/leco-bench",
		  .passwd_path = "/dev/null");
	struct leco_recorder *rec = NULL;
	struct leco_error err = {0};
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (leco_recorder_open(path, &o, &rec, &err)) {
		fprintf(stderr, "bench_history: %s\n", err.msg);
		exit(1);
	}
	return rec;
}

static void make_conn(struct leco_key *k, struct leco_conn *c, uint64_t cookie, uint32_t app,
		      uint32_t ep, bool udp)
{
	memset(k, 0, sizeof(*k));
	memset(c, 0, sizeof(*c));
	k->cookie = c->cookie = cookie;
	c->first_ns = c->last_ns = mono - NS / 2;
	c->tgid = 100000 + app;
	c->uid = app % 7;
	c->family = 4;
	c->proto = udp ? 17 : 6;
	c->state = udp ? LECO_ST_ACTIVE : LECO_ST_ESTABLISHED;
	c->dir = rnd() % 20 ? LECO_DIR_OUT : LECO_DIR_IN;
	c->laddr[0] = 10, c->laddr[3] = 2;
	c->raddr[0] = 100, c->raddr[1] = (uint8_t)(ep >> 16);
	c->raddr[2] = (uint8_t)(ep >> 8), c->raddr[3] = (uint8_t)ep;
	c->rport = udp ? 53 : (uint16_t)(ep % 5 ? 443 : 80 + ep % 3);
	c->lport = (uint16_t)(30000 + cookie % 30000);
	snprintf(c->comm, sizeof(c->comm), "app%03u", app);
	if (udp) {
		memcpy(k->raddr, c->raddr, 16);
		k->rport = c->rport;
	}
}

static int tick(struct leco_recorder *rec, struct leco_key *k, struct leco_conn *c, size_t n)
{
	int ret = leco_recorder_tick_records(rec, k, c, n);

	if (ret)
		fprintf(stderr, "bench_history: tick: %s\n", leco_recorder_errmsg(rec));
	return ret;
}

/* ---- 1. CPU at 1,000 live connections ------------------------------------------------- */

static void cpu_case(const char *name, const char *file, unsigned active_every)
{
	static struct leco_key k[1000];
	static struct leco_conn c[1000];
	const int ticks = 360; /* an hour of 10 s intervals */
	double total = 0, worst = 0;
	struct leco_recorder *rec = open_rec(file, true);

	for (uint32_t i = 0; i < 1000; i++)
		make_conn(&k[i], &c[i], 1 + i, i % 60, i, i % 5 == 0);
	for (int t = 0; t < ticks; t++) {
		double t0;

		mono += 10 * NS;
		for (uint32_t i = 0; i < 1000; i++) {
			if ((i + (uint32_t)t) % active_every)
				continue;
			c[i].rx_bytes += 1000 + rnd() % 100000;
			c[i].tx_bytes += 100 + rnd() % 10000;
			c[i].last_ns = mono - NS;
		}
		t0 = cpu_now();
		tick(rec, k, c, 1000);
		t0 = cpu_now() - t0;
		total += t0;
		worst = t0 > worst ? t0 : worst;
	}
	printf("  %-34s %7.2f ms CPU per interval (worst %6.2f ms): %5.3f%% of one CPU at 10 s "
	       "(target <= 0.5%%)\n",
	       name, total / ticks * 1e3, worst * 1e3, total / ticks / 10 * 100);
	leco_recorder_free(rec);
}

/* ---- 2. a synthetic year ---------------------------------------------------------------- */

struct live {
	struct leco_key k[MAX_LIVE];
	struct leco_conn c[MAX_LIVE];
	uint8_t left[MAX_LIVE]; /* intervals it still sends */
	size_t n;
};

/* One interval of the busy part of a day: new connections, traffic, closings. */
static void year_interval(struct live *lv, uint64_t *cookie, double per_tick)
{
	size_t j = 0;

	for (size_t i = 0; i < lv->n; i++) { /* closed last interval: gone from the table now */
		if (lv->c[i].state == LECO_ST_CLOSED || (lv->c[i].proto == 17 && !lv->left[i]))
			continue;
		lv->k[j] = lv->k[i], lv->c[j] = lv->c[i], lv->left[j++] = lv->left[i];
	}
	lv->n = j;
	for (double want = per_tick + (double)(rnd() % 1000) / 1000.0;
	     want >= 1 && lv->n < MAX_LIVE; want -= 1) {
		uint32_t app = skewed(APPS), ep = (skewed(ENDPOINTS) + app * 67) % ENDPOINTS;

		make_conn(&lv->k[lv->n], &lv->c[lv->n], ++*cookie, app, ep, rnd() % 5 == 0);
		lv->left[lv->n++] = (uint8_t)(1 + rnd() % 6);
	}
	for (size_t i = 0; i < lv->n; i++) {
		if (!lv->left[i])
			continue;
		lv->c[i].rx_bytes += rnd() % 200000;
		lv->c[i].tx_bytes += rnd() % 20000;
		lv->c[i].last_ns = mono - NS;
		if (!--lv->left[i] && lv->c[i].proto == 6)
			lv->c[i].state = LECO_ST_CLOSED;
	}
}

static long long file_size(const char *name)
{
	char path[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) ? 0 : (long long)st.st_size;
}

/* Days of a busy desktop: 10 busy hours of 10 s intervals, the rest an interval an hour. */
static double year(int days, uint64_t conns)
{
	static struct live lv;
	struct leco_recorder *rec = open_rec("year.db", false);
	double per_tick = (double)conns / days / 3600, t0 = wall_now();
	uint64_t cookie = 1;

	for (int d = 0; d < days; d++) {
		for (int s = 0; s < 3600; s++) { /* 09:00-19:00 */
			mono += 10 * NS;
			year_interval(&lv, &cookie, per_tick);
			tick(rec, lv.k, lv.c, lv.n);
		}
		lv.n = 0;
		for (int h = 0; h < 14; h++) { /* the night: nothing, an interval an hour */
			mono += 3600 * NS;
			tick(rec, lv.k, lv.c, 0);
		}
	}
	leco_recorder_free(rec);
	printf("  fed %llu connections over %d days in %.0f s\n", (unsigned long long)cookie - 1,
	       days, wall_now() - t0);
	return (double)(file_size("year.db") + file_size("year.db-wal"));
}

/* ---- 3. the report on that year ------------------------------------------------------------ */

static double cli_ms(const char *leco, const char *db)
{
	double best = 1e9;

	for (int i = 0; i < 5; i++) {
		double t0 = wall_now();
		pid_t pid;

		fflush(stdout); /* the child's copy of the buffer must not be written twice */
		pid = fork();
		int status;

		if (pid == 0) {
			if (!freopen("/dev/null", "w", stdout))
				_exit(127);
			execl(leco, leco, "report", "--db", db, "--since", "365d", "--by", "app",
			      (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return -1;
		t0 = wall_now() - t0;
		best = t0 < best ? t0 : best;
	}
	return best * 1e3;
}

static void report_case(const char *leco, int days)
{
	LECO_OPTS(leco_history_query, q, .since = t_real(NULL) / (int64_t)NS - 365 * 86400,
		  .until = t_real(NULL) / (int64_t)NS, .by = LECO_HISTORY_BY_APP);
	struct leco_history *h = NULL;
	char path[160];
	double t0, best = 1e9;
	int n = 0;

	snprintf(path, sizeof(path), "%s/year.db", dir);
	if (leco_history_open(path, &h, NULL))
		return;
	for (int i = 0; i < 5; i++) {
		t0 = wall_now();
		n = leco_history_totals(h, &q);
		t0 = wall_now() - t0;
		best = t0 < best ? t0 : best;
	}
	leco_history_free(h);
	printf("  leco_history_totals(365 d, by app): %.0f ms (%d apps)\n", best * 1e3, n);
	if (leco && days >= 365) {
		/* the CLI's own clock is now, not the bench's: give it the same year */
		double ms = cli_ms(leco, path);

		printf("  leco report --since 365d --by app:  %.0f ms wall, process start "
		       "included (target <= 300 ms)\n",
		       ms);
	}
}

int main(int argc, char **argv)
{
	const char *leco = NULL;
	bool keep = false;
	int days = 365;
	char cmd[128];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--days") && i + 1 < argc)
			days = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--leco") && i + 1 < argc)
			leco = argv[++i];
		else if (!strcmp(argv[i], "--keep"))
			keep = true;
	}
	if (days < 1 || days > 365)
		days = 365;
	snprintf(dir, sizeof(dir), "/var/tmp/leco-bench-history-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	printf("history benchmarks (%s, %ld CPUs online)\n", dir, sysconf(_SC_NPROCESSORS_ONLN));
	printf("1. recorder CPU at 1,000 live connections, 10 s intervals, fsync per commit\n");
	base = (int64_t)time(NULL) / 3600 * 3600 - 2 * 3600;
	cpu_case("all 1,000 sending every interval", "cpu-all.db", 1);
	cpu_case("one in ten sending each interval", "cpu-tenth.db", 10);
	printf("2. a synthetic year: %d apps, %d endpoints, %d connections\n", APPS, ENDPOINTS,
	       YEAR_CONNS * days / 365);
	base = (int64_t)time(NULL) - (int64_t)days * 86400 - 3600; /* it ends an hour ago */
	mono = 1000 * NS;
	double size = year(days, (uint64_t)YEAR_CONNS * days / 365);
	printf("  database on disk: %.1f MB (target <= 256 MB)\n", size / 1e6);
	printf("  anchors: OpenSnitch's UI database 967 MB, minutes to start (#566, #565);\n"
	       "           an in-memory store grew to 6 GB (#1053); Little Snitch for Linux "
	       "14 GB of RAM;\n"
	       "           picosnitch keeps 10 s rows, deleted by age at start-up only\n");
	printf("3. the report on that history\n");
	report_case(leco, days);
	if (keep) {
		printf("kept %s\n", dir);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "bench_history: could not remove %s\n", dir);
	return 0;
}
