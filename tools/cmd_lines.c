// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco lines: one snapshot of the view, newest first. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"

int cmd_lines(int argc, char **argv)
{
	struct cli_view_opts o;
	struct leco_reader *r = NULL;
	int status = 0, n;

	if (cli_view_args(argc, argv, false, &o, &status))
		return status;
	if ((status = cli_open_reader("lines", &o, o.max_lines, &r)))
		return status;
	cli_print_notices(r);
	n = leco_reader_poll(r);
	if (n < 0) {
		status = cli_err("lines: %s",
				 leco_reader_errmsg(r)[0] ? leco_reader_errmsg(r) : strerror(-n));
		leco_reader_free(r);
		return status;
	}
	if (leco_reader_errmsg(r)[0]) /* e.g. a config that failed to reload */
		fprintf(stderr, "leco: lines: %s\n", leco_reader_errmsg(r));
	for (size_t i = 0; i < leco_reader_count(r); i++)
		if (cli_print_line(stdout, leco_reader_line(r, i), o.json) < 0)
			break;
	if (fflush(stdout) || ferror(stdout))
		status = cli_err("lines: writing output failed");
	leco_reader_free(r);
	return status;
}
