// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which process a pid names, and whether it still runs: the start time from
 * /proc/PID/stat (field 22, clock ticks since boot), so that per-process
 * accounting (lib/account.c) never merges two processes that had the same pid,
 * and a cheap existence check for every poll.
 *
 * The probes record the owner's start with every connection (struct
 * leco_conn.start_ns); /proc's is what tells whether that process still runs
 * (the pid exists and names a process with that start), and the start itself
 * only for a record without one (hand-made maps). It can only be read while
 * the process runs (and, under hidepid=2, only for the reader's own
 * processes: one it hides counts as running).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"

struct leco_pids {
	char *root;
	bool real; /* the system's /proc: pids are real, kill(pid, 0) may ask */
	long hz;
};

struct leco_pids *leco_pids_new(const char *proc_root)
{
	struct leco_pids *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->root = strdup(proc_root ? proc_root : "/proc");
	if (!p->root) {
		free(p);
		return NULL;
	}
	p->real = !strcmp(p->root, "/proc");
	p->hz = sysconf(_SC_CLK_TCK);
	if (p->hz <= 0)
		p->hz = 100;
	return p;
}

void leco_pids_free(struct leco_pids *p)
{
	if (!p)
		return;
	free(p->root);
	free(p);
}

/* CLOCK_BOOTTIME - CLOCK_MONOTONIC: the time spent suspended. /proc counts process starts on
 * the first, the probes' stamps are on the second. A fixture tree has no suspend. */
static uint64_t suspended_ns(const struct leco_pids *p)
{
	struct timespec b, m;

	if (!p->real || clock_gettime(CLOCK_BOOTTIME, &b) || clock_gettime(CLOCK_MONOTONIC, &m))
		return 0;
	int64_t d = ((int64_t)b.tv_sec - (int64_t)m.tv_sec) * (int64_t)LECO_NS +
		    ((int64_t)b.tv_nsec - (int64_t)m.tv_nsec);

	return d > 0 ? (uint64_t)d : 0;
}

uint64_t leco_pids_start(const struct leco_pids *p, uint32_t tgid)
{
	char path[512], buf[1024];
	unsigned long long ticks;
	const char *s;
	ssize_t n;
	int fd;

	if (!tgid)
		return 0;
	snprintf(path, sizeof(path), "%s/%u/stat", p->root, tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* "pid (comm) state ppid ...": comm may hold anything, ')' too; the fields after the
	 * last ')' are numbered from 3 (state); starttime is field 22 */
	s = strrchr(buf, ')');
	if (!s)
		return 0;
	for (int field = 3; field <= 22 && s; field++) /* to the space before field 22 */
		s = strchr(s + 1, ' ');
	if (!s || sscanf(s + 1, "%llu", &ticks) != 1 || !ticks)
		return 0;
	uint64_t boot = ticks * (LECO_NS / (uint64_t)p->hz), off = suspended_ns(p);

	return boot > off ? boot - off : 1;
}

bool leco_pids_exists(const struct leco_pids *p, uint32_t tgid)
{
	char path[512];

	if (!tgid)
		return false;
	/* kill() sees processes that /proc hides (hidepid=2): EPERM still means "exists" */
	if (p->real && tgid <= 0x7fffffff)
		return kill((pid_t)tgid, 0) == 0 || errno == EPERM;
	snprintf(path, sizeof(path), "%s/%u", p->root, tgid);
	return access(path, F_OK) == 0;
}

uint64_t leco_pids_tick_ns(const struct leco_pids *p)
{
	return LECO_NS / (uint64_t)p->hz;
}
