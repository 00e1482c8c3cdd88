// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-load: load the libleco probes, attach them, and pin their maps and
 * links under a bpffs directory so unprivileged readers can open the maps and
 * the programs stay attached after this process exits. See doc/leco-load.md.
 *
 *	leco-load [-p|--pin-dir DIR] [-g|--group NAME] [--hooks JOB=TIER,...] [-v]
 *	leco-load --unload [-p DIR]
 *
 * Which program serves which job on this kernel: hooks.c. What lives under
 * the pin directory: pins.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup2.h"
#include "leco-load.h"
#include "leco.h"

#ifndef LECO_LOAD_VERSION
#define LECO_LOAD_VERSION "0.0.0"
#endif
#ifndef LECO_DEFAULT_PIN_DIR
#define LECO_DEFAULT_PIN_DIR "/sys/fs/bpf/leco"
#endif
static const char *prog_name = "leco-load";
bool load_verbose, load_quiet;

void load_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* libbpf's warnings always (but not while probing), its info and debug lines with -v */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (load_verbose || (level == LIBBPF_WARN && !load_quiet))
		return vfprintf(stderr, fmt, args);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: leco-load [-p|--pin-dir DIR] [-g|--group NAME] [--hooks JOB=TIER,...] "
		"[-v]\n"
		"       leco-load --unload [-p|--pin-dir DIR] [-v]\n"
		"Load the libleco eBPF probes and pin their maps and links under DIR\n"
		"(default %s). Needs root.\n"
		"  -p, --pin-dir DIR  bpffs directory for the pins (--pin: the same)\n"
		"  -g, --group NAME   make the pins readable by group NAME (0640, dirs 0750);\n"
		"                     without it a reload keeps the group the pins have\n"
		"      --hooks LIST   force hooks, e.g. udp=tp_btf or drops=none (tests)\n"
		"      --object FILE  load this build of the object instead of the built-in one\n"
		"      --conns-max N  a smaller UDP/drops table (tests of evictions)\n"
		"      --names-max N  a smaller ring of names resolved (a power of two, tests)\n"
		"      --libc PATH    the C library whose getaddrinfo the names job probes\n"
		"                     (default: the one leco-load runs with)\n"
		"      --unload       detach the probes and remove the pins\n"
		"  -v, --verbose      show libbpf's log (verifier output on failure)\n"
		"  -h, --help         this text\n"
		"      --version      print the version\n"
		"jobs and tiers, in order of preference:\n",
		LECO_DEFAULT_PIN_DIR);
	usage_jobs(f);
}

/* --conns-max, --names-max: a table size in 16..max (a power of two if pow2); 0 or -1 */
static int table_size(const char *opt, const char *arg, unsigned long max, bool pow2,
		      unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end || v < 16 || v > max || (pow2 && (v & (v - 1)))) {
		load_msg("%s: '%s' is not %sin 16..%lu", opt, arg, pow2 ? "a power of two " : "",
			 max);
		return -1;
	}
	*out = v;
	return 0;
}

/* What the options say, checked together: 0 or 1 */
static int check_args(const struct options *o)
{
	if (o->dir[0] != '/') {
		load_msg("pin directory must be an absolute path: '%s'", o->dir);
		return 1;
	}
	if (strlen(o->dir) > PATH_MAX - 64) {
		load_msg("pin directory path too long");
		return 1;
	}
	if (o->group && !getgrnam(o->group)) {
		load_msg("unknown group '%s'", o->group);
		return 1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option lopts[] = {
		{"pin-dir", required_argument, NULL, 'p'},
		{"pin", required_argument, NULL, 'p'},
		{"group", required_argument, NULL, 'g'},
		{"hooks", required_argument, NULL, 'H'},
		{"unload", no_argument, NULL, 'u'},
		{"verbose", no_argument, NULL, 'v'},
		{"object", required_argument, NULL, 'O'},
		{"conns-max", required_argument, NULL, 'C'},
		{"names-max", required_argument, NULL, 'N'},
		{"libc", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	o->dir = LECO_DEFAULT_PIN_DIR;
	while ((c = getopt_long(argc, argv, "p:g:vhu", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->dir = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'H':
			if (parse_hooks(o, optarg))
				return 1;
			break;
		case 'u':
			o->unload = true;
			break;
		case 'O':
			o->object = optarg;
			break;
		case 'C':
			if (table_size("--conns-max", optarg, LECO_CONNS_MAX, false, &o->conns_max))
				return 1;
			break;
		case 'N':
			if (table_size("--names-max", optarg, LECO_NAMES_MAX, true, &o->names_max))
				return 1;
			break;
		case 'L':
			o->libc = optarg;
			break;
		case 'v':
			load_verbose = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("leco-load %s (layout %d)\n", LECO_LOAD_VERSION,
			       LECO_LAYOUT_VERSION);
			return -1;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		load_msg("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 1;
	}
	return check_args(o);
}

/* Pin into DIR-new-PID, then rename into place: readers never see half a set */
static int pin_into_place(struct loader *l, int state, const char *old_why, gid_t gid)
{
	char tmpdir[PATH_MAX], why[128];
	const char *dir = l->o.dir;
	sigset_t sigs;
	int r;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	r = snprintf(tmpdir, sizeof(tmpdir), "%s-new-%d", dir, (int)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmpdir)) {
		load_msg("pin directory path too long");
		return 1;
	}
	if (pin_all(l->obj, l->links, l->nlinks, tmpdir) ||
	    set_perms(tmpdir, gid, gid != (gid_t)-1)) {
		remove_pins(tmpdir);
		return 1;
	}
	if (state == 2) {
		load_msg("replacing %s (%s)", dir, old_why);
		if (remove_pins(dir)) {
			remove_pins(tmpdir);
			return 1;
		}
	}
	if (rename(tmpdir, dir)) {
		int e = errno;

		remove_pins(tmpdir);
		/* another leco-load of this version won the race: that is success */
		if ((e == EEXIST || e == ENOTEMPTY) && pinned_state(dir, why, sizeof(why)) == 1) {
			load_msg("probes %s already loaded at %s", LECO_LOAD_VERSION, dir);
			return 0;
		}
		load_msg("failed to move %s to %s: %s", tmpdir, dir, strerror(e));
		return 1;
	}
	return 0;
}

/* The group the pins get: --group, else the one an existing set has (said so), else none */
static gid_t pins_group(const struct options *o, int state)
{
	struct group *g;
	gid_t gid;

	if (o->group)
		return getgrnam(o->group)->gr_gid;
	gid = state ? pinned_group(o->dir) : (gid_t)-1;
	if (gid == (gid_t)-1 || gid == 0)
		return (gid_t)-1;
	g = getgrgid(gid);
	load_msg("keeping group %s of the existing pins (--group NAME to change it)",
		 g ? g->gr_name : "?");
	return gid;
}

static int check_kernel(struct loader *l)
{
	struct utsname u;
	int r;

	snprintf(l->krel, sizeof(l->krel), "%s", uname(&u) ? "unknown" : u.release);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		load_msg("kernel %s has no BTF (/sys/kernel/btf/vmlinux: %s): needs "
			 "CONFIG_DEBUG_INFO_BTF=y",
			 l->krel, strerror(errno));
		return -1;
	}
	r = leco_cgroup2_mount("/proc/self/mounts", l->cgpath, sizeof(l->cgpath));
	if (r) {
		load_msg("cgroup2 is not mounted (no cgroup2 entry in /proc/self/mounts): needed "
			 "for the cgroup socket hooks");
		return -1;
	}
	l->cgfd = open(l->cgpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->cgfd < 0) {
		load_msg("failed to open the cgroup2 root %s: %s", l->cgpath, strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything after the checks: choose, load, attach, describe, pin */
static int load(struct loader *l, int state, const char *why)
{
	gid_t gid = pins_group(&l->o, state);
	int r;

	find_libc(l);
	if (check_kernel(l) || choose_tiers(l))
		return 1;
	r = open_load(l, l->chosen, false);
	if (r) {
		load_msg("failed to load the BPF programs into kernel %s: %s%s", l->krel,
			 strerror(-r), load_verbose ? "" : " (-v shows the verifier log)");
		return 1;
	}
	if (write_cfg(l) || fill_interps(l->obj) || attach_all(l) || write_info(l))
		return 1;
	if ((r = pin_into_place(l, state, why, gid)))
		return r;
	load_msg("loaded probes %s (layout %d) at %s%s%s; hooks:", LECO_LOAD_VERSION,
		 LECO_LAYOUT_VERSION, l->o.dir, gid != (gid_t)-1 ? ", readable by group " : "",
		 gid != (gid_t)-1 ? (getgrgid(gid) ? getgrgid(gid)->gr_name : "?") : "");
	report_hooks(l);
	return 0;
}

static int do_unload(const char *dir)
{
	struct stat st;

	if (stat(dir, &st)) {
		if (errno == ENOENT) {
			load_msg("nothing loaded at %s", dir);
			return 0;
		}
		load_msg("%s: %s", dir, strerror(errno));
		return 1;
	}
	if (remove_pins(dir))
		return 1;
	load_msg("unloaded the probes from %s", dir);
	return 0;
}

int main(int argc, char **argv)
{
	struct loader l = {.cgfd = -1};
	char why[128] = "";
	int r, state;

	r = parse_args(argc, argv, &l.o);
	if (r)
		return r < 0 ? 0 : 1;
	if (geteuid() != 0) {
		load_msg("must run as root (loading eBPF programs needs CAP_BPF, CAP_PERFMON and "
			 "CAP_NET_ADMIN)");
		return 1;
	}
	libbpf_set_print(libbpf_print);
	signal(SIGPIPE, SIG_IGN); /* a closed stderr must not kill us mid-pin */
	if (ensure_bpffs(l.o.dir))
		return 1;
	remove_stale_tmp(l.o.dir);
	if (l.o.unload)
		return do_unload(l.o.dir);
	state = pinned_state(l.o.dir, why, sizeof(why));
	if (state == 1) {
		gid_t gid = pins_group(&l.o, state);

		if (set_perms(l.o.dir, gid, gid != (gid_t)-1))
			return 1;
		load_msg("probes %s already loaded at %s", LECO_LOAD_VERSION, l.o.dir);
		return 0;
	}
	r = load(&l, state, why);
	/* pinned links keep the programs attached after this process exits */
	for (int i = 0; i < l.nlinks; i++)
		bpf_link__destroy(l.links[i].link);
	if (l.cgfd >= 0)
		close(l.cgfd);
	bpf_object__close(l.obj);
	return r;
}
