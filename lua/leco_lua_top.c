// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * reader:conns() and reader:top{}: every connection, and traffic grouped by
 * process (or exe, program, unit, user, remote, port, proto), with the field
 * names of the CLI's JSON (`leco conns --json`, `leco top --json`).
 */
#include <errno.h>
#include <string.h>

#include "leco_lua.h"

/* Unknown options raise: a typo would otherwise be a silent default. */
static void check_keys(lua_State *L, const char *fn, const char *const keys[], const char *known)
{
	if (lua_isnoneornil(L, 2))
		return;
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		int ok = 0;

		for (size_t i = 0; k && keys[i]; i++)
			ok |= !strcmp(k, keys[i]);
		if (!ok)
			luaL_error(L, "bad argument #1 to '%s' (unknown option %s%s%s; known: %s)",
				   fn, k ? "'" : "", k ? k : luaL_typename(L, -2), k ? "'" : "",
				   known);
		lua_pop(L, 1);
	}
}

/* Option `k` of the table at 2 (absent: nil left on the stack, returns its type). */
static int opt_field(lua_State *L, const char *k)
{
	return lua_istable(L, 2) ? lua_getfield(L, 2, k) : (lua_pushnil(L), LUA_TNIL);
}

/* poll = false: use the last poll. Polls otherwise; false (with nil, msg, errno pushed) when
 * it failed. */
static bool maybe_poll(lua_State *L, struct leco_reader *r, int *nret)
{
	bool poll = opt_field(L, "poll") == LUA_TNIL || lua_toboolean(L, -1);
	int rc;

	lua_pop(L, 1);
	if (!poll || (rc = leco_reader_poll(r)) >= 0)
		return true;
	lua_pushnil(L);
	lleco_push_poll_error(L, r, rc);
	lua_pushinteger(L, -rc);
	*nret = 3;
	return false;
}

/* reader:conns([{poll = true}]) -> array of connection tables | nil, msg, errno */
int lleco_reader_conns(lua_State *L)
{
	static const char *const keys[] = {"poll", NULL};
	struct lreader *lr = lleco_check_reader(L);
	int n, nret;

	check_keys(L, "conns", keys, "poll");
	if (!maybe_poll(L, lr->r, &nret))
		return nret;
	if ((n = leco_reader_conn_count(lr->r)) < 0)
		return lleco_push_fail(L, strerror(-n), -n);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		const struct leco_conn_info *ci = leco_reader_conn(lr->r, (size_t)i);

		if (!ci)
			break;
		lua_createtable(L, 0, LECO_NFIELDS(leco_conn_fields));
		lleco_set_fields(L, leco_conn_fields, LECO_NFIELDS(leco_conn_fields), ci,
				 LECO_FO_WALK);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

static void push_group(lua_State *L, const struct leco_group *g)
{
	lua_createtable(L, 0, LECO_NFIELDS(leco_group_fields));
	lleco_set_fields(L, leco_group_fields, LECO_NFIELDS(leco_group_fields), g,
			 leco_group_shows(g));
}

/* by = and sort = of reader:top's options: a name, or the default. */
static int name_opt(lua_State *L, const char *k, int (*from_name)(const char *), int dflt,
		    const char *known)
{
	int v = dflt;

	if (opt_field(L, k) != LUA_TNIL &&
	    (lua_type(L, -1) != LUA_TSTRING || (v = from_name(lua_tostring(L, -1))) < 0))
		luaL_error(L, "bad argument #1 to 'top' (field '%s' must be one of %s)", k, known);
	lua_pop(L, 1);
	return v;
}

static lua_Integer int_opt(lua_State *L, const char *k, lua_Integer max)
{
	lua_Integer v = 0;
	int isint = 1;

	if (opt_field(L, k) != LUA_TNIL)
		v = lua_tointegerx(L, -1, &isint);
	if (!isint || v < 0 || v > max)
		luaL_error(L, "bad argument #1 to 'top' (field '%s' must be an integer 0..%d)", k,
			   (int)max);
	lua_pop(L, 1);
	return v;
}

/*
 * reader:top([{by = 'process', sort = 'rate', n = 0, keep = 600, poll = true}])
 *   -> array of group tables, with .total (every group together) | nil, msg, errno
 */
int lleco_reader_top(lua_State *L)
{
	static const char *const keys[] = {"by", "sort", "n", "keep", "poll", NULL};
	struct lreader *lr = lleco_check_reader(L);
	LECO_OPTS(leco_top_opts, o);
	int n, nret;

	check_keys(L, "top", keys, "by, sort, n, keep, poll");
	o.by = name_opt(L, "by", leco_group_by_from_name, LECO_BY_PROCESS,
			"process, exe, program, unit, user, remote, port, proto");
	o.sort = name_opt(L, "sort", leco_sort_from_name, LECO_SORT_RATE,
			  "rate, rx_rate, tx_rate, total, rx, tx, conns, conns_total, failed, "
			  "blocked, rate_avg, rx_rate_avg, tx_rate_avg, first_seen, last_seen");
	o.n = (size_t)int_opt(L, "n", 100000);
	o.keep = (unsigned int)int_opt(L, "keep", 86400 * 366);
	if (!maybe_poll(L, lr->r, &nret))
		return nret;
	if ((n = leco_reader_top(lr->r, &o)) < 0)
		return lleco_push_fail(L, strerror(-n), -n);
	lua_createtable(L, n, 1);
	for (int i = 0; i < n; i++) {
		push_group(L, leco_reader_group(lr->r, (size_t)i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	push_group(L, leco_reader_top_total(lr->r));
	lua_setfield(L, -2, "total");
	return 1;
}
