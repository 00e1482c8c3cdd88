/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The `leco` CLI: one function per subcommand, each in tools/cmd_<name>.c. */
#ifndef LECO_CLI_H
#define LECO_CLI_H

/* Each gets argv with argv[0] = the subcommand name and returns the exit status:
 * 0 success, 1 "nothing/false" where a subcommand defines it, 2 usage or runtime error
 * (after printing "leco: <what>: <why>" to stderr). */
int cmd_status(int argc, char **argv);
int cmd_lines(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_rx_test(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* Print "leco: <fmt...>\n" to stderr; returns 2 so callers can `return cli_err(...)`. */
int cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
