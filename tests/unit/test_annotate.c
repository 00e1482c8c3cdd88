// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Annotation on fixture trees the test writes into a temp dir: /proc (script
 * names of interpreters, vanished and reused pids, hostile and huge argv), a
 * passwd file, a cgroup2-like tree (labels, collisions, vanished cgroups), and
 * the sanitizer itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define PROC_TTL_NS_T (3ULL * 3600 * LECO_NS)

static char tmp[256];

static void wfile(const char *rel, const void *data, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(data, 1, len, f);
	fclose(f);
}

static void mkdirf(const char *fmt, ...)
{
	char rel[1024], path[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	/* mkdir -p */
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (char *p = path + strlen(tmp) + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

/* a /proc/PID with comm, cmdline (len bytes, NUL separated) and an exe link */
static void fake_pid(const char *root, unsigned pid, const char *comm, const char *cmdline,
		     size_t len, const char *exe)
{
	char rel[256], c[64];

	mkdirf("%s/%u", root, pid);
	snprintf(rel, sizeof(rel), "%s/%u/comm", root, pid);
	snprintf(c, sizeof(c), "%s\n", comm);
	wfile(rel, c, strlen(c));
	snprintf(rel, sizeof(rel), "%s/%u/cmdline", root, pid);
	wfile(rel, cmdline, len);
	if (exe) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/%s/%u/exe", tmp, root, pid);
		symlink(exe, path);
	}
}

static void test_sanitize(void)
{
	static const struct {
		const char *name, *in, *want;
	} rows[] = {
		{"plain", "firefox", "firefox"},
		{"newline", "a\nb", "ab"},
		{"ansi", "\x1b[31mred\x1b[0m", "[31mred[0m"},
		{"separator", "a :: b", "a - b"},
		{"colon run", "a:::b", "a-b"},
		{"single colon", "a:b", "a:b"},
		{"joined by a control char", "a:\x01:b", "a-b"},
		{"leading sep", ":: x", "- x"},
		{"invalid utf8", "bad\xff", "bad\xef\xbf\xbd"},
		{"overlong", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
		{"surrogate", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"c1 control",
		 "a\xc2\x85"
		 "b",
		 "ab"},
		{"bidi override",
		 "a\xe2\x80\xae"
		 "b",
		 "ab"},
		{"bidi marks RLM, LRM, ALM",
		 "a\xe2\x80\x8f"
		 "b\xe2\x80\x8e"
		 "c\xd8\x9c"
		 "d",
		 "abcd"},
		{"zero-width joiner kept", "x\xe2\x80\x8dy", "x\xe2\x80\x8dy"},
		{"utf8 kept", "caf\xc3\xa9", "caf\xc3\xa9"},
		{"trim", "  x  ", "x"},
		{"tab", "a\tb", "ab"},
		{"del",
		 "a\x7f"
		 "b",
		 "ab"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		th_current = rows[i].name;
		leco_sanitize(out, sizeof(out), rows[i].in, strlen(rows[i].in));
		CHECK_STREQ(out, rows[i].want);
	}
	th_current = "test_sanitize";
	/* bounded, and never cuts a UTF-8 sequence */
	CHECK_INTEQ(leco_sanitize(out, 6, "\xc3\xa9\xc3\xa9\xc3\xa9", 6), 4);
	CHECK_STREQ(out, "\xc3\xa9\xc3\xa9");
	/* length stops at len, and at a NUL */
	leco_sanitize(out, sizeof(out), "abcdef", 3);
	CHECK_STREQ(out, "abc");
	leco_sanitize(out, sizeof(out), "ab\0cd", 5);
	CHECK_STREQ(out, "ab");
	/* whole-line variant keeps " :: " */
	leco_sanitize_line(out, sizeof(out), "a :: b\n", 7);
	CHECK_STREQ(out, "a :: b");
	CHECK_INTEQ(leco_utf8_len("caf\xc3\xa9"), 4);
	CHECK_INTEQ(leco_utf8_off("caf\xc3\xa9!", 4), 5);
}

static void test_interpreters(void)
{
	CHECK(leco_proc_is_interpreter("python3"));
	CHECK(leco_proc_is_interpreter("python3.11"));
	CHECK(leco_proc_is_interpreter("perl5.36"));
	CHECK(leco_proc_is_interpreter("bash"));
	CHECK(leco_proc_is_interpreter("node"));
	CHECK(leco_proc_is_interpreter("Ruby"));
	CHECK(leco_proc_is_interpreter("lua5.4"));
	CHECK(!leco_proc_is_interpreter("curl"));
	CHECK(!leco_proc_is_interpreter("pythonista"));
	CHECK(!leco_proc_is_interpreter(""));
	/* one list with the kernel's (bpf/interp.h): these had drifted apart */
	{
		static const char *const both[] = {"fish",    "ksh", "mksh", "wish8.6", "busybox",
						   "Rscript", "awk", "gawk", "racket",	"sbcl"};

		for (size_t i = 0; i < sizeof(both) / sizeof(both[0]); i++)
			CHECK(leco_proc_is_interpreter(both[i]));
	}

	char out[64];
	static const char a1[] = "python3\0-W\0ignore\0foo.py\0";
	static const char a2[] = "python3\0-c\0import x\0";
	static const char a3[] = "/bin/sh\0/usr/lib/x/run-job\0--flag\0";
	static const char a4[] = "node\0--max-old=1\0app/server.js\0";

	CHECK(leco_proc_script_from_args(a1, sizeof(a1) - 1, out, sizeof(out)));
	CHECK_STREQ(out, "foo.py");
	CHECK(!leco_proc_script_from_args(a2, sizeof(a2) - 1, out, sizeof(out)));
	CHECK(leco_proc_script_from_args(a3, sizeof(a3) - 1, out, sizeof(out)));
	CHECK_STREQ(out, "run-job");
	CHECK(leco_proc_script_from_args(a4, sizeof(a4) - 1, out, sizeof(out)));
	CHECK_STREQ(out, "server.js");
	/* not NUL-terminated at the end (truncated capture) */
	CHECK(leco_proc_script_from_args("sh\0x.sh", 7, out, sizeof(out)));
	CHECK_STREQ(out, "x.sh");
}

static void test_proc(void)
{
	char proot[512];
	struct leco_proc *p;
	struct leco_proc_info pi;
	uint64_t now = 1000 * LECO_NS;

	mkdirf("proc");
	snprintf(proot, sizeof(proot), "%s/proc", tmp);
	fake_pid("proc", 100, "python3", "python3\0-W\0ignore\0foo.py\0", 25,
		 "/usr/bin/python3.11");
	fake_pid("proc", 101, "bash", "/bin/bash\0/home/u/bin/backup.sh\0", 32, "/usr/bin/bash");
	fake_pid("proc", 103, "curl", "curl\0x\0", 7, "/usr/bin/curl");
	fake_pid("proc", 104, "curl", "curl\0http://x.y/a.py\0", 21, "/usr/bin/curl");
	fake_pid("proc", 110, "python3", "python3\0very-long-script-name-one.py\0", 38, NULL);
	fake_pid("proc", 111, "python3", "python3\0very-long-script-name-two.py\0", 38, NULL);
	fake_pid("proc", 112, "python3", "python3\0\x1b[31mevil\nname.py\0", 26, NULL);
	fake_pid("proc", 113, "python3", "python3\0bad\xff.py\0", 16, NULL);
	fake_pid("proc", 115, "a - b", "x\0y.py\0", 7, NULL);
	{
		/* 4 KiB option then the script; and a 5000-byte script name */
		static char big[12000];
		size_t n = 0;

		memcpy(big, "python3\0-", 9);
		n = 9;
		memset(big + n, 'x', 4096);
		n += 4096;
		big[n++] = 0;
		memcpy(big + n, "real.py", 8);
		n += 8;
		fake_pid("proc", 120, "python3", big, n, NULL);
		n = 8;
		memset(big + n, 'y', 5000);
		memcpy(big + n + 4997, ".py", 3);
		n += 5000;
		big[n++] = 0;
		fake_pid("proc", 121, "python3", big, n, NULL);
	}

	p = leco_proc_new(proot, 16);
	CHECK(p != NULL);
	if (!p)
		return;
	leco_proc_lookup(p, 100, "python3", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "foo.py");
	CHECK_STREQ(pi.exe, "/usr/bin/python3.11");
	leco_proc_lookup(p, 101, "bash", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "backup.sh");
	/* vanished pid: comm, no exe, no failure */
	leco_proc_lookup(p, 102, "perl", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "perl");
	CHECK_STREQ(pi.exe, "");
	/* pid reused by another program: its cmdline is not ours */
	leco_proc_lookup(p, 103, "python3", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "python3");
	CHECK_STREQ(pi.exe, "");
	/* not an interpreter: comm even if argv has a dotted word */
	leco_proc_lookup(p, 104, "curl", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "curl");
	CHECK_STREQ(pi.exe, "/usr/bin/curl");
	/* unknown owner */
	leco_proc_lookup(p, 0, "", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "?");

	/* cut to 16 and disambiguated */
	leco_proc_lookup(p, 110, "python3", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "very-long-scrip+");
	leco_proc_lookup(p, 111, "python3", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "very-long-scri~1");
	leco_proc_lookup(p, 110, "python3", NULL, now + 1, &pi);
	CHECK_STREQ(pi.cmd, "very-long-scrip+");

	/* hostile argv */
	leco_proc_lookup(p, 112, "python3", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "[31mevilname.py");
	leco_proc_lookup(p, 113, "python3", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "bad\xef\xbf\xbd.py");
	leco_proc_lookup(p, 115, "a - b", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "a - b");
	leco_proc_lookup(p, 120, "python3", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "real.py");
	leco_proc_lookup(p, 121, "python3", NULL, now, &pi);
	CHECK_INTEQ(leco_utf8_len(pi.cmd), 16);
	CHECK_STREQ(pi.cmd, "yyyyyyyyyyyyyyy+");

	/* the script name the kernel kept at exec (from the record): used for a vanished pid,
	 * sanitized, and it wins over /proc (the pid may already run something else) */
	leco_proc_lookup(p, 130, "python3", "server.py", now, &pi);
	CHECK_STREQ(pi.cmd, "server.py");
	leco_proc_lookup(p, 100, "python3", "other.py", now + 2 * PROC_TTL_NS_T, &pi);
	CHECK_STREQ(pi.cmd, "other.py");
	leco_proc_lookup(p, 132, "python3", "\x1b[2Jx\xe2\x80\xae.py", now, &pi);
	CHECK_STREQ(pi.cmd, "[2Jx.py");
	/* a kernel name is at most LECO_SCRIPT_LEN bytes, NUL or not */
	{
		char k[LECO_SCRIPT_LEN + 8];

		memset(k, 'z', sizeof(k));
		leco_proc_lookup(p, 133, "perl", k, now, &pi);
		CHECK_STREQ(pi.cmd, "zzzzzzzzzzzzzzz+");
	}
	/* "#!" scripts: a comm that is no interpreter, with a kernel script name */
	leco_proc_lookup(p, 134, "deploy-all-the-", "deploy-all-the-things.sh", now, &pi);
	CHECK_STREQ(pi.cmd, "deploy-all-the-+");

	/* script names off */
	leco_proc_set_cut(p, 0);
	leco_proc_lookup(p, 100, "python3", NULL, now, &pi);
	CHECK_STREQ(pi.cmd, "python3");
	leco_proc_free(p);
}

static void test_users(void)
{
	static const char pw[] = "root:x:0:0:root:/root:/bin/sh\n"
				 "# comment\n"
				 "broken line\n"
				 "alice:x:1000:1000::/home/alice:/bin/sh\n"
				 "evil\x1b[1m:x:1001:1001::/:/bin/sh\n"
				 "a::b:x:1002:1002::/:/bin/sh\n";
	char path[512];
	struct leco_users *u;

	wfile("passwd", pw, sizeof(pw) - 1);
	snprintf(path, sizeof(path), "%s/passwd", tmp);
	u = leco_users_new(path);
	CHECK(u != NULL);
	if (!u)
		return;
	CHECK_STREQ(leco_users_name(u, 0, 1), "root");
	CHECK_STREQ(leco_users_name(u, 1000, 1), "alice");
	CHECK_STREQ(leco_users_name(u, 4242, 1), "4242");
	CHECK_STREQ(leco_users_name(u, 1001, 1), "evil[1m");
	/* the name field ends at the first ':': "a::b:x:1002" has no numeric uid field */
	CHECK_STREQ(leco_users_name(u, 1002, 1), "1002");
	/* cached: a changed file is not re-read within the expiry */
	wfile("passwd", "bob:x:1000:1000::/:/bin/sh\n", 27);
	CHECK_STREQ(leco_users_name(u, 1000, 2), "alice");
	CHECK_STREQ(leco_users_name(u, 1000, 5ULL * 3600 * LECO_NS), "bob");
	leco_users_free(u);

	/* NSS: root exists everywhere */
	u = leco_users_new(NULL);
	CHECK_STREQ(leco_users_name(u, 0, 1), "root");
	leco_users_free(u);
}

static uint64_t ino_of(const char *rel)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/cg/%s", tmp, rel);
	if (stat(path, &st))
		return 0;
	return st.st_ino;
}

static void test_cgroups(void)
{
	static const char *dirs[] = {
		"system.slice/foo.service",
		"user.slice/user-1000.slice/user@1000.service/app.slice/"
		"app-flatpak-org.foo.Bar-1234.scope",
		"user.slice/user-1000.slice/user@1000.service/app.slice/"
		"tmux-spawn-822f3728-aaaa-bbbb-cccc.scope",
		"a.slice/web.service",
		"b.slice/web.service",
		"x/very-long-cgroup-name-number-one.scope",
		"x/very-long-cgroup-name-number-two.scope",
		"evil\x1b[2J::name\n.scope",
	};
	char root[512];
	struct leco_cgroups *cg;
	uint64_t now = 100 * LECO_NS;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		mkdirf("cg/%s", dirs[i]);
	snprintf(root, sizeof(root), "%s/cg", tmp);
	cg = leco_cgroups_new(root, 20);
	CHECK(cg != NULL);
	if (!cg)
		return;

	CHECK_STREQ(leco_cgroups_path(cg, ino_of("system.slice/foo.service"), now),
		    "system.slice/foo.service");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of("system.slice/foo.service"), now), "foo");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of(dirs[1]), now), "app-flatpak-org.foo+");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of(dirs[2]), now), "tmux-spawn-822f3728+");
	/* the root cgroup has no label */
	CHECK_STREQ(leco_cgroups_path(cg, ino_of(""), now), "");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of(""), now), "");
	/* same unit name in two slices */
	CHECK_STREQ(leco_cgroups_label(cg, ino_of("a.slice/web.service"), now), "web");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of("b.slice/web.service"), now), "b/web");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of("a.slice/web.service"), now), "web");
	/* labels that collide after the cut */
	CHECK_STREQ(leco_cgroups_label(cg, ino_of(dirs[5]), now), "very-long-cgroup-na+");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of(dirs[6]), now), "very-long-cgroup-n.a");
	/* hostile directory name */
	CHECK_STREQ(leco_cgroups_label(cg, ino_of(dirs[7]), now), "evil[2J-name");
	/* a vanished cgroup: "", negative-cached (no rescan in the same poll either) */
	CHECK_STREQ(leco_cgroups_path(cg, 987654321, now), "");
	CHECK_STREQ(leco_cgroups_label(cg, 987654321, now + 1), "");
	/* a cgroup created after the first scan is found by the next one */
	mkdirf("cg/late.slice/new.service");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of("late.slice/new.service"), now + 2), "new");
	/* labels off */
	leco_cgroups_set_cut(cg, 0);
	CHECK_STREQ(leco_cgroups_label(cg, ino_of("a.slice/web.service"), now), "");
	leco_cgroups_free(cg);

	char mnt[256];

	wfile("mounts",
	      "sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup/my\\040dir cgroup2 rw 0 0\n", 70);
	snprintf(root, sizeof(root), "%s/mounts", tmp);
	CHECK_INTEQ(leco_cgroup2_mount(root, mnt, sizeof(mnt)), 0);
	CHECK_STREQ(mnt, "/sys/fs/cgroup/my dir");
}

/* Hostile names of parent cgroups are sanitized in paths and labels too, not only the last one. */
static void test_cgroups_hostile_parents(void)
{
	char root[512];
	struct leco_cgroups *cg;
	uint64_t now = 100 * LECO_NS;

	mkdirf("cg"); /* ino_of() looks under cg/ */
	mkdirf("cg2/a.slice/web.service");
	mkdirf("cg2/ev [ :: ]\x01il/web.service");
	mkdirf("cg2/x\n::y/z::/w.scope");
	snprintf(root, sizeof(root), "%s/cg2", tmp);
	cg = leco_cgroups_new(root, 20);
	CHECK(cg != NULL);
	if (!cg)
		return;
	CHECK_STREQ(leco_cgroups_path(cg, ino_of("../cg2/ev [ :: ]\x01il/web.service"), now),
		    "ev [ - ]il/web.service");
	CHECK_STREQ(leco_cgroups_path(cg, ino_of("../cg2/x\n::y/z::/w.scope"), now),
		    "x-y/z-/w.scope");
	CHECK_STREQ(leco_cgroups_label(cg, ino_of("../cg2/a.slice/web.service"), now), "web");
	/* the collision takes the parent's (sanitized) name */
	CHECK_STREQ(leco_cgroups_label(cg, ino_of("../cg2/ev [ :: ]\x01il/web.service"), now),
		    "ev [ - ]il/web");
	leco_cgroups_free(cg);
}

/* Whether s is valid UTF-8 (no sequence cut short). */
static bool utf8_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;

		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/* With a wide cg-label-cut, a long label that does not fit the buffers is cut between characters.
 */
static void test_cgroups_long_labels(void)
{
	char name[300] = "x", root[512];
	struct leco_cgroups *cg;
	uint64_t now = 100 * LECO_NS;

	for (int i = 0; i < 127; i++)
		strcat(name, "\xc3\xa9"); /* 255 bytes: the longest file name */
	mkdirf("cg");			  /* ino_of() looks under cg/ */
	mkdirf("cg3/p/%s", name);
	mkdirf("cg3/qq/%s", name);
	snprintf(root, sizeof(root), "%s/cg3", tmp);
	cg = leco_cgroups_new(root, 4096);
	CHECK(cg != NULL);
	if (!cg)
		return;
	for (int i = 0; i < 2; i++) {
		char rel[400];
		const char *l;

		snprintf(rel, sizeof(rel), "../cg3/%s/%s", i ? "qq" : "p", name);
		l = leco_cgroups_label(cg, ino_of(rel), now);
		CHECKF(l[0] && utf8_ok(l), "label %d: [%s]", i, l);
	}
	leco_cgroups_free(cg);
}

static void test_cache(void)
{
	struct leco_cache *c = leco_cache_new(4, 10, false);

	for (uint64_t i = 0; i < 10; i++) {
		char v[8];

		snprintf(v, sizeof(v), "%u", (unsigned)i);
		leco_cache_put(c, i, NULL, v, i);
	}
	CHECK(leco_cache_count(c) <= 4);
	CHECK_STREQ(leco_cache_get(c, 9, NULL, 9), "9");
	CHECK(leco_cache_get(c, 0, NULL, 9) == NULL);
	CHECK(leco_cache_get(c, 9, NULL, 100) == NULL); /* expired */
	leco_cache_free(c);
	c = leco_cache_new(4, 10, false);
	leco_cache_put(c, 1, "a", "x", 0);
	leco_cache_put(c, 1, "b", "y", 0);
	CHECK_STREQ(leco_cache_get(c, 1, "a", 0), "x");
	CHECK_STREQ(leco_cache_get(c, 1, "b", 0), "y");
	leco_cache_free(c);

	/* when full, the entry inserted (or, when bumping, used) longest ago goes */
	for (int bump = 0; bump < 2; bump++) {
		c = leco_cache_new(4, 100, bump);
		for (uint64_t k = 1; k <= 4; k++)
			leco_cache_put(c, k, NULL, "v", k);
		CHECK_STREQ(leco_cache_get(c, 1, NULL, 5), "v");
		leco_cache_put(c, 5, NULL, "v", 6);
		CHECK_INTEQ(leco_cache_count(c), 4);
		CHECK((leco_cache_get(c, 1, NULL, 6) != NULL) == bump);
		CHECK((leco_cache_get(c, 2, NULL, 6) == NULL) == bump);
		CHECK(leco_cache_get(c, 5, NULL, 6) != NULL);
		/* replacing a key keeps one entry; expired entries make room first */
		leco_cache_put(c, 5, NULL, "w", 7);
		CHECK_STREQ(leco_cache_get(c, 5, NULL, 7), "w");
		CHECK_INTEQ(leco_cache_count(c), 4);
		leco_cache_put(c, 6, NULL, "v", 200);
		CHECK_INTEQ(leco_cache_count(c), 1);
		CHECK(leco_cache_get(c, 5, NULL, 200) == NULL);
		leco_cache_clear(c);
		CHECK_INTEQ(leco_cache_count(c), 0);
		leco_cache_put(c, 7, NULL, "v", 300);
		CHECK_STREQ(leco_cache_get(c, 7, NULL, 300), "v");
		leco_cache_free(c);
	}
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "%s/leco-unit-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_sanitize);
	RUN(test_interpreters);
	RUN(test_proc);
	RUN(test_users);
	RUN(test_cgroups);
	RUN(test_cgroups_hostile_parents);
	RUN(test_cgroups_long_labels);
	RUN(test_cache);
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return th_done();
}
