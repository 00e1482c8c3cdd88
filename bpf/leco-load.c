// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-load: load the libleco probes, attach them, and pin their maps and
 * links under a bpffs directory so unprivileged readers can open the maps and
 * the programs stay attached after this process exits. See doc/leco-load.md.
 *
 *	leco-load [-p|--pin DIR] [--group NAME] [-v]
 *	leco-load --unload [-p DIR]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "leco.h"
#include "leco.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef LECO_LOAD_VERSION
#define LECO_LOAD_VERSION "0.0.0"
#endif
#ifndef LECO_DEFAULT_PIN_DIR
#define LECO_DEFAULT_PIN_DIR "/sys/fs/bpf/leco"
#endif

#define BPFFS_ROOT "/sys/fs/bpf"

static const char *prog_name = "leco-load";
static bool verbose;

static const char *const map_pins[] = {LECO_PIN_INFO, LECO_PIN_CONNS, LECO_PIN_EXECS,
				       LECO_PIN_STATS};

/* links that must be pinned for a pin dir to count as loaded (optional ones may be missing) */
static const char *const required_links[] = {"leco_send",     "leco_recv",     "leco_state",
					     "leco_sendmsg4", "leco_sendmsg6", "leco_recvmsg4",
					     "leco_recvmsg6"};

/* "leco-load: <message>" on stderr; err() for failures, note() for progress (same output) */
static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define note err

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: leco-load [-p|--pin DIR] [--group NAME] [-v]\n"
		"       leco-load --unload [-p|--pin DIR] [-v]\n"
		"Load the libleco eBPF probes and pin their maps and links under DIR\n"
		"(default %s). Needs root.\n"
		"  -p, --pin DIR    bpffs directory for the pins\n"
		"  -g, --group NAME make the map pins readable by group NAME (0640, dir 0750)\n"
		"      --unload     detach the probes and remove the pins\n"
		"  -v, --verbose    show libbpf's log (verifier output on failure)\n"
		"  -h, --help       this text\n"
		"      --version    print the version\n",
		LECO_DEFAULT_PIN_DIR);
}

static int path_join(char *buf, size_t n, const char *a, const char *b)
{
	int r = snprintf(buf, n, "%s/%s", a, b);

	if (r < 0 || (size_t)r >= n) {
		err("%s/%s: path too long", a, b);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Make sure /sys/fs/bpf is a bpffs, and the pin dir's parent is on one */
static int ensure_bpffs(const char *dir)
{
	char parent[PATH_MAX];
	struct statfs sfs;

	if (statfs(BPFFS_ROOT, &sfs) == 0 && sfs.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0755")) {
			err("failed to mount bpffs on %s: %s", BPFFS_ROOT, strerror(errno));
			return -errno;
		}
		note("mounted bpffs on %s", BPFFS_ROOT);
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	dirname(parent);
	if (statfs(parent, &sfs)) {
		err("%s: cannot use %s: %s", dir, parent, strerror(errno));
		return -errno;
	}
	if (sfs.f_type != BPF_FS_MAGIC) {
		err("%s: %s is not on a bpf filesystem (mount -t bpf bpf %s)", dir, parent, parent);
		return -EINVAL;
	}
	return 0;
}

static int cgroup2_root(char *buf, size_t n)
{
	char line[4096];
	FILE *f = fopen("/proc/mounts", "re");
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], mnt[PATH_MAX], type[64];

		if (sscanf(line, "%255s %4095s %63s", dev, mnt, type) != 3)
			continue;
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(buf, n, "%s", mnt);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* Is path a pinned BPF link (link=true) or map? (0 = yes): the anon inode names the kind */
static int pinned_kind(const char *path, bool link)
{
	char fdpath[64], target[64];
	ssize_t len;
	int fd;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	len = readlink(fdpath, target, sizeof(target) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	target[len] = 0;
	return strcmp(target, link ? "anon_inode:bpf-link" : "anon_inode:bpf-map") ? -EINVAL : 0;
}

/*
 * Remove what leco-load pins in dir: the four maps and the links/ directory's
 * pinned links. Anything else stays (and then the directory stays too).
 * Returns 0 when dir is gone.
 */
static int remove_pins(const char *dir)
{
	char path[PATH_MAX], links[PATH_MAX];
	struct dirent *de;
	DIR *d;
	size_t i;

	if (path_join(links, sizeof(links), dir, LECO_PIN_LINKS))
		return -ENAMETOOLONG;
	d = opendir(links);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (path_join(path, sizeof(path), links, de->d_name))
				continue;
			if (pinned_kind(path, true) == 0 && unlink(path))
				err("failed to remove %s: %s", path, strerror(errno));
		}
		closedir(d);
		if (rmdir(links) && errno != ENOENT) {
			int e = errno;

			if (e == ENOTEMPTY || e == EEXIST)
				err("%s: contains files leco-load did not create; left in place",
				    links);
			else
				err("failed to remove %s: %s", links, strerror(e));
			return -e;
		}
	}
	/* the map names are ours: whatever is pinned under them goes */
	for (i = 0; i < sizeof(map_pins) / sizeof(map_pins[0]); i++) {
		if (path_join(path, sizeof(path), dir, map_pins[i]))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT)
			err("failed to remove %s: %s", path, strerror(errno));
	}
	if (rmdir(dir) && errno != ENOENT) {
		int e = errno;

		if (e == ENOTEMPTY || e == EEXIST)
			err("%s: contains files leco-load did not create; left in place", dir);
		else
			err("failed to remove %s: %s", dir, strerror(e));
		return -e;
	}
	return 0;
}

/* State of an existing pin dir: 0 absent, 1 this version, complete; 2 other or broken */
static int pinned_state(const char *dir, char *why, size_t n)
{
	struct bpf_map_info mi = {};
	struct leco_info li = {};
	char path[PATH_MAX];
	__u32 len = sizeof(mi), k = 0;
	struct stat st;
	size_t i;
	int fd;

	if (stat(dir, &st)) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, n, "%s", strerror(errno));
		return 2;
	}
	if (path_join(path, sizeof(path), dir, LECO_PIN_INFO))
		return 2;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		snprintf(why, n, "no usable info map (%s)", strerror(errno));
		return 2;
	}
	if (bpf_obj_get_info_by_fd(fd, &mi, &len) || mi.value_size != sizeof(li) ||
	    mi.max_entries != 1 || mi.key_size != sizeof(k)) {
		close(fd);
		snprintf(why, n, "info map of another layout");
		return 2;
	}
	if (bpf_map_lookup_elem(fd, &k, &li)) {
		close(fd);
		snprintf(why, n, "unreadable info map (%s)", strerror(errno));
		return 2;
	}
	close(fd);
	li.version[sizeof(li.version) - 1] = 0;
	if (li.magic != LECO_MAGIC || li.layout_version != LECO_LAYOUT_VERSION) {
		snprintf(why, n, "layout version %u, this is %u", li.layout_version,
			 LECO_LAYOUT_VERSION);
		return 2;
	}
	if (strcmp(li.version, LECO_LOAD_VERSION) != 0) {
		snprintf(why, n, "version %s, this is %s", li.version, LECO_LOAD_VERSION);
		return 2;
	}
	if (li.key_size != sizeof(struct leco_key) || li.conn_size != sizeof(struct leco_conn) ||
	    li.exec_size != sizeof(struct leco_exec) ||
	    li.stats_size != sizeof(struct leco_stats)) {
		snprintf(why, n, "record sizes differ");
		return 2;
	}
	for (i = 1; i < sizeof(map_pins) / sizeof(map_pins[0]); i++) {
		if (path_join(path, sizeof(path), dir, map_pins[i]) ||
		    pinned_kind(path, false) != 0) {
			snprintf(why, n, "map %s missing", map_pins[i]);
			return 2;
		}
	}
	for (i = 0; i < sizeof(required_links) / sizeof(required_links[0]); i++) {
		char ldir[PATH_MAX];

		if (path_join(ldir, sizeof(ldir), dir, LECO_PIN_LINKS) ||
		    path_join(path, sizeof(path), ldir, required_links[i]) ||
		    pinned_kind(path, true) != 0) {
			snprintf(why, n, "link %s missing", required_links[i]);
			return 2;
		}
	}
	return 1;
}

/* Programs: required ones fail the load, optional ones only warn */
struct prog_spec {
	struct bpf_program *prog;
	bool cgroup;
	bool optional;
};

static int set_perms(const char *dir, const char *group)
{
	char path[PATH_MAX], parent[PATH_MAX];
	gid_t gid = 0;
	mode_t fmode = 0600, dmode = 0700;
	struct stat st;
	size_t i;

	if (group) {
		struct group *g = getgrnam(group);

		if (!g) {
			err("unknown group '%s'", group);
			return -ENOENT;
		}
		gid = g->gr_gid;
		fmode = 0640;
		dmode = 0750;
	}
	if (chown(dir, 0, gid) || chmod(dir, dmode)) {
		err("failed to set permissions on %s: %s", dir, strerror(errno));
		return -errno;
	}
	for (i = 0; i < sizeof(map_pins) / sizeof(map_pins[0]); i++) {
		if (path_join(path, sizeof(path), dir, map_pins[i]))
			return -ENAMETOOLONG;
		if (chown(path, 0, gid) || chmod(path, fmode)) {
			err("failed to set permissions on %s: %s", path, strerror(errno));
			return -errno;
		}
	}
	if (path_join(path, sizeof(path), dir, LECO_PIN_LINKS))
		return -ENAMETOOLONG;
	if (chown(path, 0, 0) || chmod(path, 0700)) {
		err("failed to set permissions on %s: %s", path, strerror(errno));
		return -errno;
	}
	/* group readers must be able to reach dir */
	snprintf(parent, sizeof(parent), "%s", dir);
	dirname(parent);
	if (group && stat(parent, &st) == 0 && !(st.st_mode & S_IXOTH) &&
	    !(st.st_gid == gid && (st.st_mode & S_IXGRP))) {
		if (chmod(parent, (st.st_mode & 07777) | S_IXOTH)) {
			err("failed to make %s searchable: %s", parent, strerror(errno));
			return -errno;
		}
		note("made %s searchable (o+x) so group %s can reach %s", parent, group, dir);
	}
	return 0;
}

static int pin_all(struct leco_bpf *skel, struct bpf_link **links, struct prog_spec *specs,
		   int nspecs, const char *dir)
{
	char path[PATH_MAX], ldir[PATH_MAX];
	struct bpf_map *maps[] = {skel->maps.info, skel->maps.conns, skel->maps.execs,
				  skel->maps.stats};
	int i, r;

	if (mkdir(dir, 0700)) {
		err("failed to create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (path_join(ldir, sizeof(ldir), dir, LECO_PIN_LINKS))
		return -ENAMETOOLONG;
	if (mkdir(ldir, 0700)) {
		err("failed to create %s: %s", ldir, strerror(errno));
		return -errno;
	}
	for (i = 0; i < 4; i++) {
		if (path_join(path, sizeof(path), dir, map_pins[i]))
			return -ENAMETOOLONG;
		r = bpf_map__pin(maps[i], path);
		if (r) {
			err("failed to pin map %s at %s: %s", map_pins[i], path, strerror(-r));
			return r;
		}
	}
	for (i = 0; i < nspecs; i++) {
		if (!links[i])
			continue;
		if (path_join(path, sizeof(path), ldir, bpf_program__name(specs[i].prog)))
			return -ENAMETOOLONG;
		r = bpf_link__pin(links[i], path);
		if (r) {
			err("failed to pin link %s at %s: %s", bpf_program__name(specs[i].prog),
			    path, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* Remove DIR-new-PID directories left by a leco-load that died mid-way (PID gone) */
static void remove_stale_tmp(const char *dir)
{
	char parent[PATH_MAX], base[PATH_MAX], path[PATH_MAX], proc[64];
	struct dirent *de;
	size_t bl;
	DIR *d;

	snprintf(parent, sizeof(parent), "%s", dir);
	dirname(parent);
	snprintf(base, sizeof(base), "%s-new-", strrchr(dir, '/') + 1);
	bl = strlen(base);
	d = opendir(parent);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, base, bl))
			continue;
		pid = strtol(de->d_name + bl, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(proc, sizeof(proc), "/proc/%ld", pid);
		if (access(proc, F_OK) == 0 || path_join(path, sizeof(path), parent, de->d_name))
			continue;
		if (remove_pins(path) == 0)
			note("removed %s, left by an interrupted leco-load", path);
	}
	closedir(d);
}

static int do_unload(const char *dir)
{
	struct stat st;

	if (stat(dir, &st)) {
		if (errno == ENOENT) {
			note("nothing loaded at %s", dir);
			return 0;
		}
		err("%s: %s", dir, strerror(errno));
		return 1;
	}
	if (remove_pins(dir))
		return 1;
	note("unloaded the probes from %s", dir);
	return 0;
}

static int kernel_release(char *buf, size_t n)
{
	struct utsname u;

	if (uname(&u))
		return snprintf(buf, n, "unknown");
	return snprintf(buf, n, "%s", u.release);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"pin", required_argument, NULL, 'p'},
		{"group", required_argument, NULL, 'g'},
		{"unload", no_argument, NULL, 'u'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = LECO_DEFAULT_PIN_DIR, *group = NULL;
	char cgpath[PATH_MAX], tmpdir[PATH_MAX], why[128] = "", krel[128];
	struct bpf_link *links[16] = {};
	struct prog_spec specs[16];
	struct leco_bpf *skel = NULL;
	struct leco_info li = {};
	struct timespec ts;
	sigset_t sigs;
	bool unload = false;
	int c, i, n = 0, r, state, cgfd = -1, ret = 1;
	__u32 k = 0;

	while ((c = getopt_long(argc, argv, "p:g:vhu", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			dir = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'u':
			unload = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("leco-load %s (layout %d)\n", LECO_LOAD_VERSION,
			       LECO_LAYOUT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (!dir[0] || dir[0] != '/') {
		err("pin directory must be an absolute path: '%s'", dir);
		return 1;
	}
	if (strlen(dir) > PATH_MAX - 64) {
		err("pin directory path too long");
		return 1;
	}
	if (group && !getgrnam(group)) {
		err("unknown group '%s'", group);
		return 1;
	}
	if (geteuid() != 0) {
		err("must run as root (loading eBPF programs needs CAP_BPF, CAP_PERFMON, "
		    "CAP_NET_ADMIN and CAP_SYS_ADMIN)");
		return 1;
	}
	libbpf_set_print(libbpf_print);
	signal(SIGPIPE, SIG_IGN); /* a closed stderr must not kill us mid-pin */
	if (ensure_bpffs(dir))
		return 1;
	remove_stale_tmp(dir);
	if (unload)
		return do_unload(dir);

	state = pinned_state(dir, why, sizeof(why));
	if (state == 1) {
		if (set_perms(dir, group))
			return 1;
		note("probes %s already loaded at %s", LECO_LOAD_VERSION, dir);
		return 0;
	}

	kernel_release(krel, sizeof(krel));
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		err("kernel %s has no BTF (/sys/kernel/btf/vmlinux: %s): needs "
		    "CONFIG_DEBUG_INFO_BTF=y",
		    krel, strerror(errno));
		return 1;
	}
	if (cgroup2_root(cgpath, sizeof(cgpath))) {
		err("cgroup2 is not mounted (no cgroup2 entry in /proc/mounts): needed for the "
		    "UDP address hooks");
		return 1;
	}

	/* first with every program; if that fails, again without the optional ones
	 * (kfree_skb, sched_process_exec), as libbpf-tools fall back */
	for (int attempt = 0; attempt < 2; attempt++) {
		skel = leco_bpf__open();
		if (!skel) {
			err("failed to open the BPF object: %s", strerror(errno));
			return 1;
		}
		skel->rodata->cfg_exec_args = 1;
		n = 0;
		specs[n++] = (struct prog_spec){skel->progs.leco_send, false, false};
		specs[n++] = (struct prog_spec){skel->progs.leco_recv, false, false};
		specs[n++] = (struct prog_spec){skel->progs.leco_state, false, false};
		specs[n++] = (struct prog_spec){skel->progs.leco_sendmsg4, true, false};
		specs[n++] = (struct prog_spec){skel->progs.leco_sendmsg6, true, false};
		specs[n++] = (struct prog_spec){skel->progs.leco_recvmsg4, true, false};
		specs[n++] = (struct prog_spec){skel->progs.leco_recvmsg6, true, false};
		specs[n++] = (struct prog_spec){skel->progs.leco_drop, false, true};
		specs[n++] = (struct prog_spec){skel->progs.leco_exec, false, true};
		if (attempt) {
			for (i = 0; i < n; i++)
				if (specs[i].optional)
					bpf_program__set_autoload(specs[i].prog, false);
		}
		r = leco_bpf__load(skel);
		if (!r) {
			if (attempt)
				note("warning: loaded without the optional programs (firewall "
				     "drops, "
				     "script names): they failed to load on kernel %s",
				     krel);
			break;
		}
		leco_bpf__destroy(skel);
		skel = NULL;
	}
	if (!skel) {
		err("failed to load the BPF programs into kernel %s: %s (needs >= 6.3 with BTF%s)",
		    krel, strerror(-r), verbose ? "" : "; -v shows the verifier log");
		goto cleanup;
	}

	cgfd = open(cgpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		err("failed to open the cgroup2 root %s: %s", cgpath, strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		struct bpf_program *p = specs[i].prog;

		if (!bpf_program__autoload(p))
			continue;
		links[i] = specs[i].cgroup ? bpf_program__attach_cgroup(p, cgfd)
					   : bpf_program__attach(p);
		if (!links[i]) {
			r = -errno;
			if (specs[i].optional) {
				note("warning: %s not attached (%s); running without it",
				     bpf_program__section_name(p), strerror(-r));
				continue;
			}
			err("failed to attach %s: %s", bpf_program__section_name(p), strerror(-r));
			goto cleanup;
		}
	}

	li.magic = LECO_MAGIC;
	li.layout_version = LECO_LAYOUT_VERSION;
	li.key_size = sizeof(struct leco_key);
	li.conn_size = sizeof(struct leco_conn);
	li.exec_size = sizeof(struct leco_exec);
	li.stats_size = sizeof(struct leco_stats);
	li.conns_max = bpf_map__max_entries(skel->maps.conns);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	li.load_mono_ns = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	snprintf(li.version, sizeof(li.version), "%s", LECO_LOAD_VERSION);
	r = bpf_map__update_elem(skel->maps.info, &k, sizeof(k), &li, sizeof(li), BPF_ANY);
	if (r) {
		err("failed to write the info map: %s", strerror(-r));
		goto cleanup;
	}
	/* read-only from now on, also for root: readers trust what it says */
	if (bpf_map_freeze(bpf_map__fd(skel->maps.info)))
		note("warning: could not freeze the info map: %s", strerror(errno));

	/* pin into a sibling directory (bpffs forbids dots in names), then move it
	 * into place: readers never see a half-pinned directory */
	/* no interruption between the first pin and the rename */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	r = snprintf(tmpdir, sizeof(tmpdir), "%s-new-%d", dir, (int)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmpdir)) {
		err("pin directory path too long");
		goto cleanup;
	}
	if (pin_all(skel, links, specs, n, tmpdir) || set_perms(tmpdir, group)) {
		remove_pins(tmpdir);
		goto cleanup;
	}
	if (state == 2) {
		note("replacing %s (%s)", dir, why);
		if (remove_pins(dir)) {
			remove_pins(tmpdir);
			goto cleanup;
		}
	}
	if (rename(tmpdir, dir)) {
		int e = errno;

		remove_pins(tmpdir);
		/* another leco-load of this version won the race: that is success */
		if ((e == EEXIST || e == ENOTEMPTY) && pinned_state(dir, why, sizeof(why)) == 1) {
			note("probes %s already loaded at %s", LECO_LOAD_VERSION, dir);
			ret = 0;
			goto cleanup;
		}
		err("failed to move %s to %s: %s", tmpdir, dir, strerror(e));
		goto cleanup;
	}
	note("loaded probes %s (layout %d) at %s%s%s", LECO_LOAD_VERSION, LECO_LAYOUT_VERSION, dir,
	     group ? ", readable by group " : "", group ? group : "");
	ret = 0;

cleanup:
	/* pinned links keep the programs attached after this process exits */
	for (i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	if (cgfd >= 0)
		close(cgfd);
	leco_bpf__destroy(skel);
	return ret;
}
