// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-burst PORT N: fork N short-lived client processes at once; child i
 * names itself "lcNNN" (PR_SET_NAME), connects to 127.0.0.1:PORT, sends i+1
 * bytes and exits. Prints "PID I" per child, then "elapsed_ms MS". Exit 0 if
 * every child succeeded. (A lean C parent: forking a Python interpreter 200
 * times takes seconds, the point here is many processes within one second.)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int child(int port, int i)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	char name[16], buf[512];
	int fd;

	snprintf(name, sizeof(name), "lc%03d", i);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 1;
	memset(buf, 'z', sizeof(buf));
	if (send(fd, buf, i + 1, 0) != i + 1)
		return 1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	int port, n, i, st, bad = 0;
	pid_t *pids;

	if (argc != 3 || (port = atoi(argv[1])) <= 0 || (n = atoi(argv[2])) <= 0 || n > 500) {
		fprintf(stderr, "usage: leco-burst PORT N (N <= 500)\n");
		return 2;
	}
	pids = calloc(n, sizeof(*pids));
	if (!pids)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(child(port, i));
		if (pids[i] < 0) {
			perror("leco-burst: fork");
			bad++;
			break;
		}
	}
	for (i = 0; i < n && pids[i] > 0; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
		printf("%d %d\n", pids[i], i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("elapsed_ms %ld\n",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	free(pids);
	return bad ? 1 : 0;
}
