// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where cgroup2 is mounted, from a /proc/mounts-format file. Shared by the
 * library (cgroup paths) and leco-load (where the cgroup hooks attach): one
 * parser, which undoes the octal escapes /proc/mounts writes for spaces,
 * tabs, newlines and backslashes in mount paths.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup2.h"

int leco_cgroup2_mount(const char *mounts, char *buf, size_t bufsz)
{
	FILE *f = fopen(mounts, "re");
	char line[4096];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], dir[2048], type[64];
		size_t o = 0;

		if (sscanf(line, "%255s %2047s %63s", dev, dir, type) != 3 ||
		    strcmp(type, "cgroup2"))
			continue;
		for (size_t i = 0; dir[i] && o + 1 < bufsz; i++) {
			if (dir[i] == '\\' && dir[i + 1] >= '0' && dir[i + 1] <= '3' &&
			    dir[i + 2] >= '0' && dir[i + 2] <= '7' && dir[i + 3] >= '0' &&
			    dir[i + 3] <= '7') {
				buf[o++] = (char)(((dir[i + 1] - '0') << 6) |
						  ((dir[i + 2] - '0') << 3) | (dir[i + 3] - '0'));
				i += 3;
			} else {
				buf[o++] = dir[i];
			}
		}
		buf[o] = 0;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}
