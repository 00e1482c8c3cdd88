/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A line (struct leco_line) seen as the connection it shows (struct leco_conn_info): the
 * fields they share, so that the CLI's JSON (tools/output.c) and the Lua tables
 * (lua/leco_lua.c) write one list of connection fields for lines and for the
 * every-connection walk alike. Header-only: both see only libleco's public API.
 */
#ifndef LECO_LINE_CONN_H
#define LECO_LINE_CONN_H

#include <string.h>

#include "leco.h"

static inline void leco_line_as_conn(const struct leco_line *l, struct leco_conn_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->cookie = l->cookie;
	ci->pid = l->pid, ci->uid = l->uid;
	ci->state = l->state, ci->dir = l->dir, ci->err = l->err;
	ci->proto = l->proto, ci->family = l->family;
	ci->laddr = l->laddr, ci->raddr = l->raddr;
	ci->lport = l->lport, ci->rport = l->rport;
	ci->rx = l->rx, ci->tx = l->tx;
	ci->rx_rate = l->rx_rate, ci->tx_rate = l->tx_rate;
	ci->comm = l->comm, ci->cmd = l->cmd, ci->exe = l->exe;
	ci->user = l->user, ci->cgroup = l->cgroup, ci->unit = l->unit;
	ci->first_seen = l->first_seen, ci->last_seen = l->last_seen;
	ci->start_time = l->start_time;
	ci->owner = l->owner, ci->restarted = l->restarted, ci->count = l->count;
	ci->first_ever = l->first_ever;
	ci->rname = l->rname, ci->rname_src = l->rname_src;
}

#endif /* LECO_LINE_CONN_H */
