// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_rules [CONFIG] [SECONDS]: lines per second through a rule set (default:
 * the original widget.ini, 21 [rx-proc] + 3 [rx-group] rules) on one core.
 * Uncached: 4096 distinct lines (every apply runs every rule); cached: a
 * 200-line working set, as a view re-applies the same lines every poll.
 * Times are CPU time of the thread, best of three; prints figures and ratios
 * measured side by side, no pass/fail.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leco.h"
#include "config.h"
#include "rules.h"

#define NLINES 4096

static double now(void)
{
	struct timespec t;

	/* CPU time of this thread: other work on a shared machine does not count */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A realistic mix in the default line format, with some lines each widget.ini rule touches. */
static char *make_line(unsigned int i)
{
	static const char *const users[] = {"fraggod", "fraggod", "fraggod",
					    "root",    "bob",	  "systemd-timesync"};
	static const char *const cmds[] = {"curl",
					   "firefox [app-flatpak-org.mozilla.firefox-12345]",
					   "socket thread [waterfox]",
					   "DNS Res~ver #1 [waterfox]",
					   "chrome [app-org.chromium.Chromium-1234]",
					   "emacs",
					   "ssh [tmux-spawn-822f3728+]",
					   "drill [tmux-spawn-1a2b3c4d]",
					   "ping",
					   "yt-dlp [tmux-spawn-aa11]",
					   "aria2c",
					   "feh-ext",
					   "python3 myscript.py",
					   "tremc [tmux-spawn-77]",
					   "git-remote-https",
					   "systemd-timesyncd [systemd-timesyncd]",
					   "streamlink [media.twitch_vod_fe+]",
					   "opener [mpv-urls]",
					   "nodpi-https [nodpi-https-proxy]",
					   "Xorg"};
	static const char *const remotes[] = {"10.2.0.1 53/udp", "10.2.0.1 6667",
					      "10.2.0.1 22",	 "127.0.0.1 631",
					      "0.0.0.0 0/x",	 "::ffff:93.184.216.34 443",
					      "10.48.4.3 8198"};
	char buf[512], ep[256], traffic[64] = "";
	unsigned int r = i * 2654435761u;

	if (r % 3 == 0)
		snprintf(ep, sizeof(ep), "%s", remotes[(r >> 8) % 7]);
	else if (r % 3 == 1)
		snprintf(ep, sizeof(ep), "%u.%u.%u.%u %u", 1 + (r >> 3) % 223, (r >> 7) % 256,
			 (r >> 13) % 256, 1 + (r >> 19) % 254, (r >> 5) % 2 ? 443 : 80);
	else
		snprintf(ep, sizeof(ep), "2a02:6b8::%x %u", (r >> 4) & 0xffff, 443);
	if ((r >> 9) % 4 == 0) {
		/* local endpoint info, as with local-addr-port = yes */
		char tmp[256];
		if ((r >> 11) % 2)
			snprintf(tmp, sizeof(tmp), "127.0.0.1 %u :: 127.0.0.1 %u",
				 (r >> 12) % 2 ? 8080 : 40000 + (r >> 14) % 20000,
				 30000 + (r >> 15) % 30000);
		else
			snprintf(tmp, sizeof(tmp), "192.168.1.5 %u :: %.200s",
				 32768 + (r >> 10) % 28000, ep);
		snprintf(ep, sizeof(ep), "%.250s", tmp);
	}
	if ((r >> 17) % 2)
		snprintf(traffic, sizeof(traffic), " v %u.%uK / %uB ^", (r >> 6) % 900,
			 (r >> 3) % 10, (r >> 2) % 1000);
	snprintf(buf, sizeof(buf), "%02u:%02u :: %s :: %s :: %s ::%s", (r >> 20) % 24,
		 (r >> 12) % 60, users[(r >> 16) % 6], cmds[(r >> 21) % 20], ep, traffic);
	return strdup(buf);
}

static double run1(struct leco_config *cfg, char **lines, size_t *lens, unsigned int nset,
		   double secs, unsigned long *changed)
{
	struct leco_rx_result res;
	unsigned long n = 0, ch = 0;
	double t0 = now(), t;

	do {
		for (unsigned int k = 0; k < 4096; k++, n++) {
			unsigned int i = (unsigned int)(n % nset);
			if (leco_config_apply(cfg, lines[i], lens[i], &res) == 0 && res.changed)
				ch++;
		}
	} while ((t = now() - t0) < secs);
	*changed = ch;
	return n / t;
}

/* Best of three runs of secs/3 each: the least disturbed one. */
static double run(struct leco_config *cfg, char **lines, size_t *lens, unsigned int nset,
		  double secs, unsigned long *changed_pct)
{
	double best = 0;
	unsigned long ch;

	for (int i = 0; i < 3; i++) {
		double rate = run1(cfg, lines, lens, nset, secs / 3, &ch);
		if (rate > best)
			best = rate;
	}
	/* the last run's share of changed lines, in percent */
	*changed_pct = (unsigned long)(100.0 * ch / (best * secs / 3 > 1 ? best * secs / 3 : 1));
	return best;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : LECO_BENCH_WIDGET_INI;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	struct leco_config *cfg = NULL;
	struct leco_error err = {0};
	static char *lines[NLINES];
	static size_t lens[NLINES];
	cpu_set_t one;
	unsigned long ch_u, ch_c;

	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
	sched_setaffinity(0, sizeof(one), &one); /* one core; best effort */
	if (leco_config_load_file(path, &cfg, &err)) {
		fprintf(stderr, "bench_rules: %s\n", err.msg);
		return 1;
	}
	size_t total = 0;
	for (unsigned int i = 0; i < NLINES; i++) {
		lines[i] = make_line(i);
		lens[i] = strlen(lines[i]);
		total += lens[i];
	}
	printf("config: %s (%zu rx-proc + %zu rx-group rules, PCRE2 JIT %s)\n", path,
	       leco_rules_count(cfg->rules, LECO_RX_PROC),
	       leco_rules_count(cfg->rules, LECO_RX_GROUP),
	       leco_rules_jit(cfg->rules) ? "on" : "off");
	printf("lines: %d distinct, %.0f bytes on average, e.g.\n  %s\n", NLINES,
	       (double)total / NLINES, lines[1]);

	leco_rules_set_cache(cfg->rules, false);
	run(cfg, lines, lens, NLINES, secs / 5, &ch_u); /* warm up */
	double unc = run(cfg, lines, lens, NLINES, secs, &ch_u);
	leco_rules_set_prefilter(cfg->rules, false);
	double unc_nopf = run(cfg, lines, lens, NLINES, secs, &ch_u);
	leco_rules_set_prefilter(cfg->rules, true);
	leco_rules_set_cache(cfg->rules, true);
	uint64_t h0, l0, hits, lookups;
	leco_rules_cache_stats(cfg->rules, &h0, &l0);
	double c200 = run(cfg, lines, lens, 200, secs, &ch_c);
	leco_rules_cache_stats(cfg->rules, &hits, &lookups);
	double hit200 = lookups > l0 ? 100.0 * (hits - h0) / (lookups - l0) : 0;
	leco_rules_set_cache(cfg->rules, false); /* empties it */
	leco_rules_set_cache(cfg->rules, true);
	unsigned long ch_c2;
	leco_rules_cache_stats(cfg->rules, &h0, &l0);
	double c4096 = run(cfg, lines, lens, NLINES, secs, &ch_c2);
	leco_rules_cache_stats(cfg->rules, &hits, &lookups);
	hits -= h0, lookups -= l0;

	printf("\n%-44s %12s %10s\n", "run (one core)", "lines/s", "us/line");
	printf("%-44s %12.0f %10.3f\n", "uncached, 4096 distinct lines", unc, 1e6 / unc);
	printf("%-44s %12.0f %10.3f\n", "uncached, no literal prefilters", unc_nopf,
	       1e6 / unc_nopf);
	printf("%-44s %12.0f %10.3f\n", "cached, 200-line working set", c200, 1e6 / c200);
	printf("%-44s %12.0f %10.3f\n", "cached, 4096 distinct lines (thrashing)", c4096,
	       1e6 / c4096);
	printf("\ncache hit rate: %.1f%% (200-line set), %.1f%% (4096 lines, %d slots)\n", hit200,
	       lookups ? 100.0 * hits / lookups : 0, LECO_RX_CACHE_SLOTS);
	printf("cached/uncached: x%.1f; prefilters: x%.1f\n", c200 / unc, unc / unc_nopf);
	printf("target >= 500000 lines/s uncached: %s\n", unc >= 500000 ? "met" : "NOT met");
	for (unsigned int i = 0; i < NLINES; i++)
		free(lines[i]);
	leco_config_free(cfg);
	return 0;
}
