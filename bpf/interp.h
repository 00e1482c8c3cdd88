/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Interpreters: programs whose script name is shown instead of their comm.
 * One list for both sides: leco-load fills the kernel's interps map from it
 * (the exec hook keeps a script name only for these, and for "#!" scripts),
 * and lib/proc.c reads /proc/PID/cmdline only for these.
 *
 * A comm matches when its first word, lower-cased and without a trailing
 * version ("python3.11" -> "python", "Rscript" -> "rscript"), is listed.
 */
#ifndef LECO_INTERP_H
#define LECO_INTERP_H

#define LECO_INTERPRETERS                                                                        \
	"awk", "bash", "bun", "busybox", "cl", "clisp", "dash", "deno", "fish", "gawk", "guile", \
		"java", "ksh", "lua", "luajit", "mksh", "nimrun", "nix-shell", "node", "nodejs", \
		"ocaml", "ocamlscript", "osascript", "perl", "php", "pwsh", "python", "racket",  \
		"rscript", "ruby", "sbcl", "scm", "sh", "stack", "tcl", "tclsh", "wish", "zsh"

#endif /* LECO_INTERP_H */
