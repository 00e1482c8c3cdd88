// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The full-screen view of `leco top` (ncurses), with the keys nethogs and htop users know:
 * m switches rates/totals, s/r sort by sent/received (t total, c connections), g the group-by,
 * p pauses, / filters, q quits. A title line, a header, the groups, a total row and a key bar;
 * redrawn after each refresh, key or resize (SIGWINCH). The terminal is restored on every way
 * out: q, SIGINT/SIGTERM/SIGHUP/SIGQUIT, errors.
 */
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "top.h"

enum { F_RX, F_TX, F_TOTAL, F_CONNS, F_OTHER }; /* what s, r, t, c sort by */
enum { C_PID, C_USER, C_KEY, C_UNIT, C_CONNS, C_RXR, C_TXR, C_RX, C_TX, C_COUNT };

static const struct {
	const char *title;
	int width; /* 0: the flexible column */
	bool right;
} cols[C_COUNT] = {
	[C_PID] = {"PID", 7, true},	[C_USER] = {"USER", 9, false},	[C_KEY] = {"PROGRAM", 0},
	[C_UNIT] = {"UNIT", 14, false}, [C_CONNS] = {"CONNS", 6, true}, [C_RXR] = {"RX/s", 9, true},
	[C_TXR] = {"TX/s", 9, true},	[C_RX] = {"RX", 9, true},	[C_TX] = {"TX", 9, true},
};

struct tui {
	struct leco_reader *r;
	int by, sort, family;
	bool totals, paused, editing;
	char filter[64];
	int scroll, ngroups;
	double interval;
	bool shown[C_COUNT];
	int key_width;
};

static volatile sig_atomic_t quit_sig;

static void on_quit(int sig)
{
	quit_sig = sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- sorting and grouping ------------------------------------------------------------- */

static int sort_of(int family, bool totals)
{
	static const int by_family[4][2] = {
		[F_RX] = {LECO_SORT_RX_RATE, LECO_SORT_RX},
		[F_TX] = {LECO_SORT_TX_RATE, LECO_SORT_TX},
		[F_TOTAL] = {LECO_SORT_RATE, LECO_SORT_TOTAL},
		[F_CONNS] = {LECO_SORT_CONNS, LECO_SORT_CONNS},
	};

	return by_family[family][totals];
}

/* --sort as a key would have set it: which family, rates or totals */
static void sort_from_opts(struct tui *t, int sort)
{
	for (int f = F_RX; f <= F_CONNS; f++)
		for (int tot = 0; tot < 2; tot++)
			if (sort_of(f, tot) == sort) {
				t->family = f;
				t->totals = f == F_CONNS ? false : tot;
				t->sort = sort;
				return;
			}
	t->family = F_OTHER;
	t->sort = sort;
}

static void regroup(struct tui *t)
{
	LECO_OPTS(leco_top_opts, o, .by = t->by, .sort = t->sort);
	int n = leco_reader_top(t->r, &o);

	t->ngroups = n < 0 ? 0 : n;
}

static bool matches(const struct tui *t, const struct leco_group *g)
{
	const char *const v[] = {g->key, g->cmd, g->user, g->unit, g->exe, g->comm};

	if (!t->filter[0])
		return true;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] && strcasestr(v[i], t->filter))
			return true;
	return false;
}

/* ---- drawing -------------------------------------------------------------------------- */

/* Which columns fit in `width`: the least needed go first. */
static void choose_columns(struct tui *t, int width)
{
	int drop[] = {C_UNIT,  t->totals ? C_RXR : C_RX, t->totals ? C_TXR : C_TX, C_USER, C_PID,
		      C_CONNS, t->totals ? C_RX : C_RXR};
	int need = 0;

	for (int c = 0; c < C_COUNT; c++) {
		t->shown[c] =
			t->by == LECO_BY_PROCESS || (c != C_PID && c != C_USER && c != C_UNIT);
		need += t->shown[c] ? cols[c].width + 1 : 0;
	}
	need += 12; /* the key column's least */
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]) && need > width; i++)
		if (t->shown[drop[i]]) {
			t->shown[drop[i]] = false;
			need -= cols[drop[i]].width + 1;
		}
	t->key_width = width - need + 12;
	if (t->key_width < 4)
		t->key_width = 4;
}

/* Append column `c` showing `s` to `line` (at most `cap` bytes in all). */
static void put_col(const struct tui *t, char *line, size_t cap, int c, const char *s)
{
	size_t len = strlen(line);
	int w = cols[c].width ? cols[c].width : t->key_width;

	if (!t->shown[c] || len >= cap)
		return;
	snprintf(line + len, cap - len, cols[c].right ? "%*.*s " : "%-*.*s ", w, w, s);
}

static void group_line(const struct tui *t, const struct leco_group *g, bool total, char *line,
		       size_t cap)
{
	char v[6][24];
	const char *key = total ? "TOTAL" : g->unattributed ? "(unattributed)" : g->key;

	if (!total && t->by == LECO_BY_PROCESS && !g->unattributed)
		key = g->cmd;
	else if (!total && !g->unattributed && !key[0])
		key = "-";
	snprintf(v[0], sizeof(v[0]), "%u", g->pid);
	snprintf(v[1], sizeof(v[1]), "%u", g->conns);
	cli_size(v[2], sizeof(v[2]), g->rx_rate);
	cli_size(v[3], sizeof(v[3]), g->tx_rate);
	cli_size(v[4], sizeof(v[4]), (double)g->rx);
	cli_size(v[5], sizeof(v[5]), (double)g->tx);
	line[0] = 0;
	put_col(t, line, cap, C_PID, g->pid ? v[0] : "");
	put_col(t, line, cap, C_USER, g->user);
	put_col(t, line, cap, C_KEY, key);
	put_col(t, line, cap, C_UNIT, g->unit[0] || total || g->unattributed ? g->unit : "-");
	put_col(t, line, cap, C_CONNS, v[1]);
	put_col(t, line, cap, C_RXR, v[2]);
	put_col(t, line, cap, C_TXR, v[3]);
	put_col(t, line, cap, C_RX, v[4]);
	put_col(t, line, cap, C_TX, v[5]);
}

static void draw_title(const struct tui *t, int shown)
{
	static const char *const names[] = {
		[F_RX] = "received", [F_TX] = "sent", [F_TOTAL] = "total", [F_CONNS] = "conns"};
	const char *msg = leco_reader_errmsg(t->r);

	mvprintw(0, 0, "leco top  by %s  sort: %s%s  %s  every %.1fs  %d/%d groups%s%s%s",
		 leco_group_by_name(t->by),
		 t->family == F_OTHER ? leco_sort_name(t->sort) : names[t->family],
		 t->family == F_OTHER || t->family == F_CONNS ? ""
		 : t->totals				      ? ""
							      : "/s",
		 t->totals ? "totals" : "rates", t->interval, shown, t->ngroups,
		 t->paused ? "  [paused]" : "", t->filter[0] ? "  filter: " : "", t->filter);
	clrtoeol();
	if (msg[0]) {
		attron(A_BOLD);
		mvprintw(1, 0, "%s", msg);
		attroff(A_BOLD);
		clrtoeol();
	}
}

static void draw_header(const struct tui *t, int y)
{
	char line[1024] = "", title[24];

	for (int c = 0; c < C_COUNT; c++) {
		const char *s = cols[c].title;

		if (c == C_KEY && t->by != LECO_BY_PROCESS) {
			snprintf(title, sizeof(title), "%s", leco_group_by_name(t->by));
			for (char *p = title; *p; p++)
				*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
			s = title;
		}
		put_col(t, line, sizeof(line), c, s);
	}
	attron(A_REVERSE);
	mvprintw(y, 0, "%-*.*s", COLS, COLS, line);
	attroff(A_REVERSE);
}

static void draw_keys(const struct tui *t)
{
	static const char *const keys[][2] = {
		{"q", "Quit"},	   {"m", "Rates/Totals"}, {"s", "Sent"},
		{"r", "Received"}, {"t", "Total"},	  {"c", "Conns"},
		{"g", "Group"},	   {"p", "Pause"},	  {"/", "Filter"},
	};

	move(LINES - 1, 0);
	if (t->editing) {
		printw("Filter: %s", t->filter);
		clrtoeol();
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		printw("%s", keys[i][0]);
		attron(A_REVERSE);
		printw("%-*s", (int)strlen(keys[i][1]) + 1, keys[i][1]);
		attroff(A_REVERSE);
	}
	clrtoeol();
}

static void draw(struct tui *t)
{
	char line[1024];
	int y = 3, rows = LINES - 5, shown = 0, skipped = 0;
	const struct leco_group *g;

	erase();
	choose_columns(t, COLS);
	draw_header(t, 2);
	if (t->scroll > t->ngroups - 1)
		t->scroll = t->ngroups > 0 ? t->ngroups - 1 : 0;
	for (int i = 0; i < t->ngroups; i++) {
		if (!(g = leco_reader_group(t->r, (size_t)i)) || !matches(t, g))
			continue;
		shown++;
		if (skipped++ < t->scroll || y >= 3 + rows)
			continue;
		group_line(t, g, false, line, sizeof(line));
		if (g->exited)
			attron(A_DIM);
		mvaddnstr(y++, 0, line, COLS);
		attroff(A_DIM);
	}
	if ((g = leco_reader_top_total(t->r)) && LINES > 4) {
		group_line(t, g, true, line, sizeof(line));
		attron(A_BOLD);
		mvaddnstr(LINES - 2, 0, line, COLS);
		attroff(A_BOLD);
	}
	draw_title(t, shown);
	draw_keys(t);
	refresh();
}

/* ---- keys ----------------------------------------------------------------------------- */

/* A key while the filter is typed: Enter keeps it, Esc drops it. */
static void filter_key(struct tui *t, int ch)
{
	size_t len = strlen(t->filter);

	if (ch == '\n' || ch == KEY_ENTER || ch == '\r') {
		t->editing = false;
	} else if (ch == 27) { /* Esc: no filter */
		t->filter[0] = 0;
		t->editing = false;
	} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len) {
		t->filter[len - 1] = 0;
	} else if (ch >= 32 && ch < 127 && len + 1 < sizeof(t->filter)) {
		t->filter[len] = (char)ch;
		t->filter[len + 1] = 0;
	}
}

/* One key; false to quit. */
static bool key(struct tui *t, int ch)
{
	if (t->editing) {
		filter_key(t, ch);
		return true;
	}
	switch (ch) {
	case 'q':
	case 'Q':
	case KEY_F(10):
		return false;
	case 'm':
		t->totals = !t->totals;
		break;
	case 's':
	case 'r':
	case 't':
	case 'c':
		t->family = ch == 's' ? F_TX : ch == 'r' ? F_RX : ch == 't' ? F_TOTAL : F_CONNS;
		break;
	case 'g':
	case 'b':
		t->by = (t->by + 1) % 8;
		t->scroll = 0;
		break;
	case 'p':
	case ' ':
		t->paused = !t->paused;
		break;
	case '/':
		t->editing = true;
		break;
	case 27:
		t->filter[0] = 0;
		break;
	case KEY_DOWN:
		t->scroll++;
		break;
	case KEY_UP:
		t->scroll -= t->scroll > 0;
		break;
	case KEY_NPAGE:
		t->scroll += LINES - 5;
		break;
	case KEY_PPAGE:
		t->scroll = t->scroll > LINES - 5 ? t->scroll - (LINES - 5) : 0;
		break;
	}
	if (t->family != F_OTHER)
		t->sort = sort_of(t->family, t->totals);
	return true;
}

/* ---- the loop ----------------------------------------------------------------------------- */

static void signals(void (*handler)(int))
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler; /* no SA_RESTART: a signal ends the wait for a key */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static bool curses_on;

static void curses_off(void)
{
	if (curses_on) {
		endwin();
		curses_on = false;
	}
}

int top_tui(struct leco_reader *r, const struct top_opts *o)
{
	struct tui t = {.r = r, .by = o->by, .interval = o->interval};
	double next = 0;

	sort_from_opts(&t, o->sort);
	signals(on_quit); /* before initscr: ncurses leaves handlers it finds alone */
	atexit(curses_off);
	if (!initscr())
		return 2;
	curses_on = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	while (!quit_sig) {
		double now = now_s();

		if (!t.paused && now >= next) {
			leco_reader_poll(r);
			next = now + t.interval;
			regroup(&t);
			draw(&t);
		}
		/* short waits: a signal is noticed soon whether or not it ends the wait */
		int wait_ms = t.paused ? 200 : (int)((next - now) * 1000) + 1;

		wtimeout(stdscr, wait_ms > 200 ? 200 : wait_ms);
		int ch = getch();

		if (ch == ERR)
			continue;
		if (!key(&t, ch))
			break;
		if (ch != KEY_RESIZE)
			regroup(&t);
		draw(&t);
	}
	curses_off();
	signals(SIG_DFL);
	return 0;
}
