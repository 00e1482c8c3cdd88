// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pingpong SECONDS [BYTES [CPU CPU]]: loopback TCP ping-pong between two
 * processes (TCP_NODELAY, BYTES per message, default 1); prints round trips per
 * second and how many were made. Each round trip is two sends and two receives: four send/recv hook
 * runs. With two CPU numbers the client and the echo side are pinned there:
 * whether the scheduler happens to put them on one core or two changes the
 * rate by a third on a 2-core VM, far more than what is being measured.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	double secs = argc > 1 ? atof(argv[1]) : 2, t0, t;
	int n = argc > 2 ? atoi(argv[2]) : 1, one = 1, ls, c, a;
	int cpu_c = argc > 4 ? atoi(argv[3]) : -1, cpu_e = argc > 4 ? atoi(argv[4]) : -1;
	long rounds = 0;
	char buf[65536];
	pid_t pid;

	if (secs <= 0 || n <= 0 || n > (int)sizeof(buf) || argc == 4 || argc > 5) {
		fprintf(stderr, "usage: pingpong SECONDS [BYTES <= 65536 [CPU CPU]]\n");
		return 2;
	}
	/* both CPUs checked here, where a failure can still stop the run cleanly */
	if (pin(cpu_e) || pin(cpu_c)) {
		perror("pingpong: sched_setaffinity");
		return 1;
	}
	memset(buf, 'p', sizeof(buf));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl)) {
		perror("pingpong: listen");
		return 1;
	}
	pid = fork();
	if (pid == 0) { /* echo side */
		if (pin(cpu_e)) {
			perror("pingpong: sched_setaffinity");
			_exit(1);
		}
		a = accept(ls, NULL, NULL);
		setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (xfer(a, buf, n, 0) == 0 && xfer(a, buf, n, 1) == 0)
			;
		_exit(0);
	}
	close(ls); /* the echo side's now: if it dies, connecting or reading fails */
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("pingpong: connect");
		kill(pid, SIGKILL);
		return 1;
	}
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t0 = now();
	do {
		for (int i = 0; i < 1000; i++) {
			if (xfer(c, buf, n, 1) || xfer(c, buf, n, 0)) {
				perror("pingpong: transfer");
				kill(pid, SIGKILL);
				return 1;
			}
		}
		rounds += 1000;
		t = now();
	} while (t - t0 < secs);
	close(c);
	waitpid(pid, NULL, 0);
	printf("%.0f %ld\n", rounds / (t - t0), rounds);
	return 0;
}
