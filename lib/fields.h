/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fields of a connection (struct leco_conn_info), of a group (struct leco_group) and of
 * the history's totals and pairs by name, type and place, in the order the outputs show them: one
 * list that the CLI's JSON (tools/output.c) and the Lua tables (lua/) both walk, so a field is
 * spelled the same in each. Header-only: both see only libleco's public API.
 */
#ifndef LECO_FIELDS_H
#define LECO_FIELDS_H

#include <stddef.h>
#include <string.h>

#include "leco.h"

enum leco_field_type {
	LECO_FT_STR,	/* const char * ("" for NULL) */
	LECO_FT_U64,	/* uint64_t */
	LECO_FT_U32,	/* uint32_t */
	LECO_FT_U16,	/* uint16_t */
	LECO_FT_INT,	/* int */
	LECO_FT_I64,	/* int64_t */
	LECO_FT_DOUBLE, /* double */
	LECO_FT_BOOL,	/* bool */
	LECO_FT_STATE,	/* int: leco_state_name() */
	LECO_FT_DIR,	/* int: leco_direction_name() */
	LECO_FT_ERRNO,	/* int: leco_errno_name(), null/nil for 0 */
	LECO_FT_PROTO,	/* int: leco_proto_name() */
	LECO_FT_BY,	/* int: leco_group_by_name() */
};

/* struct leco_field.only: shown only ... */
#define LECO_FO_WALK	1 /* ... for the every-connection walk (not for a line) */
#define LECO_FO_PROCESS 2 /* ... for a process group with a known process */
#define LECO_FO_REMOTE	4 /* ... for a remote-address group */

struct leco_field {
	const char *name;
	unsigned char type, only;
	unsigned short off;
};

#define LECO_CONN_FIELD(name, type, only)                                \
	{                                                                \
#name, type, only, offsetof(struct leco_conn_info, name) \
	}
#define LECO_GROUP_FIELD(name, type, only)                           \
	{                                                            \
#name, type, only, offsetof(struct leco_group, name) \
	}
#define LECO_FIELD_OF(str, name, type)                     \
	{                                                  \
#name, type, 0, offsetof(struct str, name) \
	}

/* A line's JSON puts its display fields before the last LECO_CONN_FIELDS_TAIL fields, from the
 * cookie on (tools/output.c) */
#define LECO_CONN_FIELDS_TAIL 6
static const struct leco_field leco_conn_fields[] = {
	LECO_CONN_FIELD(proto, LECO_FT_PROTO, 0),
	LECO_CONN_FIELD(family, LECO_FT_INT, 0),
	LECO_CONN_FIELD(laddr, LECO_FT_STR, 0),
	LECO_CONN_FIELD(lport, LECO_FT_U16, 0),
	LECO_CONN_FIELD(raddr, LECO_FT_STR, 0),
	LECO_CONN_FIELD(rport, LECO_FT_U16, 0),
	LECO_CONN_FIELD(dir, LECO_FT_DIR, 0),
	LECO_CONN_FIELD(state, LECO_FT_STATE, 0),
	LECO_CONN_FIELD(err, LECO_FT_ERRNO, 0),
	LECO_CONN_FIELD(pid, LECO_FT_U32, 0),
	LECO_CONN_FIELD(start_time, LECO_FT_I64, 0),
	LECO_CONN_FIELD(exited, LECO_FT_BOOL, LECO_FO_WALK),
	LECO_CONN_FIELD(comm, LECO_FT_STR, 0),
	LECO_CONN_FIELD(cmd, LECO_FT_STR, 0),
	LECO_CONN_FIELD(exe, LECO_FT_STR, 0),
	LECO_CONN_FIELD(uid, LECO_FT_U32, 0),
	LECO_CONN_FIELD(user, LECO_FT_STR, 0),
	LECO_CONN_FIELD(cgroup, LECO_FT_STR, 0),
	LECO_CONN_FIELD(unit, LECO_FT_STR, 0),
	LECO_CONN_FIELD(rx, LECO_FT_U64, 0),
	LECO_CONN_FIELD(tx, LECO_FT_U64, 0),
	LECO_CONN_FIELD(rx_rate, LECO_FT_DOUBLE, 0),
	LECO_CONN_FIELD(tx_rate, LECO_FT_DOUBLE, 0),
	LECO_CONN_FIELD(first_seen, LECO_FT_I64, 0),
	LECO_CONN_FIELD(last_seen, LECO_FT_I64, 0),
	LECO_CONN_FIELD(first_ever, LECO_FT_BOOL, 0),
	LECO_CONN_FIELD(cookie, LECO_FT_U64, 0),
	LECO_CONN_FIELD(owner, LECO_FT_STR, 0),
	LECO_CONN_FIELD(restarted, LECO_FT_BOOL, 0),
	LECO_CONN_FIELD(count, LECO_FT_U32, 0),
	LECO_CONN_FIELD(rname, LECO_FT_STR, 0),
	LECO_CONN_FIELD(rname_src, LECO_FT_STR, 0),
};

static const struct leco_field leco_group_fields[] = {
	LECO_GROUP_FIELD(by, LECO_FT_BY, 0),
	LECO_GROUP_FIELD(key, LECO_FT_STR, 0),
	LECO_GROUP_FIELD(rx, LECO_FT_U64, 0),
	LECO_GROUP_FIELD(tx, LECO_FT_U64, 0),
	LECO_GROUP_FIELD(rx_rate, LECO_FT_DOUBLE, 0),
	LECO_GROUP_FIELD(tx_rate, LECO_FT_DOUBLE, 0),
	LECO_GROUP_FIELD(rx_rate_avg, LECO_FT_DOUBLE, 0),
	LECO_GROUP_FIELD(tx_rate_avg, LECO_FT_DOUBLE, 0),
	LECO_GROUP_FIELD(conns, LECO_FT_U32, 0),
	LECO_GROUP_FIELD(conns_total, LECO_FT_U64, 0),
	LECO_GROUP_FIELD(failed, LECO_FT_U64, 0),
	LECO_GROUP_FIELD(blocked, LECO_FT_U64, 0),
	LECO_GROUP_FIELD(first_seen, LECO_FT_I64, 0),
	LECO_GROUP_FIELD(last_seen, LECO_FT_I64, 0),
	LECO_GROUP_FIELD(exited, LECO_FT_BOOL, 0),
	LECO_GROUP_FIELD(unattributed, LECO_FT_BOOL, 0),
	LECO_GROUP_FIELD(pid, LECO_FT_U32, LECO_FO_PROCESS),
	LECO_GROUP_FIELD(start_time, LECO_FT_I64, LECO_FO_PROCESS),
	LECO_GROUP_FIELD(comm, LECO_FT_STR, LECO_FO_PROCESS),
	LECO_GROUP_FIELD(cmd, LECO_FT_STR, LECO_FO_PROCESS),
	LECO_GROUP_FIELD(uid, LECO_FT_U32, LECO_FO_PROCESS),
	LECO_GROUP_FIELD(user, LECO_FT_STR, LECO_FO_PROCESS),
	LECO_GROUP_FIELD(unit, LECO_FT_STR, LECO_FO_PROCESS),
	LECO_GROUP_FIELD(exe, LECO_FT_STR, LECO_FO_PROCESS),
	LECO_GROUP_FIELD(rname, LECO_FT_STR, LECO_FO_REMOTE),
};

/* A history total (`leco report --json` and Lua's history:totals() put `by` before them). */
static const struct leco_field leco_history_total_fields[] = {
	LECO_FIELD_OF(leco_history_total, key, LECO_FT_STR),
	LECO_FIELD_OF(leco_history_total, rx, LECO_FT_U64),
	LECO_FIELD_OF(leco_history_total, tx, LECO_FT_U64),
	LECO_FIELD_OF(leco_history_total, conns, LECO_FT_U64),
	LECO_FIELD_OF(leco_history_total, failed, LECO_FT_U64),
	LECO_FIELD_OF(leco_history_total, blocked, LECO_FT_U64),
	LECO_FIELD_OF(leco_history_total, first_seen, LECO_FT_I64),
	LECO_FIELD_OF(leco_history_total, last_seen, LECO_FT_I64),
	LECO_FIELD_OF(leco_history_total, rname, LECO_FT_STR),
};

/* A new (app, endpoint) pair of the history (`leco report --new --json`, history:new()). */
static const struct leco_field leco_history_pair_fields[] = {
	LECO_FIELD_OF(leco_history_pair, app, LECO_FT_STR),
	LECO_FIELD_OF(leco_history_pair, exe, LECO_FT_STR),
	LECO_FIELD_OF(leco_history_pair, unit, LECO_FT_STR),
	LECO_FIELD_OF(leco_history_pair, user, LECO_FT_STR),
	LECO_FIELD_OF(leco_history_pair, raddr, LECO_FT_STR),
	LECO_FIELD_OF(leco_history_pair, rport, LECO_FT_U16),
	LECO_FIELD_OF(leco_history_pair, rname, LECO_FT_STR),
	LECO_FIELD_OF(leco_history_pair, proto, LECO_FT_PROTO),
	LECO_FIELD_OF(leco_history_pair, first_seen, LECO_FT_I64),
	LECO_FIELD_OF(leco_history_pair, last_seen, LECO_FT_I64),
};

#define LECO_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* Which `only` fields a group shows: the process ones for a process group with a process, the
 * name for a remote-address group. */
static inline unsigned int leco_group_shows(const struct leco_group *g)
{
	if (g->by == LECO_BY_REMOTE)
		return LECO_FO_REMOTE;
	return g->by == LECO_BY_PROCESS && !g->unattributed ? LECO_FO_PROCESS : 0;
}

/* A field's value as an output writes it. */
struct leco_field_value {
	char kind;     /* 's' string, 'i' signed, 'u' unsigned, 'd' double, 'b' bool (in i) */
	const char *s; /* NULL: JSON null, Lua nil (an errno of 0) */
	long long i;
	unsigned long long u;
	double d;
	char ebuf[16]; /* for an errno without a name */
};

/* The value of field `f` of the struct at `base`. */
static inline void leco_field_get(const struct leco_field *f, const void *base,
				  struct leco_field_value *v)
{
	const char *p = (const char *)base + f->off;
	uint32_t u32;
	uint16_t u16;
	int64_t i64;
	bool b;
	int n;

	v->kind = 'u';
	switch (f->type) {
	case LECO_FT_STR:
		memcpy(&v->s, p, sizeof(v->s));
		v->s = v->s ? v->s : "";
		v->kind = 's';
		return;
	case LECO_FT_U64:
		memcpy(&v->u, p, sizeof(uint64_t));
		return;
	case LECO_FT_U32:
		memcpy(&u32, p, sizeof(u32));
		v->u = u32;
		return;
	case LECO_FT_U16:
		memcpy(&u16, p, sizeof(u16));
		v->u = u16;
		return;
	case LECO_FT_I64:
		memcpy(&i64, p, sizeof(i64));
		v->i = i64, v->kind = 'i';
		return;
	case LECO_FT_DOUBLE:
		memcpy(&v->d, p, sizeof(v->d));
		v->kind = 'd';
		return;
	case LECO_FT_BOOL:
		memcpy(&b, p, sizeof(b));
		v->i = b, v->kind = 'b';
		return;
	}
	memcpy(&n, p, sizeof(n));
	v->i = n, v->kind = 's';
	switch (f->type) {
	case LECO_FT_STATE:
		v->s = leco_state_name(n);
		return;
	case LECO_FT_DIR:
		v->s = leco_direction_name(n);
		return;
	case LECO_FT_ERRNO:
		v->s = leco_errno_name(n, v->ebuf, sizeof(v->ebuf));
		return;
	case LECO_FT_PROTO:
		v->s = leco_proto_name(n);
		return;
	case LECO_FT_BY:
		v->s = leco_group_by_name(n);
		return;
	}
	v->kind = 'i'; /* LECO_FT_INT */
}

/* fn(ctx, name, value) for each of the `n` fields of the struct at `base`, in order; a field
 * marked `only` when `shows` has its bit. */
static inline void
leco_fields_each(const struct leco_field *fields, size_t n, const void *base, unsigned int shows,
		 void (*fn)(void *ctx, const char *name, const struct leco_field_value *v),
		 void *ctx)
{
	struct leco_field_value v;

	for (size_t k = 0; k < n; k++) {
		if (fields[k].only && !(fields[k].only & shows))
			continue;
		leco_field_get(&fields[k], base, &v);
		fn(ctx, fields[k].name, &v);
	}
}

#endif /* LECO_FIELDS_H */
