// SPDX-License-Identifier: LGPL-2.1-or-later
/* leco: print libleco's connection lines, probe status, and test rules. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "leco.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{"status", cmd_status,
	 "[-p DIR] [--json]          are the probes loaded; table fill, health"},
	{"lines", cmd_lines,
	 "[-p DIR] [-c CONFIG] [--json] [--raw] [-n LINES]   one snapshot, newest first"},
	{"watch", cmd_watch,
	 "[-p DIR] [-c CONFIG] [--json] [--raw] [-n LINES] [-i SEC]   stream new/changed lines"},
	{"conns", cmd_conns,
	 "[-p DIR] [--json] [--pid N] [--user U] [--unit U] [--state S]   every connection"},
	{"top", cmd_top,
	 "[-p DIR] [--by BY] [--sort KEY] [-n N] [-i SEC] [--once] [--json]   traffic by "
	 "process"},
	{"rx-test", cmd_rx_test,
	 "-c CONFIG [--json] LINE...   show what the rules do to each line"},
};

int cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("leco: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int usage(FILE *f)
{
	fprintf(f, "usage: leco COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  leco %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n  leco --version\n");
	return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("leco %s\n", leco_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	cli_err("unknown command '%s' (try 'leco --help')", argv[1]);
	return 2;
}
