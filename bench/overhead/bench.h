/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the loopback workloads (pingpong.c, shortconn.c) share */
#ifndef LECO_BENCH_OVERHEAD_H
#define LECO_BENCH_OVERHEAD_H

#include <sched.h>
#include <sys/socket.h>
#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Pin the calling process to one CPU (-1: leave it alone) */
static inline int pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Send (out) or receive exactly n bytes */
static inline int xfer(int fd, char *buf, int n, int out)
{
	int got = 0, r;

	while (got < n) {
		r = out ? send(fd, buf + got, n - got, 0) : recv(fd, buf + got, n - got, 0);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

#endif
