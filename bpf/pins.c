// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco-load: what lives under the pin directory. Pins go into a sibling
 * DIR-new-PID first and are renamed into place (leco-load.c), so a reader never
 * sees half a set; removal takes only what leco-load pins.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "leco.h"
#include "leco-load.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#define BPFFS_ROOT "/sys/fs/bpf"

int path_join(char *buf, size_t n, const char *a, const char *b)
{
	int r = snprintf(buf, n, "%s/%s", a, b);

	if (r < 0 || (size_t)r >= n) {
		load_msg("%s/%s: path too long", a, b);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Make sure /sys/fs/bpf is a bpffs, and the pin dir's parent is on one */
int ensure_bpffs(const char *dir)
{
	char parent[PATH_MAX];
	struct statfs sfs;

	if (statfs(BPFFS_ROOT, &sfs) == 0 && sfs.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0755")) {
			load_msg("failed to mount bpffs on %s: %s", BPFFS_ROOT, strerror(errno));
			return -errno;
		}
		load_msg("mounted bpffs on %s", BPFFS_ROOT);
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	dirname(parent);
	if (statfs(parent, &sfs)) {
		load_msg("%s: cannot use %s: %s", dir, parent, strerror(errno));
		return -errno;
	}
	if (sfs.f_type != BPF_FS_MAGIC) {
		load_msg("%s: %s is not on a bpf filesystem (mount -t bpf bpf %s)", dir, parent,
			 parent);
		return -EINVAL;
	}
	return 0;
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

static int rmdir_ours(const char *dir)
{
	int e;

	if (!rmdir(dir) || errno == ENOENT)
		return 0;
	e = errno;
	if (e == ENOTEMPTY || e == EEXIST)
		load_msg("%s: contains files leco-load did not create; left in place", dir);
	else
		load_msg("failed to remove %s: %s", dir, strerror(e));
	return -e;
}

/* Unlink every pinned link in dir (top: only the names of reader-visible links) */
static void unlink_links(const char *dir, bool top)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (top && strcmp(de->d_name, LECO_PIN_TCP)))
			continue;
		if (path_join(path, sizeof(path), dir, de->d_name))
			continue;
		if (pinned_kind(path, true) == 0 && unlink(path))
			load_msg("failed to remove %s: %s", path, strerror(errno));
	}
	closedir(d);
}

/*
 * Remove what leco-load pins in dir: the links first (that detaches the
 * programs), then the maps. Anything else stays, and then so does the
 * directory. Returns 0 when dir is gone.
 */
int remove_pins(const char *dir)
{
	char path[PATH_MAX], links[PATH_MAX];
	int r;

	if (path_join(links, sizeof(links), dir, LECO_PIN_LINKS))
		return -ENAMETOOLONG;
	unlink_links(links, false);
	unlink_links(dir, true);
	if ((r = rmdir_ours(links)))
		return r;
	/* the map names are ours: whatever is pinned under them goes */
	for (size_t i = 0; i < n_map_pins; i++) {
		if (path_join(path, sizeof(path), dir, map_pins[i].pin))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT)
			load_msg("failed to remove %s: %s", path, strerror(errno));
	}
	return rmdir_ours(dir);
}

static int read_info(const char *dir, struct leco_info *li, char *why, size_t n)
{
	struct bpf_map_info mi = {};
	char path[PATH_MAX];
	__u32 len = sizeof(mi), k = 0;
	int fd;

	if (path_join(path, sizeof(path), dir, LECO_PIN_INFO))
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		snprintf(why, n, "no usable info map (%s)", strerror(errno));
		return -1;
	}
	if (bpf_obj_get_info_by_fd(fd, &mi, &len) || mi.value_size != sizeof(*li) ||
	    mi.max_entries != 1 || mi.key_size != sizeof(k)) {
		close(fd);
		snprintf(why, n, "info map of another layout");
		return -1;
	}
	if (bpf_map_lookup_elem(fd, &k, li)) {
		snprintf(why, n, "unreadable info map (%s)", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	li->version[sizeof(li->version) - 1] = 0;
	li->links[sizeof(li->links) - 1] = 0;
	return 0;
}

/* Every link the info map names is pinned (under links/, or at DIR for the iterator) */
static int links_complete(const char *dir, const struct leco_info *li, char *why, size_t n)
{
	char names[sizeof(li->links)], path[PATH_MAX], ldir[PATH_MAX], *save = NULL;

	snprintf(names, sizeof(names), "%s", li->links);
	if (path_join(ldir, sizeof(ldir), dir, LECO_PIN_LINKS))
		return -1;
	for (char *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (path_join(path, sizeof(path), strcmp(t, LECO_PIN_TCP) ? ldir : dir, t) ||
		    pinned_kind(path, true) != 0) {
			snprintf(why, n, "link %s missing", t);
			return -1;
		}
	}
	return 0;
}

int pinned_state(const char *dir, char *why, size_t n)
{
	struct leco_info li = {};
	char path[PATH_MAX];
	struct stat st;

	if (stat(dir, &st)) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, n, "%s", strerror(errno));
		return 2;
	}
	if (read_info(dir, &li, why, n))
		return 2;
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
	    li.slot_size != sizeof(struct leco_slot) ||
	    li.stats_size != sizeof(struct leco_stats)) {
		snprintf(why, n, "record sizes differ");
		return 2;
	}
	for (size_t i = 1; i < n_map_pins; i++) {
		if (path_join(path, sizeof(path), dir, map_pins[i].pin) ||
		    pinned_kind(path, false) != 0) {
			snprintf(why, n, "map %s missing", map_pins[i].pin);
			return 2;
		}
	}
	return links_complete(dir, &li, why, n) ? 2 : 1;
}

gid_t pinned_group(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	if (path_join(path, sizeof(path), dir, LECO_PIN_INFO) || stat(path, &st))
		return (gid_t)-1;
	return st.st_gid;
}

static int chperm(const char *path, gid_t gid, mode_t mode)
{
	if (chown(path, 0, gid) || chmod(path, mode)) {
		load_msg("failed to set permissions on %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Group readers must be able to reach dir: add o+x (search, not listing) to its parent */
static int parent_searchable(const char *dir, gid_t gid)
{
	char parent[PATH_MAX];
	struct group *g;
	struct stat st;

	snprintf(parent, sizeof(parent), "%s", dir);
	dirname(parent);
	if (stat(parent, &st) || (st.st_mode & S_IXOTH) ||
	    (st.st_gid == gid && (st.st_mode & S_IXGRP)))
		return 0;
	if (chmod(parent, (st.st_mode & 07777) | S_IXOTH)) {
		load_msg("failed to make %s searchable: %s", parent, strerror(errno));
		return -errno;
	}
	g = getgrgid(gid);
	load_msg("made %s searchable (o+x) so group %s can reach the pins", parent,
		 g ? g->gr_name : "?");
	return 0;
}

/*
 * Maps and the live-TCP iterator: root:gid 0640 with a group, else root-only
 * 0600. The directories 0750/0700: links/ is group-listable so a reader can
 * tell "maps pinned but nothing attached" (it cannot open links, only stat).
 */
int set_perms(const char *dir, gid_t gid, bool group)
{
	mode_t fmode = group ? 0640 : 0600, dmode = group ? 0750 : 0700;
	char path[PATH_MAX];
	int r;

	if (!group)
		gid = 0;
	if ((r = chperm(dir, gid, dmode)))
		return r;
	for (size_t i = 0; i < n_map_pins; i++) {
		if (path_join(path, sizeof(path), dir, map_pins[i].pin))
			return -ENAMETOOLONG;
		if ((r = chperm(path, gid, fmode)))
			return r;
	}
	if (path_join(path, sizeof(path), dir, LECO_PIN_TCP))
		return -ENAMETOOLONG;
	if (!access(path, F_OK) && (r = chperm(path, gid, fmode)))
		return r;
	if (path_join(path, sizeof(path), dir, LECO_PIN_LINKS))
		return -ENAMETOOLONG;
	if ((r = chperm(path, gid, dmode)))
		return r;
	return group ? parent_searchable(dir, gid) : 0;
}

int pin_all(struct bpf_object *obj, const struct link_pin *links, int nlinks, const char *dir)
{
	char path[PATH_MAX], ldir[PATH_MAX];
	int r;

	if (mkdir(dir, 0700)) {
		load_msg("failed to create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (path_join(ldir, sizeof(ldir), dir, LECO_PIN_LINKS))
		return -ENAMETOOLONG;
	if (mkdir(ldir, 0700)) {
		load_msg("failed to create %s: %s", ldir, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < n_map_pins; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, map_pins[i].map);

		if (!m || path_join(path, sizeof(path), dir, map_pins[i].pin))
			return -ENOENT;
		r = bpf_map__pin(m, path);
		if (r) {
			load_msg("failed to pin map %s at %s: %s", map_pins[i].pin, path,
				 strerror(-r));
			return r;
		}
	}
	for (int i = 0; i < nlinks; i++) {
		if (path_join(path, sizeof(path), links[i].top ? dir : ldir, links[i].name))
			return -ENAMETOOLONG;
		r = bpf_link__pin(links[i].link, path);
		if (r) {
			load_msg("failed to pin link %s at %s: %s", links[i].name, path,
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

/* Remove DIR-new-PID directories left by a leco-load that died mid-way (PID gone) */
void remove_stale_tmp(const char *dir)
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
			load_msg("removed %s, left by an interrupted leco-load", path);
	}
	closedir(d);
}
