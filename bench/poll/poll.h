/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench_poll's two halves: maps filled by hand (poll.c), the real probes (live.c). */
#ifndef LECO_BENCH_POLL_H
#define LECO_BENCH_POLL_H

#include <stdint.h>

/* Process CPU time (user + system), seconds */
double bench_cpu_now(void);
/* The reader against leco-load's pins with n live TCP sockets on loopback */
int bench_live(const char *mnt, uint32_t n, const char *config);

#endif /* LECO_BENCH_POLL_H */
