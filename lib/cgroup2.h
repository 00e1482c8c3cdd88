/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup2 mount point: lib/cgroup2.c, used by the library and by leco-load. */
#ifndef LECO_CGROUP2_H
#define LECO_CGROUP2_H

#include <stddef.h>

/* The first cgroup2 mount in `mounts` (a /proc/mounts-format file) into buf; 0, -ENOENT or
 * -errno. Octal escapes (\040 for a space) are undone. */
int leco_cgroup2_mount(const char *mounts, char *buf, size_t bufsz);

#endif /* LECO_CGROUP2_H */
