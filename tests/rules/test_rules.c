// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rule engine and configuration, table-driven: every rule syntax form, every
 * load error message, [format]/[view] options and notices, the original
 * widget.ini (argv[1]) against lines for each of its rules, hostile inputs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "leco.h"
#include "config.h"
#include "ini.h"
#include "rules.h"

/* table rows leave trailing fields zero */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static const char *widget_ini;

/* Count allocations in a window (not under ASan, which has its own malloc). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LECO_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LECO_TEST_ASAN 1
#endif
#ifndef LECO_TEST_ASAN
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
static int count_allocs;
static long n_allocs;
void *malloc(size_t n)
{
	n_allocs += count_allocs;
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
	n_allocs += count_allocs;
	return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
	n_allocs += count_allocs;
	return __libc_realloc(p, n);
}
void free(void *p)
{
	__libc_free(p);
}
#endif

/* ------------------------------------------------------------------------ */
/* rules: config, line, expected text, group (NULL: not grouped), dropped */

struct rx_case {
	const char *name, *conf, *line, *out, *group;
	bool dropped;
};

#define P "[rx-proc]\n"
#define G "[rx-group]\n"
#define W NULL /* the widget.ini copy */

static const struct rx_case rx_cases[] = {
	/* plain regexps, global replacement, case */
	{"plain", P "foo = bar\n", "a foo b", "a bar b"},
	{"global", P "foo = bar\n", "foo foo foo", "bar bar bar"},
	{"caseless by default", P "foo = bar\n", "a FoO b", "a bar b"},
	{"caseless utf-8", P "ä = X\n", "Ä ä", "X X"},
	{"no match keeps the line", P "zzz = bar\n", "a foo b", "a foo b"},
	{"leading .* anchors", P ".*foo = X\n", "a foo foo b", "X b"},
	{"empty matches", P "x* = -\n", "abc", "-a-b-c-"},
	{"empty match after a match", P "a* = -\n", "baac", "-b--c-"},
	/* a UTF-8 byte order mark (as some editors save) does not hide the first section */
	{"utf-8 BOM before the first section", "\xef\xbb\xbf" P "foo = bar\n", "a foo", "a bar"},
	/* wrapped forms */
	{"wrapped", P "/foo/ = bar\n", "a FOO b", "a bar b"},
	{"I flag: case-sensitive", P "I/foo/ = bar\n", "FOO foo", "FOO bar"},
	{"i flag: caseless", P "i/foo/ = bar\n", "FOO foo", "bar bar"},
	{"path-like plain regexp is wrapped", P "/usr/bin/ = X\n", "/usr/bin/ usr/bin", "/X/ X"},
	{"negated alone: the value is the line", G "!/important/ = boring\n", "x y", "x y",
	 "boring"},
	{"negated alone, not matching", G "!/important/ = boring\n", "an important line",
	 "an important line"},
	{"negated alone, empty: drop", G "!/important/ =\n", "x y", "x y", "", true},
	/* && chains */
	{"chain: last element replaces", P "/a(b)/ && /c(d)/ = [$1]\n", "ab cd", "ab [d]"},
	{"chain: digit picks element 1", P "/a(b)/ && /c(d)/ = 1`[$1]\n", "ab cd", "[b] cd"},
	{"chain: digit picks element 2", P "/a(b)/ && /c(d)/ = 2`[$1]\n", "ab cd", "ab [d]"},
	{"chain: one element fails", P "/ab/ && /zz/ = X\n", "ab cd", "ab cd"},
	{"chain: negated element passes", P "/ab/ && !/zz/ = X\n", "ab cd", "X cd"},
	{"chain: negated element fails", P "/ab/ && !/cd/ = X\n", "ab cd", "ab cd"},
	{"chain: last non-negated replaces", P "/a/ && /c/ && !/z/ = X\n", "a c", "a X"},
	{"chain: negated first", P "!/z/ && /c/ = X\n", "a c", "a X"},
	{"chain: I flag per element", P "I/A/ && /c/ = X\n", "a c", "a c"},
	{"chain: I! flags", P "/c/ && I!/A/ = X\n", "a a c", "a a X"},
	{"chain: I! flags, failing", P "/c/ && I!/A/ = X\n", "A a c", "A a c"},
	{"chain: tabs around &&", P "/a/\t&&\t/c/ = X\n", "a c", "a X"},
	{"chain: && inside a wrapped element", P "/a && b/ && /c/ = X\n", "a && b c", "a && b X"},
	{"&& literal when the first is plain", P "foo && bar = X\n", "foo && bar", "X"},
	{"&& without spaces is not an operator", P "/a/&&/b/ = X\n", "x /a/&&/b/ y", "x /X/ y"},
	/* replacement references */
	{"$0 whole match", P "o+ = <$0>\n", "foo", "f<oo>"},
	{"${N}", P "(o)(o) = ${2}x\n", "foo", "fox"},
	{"${N} then digits", P "(o) = ${1}1\n", "o", "o1"},
	{"$$ is a dollar", P "o = $$\n", "foo", "f$$"},
	{"$10 is group 10", P "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j) = $10\n", "abcdefghij", "j"},
	{"unset group is empty", P "a(x)?b = [$1]\n", "ab", "[]"},
	{"octal escape is not a literal digit", P "a\\1234 = X\n", "aS4", "X"},
	{"backreference", P "(a)\\1 = X\n", "aa", "X"},
	{"prefilter: alternation", P ":: (127\\.0\\.0\\.1|::1) = X\n", "a :: ::1 b", "a X b"},
	{"prefilter: caseless", P "TMUX-spawn = X\n", "[tmux-SPAWN-1]", "[X-1]"},
	{"prefilter: Kelvin sign matches k", P "kb = X\n",
	 "1 \xe2\x84\xaa"
	 "b",
	 "1 X"},
	{"prefilter: optional literal", P "ab?c = X\n", "ac", "X"},
	{"prefilter: optional group", P "a(bcd)?e = X\n", "ae", "X"},
	{"prefilter: {0,2}", P "xa{0,2}yz = X\n", "xyz", "X"},
	{"prefilter: inline flag", P "(?-i)ABC = X\n", "abc ABC", "abc X"},
	{"groups per match", P "(\\d+) = <$1>\n", "1 22 333", "<1> <22> <333>"},
	/* value prefix */
	{"0` is literal", P "a = 0`x\n", "a", "0`x"},
	{"x` is literal", P "a = x`y\n", "a", "x`y"},
	{"empty prefix", P "a = `x\n", "a", "x"},
	{"g` in rx-proc groups", P ":: (\\S+) :: = g`:: $1 ::\n", "1 :: a :: b", "1 :: a :: b",
	 ":: a ::"},
	{"g group: text of all replacements", P "(\\d) = g`<$1>\n", "a1b2", "a<1>b<2>", "<1><2>"},
	{"g2`", P "/a(b)/ && /c(d)/ = g2`$1\n", "ab cd", "ab d", "d"},
	{"2g`", P "/a(b)/ && /c(d)/ = 2g`$1\n", "ab cd", "ab d", "d"},
	{"g1g`", P "/a(b)/ && /c(d)/ = g1g`$1\n", "ab cd", "b cd", "b"},
	{"empty g key drops", P "foo = g`\n", "x foo", "x ", "", true},
	{"empty g key from an empty group drops", P "a(x?)b = g`$1\n", "ab", "", "", true},
	{"first g rule sets the group", P "a = g`A\nb = g`B\n", "ab", "AB", "A"},
	{"drop stops rx-proc", P "a = g`\nb = X\n", "ab", "b", "", true},
	/* backslash-kept spaces, INI details */
	{"\\ and \\ keep spaces", P "a = \\ b \\\n", "xay", "x b y"},
	{"\\ only at the start", P "a = \\ b\n", "xay", "x by"},
	{"key with \\ space", P "\\ a = _\n", "x a", "x_"},
	{"inline comment", P "foo = bar # comment\n", "foo", "bar"},
	{"a#b keeps #", P "foo = a#b\n", "foo", "a#b"},
	{"x # keeps # at the end", P "foo = x #\n", "foo", "x #"},
	{"comment with tab", P "foo = bar\t#\tcomment\n", "foo", "bar"},
	{"empty value removes", P "foo =\n", "a foo b", "a  b"},
	{"no = is an empty value", P "foo\n", "a foo b", "a  b"},
	{"key ends at the first =", P "a = b = c\n", "a", "b = c"},
	{"continuation joined with one space", P "foo = bar\n   baz   \n\tqux # c\n", "foo",
	 "bar baz qux"},
	{"continuation ends at a blank line", P "foo = bar\n\n  baz = X\n", "foo baz", "bar X"},
	{"comment lines", P "# foo = X\n; foo = Y\n  # foo = Z\nfoo = ok\n", "foo", "ok"},
	{"CRLF", "[rx-proc]\r\nfoo = bar\r\n", "foo", "bar"},
	{"sections repeat and accumulate", P "a = b\n[view]\nmax-lines = 3\n" P "b = c\n", "a",
	 "c"},
	{"section names trimmed", "[ rx-proc ]\na = b\n", "a", "b"},
	{"rules in file order", P "a = b\nb = c\nc = d\n", "a", "d"},
	/* [rx-group] */
	{"rx-group: the result is the whole line", G "foo = X\n", "a foo b", "a foo b", "a X b"},
	{"rx-group: first match decides", G "a = 1\na = 2\n", "a", "a", "1"},
	{"rx-group: later rule when the first fails", G "z = 1\na = 2\n", "a", "a", "2"},
	{"rx-group: empty result drops", G ".*foo.* =\n", "a foo b", "a foo b", "", true},
	{"rx-group: partial empty result keeps", G "foo =\n", "a foo b", "a foo b", "a  b"},
	{"rx-group runs on the original line", G "secret = grp\n" P "secret = public\n", "a secret",
	 "a public", "a grp"},
	{"rx-group key wins over g`", G "a = G\n" P "a = g`P\n", "a", "P", "G"},
	{"rx-group drop skips rx-proc", G "a =\n" P "a = b\n", "a", "a", "", true},
	{"rx-group g` flag is ignored", G "a = g`X\n", "a", "a", "X"},
	{"rx-group digit picks", G "/a(b)/ && /c(d)/ = 1`$1\n", "ab cd", "ab cd", "b cd"},
	/* any bytes; what comes out is sanitized (invalid UTF-8 as U+FFFD) */
	{"invalid utf-8 in the line", P "\\w+ = W\n", "ab\xff\x63\x64\xc3\x28",
	 "W\xef\xbf\xbdW\xef\xbf\xbd("},
	{"invalid utf-8, dot", P ". = .\n", "\xe2\x82 x", "\xef\xbf\xbd\xef\xbf\xbd.."},
	{"control characters", P "\\t = TAB\n", "a\tb", "aTABb"},
	/* replacements are the config's text: no control or direction-changing characters out */
	{"ESC and U+202E in a replacement are dropped", P "foo = a\x1b[2Jb\xe2\x80\xae c\n", "foo",
	 "a[2Jb c"},
	{"C1 CSI (U+009B) in a replacement is dropped",
	 P "foo = \xc2\x9b"
	   "2J\n",
	 "foo", "2J"},
	{"control characters in a group are dropped", G "foo = g\x1bX\n", "a foo", "a foo", "a gX"},
	{"U+200B (zero-width space) is kept",
	 P "foo = a\xe2\x80\x8b"
	   "b\n",
	 "foo",
	 "a\xe2\x80\x8b"
	 "b"},
	/* the RULES.md / original README example */
	{"readme example",
	 P "^(\\s*\\S+ ::) myuser :: = $1            # hide the default local user\n"
	   "\\ 53/udp :: = \\ DNS ::                  # nicer name for a common port\n"
	   "\\ \\[tmux-spawn-\\S+\\] :: = \\ [tmux] ::   # shorten long cgroup names\n",
	 "18:32 :: myuser :: drill [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp :: v 58B / 26B ^",
	 "18:32 :: drill [tmux] :: 10.2.0.1 DNS :: v 58B / 26B ^"},

	/* widget.ini (W): one or more lines per rule, as its comments describe */
	{"widget: lo.srv (inbound to a local server port)", W,
	 "18:32 :: alice :: nginx :: 127.0.0.1 8080 :: 127.0.0.1 45678 :: v 6.0K / 1.0K ^",
	 "18:32 :: alice :: nginx :: lo.srv 8080 :: v 6.0K / 1.0K ^",
	 ":: alice :: nginx :: lo.srv 8080 ::"},
	{"widget: lo to a port", W, "18:32 :: alice :: psql :: 127.0.0.1 5432 :: ::1 631/udp ::",
	 "18:32 :: alice :: psql :: lo 631/udp ::"},
	{"widget: lo-conn between ephemeral ports", W,
	 "18:32 :: bob :: app :: 127.0.0.1 40000 :: 127.0.0.1 50000 :: v 9.1K / 2.0K ^",
	 "18:32 :: bob :: app :: lo-conn :: v 9.1K / 2.0K ^", ":: bob :: app :: lo-conn ::"},
	{"widget: lo ports", W, "18:32 :: bob :: app :: 127.0.0.1 40000 :: 127.0.0.1 8080 ::",
	 "18:32 :: bob :: app :: lo 40000-8080 ::"},
	{"widget: strip local endpoint", W,
	 "18:32 :: carol :: curl :: 192.168.1.5 43210 :: 1.2.3.4 443 :: v 12K / 1.1K ^",
	 "18:32 :: carol :: curl :: 1.2.3.4 443 :: v 12K / 1.1K ^"},
	{"widget: strip ::ffff:", W, "18:32 :: carol :: curl :: ::ffff:1.2.3.4 443 ::",
	 "18:32 :: carol :: curl :: 1.2.3.4 443 ::"},
	{"widget: shorten tmux cgroup", W,
	 "18:32 :: carol :: vim [tmux-spawn-822f3728+] :: 1.2.3.4 443 ::",
	 "18:32 :: carol :: vim [tmux] :: 1.2.3.4 443 ::"},
	{"widget: strip app-flatpak prefix and instance", W,
	 "18:32 :: carol :: firefox [app-flatpak-org.mozilla.firefox-12345] :: 1.2.3.4 443 ::",
	 "18:32 :: carol :: firefox [org.mozilla.firefox] :: 1.2.3.4 443 ::"},
	{"widget: hide the default user", W,
	 "18:32 :: fraggod :: curl :: 1.2.3.4 443 ::", "18:32 :: curl :: 1.2.3.4 443 ::"},
	{"widget: keep other users", W,
	 "18:32 :: root :: curl :: 1.2.3.4 443 ::", "18:32 :: root :: curl :: 1.2.3.4 443 ::"},
	{"widget: remote localhost", W,
	 "18:32 :: root :: cupsd :: 127.0.0.1 631 ::", "18:32 :: root :: cupsd :: lo 631 ::"},
	{"widget: waterfox socket thread grouped", W,
	 "18:32 :: fraggod :: socket thread [waterfox] :: 1.2.3.4 443 :: v 6K / 1K ^",
	 "18:32 :: waterfox :: 1.2.3.4 443 :: v 6K / 1K ^", ":: waterfox ::"},
	{"widget: waterfox other thread grouped", W,
	 "18:32 :: fraggod :: DNS Res~ver #1 [waterfox] :: 10.2.0.1 53/udp ::",
	 "18:32 :: DNS Res~ver #1 waterfox :: dns.local ::", ":: DNS Res~ver #1 waterfox ::"},
	{"widget: chromium grouped", W,
	 "18:32 :: fraggod :: chrome [app-org.chromium.Chromium-1234] :: 1.2.3.4 443 ::",
	 "18:32 :: chrome chrome :: 1.2.3.4 443 ::", ":: chrome chrome ::"},
	{"widget: emacs znc", W, "18:32 :: fraggod :: emacs :: 10.2.0.1 6667 :: v 7K / 2K ^",
	 "18:32 :: emacs :: ZNC IRC :: v 7K / 2K ^", ":: emacs :: ZNC IRC ::"},
	{"widget: sshfs", W, "18:32 :: fraggod :: ssh [tmux-spawn-1234abcd] :: 10.2.0.1 22 ::",
	 "18:32 :: sshfs.local ::", ":: sshfs.local ::"},
	{"widget: mpv-urls", W, "18:32 :: fraggod :: demux [mpv-urls] :: 1.2.3.4 443 ::",
	 "18:32 :: mpv-urls :: 1.2.3.4 443 ::", ":: mpv-urls ::"},
	{"widget: tremc", W, "18:32 :: fraggod :: tremc [tmux-spawn-ab12] :: 10.48.4.3 8198 ::",
	 "18:32 :: tremc ::", ":: tremc ::"},
	{"widget: nodpi proxy", W,
	 "18:32 :: nodpi :: nodpi-https [nodpi-https-proxy] :: 1.2.3.4 443 ::",
	 "18:32 :: nodpi :: nodpi-proxy :: 1.2.3.4 443 ::", ":: nodpi-proxy ::"},
	{"widget: twitch vod", W,
	 "18:32 :: fraggod :: streamlink [media.twitch_vod_fe+] :: 1.2.3.4 443 ::",
	 "18:32 :: streamlink [tvf] :: 1.2.3.4 443 ::", ":: streamlink [tvf] ::"},
	{"widget: systemd-timesyncd", W,
	 "18:32 :: systemd-timesync :: systemd-timesyncd [systemd-timesyncd] :: 1.2.3.4 123/udp ::",
	 "18:32 :: sd-ntp :: 1.2.3.4 123/udp ::", ":: sd-ntp ::"},
	{"widget: local dns", W, "18:32 :: fraggod :: drill :: 10.2.0.1 53/udp :: v 58B / 26B ^",
	 "18:32 :: drill :: dns.local :: v 58B / 26B ^", ":: drill :: dns.local ::"},
	{"widget: raw icmp", W,
	 "18:32 :: fraggod :: ping :: 0.0.0.0 0/x ::", "18:32 :: ping :: icmp.raw ::"},
	{"widget: group feh-ext", W, "18:32 :: fraggod :: feh-ext :: 1.2.3.4 443 ::",
	 "18:32 :: feh-ext :: 1.2.3.4 443 ::", "feh-ext "},
	{"widget: group feh-screen", W, "18:32 :: fraggod :: feh [feh-screen] :: 1.2.3.4 443 ::",
	 "18:32 :: feh [feh-screen] :: 1.2.3.4 443 ::", "feh-ext feh"},
	{"widget: group yt-dlp per tmux session (original line)", W,
	 "18:32 :: fraggod :: yt-dlp [tmux-spawn-aa11] :: 1.2.3.4 443 ::",
	 "18:32 :: yt-dlp [tmux] :: 1.2.3.4 443 ::", "yt-dlp  [tmux-spawn-aa11]"},
	{"widget: group aria2c", W, "18:32 :: bob :: aria2c :: 1.2.3.4 6881 ::",
	 "18:32 :: bob :: aria2c :: 1.2.3.4 6881 ::", "aria2c "},
	{"widget: untouched line", W, "18:32 :: bob :: curl :: 1.2.3.4 443 :: v 6K / 1K ^",
	 "18:32 :: bob :: curl :: 1.2.3.4 443 :: v 6K / 1K ^"},
};

static struct leco_config *load(const char *conf, struct leco_error *err)
{
	struct leco_config *cfg = NULL;
	int r = conf ? leco_config_load_string(conf, strlen(conf), "t.ini", &cfg, err)
		     : leco_config_load_file(widget_ini, &cfg, err);
	return r ? NULL : cfg;
}

/* Recompile cfg's rules from the same text without JIT (as where JIT is unavailable). */
struct rebuild {
	struct leco_rules *r;
	int sec;
};

static int rebuild_cb(void *ctx, const struct ini_item *it)
{
	struct rebuild *b = ctx;

	if (!it->key) {
		b->sec = !strcmp(it->section, "rx-proc")    ? LECO_RX_PROC
			 : !strcmp(it->section, "rx-group") ? LECO_RX_GROUP
							    : -1;
		return 0;
	}
	if (b->sec < 0 || !it->section)
		return 0;
	return leco_rules_add(b->r, (enum leco_rx_section)b->sec, it->key, it->key_len, it->value,
			      it->value_len, LECO_RX_INI_SPACES, NULL);
}

static bool rebuild_nojit(struct leco_config *cfg, const char *conf)
{
	struct rebuild b = {.r = leco_rules_new(), .sec = -1};
	char *text = NULL;
	size_t len = 0;

	if (!b.r)
		return false;
	leco_rules_set_jit(b.r, false);
	if (!conf) {
		FILE *f = fopen(widget_ini, "r");
		if (f) {
			text = malloc(1 << 20);
			len = text ? fread(text, 1, 1 << 20, f) : 0;
			fclose(f);
		}
		conf = text;
	} else {
		len = strlen(conf);
	}
	int r = conf ? ini_parse(conf, len, rebuild_cb, &b, NULL) : -1;
	free(text);
	if (r) {
		leco_rules_free(b.r);
		return false;
	}
	CHECK(!leco_rules_jit(b.r));
	leco_rules_free(cfg->rules);
	cfg->rules = b.r;
	return true;
}

static void check_case(struct leco_config *cfg, const struct rx_case *c)
{
	struct leco_rx_result res;
	int r = leco_config_apply(cfg, c->line, strlen(c->line), &res);

	CHECKF(r == 0, "%s: apply returned %d", c->name, r);
	if (r)
		return;
	CHECKF(res.text && !strcmp(res.text, c->out), "%s:\n   got: [%s]\n  want: [%s]", c->name,
	       res.text, c->out);
	CHECKF(res.changed == (strcmp(c->line, c->out) != 0), "%s: changed=%d", c->name,
	       res.changed);
	CHECKF(res.grouped == (c->group != NULL), "%s: grouped=%d", c->name, res.grouped);
	if (c->group)
		CHECKF(res.group && !strcmp(res.group, c->group),
		       "%s: group\n   got: [%s]\n  want: [%s]", c->name,
		       res.group ? res.group : "(null)", c->group);
	else
		CHECKF(res.group == NULL, "%s: group [%s], want none", c->name, res.group);
	CHECKF(res.dropped == c->dropped, "%s: dropped=%d", c->name, res.dropped);
}

static void test_rx_table(void)
{
	for (size_t i = 0; i < sizeof(rx_cases) / sizeof(*rx_cases); i++) {
		const struct rx_case *c = &rx_cases[i];
		struct leco_error err = {0};
		struct leco_config *cfg = load(c->conf, &err);
		CHECKF(cfg != NULL, "%s: load failed: %s", c->name, err.msg);
		if (!cfg)
			continue;
		check_case(cfg, c);
		check_case(cfg, c); /* again: from the result cache */
		leco_rules_set_cache(cfg->rules, false);
		check_case(cfg, c); /* and without it */
		leco_rules_set_prefilter(cfg->rules, false);
		check_case(cfg, c); /* and without the literal prefilters */
		CHECKF(rebuild_nojit(cfg, c->conf), "%s: rebuild without JIT", c->name);
		check_case(cfg, c); /* and with PCRE2's interpreter */
		leco_config_free(cfg);
	}
}

/* ------------------------------------------------------------------------ */
/* load errors: config, message (exact), line, col */

struct err_case {
	const char *name, *conf, *msg;
	unsigned int line, col;
};

/* 40 continuation lines, more than the tokenizer once kept positions for */
#define Y4  "  y\n  y\n  y\n  y\n"
#define Y40 Y4 Y4 Y4 Y4 Y4 Y4 Y4 Y4 Y4 Y4
static const struct err_case err_cases[] = {
	{"bad regexp", P "(abc = x\n", "t.ini:2:5: missing closing parenthesis", 2, 5},
	{"bad regexp, indented key", P "  a)b = x\n", "t.ini:2:4: unmatched closing parenthesis", 2,
	 4},
	{"bad regexp in a chain element", P "/a/ && I/b(/ = x\n",
	 "t.ini:2:12: missing closing parenthesis", 2, 12},
	{"bad regexp, line counted", P "a = b\n\n# c\n[rx-group]\nx{2,1} = y\n",
	 "t.ini:6:6: numbers out of order in {} quantifier", 6, 6},
	{"lookahead needs (*pla:", P "(?=x) = y\n", "t.ini:2:3: missing closing parenthesis", 2, 3},
	{"group beyond the regexp", P "(a) = $2\n",
	 "t.ini:2:7: reference to group 2, but the regexp has 1 capture group", 2, 7},
	{"group beyond, no groups", P "a = x ${1}\n",
	 "t.ini:2:7: reference to group 1, but the regexp has 0 capture groups", 2, 7},
	{"group beyond the picked element", P "/(a)(b)/ && /c/ = 2`$1\n",
	 "t.ini:2:21: reference to group 1, but the regexp has 0 capture groups", 2, 21},
	{"stray $ at the end", P "a = x$\n",
	 "t.ini:2:6: stray '$' in the replacement: use $1..$N, ${N}, $0, or $$ for a dollar sign",
	 2, 6},
	{"stray $ before a letter", P "a = $x\n", "t.ini:2:5: stray '$'", 2, 5},
	{"unclosed ${", P "(a) = ${1\n", "t.ini:2:7: stray '$'", 2, 7},
	{"named ${name}", P "(?<n>a) = ${n}\n", "t.ini:2:11: stray '$'", 2, 11},
	{"stray $ after \\ ", P "a = \\ $\n", "t.ini:2:7: stray '$'", 2, 7},
	{"stray $ in a continuation line", P "(a) = x\n  y $\n", "t.ini:3:5: stray '$'", 3, 5},
	{"stray $ after 40 continuation lines", P "(a) = x\n" Y40 "  $\n", "t.ini:43:3: stray '$'",
	 43, 3},
	{"reference in an all-negated rule", P "!/(a)/ = $1\n",
	 "t.ini:2:10: reference to group 1, but every element of the chain is negated", 2, 10},
	{"digit beyond the chain", P "/a/ && /b/ = 3`x\n",
	 "t.ini:2:14: replacement picks element 3, but the rule has 2", 2, 14},
	{"digit on a plain regexp", P "a = g2`x\n",
	 "t.ini:2:6: replacement picks element 2, but the rule has 1", 2, 6},
	{"digit picks a negated element", P "/a/ && !/b/ = 2`x\n",
	 "t.ini:2:1: replacement picks element 2, which is negated", 2, 1},
	{"unwrapped chain element", P "/a/ && b = x\n",
	 "t.ini:2:8: element 2 of the && chain is not wrapped in FLAGS/.../", 2, 8},
	{"empty regexp", P "= x\n", "t.ini:2:1: empty regexp", 2, 1},
	{"NUL byte", P "a = b\n\0c = d\n", "t.ini:3: NUL byte in the config", 3, 0},
	/* options */
	{"max-lines not a number", "[view]\nmax-lines = abc\n",
	 "t.ini:2:13: bad value 'abc' for max-lines in [view]: expected a whole number, 1..10000",
	 2, 13},
	{"max-lines zero", "[view]\nmax-lines = 0\n", "t.ini:2:13: bad value '0' for max-lines", 2,
	 13},
	{"new-time", "[view]\nnew-time = soon\n", "t.ini:2:12: bad value 'soon' for new-time", 2,
	 12},
	{"line-fade-time", "[text]\nline-fade-time = -1\n",
	 "t.ini:2:18: bad value '-1' for line-fade-time in [text]", 2, 18},
	{"line-fade-curve odd", "[view]\nline-fade-curve = 0,1 2\n",
	 "t.ini:2:19: bad value '0,1 2' for line-fade-curve in [view]: odd number of x,y values", 2,
	 19},
	{"line-fade-curve one point", "[view]\nline-fade-curve = 0,1\n",
	 "needs at least two x,y points", 2, 19},
	{"line-fade-curve x order", "[view]\nline-fade-curve = 0,1 5,0 3,1\n",
	 "x values must increase (3 after 5)", 2, 19},
	{"line-fade-curve word", "[view]\nline-fade-curve = 0,1 a,0\n", "'a' is not a number", 2,
	 19},
	{"line-fade-curve range", "[view]\nline-fade-curve = range=1 0,1 1,0\n",
	 "range must be range=N:M with two numbers", 2, 19},
	{"line-fade-curve flat", "[view]\nline-fade-curve = 0,5 1,5\n",
	 "empty opacity range (5..5): give range=N:M", 2, 19},
	{"local-addr-port", "[format]\nlocal-addr-port = maybe\n",
	 "t.ini:2:19: bad value 'maybe' for local-addr-port in [format]: expected yes/no", 2, 19},
	{"remote-names", "[format]\nremote-names = names\n",
	 "t.ini:2:16: bad value 'names' for remote-names in [format]: expected yes/no", 2, 16},
	{"cg-label-cut", "[format]\ncg-label-cut = wide\n", "bad value 'wide' for cg-label-cut", 2,
	 16},
	{"script-name-cut", "[format]\nscript-name-cut = 99999\n",
	 "bad value '99999' for script-name-cut", 2, 19},
	{"conn-traffic-min", "[format]\nconn-traffic-min = 5X\n",
	 "bad value '5X' for conn-traffic-min in [format]: expected bytes", 2, 20},
	{"use-reltime-after", "[format]\nuse-reltime-after = 1h30\n",
	 "bad value '1h30' for use-reltime-after", 2, 21},
	{"use-reltime-after, unknown unit", "[format]\nuse-reltime-after = 2 fortnights\n",
	 "bad value '2 fortnights' for use-reltime-after", 2, 21},
};

static void test_err_table(void)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(*err_cases); i++) {
		const struct err_case *c = &err_cases[i];
		struct leco_config *cfg = (void *)0x1;
		struct leco_error err = {0};
		size_t len = strlen(c->conf);
		if (!strcmp(c->name, "NUL byte"))
			len += 1 + strlen(c->conf + len + 1);
		int r = leco_config_load_string(c->conf, len, "t.ini", &cfg, &err);
		CHECKF(r == -EINVAL, "%s: returned %d", c->name, r);
		CHECKF(cfg == (void *)0x1, "%s: output touched on failure", c->name);
		CHECKF(err.code == r, "%s: err.code %d", c->name, err.code);
		CHECKF(strstr(err.msg, c->msg) != NULL, "%s:\n   got: [%s]\n  want: [%s]", c->name,
		       err.msg, c->msg);
		CHECKF(err.line == c->line && err.col == c->col, "%s: line:col %u:%u, want %u:%u",
		       c->name, err.line, err.col, c->line, c->col);
		CHECKF(!strcmp(err.file, "t.ini"), "%s: file [%s]", c->name, err.file);
	}
}

static void test_too_many_rules(void)
{
	size_t n = LECO_RX_RULES_MAX + 1, len = 0;
	char *conf = malloc(16 + n * 8);
	struct leco_config *cfg = NULL;
	struct leco_error err = {0};

	if (!conf)
		return;
	len += (size_t)sprintf(conf, "[rx-group]\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(conf + len, "a = b\n");
	CHECK_INTEQ(leco_config_load_string(conf, len, "t.ini", &cfg, &err), -EINVAL);
	CHECK_STREQ(err.msg, "t.ini:10002:1: too many rules in [rx-group] (at most 10000)");
	/* one fewer loads */
	CHECK_INTEQ(leco_config_load_string(conf, len - 6, "t.ini", &cfg, &err), 0);
	leco_config_free(cfg);
	free(conf);
}

static void test_load_file_errors(void)
{
	struct leco_config *cfg = NULL;
	struct leco_error err = {0};

	CHECK_INTEQ(leco_config_load_file("/nonexistent/leco.ini", &cfg, &err), -ENOENT);
	CHECK(strstr(err.msg, "/nonexistent/leco.ini: cannot open: No such file or directory"));
	CHECK(cfg == NULL);
	CHECK_INTEQ(leco_config_load_file("/", &cfg, &err), -EISDIR);
	CHECK(strstr(err.msg, "/: cannot read:"));
	/* a FIFO without a writer: an error at once, never a blocked open or read */
	char fifo[] = "/tmp/leco-test-fifo-XXXXXX";
	if (mkdtemp(fifo)) {
		char path[64];
		snprintf(path, sizeof(path), "%s/leco.ini", fifo);
		CHECK(mkfifo(path, 0600) == 0);
		CHECK_INTEQ(leco_config_load_file(path, &cfg, &err), -EINVAL);
		CHECK(strstr(err.msg, "leco.ini: not a regular file"));
		CHECK(cfg == NULL);
		CHECK_INTEQ(leco_config_load_file("/dev/zero", &cfg, &err), -EINVAL);
		unlink(path);
		rmdir(fifo);
	} else {
		CHECK(!"mkdtemp");
	}
	CHECK_INTEQ(leco_config_load_string(NULL, 3, "x", &cfg, &err), -EINVAL);
	CHECK_INTEQ(leco_config_load_string("", 0, NULL, &cfg, NULL), 0);
	CHECK(cfg != NULL);
	leco_config_free(cfg);
	leco_config_free(NULL);
}

/* ------------------------------------------------------------------------ */
/* options and notices */

static void test_defaults(void)
{
	struct leco_config *cfg = load("", NULL);
	struct leco_format_conf f;
	struct leco_view_conf v;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	leco_format_conf_default(&f);
	leco_view_conf_default(&v);
	CHECK(memcmp(&f, leco_config_format(cfg), sizeof(f)) == 0);
	CHECK(memcmp(&v, leco_config_view(cfg), sizeof(v)) == 0);
	CHECK(f.local_endpoint == false);
	CHECK_INTEQ(f.label_cut, 20);
	CHECK_INTEQ(f.script_cut, 16);
	CHECK_INTEQ(f.traffic_min, 5120);
	CHECK_INTEQ(f.reltime_after_s, 81000);
	CHECK_INTEQ(v.max_lines, 40);
	CHECK(v.fade_time_s == 60 && v.new_s == 10 && v.fade_npoints == 2);
	CHECK_INTEQ(leco_config_notice_count(cfg), 0);
	CHECK(leco_config_notice(cfg, 0) == NULL);

	/* no rules: lines pass through unchanged, ungrouped */
	struct leco_rx_result res;
	CHECK_INTEQ(leco_config_apply(cfg, "a b", 3, &res), 0);
	CHECK_STREQ(res.text, "a b");
	CHECK(!res.changed && !res.grouped && !res.dropped && !res.group);
	CHECK_INTEQ(leco_config_apply(cfg, NULL, 0, &res), 0);
	CHECK_STREQ(res.text, "");
	CHECK_INTEQ(leco_config_apply(cfg, NULL, 1, &res), -EINVAL);
	CHECK_INTEQ(leco_config_apply(NULL, "a", 1, &res), -EINVAL);
	leco_config_free(cfg);
}

struct opt_case {
	const char *name, *conf;
	int field; /* which value to check */
	double want;
};

enum { F_LOCAL, F_LABEL, F_SCRIPT, F_TRAFFIC, F_RELTIME, V_MAX, V_NEW, V_FADE, V_NPOINTS, F_NAMES };

static const struct opt_case opt_cases[] = {
	{"local-addr-port yes", "[format]\nlocal-addr-port = yes\n", F_LOCAL, 1},
	{"local-addr-port 1", "[format]\nlocal-addr-port = 1\n", F_LOCAL, 1},
	{"local-addr-port off", "[format]\nlocal-addr-port = off\n", F_LOCAL, 0},
	{"local_addr_port (underscores)", "[format]\nlocal_addr_port = True\n", F_LOCAL, 1},
	{"remote-names default off", "[format]\n", F_NAMES, 0},
	{"remote-names yes", "[format]\nremote-names = yes\n", F_NAMES, 1},
	{"remote_names on", "[format]\nremote_names = on\n", F_NAMES, 1},
	{"cg-label-cut", "[format]\ncg-label-cut = 12\n", F_LABEL, 12},
	{"cg-label-cut negative disables", "[format]\ncg-label-cut = -1\n", F_LABEL, 0},
	{"script-name-cut", "[format]\nscript-name-cut = 0\n", F_SCRIPT, 0},
	{"conn-traffic-min bytes", "[format]\nconn-traffic-min = 100\n", F_TRAFFIC, 100},
	{"conn-traffic-min K", "[format]\nconn-traffic-min = 5K\n", F_TRAFFIC, 5120},
	{"conn-traffic-min KiB", "[format]\nconn-traffic-min = 2KiB\n", F_TRAFFIC, 2048},
	{"conn-traffic-min 1.5M", "[format]\nconn-traffic-min = 1.5M\n", F_TRAFFIC, 1572864},
	{"use-reltime-after seconds", "[format]\nuse-reltime-after = 3600\n", F_RELTIME, 3600},
	{"use-reltime-after 22h30m", "[format]\nuse-reltime-after = 22h30m\n", F_RELTIME, 81000},
	{"use-reltime-after 1d", "[format]\nuse-reltime-after = 1d\n", F_RELTIME, 86400},
	{"use-reltime-after HH:MM:SS", "[format]\nuse-reltime-after = 1:30:00\n", F_RELTIME, 5400},
	{"use-reltime-after MM:SS", "[format]\nuse-reltime-after = 2:30\n", F_RELTIME, 150},
	/* the original's time-delta unit words (leco-event-pipe td_parse), any case, plurals,
	   spaces */
	{"use-reltime-after 1w", "[format]\nuse-reltime-after = 1w\n", F_RELTIME, 604800},
	{"use-reltime-after 2 days 3hr", "[format]\nuse-reltime-after = 2 days 3hr\n", F_RELTIME,
	 183600},
	{"use-reltime-after 1Week 30Min 5sec", "[format]\nuse-reltime-after = 1Week 30Min 5sec\n",
	 F_RELTIME, 606605},
	{"new-time 1 minute 2 seconds", "[view]\nnew-time = 1 minute 2 seconds\n", V_NEW, 62},
	{"max-lines", "[view]\nmax-lines = 7\n", V_MAX, 7},
	{"new-time", "[view]\nnew-time = 1m30s\n", V_NEW, 90},
	{"line-fade-time in [view]", "[view]\nline-fade-time = 2.5\n", V_FADE, 2.5},
	{"line-fade-time in [text]", "[text]\nline-fade-time = 200\n", V_FADE, 200},
	{"line-fade-curve continued", "[text]\nline-fade-curve = 0,1\n  5,0 9,0.5\n", V_NPOINTS, 3},
	{"last value wins", "[view]\nmax-lines = 7\n[view]\nmax-lines = 9\n", V_MAX, 9},
	{"inline comment on an option", "[view]\nmax-lines = 7 # seven\n", V_MAX, 7},
};

static void test_options(void)
{
	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(*opt_cases); i++) {
		const struct opt_case *c = &opt_cases[i];
		struct leco_error err = {0};
		struct leco_config *cfg = load(c->conf, &err);
		CHECKF(cfg != NULL, "%s: %s", c->name, err.msg);
		if (!cfg)
			continue;
		const struct leco_format_conf *f = leco_config_format(cfg);
		const struct leco_view_conf *v = leco_config_view(cfg);
		double got = c->field == F_LOCAL     ? f->local_endpoint
			     : c->field == F_LABEL   ? f->label_cut
			     : c->field == F_SCRIPT  ? f->script_cut
			     : c->field == F_TRAFFIC ? (double)f->traffic_min
			     : c->field == F_RELTIME ? (double)f->reltime_after_s
			     : c->field == V_MAX     ? v->max_lines
			     : c->field == V_NEW     ? v->new_s
			     : c->field == V_FADE    ? v->fade_time_s
			     : c->field == F_NAMES   ? f->remote_names
						     : (double)v->fade_npoints;
		CHECKF(got == c->want, "%s: got %g, want %g", c->name, got, c->want);
		CHECKF(leco_config_notice_count(cfg) == 0, "%s: notice %s", c->name,
		       leco_config_notice(cfg, 0));
		leco_config_free(cfg);
	}
}

static void test_notices(void)
{
	const char *conf = "top = level\n"
			   "[format]\n"
			   "local-addr-port = 1\n"
			   "colour = red\n"
			   "cache-users = 4h\n"
			   "[window]\n"
			   "title = x\n"
			   "[text]\n"
			   "font-height = 20\n"
			   "line-fade-time = 5\n"
			   "[colours]\n"
			   "a = b\n"
			   "c = d\n"
			   "[run]\n"
			   "debug = yes\n"
			   "[view]\n"
			   "maxlines = 3\n";
	static const char *const want[] = {
		"t.ini:1: key 'top' outside of any section, ignored",
		"t.ini:4: unknown key 'colour' in [format], ignored",
		"t.ini:5: key 'cache-users' in [format] is not used by libleco, ignored",
		"t.ini:7: key 'title' in [window] is not used by libleco, ignored",
		"t.ini:9: key 'font-height' in [text] is not used by libleco, ignored",
		"t.ini:11: unknown section [colours], ignored",
		"t.ini:15: key 'debug' in [run] is not used by libleco, ignored",
		"t.ini:17: unknown key 'maxlines' in [view], ignored",
	};
	struct leco_error err = {0};
	struct leco_config *cfg = load(conf, &err);

	CHECKF(cfg != NULL, "%s", err.msg);
	if (!cfg)
		return;
	CHECK_INTEQ(leco_config_notice_count(cfg), sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		CHECK_STREQ(leco_config_notice(cfg, i), want[i]);
	CHECK(leco_config_format(cfg)->local_endpoint);
	CHECK(leco_config_view(cfg)->fade_time_s == 5);
	leco_config_free(cfg);
}

/* Whether s is valid UTF-8 without control characters (what the conky helper can draw). */
static bool drawable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;

		if (*p < 0x20 || *p == 0x7f || *p >= 0xf8 || (*p >= 0x80 && *p < 0xc2))
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/* Messages quote the config's text cut to a width: never half a character, never raw controls. */
static void test_messages_drawable(void)
{
	char conf[512], key[160];
	struct leco_error err = {0};
	struct leco_config *cfg;

	/* 'x' then 2-byte characters: an 80-byte cut lands inside one */
	snprintf(key, sizeof(key), "x");
	for (int i = 0; i < 60; i++)
		strcat(key, "\xc3\xa9");
	snprintf(conf, sizeof(conf), "[view]\nmax-lines = %s\n", key);
	CHECK(load(conf, &err) == NULL);
	CHECKF(drawable(err.msg), "%s", err.msg);
	snprintf(conf, sizeof(conf), "[view]\nmax-lines = a\x1b[2Jb\n");
	CHECK(load(conf, &err) == NULL);
	CHECKF(drawable(err.msg), "%s", err.msg);
	/* notices: unknown keys and sections, cut at 100 bytes */
	snprintf(conf, sizeof(conf), "[format]\n%s = 1\n[%s\x1b]\n", key, key);
	cfg = load(conf, &err);
	CHECKF(cfg != NULL, "%s", err.msg);
	if (!cfg)
		return;
	CHECK_INTEQ(leco_config_notice_count(cfg), 2);
	for (size_t i = 0; i < leco_config_notice_count(cfg); i++)
		CHECKF(drawable(leco_config_notice(cfg, i)), "%s", leco_config_notice(cfg, i));
	leco_config_free(cfg);
}

static void test_widget_ini_loads(void)
{
	struct leco_error err = {0};
	struct leco_config *cfg = load(NULL, &err);

	CHECKF(cfg != NULL, "%s", err.msg);
	if (!cfg)
		return;
	CHECK_INTEQ(leco_rules_count(cfg->rules, LECO_RX_PROC), 21);
	CHECK_INTEQ(leco_rules_count(cfg->rules, LECO_RX_GROUP), 3);
	/* its [text] line-fade-* keys are used; the rest of [window]/[text] noticed */
	const struct leco_view_conf *v = leco_config_view(cfg);
	CHECK(v->fade_time_s == 200);
	CHECK_INTEQ(v->fade_npoints, 19);
	CHECK(v->fade_range_min == 0 && v->fade_range_max == 100);
	CHECK(v->fade_x[18] == 994 && v->fade_y[18] == 11);
	CHECK_INTEQ(leco_config_notice_count(cfg), 11);
	for (size_t i = 0; i < leco_config_notice_count(cfg); i++)
		CHECKF(strstr(leco_config_notice(cfg, i), "is not used by libleco, ignored"), "%s",
		       leco_config_notice(cfg, i));
	leco_config_free(cfg);
}

/* ------------------------------------------------------------------------ */
/* hostile input */

static void test_hostile(void)
{
	static const char *const confs[] = {
		P "(a+)+$ = X\n",	P "(a|aa)+$ = X\n",  P "^(\\w+\\s?)*$ = X\n",
		P "(.*?)x(.*?)y = Z\n", P "((a*)*)*b = X\n", P "(?:a+a+)+c = X\n",
		G ".*(a+)+b.* = g\n",	P "x* = -\n",
	};
	size_t n = LECO_RX_LINE_MAX;
	char *line = malloc(n + 1);
	struct leco_rx_result res;

	if (!line)
		return;
	memset(line, 'a', n);
	line[n - 1] = '!';
	/* each with the JIT, then with PCRE2's interpreter */
	for (size_t i = 0; i < 2 * sizeof(confs) / sizeof(*confs); i++) {
		struct leco_error err = {0};
		const char *conf = confs[i % (sizeof(confs) / sizeof(*confs))];
		struct leco_config *cfg = load(conf, &err);
		CHECKF(cfg != NULL, "%s", err.msg);
		if (!cfg)
			continue;
		if (i >= sizeof(confs) / sizeof(*confs))
			CHECK(rebuild_nojit(cfg, conf));
		for (size_t len = 16; len <= n; len *= 16) {
			int r = leco_config_apply(cfg, line, len, &res);
			CHECKF(r == 0, "%s len %zu: %d", conf, len, r);
			CHECKF(r || (res.text && (strlen(res.text) == len) != res.changed) ||
				       res.changed,
			       "%s len %zu: result inconsistent", conf, len);
		}
		int r = leco_config_apply(cfg, line, n, &res);
		CHECKF(r == 0 && res.text != NULL, "%s full line: %d", conf, r);
		CHECK_INTEQ(leco_config_apply(cfg, line, n + 1, &res), -E2BIG);
		leco_config_free(cfg);
	}

	/* a backtracking bomb hits the match limit: defined "no match" */
	struct leco_config *cfg = load(P "(a|aa)+$ = X\n", NULL);
	CHECK(cfg != NULL);
	if (cfg) {
		memset(line, 'a', 5000);
		line[5000] = 'b';
		CHECK_INTEQ(leco_config_apply(cfg, line, 5001, &res), 0);
		CHECK(!res.changed && strlen(res.text) == 5001);
		leco_config_free(cfg);
	}

	/* replacements cannot grow a line without bound: ones beyond the cap are skipped */
	cfg = load(P ". = $0$0$0$0\n.. = $0$0$0$0\n", NULL);
	CHECK(cfg != NULL);
	if (cfg) {
		memset(line, 'x', 40000);
		CHECK_INTEQ(leco_config_apply(cfg, line, 40000, &res), 0);
		CHECK_INTEQ(strlen(res.text), 160000); /* first applied, second skipped */
		leco_config_free(cfg);
	}

	/* any bytes: NULs, invalid UTF-8, every byte value */
	cfg = load(P "\\w = w\n(?i)\\x{e4} = A\n. = $0\n", NULL);
	CHECK(cfg != NULL);
	if (cfg) {
		for (int b = 0; b < 256; b++)
			line[b] = (char)b;
		CHECK_INTEQ(leco_config_apply(cfg, line, 256, &res), 0);
		CHECK(res.changed);
		CHECK(res.text[0] == '\0' && strlen(res.text) == 0); /* the NUL byte is kept */
		leco_config_free(cfg);
	}
	free(line);
}

static void test_cache(void)
{
	struct leco_config *cfg = load(P "a = b\n", NULL);
	struct leco_rx_result res;
	uint64_t hits, lookups;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	for (int i = 0; i < 3; i++) {
		CHECK_INTEQ(leco_config_apply(cfg, "xa", 2, &res), 0);
		CHECK_STREQ(res.text, "xb");
	}
	leco_rules_cache_stats(cfg->rules, &hits, &lookups);
	CHECK_INTEQ(lookups, 3);
	CHECK_INTEQ(hits, 2);
	/* lines with the same hash slot but other bytes are not confused */
	char l1[600], l2[600];
	for (int i = 0; i < 2000; i++) {
		int n1 = snprintf(l1, sizeof(l1), "line %d a", i);
		CHECK_INTEQ(leco_config_apply(cfg, l1, n1, &res), 0);
		snprintf(l2, sizeof(l2), "line %d b", i);
		if (strcmp(res.text, l2))
			CHECK_STREQ(res.text, l2);
	}
	leco_rules_set_cache(cfg->rules, false);
	CHECK_INTEQ(leco_config_apply(cfg, "xa", 2, &res), 0);
	leco_rules_cache_stats(cfg->rules, &hits, &lookups);
	CHECK_INTEQ(lookups, 2003);
	leco_config_free(cfg);
}

/* Once the buffers have grown, applying rules allocates nothing, cached or not. */
static void test_no_alloc_steady_state(void)
{
#ifdef LECO_TEST_ASAN
	printf("(allocation counting is off under ASan)\n");
#else
	struct leco_config *cfg = load(NULL, NULL);
	struct leco_rx_result res;
	size_t n = sizeof(rx_cases) / sizeof(*rx_cases);

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	/* the counter works */
	count_allocs = 1;
	free(malloc(16));
	count_allocs = 0;
	CHECK_INTEQ(n_allocs, 1);
	for (int cached = 0; cached < 2; cached++) {
		leco_rules_set_cache(cfg->rules, cached);
		for (int warm = 0; warm < 2; warm++)
			for (size_t i = 0; i < n; i++)
				if (!rx_cases[i].conf)
					leco_config_apply(cfg, rx_cases[i].line,
							  strlen(rx_cases[i].line), &res);
		n_allocs = 0;
		count_allocs = 1;
		for (int k = 0; k < 100; k++)
			for (size_t i = 0; i < n; i++)
				if (!rx_cases[i].conf)
					leco_config_apply(cfg, rx_cases[i].line,
							  strlen(rx_cases[i].line), &res);
		count_allocs = 0;
		CHECKF(n_allocs == 0, "%s: %ld allocations", cached ? "cached" : "uncached",
		       n_allocs);
	}
	leco_config_free(cfg);
#endif
}

/* ------------------------------------------------------------------------ */
/* a config built without INI text (leco_config_new/_set/_add_rule) */

static void check_apply(struct leco_config *cfg, const char *line, const char *want,
			const char *want_group)
{
	struct leco_rx_result res;

	CHECK_INTEQ(leco_config_apply(cfg, line, strlen(line), &res), 0);
	CHECK_STREQ(res.text, want);
	if (want_group)
		CHECK_STREQ(res.group, want_group);
	else
		CHECK(res.group == NULL);
}

static void test_builder(void)
{
	struct leco_config *cfg = NULL;
	struct leco_error err;

	CHECK_INTEQ(leco_config_new("<t>", &cfg, &err), 0);
	if (!cfg)
		return;
	/* issue 10 item 6: what INI would take for comments means what it says */
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-proc", "#a", "x", &err), 0);
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-proc", "c", "1 # 2", &err), 0);
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-proc", ";b", "y", &err), 0);
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-proc", "k=v", "kv", &err), 0);
	/* values as they are: spaces kept, a backslash is a backslash */
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-proc", " sp", "\\ kept ", &err), 0);
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-group", "^g=(.*)", "$1", &err), 0);
	check_apply(cfg, "#a", "x", NULL);
	check_apply(cfg, "c", "1 # 2", NULL);
	check_apply(cfg, ";b", "y", NULL);
	check_apply(cfg, "k=v", "kv", NULL);
	check_apply(cfg, "a sp", "a\\ kept ", NULL);
	check_apply(cfg, "g=foo", "g=foo", "foo");
	/* errors name the section, the rule and the column in the regexp or the replacement */
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-proc", "a(b", "x", &err), -EINVAL);
	CHECK_STREQ(err.msg, "<t>: [rx-proc] rule 6, regexp column 4: missing closing parenthesis");
	CHECK_INTEQ(err.col, 4);
	CHECK_INTEQ(err.line, 0);
	CHECK_INTEQ(leco_config_add_rule(cfg, "rx-proc", "(a)", "x$2", &err), -EINVAL);
	CHECK_STREQ(err.msg, "<t>: [rx-proc] rule 6, replacement column 2: reference to group 2, "
			     "but the regexp has 1 capture group");
	CHECK_INTEQ(leco_config_add_rule(cfg, "view", "a", "b", &err), -EINVAL);
	CHECK_STREQ(err.msg, "<t>: rules go to [rx-proc] or [rx-group], not [view]");
	CHECK_INTEQ(leco_rules_count(cfg->rules, LECO_RX_PROC), 5); /* the failed ones are not in */
	/* options, as a file would set them */
	CHECK_INTEQ(leco_config_set(cfg, "view", "max_lines", "7", &err), 0);
	CHECK_INTEQ(leco_config_view(cfg)->max_lines, 7);
	CHECK_INTEQ(leco_config_set(cfg, "format", "local-addr-port", "yes", &err), 0);
	CHECK(leco_config_format(cfg)->local_endpoint);
	CHECK_INTEQ(leco_config_set(cfg, "view", "max-lines", "lots", &err), -EINVAL);
	CHECK_STREQ(err.msg, "<t>: bad value 'lots' for max-lines in [view]: expected a whole "
			     "number, 1..10000");
	CHECK_INTEQ(leco_config_view(cfg)->max_lines, 7);
	CHECK_INTEQ(leco_config_set(cfg, "rx-proc", "a", "b", &err), -EINVAL);
	CHECK_INTEQ(leco_config_set(cfg, "view", "bogus", "1", &err), 0);
	CHECK_INTEQ(leco_config_set(cfg, "nosuch", "a", "1", &err), 0);
	CHECK_INTEQ(leco_config_notice_count(cfg), 2);
	CHECK_STREQ(leco_config_notice(cfg, 0), "<t>: unknown key 'bogus' in [view], ignored");
	CHECK_STREQ(leco_config_notice(cfg, 1), "<t>: unknown section [nosuch], ignored");
	CHECK_INTEQ(leco_config_new("x", NULL, &err), -EINVAL);
	leco_config_free(cfg);
}

/* Sanitizing can make a result longer (an invalid byte becomes the 3 bytes of U+FFFD): it is cut
 * between characters at LECO_RX_TEXT_MAX, as a replacement would be (found by fuzz_rules). */
static void test_sanitized_bound(void)
{
	size_t n = 100000, len;
	char *conf = malloc(n + 32);
	struct leco_config *cfg = NULL;
	struct leco_rx_result res;
	struct leco_error err;

	if (!conf)
		return;
	memcpy(conf, "[rx-proc]\nx = ", 14);
	memset(conf + 14, 0xff, n);
	memcpy(conf + 14 + n, "\n", 2);
	CHECKF(leco_config_load_string(conf, strlen(conf), "t.ini", &cfg, &err) == 0, "%s",
	       err.msg);
	free(conf);
	if (!cfg)
		return;
	/* 200,000 invalid bytes out of the rule: 600,000 once each is U+FFFD */
	CHECK_INTEQ(leco_config_apply(cfg, "xx", 2, &res), 0);
	len = strlen(res.text);
	CHECKF(len <= LECO_RX_TEXT_MAX && len > LECO_RX_TEXT_MAX - 3, "%zu", len);
	CHECK(len % 3 == 0 && !memcmp(res.text + len - 3, "\xef\xbf\xbd", 3));
	CHECK(res.changed);
	leco_config_free(cfg);
}

int main(int argc, char **argv)
{
	widget_ini = argc > 1 ? argv[1] : "widget.ini";
	RUN(test_rx_table);
	RUN(test_err_table);
	RUN(test_load_file_errors);
	RUN(test_too_many_rules);
	RUN(test_defaults);
	RUN(test_options);
	RUN(test_notices);
	RUN(test_messages_drawable);
	RUN(test_widget_ini_loads);
	RUN(test_hostile);
	RUN(test_cache);
	RUN(test_no_alloc_steady_state);
	RUN(test_builder);
	RUN(test_sanitized_bound);
	return th_done();
}
