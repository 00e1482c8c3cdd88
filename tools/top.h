/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by `leco conns`, `leco top` (tools/cmd_top.c) and its terminal view (tools/top_tui.c). */
#ifndef LECO_CLI_TOP_H
#define LECO_CLI_TOP_H

#include <stdbool.h>
#include <stddef.h>

#include "leco.h"

struct top_opts {
	const char *pin_dir;
	int by;		 /* enum leco_group_by */
	int sort;	 /* enum leco_sort */
	size_t n;	 /* -n: at most this many groups; 0 = all (the view: as many as fit) */
	double interval; /* -i: seconds between refreshes */
	bool once, json;
};

/* A reader for conns and top: no rules, the smallest view. An exit status (2 after printing
 * the error) on failure. */
int cli_top_reader(const char *what, const char *pin_dir, struct leco_reader **r);
/* Bytes as "0", "512B", "1.5K", "23M", "4.0G" (the lines' style, 1024-based). */
void cli_size(char *buf, size_t sz, double bytes);
/* The full-screen view on a terminal until the user quits or a signal comes; an exit status. */
int top_tui(struct leco_reader *r, const struct top_opts *o);

#endif
