// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The display line, field for field as the original leco-event-pipe wrote it:
 *   TIME :: USER :: CMD [LABEL] :: [LADDR LPORT ::] RADDR RPORT[/PROTO] :: v RX / TX ^
 * plus the markers for inbound ("<- " before the remote endpoint) and failed or
 * blocked attempts (a word after it): see doc/format.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "annotate.h"

void leco_fmt_size(char *buf, size_t bufsz, uint64_t sz)
{
	static const struct {
		char u;
		double v;
	} units[] = {{'T', 1099511627776.0},
		     {'G', 1073741824.0},
		     {'M', 1048576.0},
		     {'K', 1024.0},
		     {'B', 1.0}};
	size_t i;

	for (i = 0; i < 4; i++)
		if ((double)sz > units[i].v)
			break;
	char num[48];
	int n = snprintf(num, sizeof(num), "%.1f", (double)sz / units[i].v);

	if (n >= 2 && !strcmp(num + n - 2, ".0"))
		num[n - 2] = 0;
	snprintf(buf, bufsz, "%s%c", num, units[i].u);
}

void leco_fmt_reltime(char *buf, size_t bufsz, double td)
{
	static const struct {
		const char *u;
		double s;
	} units[] = {{"y", 365.2422 * 86400},
		     {"mo", 30.5 * 86400},
		     {"w", 7 * 86400},
		     {"d", 86400},
		     {"h", 3600},
		     {"m", 60},
		     {"s", 1}};

	if (!(td > 0)) /* also NaN */
		td = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (floor(td / units[i].s) < 1)
			continue;
		/* rint: round half to even, as Python's round() */
		snprintf(buf, bufsz, "%.0f%s", rint(td / units[i].s), units[i].u);
		return;
	}
	snprintf(buf, bufsz, "now");
}

void leco_fmt_time(char *buf, size_t bufsz, int64_t first_real_ns, double td_s,
		   uint64_t reltime_after_s)
{
	if (td_s < (double)reltime_after_s) {
		time_t t = (time_t)(first_real_ns / (int64_t)LECO_NS);
		struct tm tm;

		if (first_real_ns < 0 && first_real_ns % (int64_t)LECO_NS)
			t--;
		if (localtime_r(&t, &tm) && strftime(buf, bufsz, "%H:%M", &tm))
			return;
		snprintf(buf, bufsz, "--:--");
		return;
	}
	char rel[32], neg[34];

	leco_fmt_reltime(rel, sizeof(rel), td_s);
	snprintf(neg, sizeof(neg), "%s%s", strcmp(rel, "now") ? "-" : "", rel);
	snprintf(buf, bufsz, "%5s", neg);
}

void leco_fmt_addr(char *buf, size_t bufsz, const uint8_t addr[16], int family_in, int *family)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char tmp[INET6_ADDRSTRLEN];
	int fam = family_in == 6 ? 6 : 4;
	const uint8_t *a = addr;

	if (fam == 6 && !memcmp(addr, mapped, sizeof(mapped))) {
		fam = 4;
		a = addr + 12;
	}
	if (!inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "?");
	if (fam == 6 && !strcmp(tmp, "::"))
		snprintf(tmp, sizeof(tmp), "[::]");
	snprintf(buf, bufsz, "%s", tmp);
	if (family)
		*family = fam;
}

const char *leco_fmt_err_word(int state, int err)
{
	if (state == LECO_ST_BLOCKED)
		return "blocked";
	if (state != LECO_ST_FAILED)
		return NULL;
	switch (err) {
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "unreachable";
	case ECONNRESET:
		return "reset";
	case EPERM:
	case EACCES:
		return "blocked";
	default:
		return "failed";
	}
}

struct sbuf {
	char *p;
	size_t sz, len;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + 1 >= b->sz)
		return;
	if (n > b->sz - 1 - b->len)
		n = b->sz - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_ep(struct sbuf *b, const char *addr, uint16_t port, int proto)
{
	char tmp[LECO_NAME_LEN * 3 + 32]; /* a sanitized name, or an address */

	snprintf(tmp, sizeof(tmp), "%s %u%s", addr, port,
		 proto == 6    ? ""
		 : proto == 17 ? "/udp"
			       : "/x");
	sb_add(b, tmp);
}

size_t leco_fmt_line(char *buf, size_t bufsz, const struct leco_format_conf *f, const char *time,
		     const struct leco_conn_info *ci)
{
	struct sbuf b = {buf, bufsz, 0};
	const char *word = leco_fmt_err_word(ci->state, ci->err);

	if (!bufsz)
		return 0;
	buf[0] = 0;
	sb_add(&b, time);
	sb_add(&b, " :: ");
	sb_add(&b, ci->user);
	sb_add(&b, " :: ");
	sb_add(&b, ci->cmd);
	if (ci->unit && ci->unit[0] && strcmp(ci->unit, ci->cmd)) {
		sb_add(&b, " [");
		sb_add(&b, ci->unit);
		sb_add(&b, "]");
	}
	sb_add(&b, " :: ");
	if (f->local_endpoint) {
		sb_ep(&b, ci->laddr, ci->lport, ci->proto);
		sb_add(&b, " :: ");
	}
	if (ci->dir == LECO_DIR_IN)
		sb_add(&b, "<- ");
	sb_ep(&b, f->remote_names && ci->rname && ci->rname[0] ? ci->rname : ci->raddr, ci->rport,
	      ci->proto);
	if (word) {
		sb_add(&b, " ");
		sb_add(&b, word);
	}
	sb_add(&b, " :: ");
	if (ci->rx + ci->tx >= f->traffic_min) {
		char rx[32], tx[32];

		leco_fmt_size(rx, sizeof(rx), ci->rx);
		leco_fmt_size(tx, sizeof(tx), ci->tx);
		sb_add(&b, "v ");
		sb_add(&b, rx);
		sb_add(&b, " / ");
		sb_add(&b, tx);
		sb_add(&b, " ^");
	}
	return b.len;
}
