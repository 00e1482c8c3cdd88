// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rule engine from Lua: leco.load_config(), leco.rx_test(), config handles,
 * and rules tables, which are built with leco_config_set()/leco_config_add_rule()
 * directly: a regexp that starts with '#' or a value with " # " in it means what
 * it says (there is no INI text in between to turn them into comments).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "leco_lua.h"

static const char *const rx_sections[] = {"rx-group", "rx-proc"};
static const char *const option_sections[] = {"format", "view"};

/* A string of a rules table: no NUL bytes (the library takes C strings). */
static const char *table_string(lua_State *L, int idx, int arg, const char *fn, const char *what)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);

	if (s && strlen(s) != len)
		luaL_error(L, "bad argument #%d to '%s' (rules: %s contains a NUL byte)", arg, fn,
			   what);
	return s;
}

/* Unknown top-level keys raise: a typo there would silently lose rules. */
static void check_sections(lua_State *L, int t, int arg, const char *fn)
{
	lua_pushnil(L);
	while (lua_next(L, t)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;

		if (!k || (strcmp(k, "rx-group") && strcmp(k, "rx-proc") && strcmp(k, "format") &&
			   strcmp(k, "view")))
			luaL_error(L,
				   "bad argument #%d to '%s' (rules: unknown section %s%s%s, "
				   "expected rx-proc, rx-group, format or view)",
				   arg, fn, k ? "'" : "", k ? k : luaL_typename(L, -2),
				   k ? "'" : "");
		if (lua_type(L, -1) != LUA_TTABLE)
			luaL_error(L,
				   "bad argument #%d to '%s' (rules: section '%s' must be a table)",
				   arg, fn, k);
		lua_pop(L, 1);
	}
}

/* format = {key = value}, view = {...}: strings, numbers or booleans (yes/no). */
static int build_options(lua_State *L, int t, int arg, const char *fn, struct leco_config *cfg,
			 struct leco_error *err)
{
	for (size_t s = 0; s < 2; s++) {
		int st, rc = 0;

		lua_getfield(L, t, option_sections[s]);
		st = lua_gettop(L);
		for (lua_pushnil(L); !rc && lua_istable(L, st) && lua_next(L, st); lua_pop(L, 1)) {
			int vt = lua_type(L, -1);
			const char *k, *v;

			if (lua_type(L, -2) != LUA_TSTRING ||
			    (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN))
				luaL_error(
					L,
					"bad argument #%d to '%s' (rules: [%s] wants string keys "
					"and string, number or boolean values)",
					arg, fn, option_sections[s]);
			k = table_string(L, -2, arg, fn, "an option name");
			if (vt == LUA_TBOOLEAN)
				v = lua_toboolean(L, -1) ? "yes" : "no";
			else /* converts a number in place: fine, the key is not touched */
				v = table_string(L, -1, arg, fn, "an option value");
			rc = leco_config_set(cfg, option_sections[s], k, v, err);
		}
		lua_settop(L, st - 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ["rx-proc"] = {{regexp, replacement}, ...}: rule order is array order. */
static int build_rules(lua_State *L, int t, int arg, const char *fn, struct leco_config *cfg,
		       struct leco_error *err)
{
	for (size_t s = 0; s < 2; s++) {
		int st, rc = 0;
		lua_Integer n;

		lua_getfield(L, t, rx_sections[s]);
		st = lua_gettop(L);
		n = lua_istable(L, st) ? (lua_Integer)lua_rawlen(L, st) : 0;
		for (lua_Integer i = 1; !rc && i <= n; i++) {
			const char *re, *repl;

			if (lua_rawgeti(L, st, i) != LUA_TTABLE)
				luaL_error(L,
					   "bad argument #%d to '%s' (rules: %s[%d] must be "
					   "{regexp, replacement})",
					   arg, fn, rx_sections[s], (int)i);
			lua_rawgeti(L, -1, 1);
			lua_rawgeti(L, -2, 2);
			re = lua_type(L, -2) == LUA_TSTRING
				     ? table_string(L, -2, arg, fn, "a regexp")
				     : NULL;
			repl = lua_isnil(L, -1) ? ""
			       : lua_type(L, -1) == LUA_TSTRING
				       ? table_string(L, -1, arg, fn, "a replacement")
				       : NULL;
			if (!re || !repl)
				luaL_error(L,
					   "bad argument #%d to '%s' (rules: %s[%d] must be "
					   "{regexp, replacement} strings)",
					   arg, fn, rx_sections[s], (int)i);
			rc = leco_config_add_rule(cfg, rx_sections[s], re, repl, err);
			lua_settop(L, st);
		}
		lua_settop(L, st - 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int lleco_config_from_table(lua_State *L, int t, int arg, const char *fn, struct lconfig *lc,
			    struct leco_error *err)
{
	int rc;

	t = lua_absindex(L, t);
	check_sections(L, t, arg, fn);
	if ((rc = leco_config_new("<lua>", &lc->c, err)) < 0)
		return rc;
	if ((rc = build_options(L, t, arg, fn, lc->c, err)) < 0 ||
	    (rc = build_rules(L, t, arg, fn, lc->c, err)) < 0) {
		leco_config_free(lc->c);
		lc->c = NULL;
	}
	return rc;
}

int lleco_load_config(lua_State *L, int arg, const char *fn, struct lconfig *lc,
		      struct leco_error *err)
{
	size_t len;
	const char *s;

	if (lua_istable(L, arg))
		return lleco_config_from_table(L, arg, arg, fn, lc, err);
	s = luaL_checklstring(L, arg, &len);
	if (memchr(s, '\n', len) || s[0] == '[' || s[0] == '#' || s[0] == ';')
		return leco_config_load_string(s, len, "<lua>", &lc->c, err);
	if (!len)
		luaL_argerror(L, arg, "empty config path");
	return leco_config_load_file(s, &lc->c, err);
}

/* ------------------------------------------------------------------------ */
/* config handles */

struct lconfig *lleco_new_config(lua_State *L)
{
	struct lconfig *lc = lua_newuserdata(L, sizeof(*lc));

	lc->c = NULL;
	luaL_setmetatable(L, CONFIG_MT);
	return lc;
}

static struct lconfig *check_config(lua_State *L, int i)
{
	struct lconfig *lc = luaL_checkudata(L, i, CONFIG_MT);

	if (!lc->c)
		luaL_error(L, "attempt to use a closed config");
	return lc;
}

static int config_close(lua_State *L)
{
	struct lconfig *lc = luaL_checkudata(L, 1, CONFIG_MT);

	leco_config_free(lc->c);
	lc->c = NULL;
	return 0;
}

static int config_tostring(lua_State *L)
{
	struct lconfig *lc = luaL_checkudata(L, 1, CONFIG_MT);

	if (lc->c)
		lua_pushfstring(L, "leco.config (%p)", (void *)lc->c);
	else
		lua_pushliteral(L, "leco.config (closed)");
	return 1;
}

/* {output, changed, grouped, group, dropped} | nil, msg, errno */
static int apply_rules(lua_State *L, struct leco_config *c, int linearg)
{
	struct leco_rx_result res;
	size_t len;
	const char *line = luaL_checklstring(L, linearg, &len);
	int rc;

	memset(&res, 0, sizeof(res));
	rc = leco_config_apply(c, line, len, &res);
	if (rc < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "cannot apply rules: %s",
			 rc == -E2BIG ? "line too long" : strerror(-rc));
		return lleco_push_fail(L, msg, -rc);
	}
	lua_createtable(L, 0, 5);
	lleco_set_str(L, "output", res.text ? res.text : "");
	lleco_set_bool(L, "changed", res.changed);
	lleco_set_bool(L, "grouped", res.grouped);
	lleco_set_str(L, "group", res.group);
	lleco_set_bool(L, "dropped", res.dropped);
	return 1;
}

static int config_apply(lua_State *L)
{
	return apply_rules(L, check_config(L, 1)->c, 2);
}

static int config_notices(lua_State *L)
{
	struct lconfig *lc = check_config(L, 1);
	size_t n = leco_config_notice_count(lc->c);

	lua_createtable(L, n > 0x7fffffff ? 0 : (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, leco_config_notice(lc->c, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* leco.load_config(text | path | rules table) -> config | nil, msg, errno */
static int l_load_config(lua_State *L)
{
	struct leco_error err;
	struct lconfig *lc;
	int rc;

	memset(&err, 0, sizeof(err));
	if (!lua_istable(L, 1))
		luaL_checkstring(L, 1);
	lua_settop(L, 1);
	lc = lleco_new_config(L);
	rc = lleco_load_config(L, 1, "load_config", lc, &err);
	if (rc < 0) {
		lc->c = NULL;
		return lleco_push_fail(L, err.msg, -rc);
	}
	return 1;
}

/* leco.rx_test(config | text | path | rules table, line) */
static int l_rx_test(lua_State *L)
{
	struct leco_error err;
	struct lconfig *lc;
	int rc;

	if (luaL_testudata(L, 1, CONFIG_MT))
		return apply_rules(L, check_config(L, 1)->c, 2);
	if (!lua_istable(L, 1))
		luaL_checkstring(L, 1);
	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	memset(&err, 0, sizeof(err));
	/* a userdata owns the config so that a raise below cannot leak it */
	lc = lleco_new_config(L);
	rc = lleco_load_config(L, 1, "rx_test", lc, &err);
	if (rc < 0) {
		lc->c = NULL;
		return lleco_push_fail(L, err.msg, -rc);
	}
	rc = apply_rules(L, lc->c, 2);
	leco_config_free(lc->c);
	lc->c = NULL;
	return rc;
}

const luaL_Reg lleco_config_funcs[] = {
	{"rx_test", l_rx_test},
	{"load_config", l_load_config},
	{NULL, NULL},
};

static const luaL_Reg config_methods[] = {
	{"apply", config_apply},
	{"notices", config_notices},
	{"close", config_close},
	{NULL, NULL},
};

static const luaL_Reg config_meta[] = {
	{"__gc", config_close},
#if LUA_VERSION_NUM >= 504
	{"__close", config_close},
#endif
	{"__tostring", config_tostring},
	{NULL, NULL},
};

void lleco_config_class(lua_State *L)
{
	luaL_newmetatable(L, CONFIG_MT);
	luaL_setfuncs(L, config_meta, 0);
	luaL_newlibtable(L, config_methods);
	luaL_setfuncs(L, config_methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}
