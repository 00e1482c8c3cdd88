// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pid -> command name: the kernel comm, or for interpreters the script name (kept
 * at exec by the probes and copied into the record, else from /proc/PID/cmdline), cut to a width
 * and disambiguated as the original leco-event-pipe did; and /proc/PID/exe.
 * Every read tolerates the process vanishing.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/interp.h"
#include "internal.h"

#define PROC_CACHE_MAX 4096
#define PROC_TTL_NS    (3ULL * 3600 * LECO_NS)
#define CMDLINE_MAX    8192
#define NAME_MAX_BYTES 256
#define EXE_MAX_BYTES  1024

struct leco_proc {
	char *root;
	unsigned int cut;
	struct leco_cache *cache;  /* (tgid, comm) -> "cmd\nexe" */
	struct leco_cache *shorts; /* cut name -> full name */
	char cmd[NAME_MAX_BYTES + 8];
	char exe[EXE_MAX_BYTES];
	char buf[CMDLINE_MAX];
};

struct leco_proc *leco_proc_new(const char *proc_root, unsigned int script_cut)
{
	struct leco_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->root = strdup(proc_root ? proc_root : "/proc");
	p->cache = leco_cache_new(PROC_CACHE_MAX, PROC_TTL_NS, false);
	p->shorts = leco_cache_new(PROC_CACHE_MAX, PROC_TTL_NS, true);
	if (!p->root || !p->cache || !p->shorts) {
		leco_proc_free(p);
		return NULL;
	}
	p->cut = script_cut;
	return p;
}

const char *leco_proc_root(const struct leco_proc *p)
{
	return p->root;
}

void leco_proc_free(struct leco_proc *p)
{
	if (!p)
		return;
	leco_cache_free(p->cache);
	leco_cache_free(p->shorts);
	free(p->root);
	free(p);
}

void leco_proc_set_cut(struct leco_proc *p, unsigned int script_cut)
{
	if (p->cut == script_cut)
		return;
	p->cut = script_cut;
	leco_cache_clear(p->cache);
	leco_cache_clear(p->shorts);
}

bool leco_proc_is_interpreter(const char *comm)
{
	static const char *const names[] = {LECO_INTERPRETERS, NULL};
	char w[LECO_COMM_LEN + 1];
	size_t n = 0;

	while (*comm == ' ')
		comm++;
	for (; comm[n] && comm[n] != ' ' && n < sizeof(w) - 1; n++)
		w[n] = (char)tolower((unsigned char)comm[n]);
	w[n] = 0;
	/* python3.11, perl5.36, lua5.4: drop a version suffix */
	while (n && (isdigit((unsigned char)w[n - 1]) || w[n - 1] == '.'))
		w[--n] = 0;
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(w, names[i]))
			return true;
	return false;
}

bool leco_proc_script_from_args(const char *args, size_t len, char *out, size_t outsz)
{
	size_t i = 0;

	/* skip argv[0] */
	while (i < len && args[i])
		i++;
	i++;
	while (i < len) {
		const char *arg = args + i;
		size_t n = strnlen(arg, len - i);

		i += n + 1;
		if (!n || arg[0] == '-' || memchr(arg, '=', n))
			continue;
		if (!memchr(arg, '.', n) && !memchr(arg, '/', n))
			continue;
		const char *base = arg;

		for (size_t k = 0; k < n; k++)
			if (arg[k] == '/')
				base = arg + k + 1;
		if (!leco_sanitize(out, outsz, base, n - (size_t)(base - arg)))
			return false;
		return true;
	}
	return false;
}

/* Read up to bufsz-1 bytes of ROOT/PID/NAME; returns bytes read or -errno. */
static ssize_t read_pid_file(const struct leco_proc *p, uint32_t pid, const char *name, char *buf,
			     size_t bufsz)
{
	char path[512];
	ssize_t n, total = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/%s", p->root, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while ((size_t)total < bufsz - 1) {
		n = read(fd, buf + total, bufsz - 1 - (size_t)total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			total = total ? total : -errno;
			break;
		}
		if (!n)
			break;
		total += n;
	}
	close(fd);
	if (total >= 0)
		buf[total] = 0;
	return total;
}

/* Cut `full` to p->cut code points, "…+" with "~N" when another name has that cut. */
static void cut_name(struct leco_proc *p, const char *full, uint64_t now, char *out, size_t outsz)
{
	size_t cut = p->cut;

	if (leco_utf8_len(full) <= cut) {
		snprintf(out, outsz, "%s", full);
		return;
	}
	char s[NAME_MAX_BYTES + 8];

	snprintf(s, sizeof(s), "%.*s+", (int)leco_utf8_off(full, cut - 1), full);
	for (int n = 1; n <= 99; n++) {
		const char *prev = leco_cache_get(p->shorts, 0, s, now);

		if (!prev || !strcmp(prev, full))
			break;
		char ns[8], t[NAME_MAX_BYTES + 8];
		size_t keep;

		snprintf(ns, sizeof(ns), "%d", n);
		keep = cut > 1 + strlen(ns) ? cut - 1 - strlen(ns) : 0;
		snprintf(t, sizeof(t), "%.*s~%s", (int)leco_utf8_off(s, keep), s, ns);
		memcpy(s, t, sizeof(s));
	}
	leco_cache_put(p->shorts, 0, s, full, now);
	snprintf(out, outsz, "%s", s);
}

void leco_proc_lookup(struct leco_proc *p, uint32_t tgid, const char *comm, const char *kscript,
		      uint64_t now, struct leco_proc_info *info)
{
	uint64_t key = ((uint64_t)tgid << 1) | 1;
	const char *hit = tgid ? leco_cache_get(p->cache, key, comm, now) : NULL;
	char script[NAME_MAX_BYTES];
	bool have_script = false, same = false;
	ssize_t n;

	if (hit) {
		const char *nl = strchr(hit, '\n');
		size_t cl = nl ? (size_t)(nl - hit) : strlen(hit);

		snprintf(p->cmd, sizeof(p->cmd), "%.*s", (int)cl, hit);
		snprintf(p->exe, sizeof(p->exe), "%s", nl ? nl + 1 : "");
		info->cmd = p->cmd;
		info->exe = p->exe;
		return;
	}
	p->exe[0] = 0;
	snprintf(p->cmd, sizeof(p->cmd), "%s", comm[0] ? comm : "?");
	info->cmd = p->cmd;
	info->exe = p->exe;
	if (!tgid)
		return;

	/* is /proc/PID still the process the kernel record names? */
	n = read_pid_file(p, tgid, "comm", p->buf, LECO_COMM_LEN + 2);
	if (n > 0) {
		char c[LECO_COMM_LEN * 3 + 4];

		if (p->buf[n - 1] == '\n')
			p->buf[n - 1] = 0;
		leco_sanitize(c, sizeof(c), p->buf, strlen(p->buf));
		same = !strcmp(c, comm);
	}
	if (same) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%u/exe", p->root, tgid);
		n = readlink(path, p->buf, sizeof(p->buf) - 1);
		if (n > 0)
			leco_sanitize(p->exe, sizeof(p->exe), p->buf, (size_t)n);
	}

	if (p->cut && ((kscript && kscript[0]) || leco_proc_is_interpreter(comm))) {
		if (kscript && kscript[0])
			have_script = leco_sanitize(script, sizeof(script), kscript,
						    strnlen(kscript, LECO_SCRIPT_LEN)) > 0;
		if (!have_script && same) {
			n = read_pid_file(p, tgid, "cmdline", p->buf, sizeof(p->buf));
			if (n > 0)
				have_script = leco_proc_script_from_args(p->buf, (size_t)n, script,
									 sizeof(script));
		}
		if (have_script)
			cut_name(p, script, now, p->cmd, sizeof(p->cmd));
	}

	/* cache "cmd\nexe": sanitized text has no control characters */
	char val[sizeof(p->cmd) + sizeof(p->exe) + 2];

	snprintf(val, sizeof(val), "%s\n%s", p->cmd, p->exe);
	leco_cache_put(p->cache, key, comm, val, now);
}
