// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco watch: poll every interval and print the lines that are new or changed,
 * oldest first, until SIGINT/SIGTERM (taken synchronously, never lost) or until stdout goes away
 * (EPIPE), e.g. `ssh host leco watch --json`. Waits (and says so once) while the probes are not
 * loaded, and picks them up when they appear.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "output.h"
#include "../lib/hash.h"

#define WATCH_MAX_LINES 4096
#define SEEN_CAP	8192

/* Last text printed per group: text mode prints a line only when it reads differently. */
static struct {
	uint64_t group, text;
} seen[SEEN_CAP];
static size_t nseen;

static bool text_changed(const struct leco_line *l)
{
	uint64_t g = leco_hash_str(l->group) | 1, t = leco_hash_str(l->text);
	size_t i = g & (SEEN_CAP - 1);

	if (nseen > SEEN_CAP * 3 / 4) {
		memset(seen, 0, sizeof(seen));
		nseen = 0;
	}
	for (;; i = (i + 1) & (SEEN_CAP - 1)) {
		if (!seen[i].group) {
			seen[i].group = g;
			seen[i].text = t;
			nseen++;
			return true;
		}
		if (seen[i].group == g) {
			if (seen[i].text == t)
				return false;
			seen[i].text = t;
			return true;
		}
	}
}

int cmd_watch(int argc, char **argv)
{
	struct cli_view_opts o;
	struct leco_reader *r = NULL;
	char last_err[LECO_ERRMSG_MAX] = "";
	int status = 0, stop = 0;
	sigset_t quit;

	if (cli_view_args(argc, argv, true, &o, &status))
		return status;
	if ((status =
		     cli_open_reader("watch", &o, o.max_lines ? o.max_lines : WATCH_MAX_LINES, &r)))
		return status;
	cli_stream_signals(&quit);
	cli_print_notices(r);

	while (!stop) {
		int n = leco_reader_poll(r);

		cli_say_once("watch", r, n, last_err);
		for (int i = n - 1; i >= 0 && !stop; i--) {
			const struct leco_line *l = leco_reader_line(r, (size_t)i);

			if (!l->changed || (!o.json && !text_changed(l)))
				continue;
			if (cli_print_line(stdout, l, o.json) < 0)
				stop = 2;
		}
		if (fflush(stdout) || ferror(stdout))
			stop = 2; /* EPIPE: the other end went away */
		if (!stop && cli_wait_quit(&quit, o.interval))
			stop = 1;
	}
	leco_reader_free(r);
	return 0;
}
