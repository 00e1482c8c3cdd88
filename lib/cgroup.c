// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cgroup id -> path (by scanning the cgroup2 tree: a cgroup's id is its
 * directory's inode number), cached with expiry and negative-cached when gone;
 * path -> short label (strip .service/.scope/.slice, cut, disambiguate colliding
 * labels), following the original leco-event-pipe's algorithm.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* labels are cut to a width first: longer buffers than that are truncated on purpose */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define CG_PATHS_MAX  16384
#define CG_PATHS_TTL  (4ULL * 3600 * LECO_NS)
#define CG_LABELS_MAX 4096
#define CG_LABELS_TTL (30ULL * 60 * LECO_NS)
#define CG_SCAN_DIRS  65536
#define CG_DEPTH_MAX  32
#define CG_PATH_MAX   1024
#define CG_LABEL_MAX  256
#define CG_NEGATIVE   "\n" /* cached for ids not found: sanitized paths never hold it */

struct leco_cgroups {
	char *root;
	unsigned int cut;
	struct leco_cache *paths;	  /* id -> path */
	struct leco_cache *label_of_path; /* path -> label */
	struct leco_cache *path_of_label; /* label -> path */
	uint64_t last_scan;
	bool scanned;
	char path[CG_PATH_MAX];
	char label[CG_LABEL_MAX];
};

struct leco_cgroups *leco_cgroups_new(const char *cgroup_root, unsigned int label_cut)
{
	struct leco_cgroups *cg = calloc(1, sizeof(*cg));
	char mnt[1024];

	if (!cg)
		return NULL;
	if (!cgroup_root)
		cgroup_root = leco_cgroup2_mount("/proc/self/mounts", mnt, sizeof(mnt)) ? "" : mnt;
	cg->root = strdup(cgroup_root);
	cg->paths = leco_cache_new(CG_PATHS_MAX, CG_PATHS_TTL, true);
	cg->label_of_path = leco_cache_new(CG_LABELS_MAX, CG_LABELS_TTL, true);
	cg->path_of_label = leco_cache_new(CG_LABELS_MAX, CG_LABELS_TTL, true);
	if (!cg->root || !cg->paths || !cg->label_of_path || !cg->path_of_label) {
		leco_cgroups_free(cg);
		return NULL;
	}
	cg->cut = label_cut;
	return cg;
}

void leco_cgroups_free(struct leco_cgroups *cg)
{
	if (!cg)
		return;
	leco_cache_free(cg->paths);
	leco_cache_free(cg->label_of_path);
	leco_cache_free(cg->path_of_label);
	free(cg->root);
	free(cg);
}

void leco_cgroups_set_cut(struct leco_cgroups *cg, unsigned int label_cut)
{
	if (cg->cut == label_cut)
		return;
	cg->cut = label_cut;
	leco_cache_clear(cg->label_of_path);
	leco_cache_clear(cg->path_of_label);
}

struct scan_q {
	char **v;
	size_t head, n, cap;
};

/* A directory to read: its relative path on disk, then (after the NUL) the sanitized one shown. */
static int q_push(struct scan_q *q, const char *real, const char *shown)
{
	size_t rl = strlen(real) + 1, sl = strlen(shown) + 1;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		char **v = realloc(q->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		q->v = v;
		q->cap = cap;
	}
	if (!(q->v[q->n] = malloc(rl + sl)))
		return -ENOMEM;
	memcpy(q->v[q->n], real, rl);
	memcpy(q->v[q->n] + rl, shown, sl);
	q->n++;
	return 0;
}

/* Breadth-first scan of the whole tree; caches every directory's id -> path. */
static void scan(struct leco_cgroups *cg, uint64_t now)
{
	struct scan_q q = {0};
	size_t dirs = 0;
	struct stat st;

	cg->last_scan = now;
	cg->scanned = true;
	if (!cg->root[0])
		return;
	if (!stat(cg->root, &st))
		leco_cache_put(cg->paths, st.st_ino, NULL, "", now);
	if (q_push(&q, "", ""))
		goto out;
	while (q.head < q.n && dirs < CG_SCAN_DIRS) {
		char *rel = q.v[q.head++], full[CG_PATH_MAX * 2];
		const char *shown = rel + strlen(rel) + 1;
		size_t depth = 0;
		DIR *d;
		struct dirent *de;

		for (const char *c = rel; *c; c++)
			depth += *c == '/';
		snprintf(full, sizeof(full), "%s/%s", cg->root, rel);
		d = opendir(full);
		if (!d)
			continue; /* removed meanwhile, or not readable */
		while ((de = readdir(d)) && dirs < CG_SCAN_DIRS) {
			char name[CG_PATH_MAX], sub[CG_PATH_MAX], real[CG_PATH_MAX];

			if (de->d_name[0] == '.' &&
			    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
				continue;
			if (de->d_type == DT_UNKNOWN) {
				if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
				    !S_ISDIR(st.st_mode))
					continue;
			} else if (de->d_type != DT_DIR) {
				continue;
			}
			dirs++;
			leco_sanitize(name, sizeof(name), de->d_name, strlen(de->d_name));
			/* shown: every component sanitized; the real path is only for reading */
			if (snprintf(sub, sizeof(sub), "%s%s%s", shown, shown[0] ? "/" : "",
				     name) >= (int)sizeof(sub))
				continue;
			leco_cache_put(cg->paths, de->d_ino, NULL, sub, now);
			if (depth + 1 < CG_DEPTH_MAX &&
			    snprintf(real, sizeof(real), "%s%s%s", rel, rel[0] ? "/" : "",
				     de->d_name) < (int)sizeof(real))
				q_push(&q, real, sub);
		}
		closedir(d);
	}
out:
	for (size_t i = 0; i < q.n; i++)
		free(q.v[i]);
	free(q.v);
}

const char *leco_cgroups_path(struct leco_cgroups *cg, uint64_t id, uint64_t now)
{
	const char *p = leco_cache_get(cg->paths, id, NULL, now);

	if (!p && !(cg->scanned && cg->last_scan == now)) {
		scan(cg, now);
		p = leco_cache_get(cg->paths, id, NULL, now);
	}
	if (!p) {
		leco_cache_put(cg->paths, id, NULL, CG_NEGATIVE, now);
		return "";
	}
	if (!strcmp(p, CG_NEGATIVE))
		return "";
	snprintf(cg->path, sizeof(cg->path), "%s", p);
	return cg->path;
}

/* snprintf that, when it truncates, leaves no incomplete UTF-8 sequence at the end */
static void fmt_cut(char *dst, size_t dstsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fmt_cut(char *dst, size_t dstsz, const char *fmt, ...)
{
	va_list ap;
	size_t n, k;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(dst, dstsz, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r < dstsz)
		return;
	n = k = dstsz - 1;
	while (k && ((unsigned char)dst[k - 1] & 0xc0) == 0x80)
		k--;
	if (k) {
		unsigned char c = (unsigned char)dst[k - 1];
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (k - 1 + len > n)
			dst[k - 1] = 0;
	}
}

/* Strip a unit suffix as the original's re.sub(r'.(service|scope|slice)$', '', n). */
static void strip_unit(char *s)
{
	size_t n = strlen(s);

	if (n >= 8 && !strcmp(s + n - 7, "service"))
		s[n - 8] = 0;
	else if (n >= 6 && (!strcmp(s + n - 5, "scope") || !strcmp(s + n - 5, "slice")))
		s[n - 6] = 0;
}

static void cut_label(char *s, size_t cut)
{
	if (leco_utf8_len(s) > cut) {
		size_t off = leco_utf8_off(s, cut - 1);

		s[off] = '+';
		s[off + 1] = 0;
	}
}

/* Length of the common trailing path components of a and b ("x/b/c", "y/b/c" -> 3). */
static size_t common_tail(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), best = 0, k = 0;

	while (k < la && k < lb && a[la - 1 - k] == b[lb - 1 - k]) {
		k++;
		bool ea = k == la || a[la - 1 - k] == '/', eb = k == lb || b[lb - 1 - k] == '/';

		if (ea && eb)
			best = k;
	}
	return best;
}

static void label_of(struct leco_cgroups *cg, const char *cgp0, uint64_t now)
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char cgs[CG_LABEL_MAX] = "", cgp[CG_PATH_MAX], cgn[CG_LABEL_MAX * 2];
	char cgns[8][CG_LABEL_MAX];
	size_t ncgns = 0, cut = cg->cut;

	snprintf(cgp, sizeof(cgp), "%s", cgp0);
	for (int iter = 0; iter < 16; iter++) {
		const char *base = strrchr(cgp, '/');
		char b[CG_PATH_MAX];

		snprintf(b, sizeof(b), "%s", base ? base + 1 : cgp);
		strip_unit(b);
		fmt_cut(cgn, sizeof(cgn), "%s%s", b, cgs);
		cut_label(cgn, cut);
		bool seen = false;

		for (size_t i = 0; i < ncgns; i++)
			seen |= !strcmp(cgns[i], cgn);
		if (seen) { /* looping: a numbered label */
			char first[CG_LABEL_MAX];

			fmt_cut(first, sizeof(first), "%s", cgns[0]);
			first[leco_utf8_off(first, cut > 2 ? cut - 2 : 0)] = 0;
			for (unsigned int n = 0; n < 9999; n++) {
				char s[4] = {0};
				unsigned int m = n, cn = sizeof(chars) - 1;

				if (m >= cn) {
					s[0] = chars[(m / cn) % cn];
					s[1] = chars[m % cn];
				} else {
					s[0] = chars[m];
				}
				fmt_cut(cgn, sizeof(cgn), "%s.%s", first, s);
				if (!leco_cache_get(cg->path_of_label, 0, cgn, now))
					break;
			}
		} else if (ncgns < 8) {
			fmt_cut(cgns[ncgns++], CG_LABEL_MAX, "%s", cgn);
		}
		const char *cgp1 = leco_cache_get(cg->path_of_label, 0, cgn, now);

		if (cgp1 && strcmp(cgp1, cgp0)) { /* another cgroup has this label */
			char a[CG_PATH_MAX], bb[CG_PATH_MAX];
			size_t suff;

			snprintf(a, sizeof(a), "%s", cgp1);
			snprintf(bb, sizeof(bb), "%s", cgp0);
			strip_unit(a);
			strip_unit(bb);
			suff = common_tail(a, bb);
			if (suff) {
				size_t bl = strlen(bb);

				bb[bl > suff ? bl - suff - 1 : 0] = 0;
				snprintf(cgp, sizeof(cgp), "%s", bb);
			}
			/* a multi-component common suffix gets a second '/', as in the original */
			bool multi = suff && memchr(a + strlen(a) - suff, '/', suff);

			fmt_cut(cgs, sizeof(cgs), "%s/%s", multi ? "/" : "", cgn);
			continue;
		}
		if (!cgp1) {
			leco_cache_put(cg->path_of_label, 0, cgn, cgp0, now);
			leco_cache_put(cg->label_of_path, 0, cgp0, cgn, now);
		}
		fmt_cut(cg->label, sizeof(cg->label), "%s", cgn);
		return;
	}
	fmt_cut(cg->label, sizeof(cg->label), "%s", cgn);
}

const char *leco_cgroups_label(struct leco_cgroups *cg, uint64_t id, uint64_t now)
{
	const char *path = leco_cgroups_path(cg, id, now), *l;

	if (!path[0] || !cg->cut)
		return "";
	if ((l = leco_cache_get(cg->label_of_path, 0, path, now))) {
		fmt_cut(cg->label, sizeof(cg->label), "%s", l);
		/* keep the label's claim alive as long as the cgroup is shown */
		leco_cache_get(cg->path_of_label, 0, cg->label, now);
		return cg->label;
	}
	char p0[CG_PATH_MAX];

	snprintf(p0, sizeof(p0), "%s", path);
	label_of(cg, p0, now);
	return cg->label;
}
