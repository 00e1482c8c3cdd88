// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-bench-gai NPROC NCALLS DOMAIN: the cost of getaddrinfo() calls as a program sees it
 * (bench/names/run.py runs it with and without the names probe, in a private mount namespace
 * whose /etc/hosts holds the names). NPROC child processes each resolve NCALLS distinct names
 * (FORMAT with %d = 0..NCALLS-1) once: every answer is new to the probe, which puts it into the
 * names ring. Then NPROC children each resolve the first name NCALLS times: the probe sees a
 * repeat and writes nothing. Prints the median ns per call of each: "DISTINCT REPEAT"; with
 * a fourth argument `distinct` or `repeat`, only that one.
 */
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* In a child: ns per call of `ncalls` lookups (distinct names, or the first one again) */
static uint64_t lookups(int ncalls, const char *domain, int distinct)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	char name[256];
	uint64_t t0 = now_ns();

	for (int i = 0; i < ncalls; i++) {
		snprintf(name, sizeof(name), "n%d.%s", distinct ? i : 0, domain);
		if (getaddrinfo(name, "80", &hints, &res)) {
			fprintf(stderr, "leco-bench-gai: cannot resolve %s\n", name);
			exit(1);
		}
		freeaddrinfo(res);
	}
	return (now_ns() - t0) / (uint64_t)ncalls;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median over nproc children of what each measured */
static uint64_t run(int nproc, int ncalls, const char *domain, int distinct)
{
	uint64_t *v = calloc((size_t)nproc, sizeof(*v));
	uint64_t med;

	if (!v)
		exit(1);
	for (int p = 0; p < nproc; p++) {
		int fd[2], st;
		pid_t pid;

		if (pipe(fd) || (pid = fork()) < 0)
			exit(1);
		if (!pid) {
			uint64_t ns = lookups(ncalls, domain, distinct);

			_exit(write(fd[1], &ns, sizeof(ns)) == sizeof(ns) ? 0 : 1);
		}
		close(fd[1]);
		if (read(fd[0], &v[p], sizeof(v[p])) != sizeof(v[p]) ||
		    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			exit(1);
		close(fd[0]);
	}
	qsort(v, (size_t)nproc, sizeof(*v), cmp);
	med = v[nproc / 2];
	free(v);
	return med;
}

int main(int argc, char **argv)
{
	int nproc = argc > 3 ? atoi(argv[1]) : 0, ncalls = argc > 3 ? atoi(argv[2]) : 0;
	const char *mode = argc > 4 ? argv[4] : "both";

	if (argc < 4 || argc > 5 || nproc < 1 || nproc > 1000 || ncalls < 1 || ncalls > 100000 ||
	    strlen(argv[3]) > 200 ||
	    (strcmp(mode, "both") && strcmp(mode, "distinct") && strcmp(mode, "repeat"))) {
		fprintf(stderr, "usage: leco-bench-gai NPROC NCALLS DOMAIN [distinct|repeat]\n");
		return 2;
	}
	if (strcmp(mode, "repeat"))
		printf("%llu ", (unsigned long long)run(nproc, ncalls, argv[3], 1));
	if (strcmp(mode, "distinct"))
		printf("%llu", (unsigned long long)run(nproc, ncalls, argv[3], 0));
	printf("\n");
	return 0;
}
