// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * floor OBJ: load and attach the empty programs of floor.bpf.o, print "ready",
 * stay attached until stdin closes (bench/overhead/run.py drives it).
 */
#include <stdio.h>
#include <unistd.h>

#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	char c;

	if (argc != 2) {
		fprintf(stderr, "usage: floor OBJ\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor: failed to load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(p, obj)
	{
		if (!bpf_program__attach(p)) {
			fprintf(stderr, "floor: failed to attach %s\n", bpf_program__name(p));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	bpf_object__close(obj);
	return 0;
}
