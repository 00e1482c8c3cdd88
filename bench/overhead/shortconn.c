// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shortconn SECONDS [CPU CPU]: short loopback TCP connections, one after the
 * other: connect, a 64-byte request, a 64-byte answer, close (both sides).
 * Prints connections per second and how many were made. With two CPU numbers
 * the client and the server are pinned there (see pingpong.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
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

#define MSG 64

static void serve(int ls)
{
	char buf[MSG];

	for (;;) {
		int a = accept(ls, NULL, NULL);

		if (a < 0)
			_exit(0);
		if (xfer(a, buf, MSG, 0) == 0)
			xfer(a, buf, MSG, 1);
		close(a);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	double secs = argc > 1 ? atof(argv[1]) : 2, t0, t;
	int cpu_c = argc > 3 ? atoi(argv[2]) : -1, cpu_s = argc > 3 ? atoi(argv[3]) : -1, ls;
	long conns = 0;
	char buf[MSG];
	pid_t pid;

	if (secs <= 0 || argc == 3 || argc > 4) {
		fprintf(stderr, "usage: shortconn SECONDS [CPU CPU]\n");
		return 2;
	}
	if (pin(cpu_s) || pin(cpu_c)) {
		perror("shortconn: sched_setaffinity");
		return 1;
	}
	memset(buf, 's', sizeof(buf));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 128) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl)) {
		perror("shortconn: listen");
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		if (pin(cpu_s))
			_exit(1);
		serve(ls);
	}
	close(ls);
	t0 = now();
	do {
		for (int i = 0; i < 100; i++, conns++) {
			int c = socket(AF_INET, SOCK_STREAM, 0);

			if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) ||
			    xfer(c, buf, MSG, 1) || xfer(c, buf, MSG, 0)) {
				perror("shortconn: connection");
				kill(pid, SIGKILL);
				return 1;
			}
			close(c);
		}
		t = now();
	} while (t - t0 < secs);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	printf("%.0f %ld\n", conns / (t - t0), conns);
	return 0;
}
