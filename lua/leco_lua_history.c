// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The history half of the `leco` Lua module: read-only access to a database written by
 * `leco record`, with the names of the C API and the CLI's JSON.
 *
 *   local h = assert(leco.history(path))           -- nil, msg, errno when it cannot be read
 *   h:totals{since = '24h', by = 'app', top = 10}   -- {key=, rx=, tx=, conns=, failed=, ...}
 *   h:new{since = '7d'}                             -- {app=, raddr=, rport=, proto=, ...}
 *   h:close()                                       -- also __gc and __close
 *
 * since/until: a number (unix seconds) or a string as the CLI takes it ('2h', '7d',
 * '2026-11-01', '@1700000000'). Bad arguments raise; a database that fails returns nil, msg.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "leco_lua.h"

#define HISTORY_MT "leco.history"

struct lhistory {
	struct leco_history *h;
};

static struct lhistory *check_history(lua_State *L)
{
	struct lhistory *lh = luaL_checkudata(L, 1, HISTORY_MT);

	if (!lh->h)
		luaL_error(L, "attempt to use a closed history");
	return lh;
}

/* leco.history(path) */
static int l_history(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct leco_error err = {0};
	struct lhistory *lh;
	int rc;

	lh = lua_newuserdata(L, sizeof(*lh));
	lh->h = NULL;
	luaL_setmetatable(L, HISTORY_MT);
	if ((rc = leco_history_open(path, &lh->h, &err)) < 0) {
		lh->h = NULL;
		return lleco_push_fail(L, err.msg, -rc);
	}
	return 1;
}

static int history_close(lua_State *L)
{
	struct lhistory *lh = luaL_checkudata(L, 1, HISTORY_MT);

	leco_history_free(lh->h);
	lh->h = NULL;
	return 0;
}

static int history_tostring(lua_State *L)
{
	struct lhistory *lh = luaL_checkudata(L, 1, HISTORY_MT);

	if (lh->h)
		lua_pushfstring(L, "leco.history (%p)", (void *)lh->h);
	else
		lua_pushliteral(L, "leco.history (closed)");
	return 1;
}

/* Field `k` of the options table at 2 as unix seconds (`def` when nil); bad values raise. */
static int64_t time_field(lua_State *L, const char *fn, const char *k, int64_t def)
{
	int64_t t = def;
	int ty = lua_getfield(L, 2, k);

	if (ty == LUA_TNUMBER) {
		int isint;

		t = (int64_t)lua_tointegerx(L, -1, &isint);
		if (!isint || t < 0)
			luaL_error(L,
				   "bad argument #1 to '%s' (field '%s' must be unix seconds >= 0)",
				   fn, k);
	} else if (ty == LUA_TSTRING) {
		if (leco_history_parse_time(lua_tostring(L, -1), (int64_t)time(NULL), &t))
			luaL_error(L,
				   "bad argument #1 to '%s' (field '%s': '%s' is not a time such "
				   "as 2h, 7d, 2026-11-01 or @UNIXTIME)",
				   fn, k, lua_tostring(L, -1));
	} else if (ty != LUA_TNIL) {
		luaL_error(L, "bad argument #1 to '%s' (field '%s' must be a number or a string)",
			   fn, k);
	}
	lua_pop(L, 1);
	return t;
}

static unsigned int top_field(lua_State *L, const char *fn)
{
	lua_Integer v = 0;
	int isint = 1;

	if (lua_getfield(L, 2, "top") != LUA_TNIL)
		v = lua_tointegerx(L, -1, &isint);
	lua_pop(L, 1);
	if (!isint || v < 0 || v > 1000000)
		luaL_error(L, "bad argument #1 to '%s' (field 'top' must be an integer 0..1000000)",
			   fn);
	return (unsigned int)v;
}

/* h:totals{since=, until=, by=, top=} -> array of groups | nil, msg, errno */
static int history_totals(lua_State *L)
{
	static const char *const keys[] = {"since", "until", "by", "top", NULL};
	struct lhistory *lh = check_history(L);
	LECO_OPTS(leco_history_query, q, .by = LECO_HISTORY_BY_APP);
	const char *by;
	int n;

	if (lua_isnoneornil(L, 2))
		lua_newtable(L), lua_replace(L, 2);
	luaL_checktype(L, 2, LUA_TTABLE);
	lleco_check_keys(L, 2, "totals", keys, "since, until, by, top");
	q.since = time_field(L, "totals", "since", (int64_t)time(NULL) - 86400);
	q.until = time_field(L, "totals", "until", 0);
	q.top = top_field(L, "totals");
	lua_getfield(L, 2, "by");
	if (!lua_isnil(L, -1) && (q.by = leco_history_by_parse(lua_tostring(L, -1))) < 0)
		luaL_error(L, "bad argument #1 to 'totals' (field 'by' must be app, exe, unit, "
			      "user, remote, port, proto, day or hour)");
	lua_pop(L, 1);
	if ((n = leco_history_totals(lh->h, &q)) < 0)
		return lleco_push_fail(L, leco_history_errmsg(lh->h), -n);
	by = leco_history_by_name(q.by);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		const struct leco_history_total *t = leco_history_total(lh->h, (size_t)i);

		lua_createtable(L, 0, 10);
		lleco_set_str(L, "by", by);
		lleco_set_fields(L, leco_history_total_fields,
				 LECO_NFIELDS(leco_history_total_fields), t, 0);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

/* h:new{since=, until=, top=} -> array of pairs | nil, msg, errno */
static int history_new(lua_State *L)
{
	static const char *const keys[] = {"since", "until", "top", NULL};
	struct lhistory *lh = check_history(L);
	int64_t since, until;
	unsigned int top;
	int n;

	if (lua_isnoneornil(L, 2))
		lua_newtable(L), lua_replace(L, 2);
	luaL_checktype(L, 2, LUA_TTABLE);
	lleco_check_keys(L, 2, "new", keys, "since, until, top");
	since = time_field(L, "new", "since", (int64_t)time(NULL) - 86400);
	until = time_field(L, "new", "until", 0);
	top = top_field(L, "new");
	if ((n = leco_history_new_pairs(lh->h, since, until, top)) < 0)
		return lleco_push_fail(L, leco_history_errmsg(lh->h), -n);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		const struct leco_history_pair *p = leco_history_pair(lh->h, (size_t)i);

		lua_createtable(L, 0, 9);
		lleco_set_fields(L, leco_history_pair_fields,
				 LECO_NFIELDS(leco_history_pair_fields), p, 0);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static const luaL_Reg history_methods[] = {
	{"totals", history_totals},
	{"new", history_new},
	{"close", history_close},
	{NULL, NULL},
};

static const luaL_Reg history_meta[] = {
	{"__gc", history_close},
#if LUA_VERSION_NUM >= 504
	{"__close", history_close},
#endif
	{"__tostring", history_tostring},
	{NULL, NULL},
};

const luaL_Reg lleco_history_funcs[] = {
	{"history", l_history},
	{NULL, NULL},
};

void lleco_history_class(lua_State *L)
{
	luaL_newmetatable(L, HISTORY_MT);
	luaL_setfuncs(L, history_meta, 0);
	luaL_newlibtable(L, history_methods);
	luaL_setfuncs(L, history_methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}
