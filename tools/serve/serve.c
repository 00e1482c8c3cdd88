// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco serve [-p DIR] [-c CONFIG] [--db PATH] [--listen ADDR:PORT] [--token-file PATH] ...:
 * the web page, the JSON API and /metrics (doc/serve.md). Runs as any user in group leco,
 * reads only; prints where it serves, with the token, on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"
#include "../cli.h"
#include "../output.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: leco serve [-p DIR] [-c CONFIG] [--db PATH] [--listen ADDR:PORT]\n"
		"                  [--token-file PATH] [-i SEC] [--max-clients N] [--max-streams "
		"N]\n"
		"                  [--metrics-series N] [--metrics-remote N] [--chartjs PATH]\n"
		"  Serve the web page, the JSON API (/api/...) and /metrics on ADDR:PORT\n"
		"  (default 127.0.0.1:%u). Every request needs the token from the token file\n"
		"  (made if missing; default $STATE_DIRECTORY/token, else\n"
		"  $XDG_STATE_HOME/leco/serve.token). See doc/serve.md.\n",
		WEB_DEFAULT_PORT);
}

/* "127.0.0.1:9473", "[::1]:9473", "localhost:9473", ":9473" or "9473" (127.0.0.1). */
static int parse_listen(const char *arg, struct web_opts *o)
{
	char host[64] = "127.0.0.1";
	const char *port = arg, *end;
	unsigned char a[16];
	unsigned long p;
	char *e;

	if (arg[0] == '[') {
		if (!(end = strchr(arg, ']')) || end[1] != ':' ||
		    (size_t)(end - arg - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(end - arg - 1), arg + 1);
		port = end + 2;
	} else if ((end = strrchr(arg, ':'))) {
		if ((size_t)(end - arg) >= sizeof(host))
			return -EINVAL;
		if (end > arg)
			snprintf(host, sizeof(host), "%.*s", (int)(end - arg), arg);
		port = end + 1;
	}
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	errno = 0;
	p = strtoul(port, &e, 10);
	if (errno || *e || !port[0] || port[0] == '-' || p > 65535)
		return -EINVAL;
	if (inet_pton(strchr(host, ':') ? AF_INET6 : AF_INET, host, a) != 1)
		return -EINVAL;
	snprintf(o->listen_host, sizeof(o->listen_host), "%s", host);
	o->port = (unsigned int)p;
	return 0;
}

static int uint_arg(const char *opt, const char *v, unsigned long lo, unsigned long hi,
		    unsigned int *out)
{
	char *e;
	unsigned long u;

	errno = 0;
	u = strtoul(v, &e, 10);
	if (errno || *e || !v[0] || v[0] == '-' || u < lo || u > hi)
		return cli_err("serve: bad %s '%s': want %lu..%lu", opt, v, lo, hi);
	*out = (unsigned int)u;
	return 0;
}

/* 0, or -1 with *status set */
static int serve_args(int argc, char **argv, struct web_opts *o, int *status)
{
	static const struct option lo[] = {{"pin-dir", required_argument, NULL, 'p'},
					   {"config", required_argument, NULL, 'c'},
					   {"db", required_argument, NULL, 'd'},
					   {"listen", required_argument, NULL, 'l'},
					   {"token-file", required_argument, NULL, 't'},
					   {"interval", required_argument, NULL, 'i'},
					   {"max-clients", required_argument, NULL, 'C'},
					   {"max-streams", required_argument, NULL, 'S'},
					   {"metrics-series", required_argument, NULL, 'M'},
					   {"metrics-remote", required_argument, NULL, 'R'},
					   {"chartjs", required_argument, NULL, 'J'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	int c, at, bad = 0;
	double v;
	char *e;

	opterr = 0;
	for (at = optind = 1; !bad && (c = getopt_long(argc, argv, "+:p:c:i:h", lo, NULL)) != -1;
	     at = optind) {
		switch (c) {
		case 'p':
			o->pin_dir = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->db_path = optarg;
			break;
		case 't':
			o->token_file = optarg;
			break;
		case 'J':
			o->chartjs_path = optarg;
			break;
		case 'l':
			if (parse_listen(optarg, o))
				bad = cli_err("serve: bad --listen '%s': want ADDR:PORT with a "
					      "numeric address (127.0.0.1:%u, [::1]:%u)",
					      optarg, WEB_DEFAULT_PORT, WEB_DEFAULT_PORT);
			break;
		case 'i':
		case 'I':
			errno = 0;
			*(c == 'i' ? &o->interval : &o->idle_interval) = v = strtod(optarg, &e);
			if (errno || *e || !(v >= 0.1 && v <= 60))
				bad = cli_err("serve: bad %s '%s': want seconds in 0.1..60",
					      c == 'i' ? "interval" : "idle interval", optarg);
			break;
		case 'C':
			bad = uint_arg("--max-clients", optarg, 4, 4096, &o->max_conns);
			break;
		case 'S':
			bad = uint_arg("--max-streams", optarg, 1, 1024, &o->max_sse);
			break;
		case 'M':
			bad = uint_arg("--metrics-series", optarg, 1, 100000, &o->series_max);
			break;
		case 'R':
			bad = uint_arg("--metrics-remote", optarg, 0, 1000, &o->metrics_remote);
			break;
		case 'h':
			usage(stdout);
			*status = 0;
			return -1;
		default:
			bad = cli_bad_option("serve", c, argv[at]);
		}
	}
	if (!bad && optind < argc)
		bad = cli_err("serve: unexpected argument '%s'", argv[optind]);
	*status = bad;
	return bad ? -1 : 0;
}

static int listen_socket(struct web_server *s)
{
	bool v6 = strchr(s->o.listen_host, ':');
	struct sockaddr_storage ss = {0};
	socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return cli_err("serve: socket: %s", strerror(errno));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6, a->sin6_port = htons((uint16_t)s->o.port);
		inet_pton(AF_INET6, s->o.listen_host, &a->sin6_addr);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET, a->sin_port = htons((uint16_t)s->o.port);
		inet_pton(AF_INET, s->o.listen_host, &a->sin_addr);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		int e = errno;

		close(fd);
		return cli_err("serve: cannot listen on %s%s%s:%u: %s", v6 ? "[" : "",
			       s->o.listen_host, v6 ? "]" : "", s->o.port, strerror(e));
	}
	/* port 0: the kernel chose one */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		s->o.port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
				     : ((struct sockaddr_in *)&ss)->sin_port);
	s->listen_fd = fd;
	return 0;
}

/* Chart.js from Debian's libjs-chart.js, read once: the page works without it (no charts). */
static void load_chartjs(struct web_server *s)
{
	FILE *f = fopen(s->o.chartjs_path, "rb");
	struct web_buf b;
	char chunk[65536];
	size_t n;

	if (!f) {
		fprintf(stderr, "leco: serve: %s: %s (install libjs-chart.js): no charts\n",
			s->o.chartjs_path, strerror(errno));
		return;
	}
	if (web_buf_open(&b)) {
		fclose(f);
		return;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < 16 * 1024 * 1024)
		fwrite(chunk, 1, n, b.f);
	if (!ferror(f) && !web_buf_close(&b))
		s->chartjs = b.data, s->chartjs_len = b.len;
	fclose(f);
}

/* One poll, the metrics, and an event for the streams if anyone listens. */
static void poll_once(struct web_server *s, char *last_err, size_t errsz)
{
	char *ev = NULL;
	size_t evlen = 0;
	int r;

	pthread_mutex_lock(&s->lock);
	s->poll_ret = leco_reader_poll(s->reader);
	s->poll_time = (int64_t)time(NULL);
	s->polls++;
	r = web_metrics_update(s->metrics, s->reader, s->poll_ret);
	if (strcmp(leco_reader_errmsg(s->reader), last_err)) {
		/* say each problem once, and when it is over */
		if (leco_reader_errmsg(s->reader)[0])
			fprintf(stderr, "leco: serve: %s\n", leco_reader_errmsg(s->reader));
		else
			fprintf(stderr, "leco: serve: ok again\n");
		snprintf(last_err, errsz, "%s", leco_reader_errmsg(s->reader));
	}
	if (web_sse_clients(s->sse) && web_api_event(s, &ev, &evlen))
		ev = NULL;
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		fprintf(stderr, "leco: serve: metrics: %s\n", strerror(-r));
	if (ev)
		web_sse_publish(s->sse, ev, evlen);
}

static struct timespec seconds(double v)
{
	return (struct timespec){(time_t)v, (long)((v - (double)(time_t)v) * 1e9)};
}

/* Is anyone looking? A request in the last minute, or an open event stream. */
static bool watched(struct web_server *s)
{
	int64_t last = __atomic_load_n(&s->last_request, __ATOMIC_RELAXED);

	return web_sse_clients(s->sse) || (int64_t)time(NULL) - last < WEB_IDLE_AFTER;
}

/*
 * Poll every interval while someone looks, every --idle-interval while nobody does (the
 * counters lose nothing: a closed connection stays in the kernel's table until it is full,
 * and its bytes are taken at the next poll). A request that finds the loop idle wakes it
 * (SIGUSR1), so that an event stream gets its first event at once.
 */
static int serve_loop(struct web_server *s)
{
	char last_err[LECO_ERRMSG_MAX] = "";
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		bool busy = watched(s);
		struct timespec ts = seconds(busy ? s->o.interval : s->o.idle_interval);

		__atomic_store_n(&s->idle, !busy, __ATOMIC_RELAXED);
		poll_once(s, last_err, sizeof(last_err));
		for (;;) {
			int sig = sigtimedwait(&set, NULL, &ts);

			if (sig == SIGINT || sig == SIGTERM)
				return 0;
			if (sig == SIGUSR1 || errno != EINTR)
				break; /* woken, or EAGAIN: the interval is over */
		}
	}
}

static void server_free(struct web_server *s)
{
	web_http_stop(s);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	web_sse_free(s->sse);
	web_metrics_free(s->metrics);
	web_history_close(s);
	pthread_mutex_destroy(&s->hist_lock);
	leco_reader_free(s->reader);
	free(s->chartjs);
	pthread_mutex_destroy(&s->lock);
}

static int server_open(struct web_server *s)
{
	LECO_OPTS(leco_reader_opts, ro, .pin_dir = s->o.pin_dir, .config_path = s->o.config,
		  .raw = !s->o.config, .max_lines = 1, .history_path = s->o.db_path);
	struct leco_error err = {0};
	char path[4096], msg[512];
	int r;

	if (!s->o.token_file) {
		if (web_token_default_path(path, sizeof(path)))
			return cli_err("serve: no token file: give --token-file PATH (no "
				       "$STATE_DIRECTORY, $XDG_STATE_HOME or $HOME)");
		s->o.token_file = path;
	}
	if (web_token_load(s->o.token_file, s->token, msg, sizeof(msg)))
		return cli_err("serve: %s", msg);
	s->o.token_file = NULL; /* `path` goes out of scope */
	if ((r = leco_reader_open(&ro, &s->reader, &err)) < 0)
		return cli_err("serve: %s", err.msg[0] ? err.msg : strerror(-r));
	cli_print_notices(s->reader);
	cli_record_status_files(NULL, &s->rec_files);
	if (!(s->metrics = web_metrics_new(s->o.series_max, s->o.metrics_remote)) ||
	    !(s->sse = web_sse_new(s->o.max_sse)))
		return cli_err("serve: out of memory");
	load_chartjs(s);
	if (listen_socket(s))
		return 2;
	if (web_http_start(s, msg, sizeof(msg)))
		return cli_err("serve: %s", msg);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct web_server s = {.listen_fd = -1,
			       .o = {.listen_host = "127.0.0.1",
				     .port = WEB_DEFAULT_PORT,
				     .interval = 1.0,
				     .idle_interval = 5.0,
				     .max_conns = 128,
				     .max_sse = 16,
				     .series_max = 2000,
				     .sse_conns = 200,
				     .chartjs_path = WEB_CHARTJS_PATH}};
	sigset_t quit;
	int status = 0;

	s.main_thread = pthread_self();
	if (serve_args(argc, argv, &s.o, &status))
		return status;
	/* SIGINT/SIGTERM are taken by sigtimedwait() in the loop; blocked before any thread
	 * starts, so that libmicrohttpd's inherits the mask */
	sigemptyset(&quit);
	sigaddset(&quit, SIGINT);
	sigaddset(&quit, SIGTERM);
	sigaddset(&quit, SIGUSR1); /* a request wakes an idle loop (serve_loop) */
	sigprocmask(SIG_BLOCK, &quit, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&s.lock, NULL);
	pthread_mutex_init(&s.hist_lock, NULL);
	if (!(status = server_open(&s))) {
		bool v6 = strchr(s.o.listen_host, ':');

		fprintf(stderr, "leco: serving on http://%s%s%s:%u/?token=%s\n", v6 ? "[" : "",
			s.o.listen_host, v6 ? "]" : "", s.o.port, s.token);
		status = serve_loop(&s);
	}
	server_free(&s);
	return status;
}
