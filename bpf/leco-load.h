/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco-load internals shared by its two files: leco-load.c (options, the table
 * of jobs and hooks, probing, load and attach) and pins.c (everything under the
 * pin directory: pin, permissions, state of an existing set, removal).
 */
#ifndef LECO_LOAD_H
#define LECO_LOAD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <bpf/libbpf.h>

#define LECO_LOAD_MAX_LINKS 32
#define LOAD_NJOBS	    8 /* entries of the jobs table (hooks.c) */

extern bool load_verbose, load_quiet; /* -v; no libbpf warnings while probing */

/* "leco-load: <message>" on stderr */
void load_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A map pinned for readers: its pin name and the map's name in the object */
struct map_pin {
	const char *pin;
	const char *map;
};
extern const struct map_pin map_pins[];
extern const size_t n_map_pins;

/* One link to pin: under links/NAME, or at DIR/NAME when `top` (a reader-visible iterator) */
struct link_pin {
	const char *name;
	struct bpf_link *link;
	bool top;
};

struct options {
	const char *dir, *group;
	const char
		*object; /* --object: another build of the object (tests), else the embedded one */
	unsigned long conns_max; /* --conns-max: a smaller conns table (tests of evictions) */
	unsigned long names_max; /* --names-max: a smaller names ring (tests of evictions) */
	const char *libc; /* --libc: the C library to probe, else the one leco-load runs with */
	const char *force[LOAD_NJOBS]; /* --hooks: tier name, or "none" */
	bool unload;
};

struct loader {
	struct options o;
	char cgpath[PATH_MAX], krel[128];
	char libc[PATH_MAX]; /* the C library the names job probes; "" = none found */
	int cgfd;
	int chosen[LOAD_NJOBS]; /* tier index, -1 = none */
	char why[LOAD_NJOBS][256];
	struct bpf_object *obj;
	struct link_pin links[LECO_LOAD_MAX_LINKS];
	int nlinks;
};

/* hooks.c */
void usage_jobs(FILE *f);
/* --libc, else the C library this process runs with (its real path); "" when none */
void find_libc(struct loader *l);
int parse_hooks(struct options *o, char *arg);
int choose_tiers(struct loader *l);
int open_load(struct loader *l, const int *want, bool probe);
int write_cfg(struct loader *l);
int fill_interps(struct bpf_object *obj);
int attach_all(struct loader *l);
int write_info(struct loader *l);
void report_hooks(const struct loader *l);

/* pins.c */
int path_join(char *buf, size_t n, const char *a, const char *b);
int ensure_bpffs(const char *dir);
/* Group of an existing pin dir (through its info pin), or -1 */
gid_t pinned_group(const char *dir);
int set_perms(const char *dir, gid_t gid, bool group);
int pin_all(struct bpf_object *obj, const struct link_pin *links, int nlinks, const char *dir);
int remove_pins(const char *dir);
void remove_stale_tmp(const char *dir);
/* 0 absent, 1 loaded (this version, complete), 2 other or broken (why says what) */
int pinned_state(const char *dir, char *why, size_t n);

#endif /* LECO_LOAD_H */
