// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The `leco` Lua module: readers of the pinned connection table and the rule
 * engine, for conky's Lua, lua5.3 and lua5.4. One source, built once per Lua
 * version (lua/CMakeLists.txt); uses only the public API in include/leco.h.
 *
 * Conventions (lua-cjson, luaposix, liolib.c): bad arguments raise; runtime
 * trouble returns nil, message[, errno]; handles are full userdata whose
 * __gc/__close/close share one idempotent close. No C globals: all state is
 * in userdata, so readers and Lua states are independent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "leco.h"

#define READER_MT "leco.reader"
#define CONFIG_MT "leco.config"

#if LUA_VERSION_NUM < 503
#error "the leco module needs Lua 5.3 or later"
#endif

struct lreader {
	struct leco_reader *r;
};

struct lconfig {
	struct leco_config *c;
};

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

/* nil, msg, errno: the runtime-failure convention */
static int push_fail(lua_State *L, const char *msg, int err)
{
	lua_pushnil(L);
	lua_pushstring(L, msg && *msg ? msg : (err ? strerror(err) : "unknown error"));
	lua_pushinteger(L, err);
	return 3;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	if (!v)
		return; /* leave the field nil */
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, lua_Number v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

static const char *errno_name(int e)
{
	const char *n = e > 0 ? strerrorname_np(e) : NULL;

	return n ? n : NULL;
}

static const char *proto_name(int proto, char *buf, size_t sz)
{
	if (proto == 6)
		return "tcp";
	if (proto == 17)
		return "udp";
	snprintf(buf, sz, "%d", proto);
	return buf;
}

static const char *reader_state_name(int st)
{
	switch (st) {
	case LECO_READER_OK:
		return "ok";
	case LECO_READER_NO_PROBES:
		return "no_probes";
	case LECO_READER_NO_ACCESS:
		return "no_access";
	case LECO_READER_BAD_LAYOUT:
		return "bad_layout";
	case LECO_READER_CONFIG:
		return "config";
	case LECO_READER_DETACHED:
		return "detached";
	}
	return "unknown";
}

/*
 * Append one INI value/key to a luaL_Buffer, refusing what INI cannot carry:
 * newlines, and for keys '=' (the key ends at the first '='). Leading/trailing
 * spaces of rx values are kept with the "\ " / " \" escapes of the rule syntax.
 */
static void ini_check(lua_State *L, int arg, const char *what, const char *s, int key)
{
	if (strpbrk(s, "\r\n"))
		luaL_error(L, "bad argument #%d (rules: %s %s contains a newline)", arg, what,
			   key ? "key" : "value");
	if (key && strchr(s, '='))
		luaL_error(L,
			   "bad argument #%d (rules: %s key '%s' contains '=', which INI cannot "
			   "express)",
			   arg, what, s);
}

/* Pieces of the INI text collected in a Lua table at absolute index `p`. */
static void add_piece(lua_State *L, int p, lua_Integer *n)
{
	lua_rawseti(L, p, ++*n);
}

static void ini_add_rx(lua_State *L, int p, lua_Integer *n, int arg, const char *sec,
		       const char *re, const char *repl)
{
	size_t len = strlen(repl);
	size_t rlen = strlen(re), trail = 0;

	ini_check(L, arg, sec, re, 1);
	ini_check(L, arg, sec, repl, 0);
	/*
	 * INI trims keys: a leading space becomes "\ " (a literal space in PCRE2), trailing
	 * ones "\x20". For values the rule syntax's own escapes keep the spaces.
	 */
	while (trail < rlen && re[rlen - 1 - trail] == ' ')
		trail++;
	luaL_checkstack(L, (int)(trail < 1000 ? trail : 1000) + 4, "rules table");
	if (trail >= 1000)
		luaL_error(L, "bad argument #%d (rules: %s key ends in too many spaces)", arg, sec);
	lua_pushstring(L, re[0] == ' ' && trail < rlen ? "\\" : "");
	lua_pushlstring(L, re, rlen - trail);
	for (size_t i = 0; i < trail; i++)
		lua_pushliteral(L, "\\x20");
	lua_pushfstring(L, " = %s%s%s\n", repl[0] == ' ' ? "\\" : "", repl,
			len && repl[len - 1] == ' ' ? "\\" : "");
	lua_concat(L, (int)trail + 3);
	add_piece(L, p, n);
}

/*
 * rules = { ["rx-proc"] = {{re, repl}, ...}, ["rx-group"] = {{re, repl}, ...},
 *           format = {key = value, ...}, view = {key = value, ...} }
 * -> INI text pushed on the stack. Rule order is array order.
 */
static void rules_table_to_ini(lua_State *L, int t, int arg)
{
	static const char *const rx_secs[] = {"rx-group", "rx-proc"};
	static const char *const kv_secs[] = {"format", "view"};
	lua_Integer n = 0;
	luaL_Buffer b;
	int p;

	t = lua_absindex(L, t);
	/* refuse unknown top-level keys: a typo there would silently lose rules */
	lua_pushnil(L);
	while (lua_next(L, t)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;

		if (!k || (strcmp(k, "rx-group") && strcmp(k, "rx-proc") && strcmp(k, "format") &&
			   strcmp(k, "view")))
			luaL_error(L,
				   "bad argument #%d (rules: unknown section %s%s%s, expected "
				   "rx-proc, rx-group, format or view)",
				   arg, k ? "'" : "", k ? k : luaL_typename(L, -2), k ? "'" : "");
		if (lua_type(L, -1) != LUA_TTABLE)
			luaL_error(L, "bad argument #%d (rules: section '%s' must be a table)", arg,
				   k);
		lua_pop(L, 1);
	}

	lua_newtable(L);
	p = lua_gettop(L);
	for (size_t s = 0; s < 2; s++) {
		lua_getfield(L, t, kv_secs[s]);
		if (lua_istable(L, -1)) {
			int st = lua_gettop(L);

			lua_pushfstring(L, "[%s]\n", kv_secs[s]);
			add_piece(L, p, &n);
			lua_pushnil(L);
			while (lua_next(L, st)) {
				const char *k, *v;

				if (lua_type(L, -2) != LUA_TSTRING ||
				    (lua_type(L, -1) != LUA_TSTRING &&
				     lua_type(L, -1) != LUA_TNUMBER && !lua_isboolean(L, -1)))
					luaL_error(L,
						   "bad argument #%d (rules: [%s] wants string "
						   "keys and string, number or boolean values)",
						   arg, kv_secs[s]);
				k = lua_tostring(L, -2);
				if (lua_isboolean(L, -1))
					v = lua_toboolean(L, -1) ? "yes" : "no";
				else /* converts a number in place: fine */
					v = lua_tostring(L, -1);
				ini_check(L, arg, kv_secs[s], k, 1);
				ini_check(L, arg, kv_secs[s], v, 0);
				lua_pushfstring(L, "%s = %s\n", k, v);
				add_piece(L, p, &n);
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
	for (size_t s = 0; s < 2; s++) {
		lua_getfield(L, t, rx_secs[s]);
		if (lua_istable(L, -1)) {
			int st = lua_gettop(L);
			lua_Integer cnt = (lua_Integer)lua_rawlen(L, st);

			lua_pushfstring(L, "[%s]\n", rx_secs[s]);
			add_piece(L, p, &n);
			for (lua_Integer i = 1; i <= cnt; i++) {
				const char *re, *repl;

				lua_rawgeti(L, st, i);
				if (!lua_istable(L, -1))
					luaL_error(
						L,
						"bad argument #%d (rules: %s[%d] must be {regexp, "
						"replacement})",
						arg, rx_secs[s], (int)i);
				lua_rawgeti(L, -1, 1);
				lua_rawgeti(L, -2, 2);
				re = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
				repl = lua_isnil(L, -1)			? ""
				       : lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
									: NULL;
				if (!re || !repl)
					luaL_error(
						L,
						"bad argument #%d (rules: %s[%d] must be {regexp, "
						"replacement} strings)",
						arg, rx_secs[s], (int)i);
				ini_add_rx(L, p, &n, arg, rx_secs[s], re, repl);
				lua_pop(L, 3);
			}
		}
		lua_pop(L, 1);
	}
	luaL_buffinit(L, &b);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, p, i);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	lua_remove(L, p);
}

/*
 * Config given as INI text, a path, or a rules table (at stack index `arg`).
 * Text is recognised by a newline or a leading '['/'#'/';'.
 */
static int load_config_arg(lua_State *L, int arg, struct leco_config **cfg, struct leco_error *err)
{
	size_t len;
	const char *s;

	if (lua_istable(L, arg)) {
		rules_table_to_ini(L, arg, arg);
		s = lua_tolstring(L, -1, &len);
		int rc = leco_config_load_string(s, len, "<lua>", cfg, err);

		lua_pop(L, 1);
		return rc;
	}
	s = luaL_checklstring(L, arg, &len);
	if (memchr(s, '\n', len) || s[0] == '[' || s[0] == '#' || s[0] == ';')
		return leco_config_load_string(s, len, "<lua>", cfg, err);
	if (!len)
		luaL_argerror(L, arg, "empty config path");
	return leco_config_load_file(s, cfg, err);
}

/* ------------------------------------------------------------------------ */
/* reader                                                                    */

static struct lreader *check_reader(lua_State *L)
{
	struct lreader *lr = luaL_checkudata(L, 1, READER_MT);

	if (!lr->r)
		luaL_error(L, "attempt to use a closed reader");
	return lr;
}

static const char *opt_string_field(lua_State *L, int t, const char *k)
{
	const char *s;
	int ty = lua_getfield(L, t, k);

	if (ty == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	if (ty != LUA_TSTRING)
		luaL_error(L, "bad argument #1 to 'open' (field '%s' must be a string, got %s)", k,
			   lua_typename(L, ty));
	s = lua_tostring(L, -1);
	/* the string stays referenced from the options table; safe to pop */
	lua_pop(L, 1);
	return s;
}

/* leco.open{pin=, config= | rules=, raw=, proc_root=, cgroup_root=, passwd=} */
static int l_open(lua_State *L)
{
	static const char *const keys[] = {"pin",	  "config", "rules",	 "raw", "proc_root",
					   "cgroup_root", "passwd", "max_lines", NULL};
	LECO_OPTS(leco_reader_opts, opts);
	struct leco_error err;
	struct lreader *lr;
	int rc, has_rules;

	memset(&err, 0, sizeof(err));
	if (lua_isnoneornil(L, 1))
		lua_newtable(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);

	lua_pushnil(L);
	while (lua_next(L, 1)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		int ok = 0;

		for (size_t i = 0; k && keys[i]; i++)
			ok |= !strcmp(k, keys[i]);
		if (!ok)
			return luaL_error(
				L,
				"bad argument #1 to 'open' (unknown option %s%s%s; known: "
				"pin, config, rules, raw, max_lines, proc_root, cgroup_root, "
				"passwd)",
				k ? "'" : "", k ? k : luaL_typename(L, -2), k ? "'" : "");
		lua_pop(L, 1);
	}

	opts.pin_dir = opt_string_field(L, 1, "pin");
	opts.config_path = opt_string_field(L, 1, "config");
	opts.proc_root = opt_string_field(L, 1, "proc_root");
	opts.cgroup_root = opt_string_field(L, 1, "cgroup_root");
	opts.passwd_path = opt_string_field(L, 1, "passwd");
	if (opts.config_path && !*opts.config_path)
		return luaL_error(L, "bad argument #1 to 'open' (field 'config' is an empty path)");

	lua_getfield(L, 1, "raw");
	opts.raw = lua_toboolean(L, -1);
	lua_pop(L, 1);

	if (lua_getfield(L, 1, "max_lines") != LUA_TNIL) {
		int isint;
		lua_Integer ml = lua_tointegerx(L, -1, &isint);

		if (!isint || ml < 0 || ml > 100000)
			return luaL_error(L,
					  "bad argument #1 to 'open' (field 'max_lines' must be an "
					  "integer 0..100000)");
		opts.max_lines = (unsigned int)ml;
	}
	lua_pop(L, 1);

	/* stack slot 2: INI text of `rules`, kept alive until the reader has parsed it */
	lua_getfield(L, 1, "rules");
	has_rules = !lua_isnil(L, 2);
	if (has_rules && opts.config_path)
		return luaL_error(L,
				  "bad argument #1 to 'open' ('config' and 'rules' are exclusive)");
	if (lua_istable(L, 2)) {
		rules_table_to_ini(L, 2, 1);
		lua_replace(L, 2);
	} else if (has_rules && lua_type(L, 2) != LUA_TSTRING) {
		return luaL_error(L,
				  "bad argument #1 to 'open' (field 'rules' must be INI text or "
				  "a table, got %s)",
				  luaL_typename(L, 2));
	}
	if (has_rules)
		opts.config_text = lua_tostring(L, 2);

	/* allocate first so that a Lua memory error cannot leak a reader */
	lr = lua_newuserdata(L, sizeof(*lr));
	lr->r = NULL;
	luaL_setmetatable(L, READER_MT);

	rc = leco_reader_open(&opts, &lr->r, &err);
	if (rc < 0) {
		lr->r = NULL;
		return push_fail(L, err.msg, -rc);
	}
	return 1;
}

static int reader_close(lua_State *L)
{
	struct lreader *lr = luaL_checkudata(L, 1, READER_MT);

	leco_reader_free(lr->r);
	lr->r = NULL;
	return 0;
}

static int reader_tostring(lua_State *L)
{
	struct lreader *lr = luaL_checkudata(L, 1, READER_MT);

	if (lr->r)
		lua_pushfstring(L, "leco.reader (%p)", (void *)lr->r);
	else
		lua_pushliteral(L, "leco.reader (closed)");
	return 1;
}

static void push_line(lua_State *L, const struct leco_line *ln)
{
	char pbuf[16];

	lua_createtable(L, 0, 32);
	set_str(L, "text", ln->text);
	set_str(L, "raw", ln->raw);
	set_str(L, "group", ln->group);
	set_num(L, "alpha", ln->alpha);
	set_num(L, "age", ln->age);
	set_bool(L, "new", ln->is_new);
	set_bool(L, "changed", ln->changed);
	set_str(L, "state", leco_state_name(ln->state));
	set_str(L, "dir", ln->dir == LECO_DIRECTION_IN ? "in" : "out");
	set_str(L, "error", errno_name(ln->err));
	set_str(L, "proto", proto_name(ln->proto, pbuf, sizeof(pbuf)));
	set_int(L, "family", ln->family);
	set_str(L, "laddr", ln->laddr);
	set_int(L, "lport", ln->lport);
	set_str(L, "raddr", ln->raddr);
	set_int(L, "rport", ln->rport);
	set_int(L, "rx", (lua_Integer)ln->rx);
	set_int(L, "tx", (lua_Integer)ln->tx);
	set_num(L, "rx_rate", ln->rx_rate);
	set_num(L, "tx_rate", ln->tx_rate);
	set_int(L, "pid", ln->pid);
	set_int(L, "uid", ln->uid);
	set_str(L, "comm", ln->comm);
	set_str(L, "cmd", ln->cmd);
	set_str(L, "exe", ln->exe);
	set_str(L, "user", ln->user);
	set_str(L, "cgroup", ln->cgroup);
	set_str(L, "unit", ln->unit);
	set_int(L, "first_seen", ln->first_seen);
	set_int(L, "last_seen", ln->last_seen);
	set_int(L, "cookie", (lua_Integer)ln->cookie);
	set_str(L, "owner", ln->owner);
	set_bool(L, "restarted", ln->restarted);
	set_int(L, "count", ln->count);
}

/* Prefix the library's message with what the state means, once. */
static void push_poll_error(lua_State *L, struct leco_reader *r, int rc)
{
	const char *msg = leco_reader_errmsg(r);
	const char *what = NULL;

	if (!msg || !*msg)
		msg = strerror(-rc);
	if (rc == -ENOENT)
		what = "probes not loaded";
	else if (rc == -EACCES || rc == -EPERM)
		what = "no access to the probes";
	else if (rc == -EPROTO)
		what = "probe layout mismatch";
	if (what && !strstr(msg, what))
		lua_pushfstring(L, "%s: %s", what, msg);
	else
		lua_pushstring(L, msg);
}

/*
 * reader:lines() -> array of line tables[, warning] | nil, msg, errno.
 * Never raises for runtime trouble (missing probes, unreadable maps, broken
 * config): those come back as nil, msg and the reader recovers by itself.
 * The warning (second result on success) says the config failed to reload
 * and the last good rules are in use.
 */
static int reader_lines(lua_State *L)
{
	struct lreader *lr = check_reader(L);
	const char *warn;
	size_t n;
	int rc;

	rc = leco_reader_poll(lr->r);
	if (rc < 0) {
		lua_pushnil(L);
		push_poll_error(L, lr->r, rc);
		lua_pushinteger(L, -rc);
		return 3;
	}
	n = leco_reader_count(lr->r);
	lua_createtable(L, n > 0x7fffffff ? 0 : (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		const struct leco_line *ln = leco_reader_line(lr->r, i);

		if (!ln)
			break;
		push_line(L, ln);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	warn = leco_reader_errmsg(lr->r);
	if (warn && *warn) {
		lua_pushstring(L, warn);
		return 2;
	}
	return 1;
}

/* hooks = {["udp bytes"] = "...", ...}, lacks = {["udp bytes"] = "...", ...} (non-empty only) */
static void status_hooks(lua_State *L, struct leco_reader *r, uint32_t n)
{
	const char *job, *hook, *lacks;

	lua_createtable(L, 0, (int)n);
	for (uint32_t i = 0; i < n && !leco_reader_hook(r, i, &job, &hook, &lacks); i++)
		set_str(L, job, hook);
	lua_setfield(L, -2, "hooks");
	lua_createtable(L, 0, 2);
	for (uint32_t i = 0; i < n && !leco_reader_hook(r, i, &job, &hook, &lacks); i++)
		if (lacks[0])
			set_str(L, job, lacks);
	lua_setfield(L, -2, "lacks");
}

static int reader_status(lua_State *L)
{
	struct lreader *lr = check_reader(L);
	struct leco_status st;
	const char *msg;
	size_t nn;
	int rc;

	memset(&st, 0, sizeof(st));
	st.sz = sizeof(st);
	/* not attached (-ENOENT, -EACCES, -EPROTO) still fills the status: report it */
	rc = leco_reader_status(lr->r, &st);
	if (rc < 0 && rc != -ENOENT && rc != -EACCES && rc != -EPROTO)
		return push_fail(L, leco_reader_errmsg(lr->r), -rc);

	lua_createtable(L, 0, 20);
	set_str(L, "state", reader_state_name(st.state));
	set_bool(L, "loaded", st.state != LECO_READER_NO_PROBES);
	msg = leco_reader_errmsg(lr->r);
	set_str(L, "message", msg ? msg : "");
	set_int(L, "layout_version", st.layout_version);
	set_str(L, "version", st.version);
	set_int(L, "conns", st.conns);
	set_int(L, "conns_max", st.conns_max);
	set_int(L, "events", (lua_Integer)st.stat_events);
	set_int(L, "conns_new", (lua_Integer)st.stat_conns_new);
	set_int(L, "update_fail", (lua_Integer)st.stat_update_fail);
	set_int(L, "lost", (lua_Integer)st.stat_lost);
	set_int(L, "unattributed", (lua_Integer)st.stat_unattributed);
	set_int(L, "blocked", (lua_Integer)st.stat_blocked);
	set_int(L, "execs", (lua_Integer)st.stat_execs);
	set_int(L, "polls", (lua_Integer)st.polls);
	set_int(L, "reattaches", (lua_Integer)st.reattaches);
	set_int(L, "tcp_new", (lua_Integer)st.stat_tcp_new);
	set_int(L, "blocked_in", (lua_Integer)st.stat_blocked_in);
	set_int(L, "scan_merged", (lua_Integer)st.stat_scan_merged);
	set_int(L, "storage_fail", (lua_Integer)st.stat_storage_fail);
	set_int(L, "restarted", (lua_Integer)st.stat_restarted);
	set_int(L, "adopted", (lua_Integer)st.stat_adopted);
	set_int(L, "closed_max", st.closed_max);
	set_int(L, "closed_total", (lua_Integer)st.closed_total);
	set_int(L, "closed_overwritten", (lua_Integer)st.closed_overwritten);
	set_int(L, "closed_missed", (lua_Integer)st.closed_missed);
	set_int(L, "conns_evicted", (lua_Integer)st.conns_evicted);
	status_hooks(L, lr->r, st.hooks);
	nn = leco_reader_notice_count(lr->r);
	lua_createtable(L, nn > 0x7fffffff ? 0 : (int)nn, 0);
	for (size_t i = 0; i < nn; i++) {
		lua_pushstring(L, leco_reader_notice(lr->r, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "notices");
	return 1;
}

static const luaL_Reg reader_methods[] = {
	{"lines", reader_lines},
	{"status", reader_status},
	{"close", reader_close},
	{NULL, NULL},
};

static const luaL_Reg reader_meta[] = {
	{"__gc", reader_close},
#if LUA_VERSION_NUM >= 504
	{"__close", reader_close},
#endif
	{"__tostring", reader_tostring},
	{NULL, NULL},
};

/* ------------------------------------------------------------------------ */
/* config and rx_test                                                        */

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
		return push_fail(L, msg, -rc);
	}
	lua_createtable(L, 0, 5);
	set_str(L, "output", res.text ? res.text : "");
	set_bool(L, "changed", res.changed);
	set_bool(L, "grouped", res.grouped);
	set_str(L, "group", res.group);
	set_bool(L, "dropped", res.dropped);
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
	lc = lua_newuserdata(L, sizeof(*lc));
	lc->c = NULL;
	luaL_setmetatable(L, CONFIG_MT);
	rc = load_config_arg(L, 1, &lc->c, &err);
	if (rc < 0) {
		lc->c = NULL;
		return push_fail(L, err.msg, -rc);
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
	lc = lua_newuserdata(L, sizeof(*lc));
	lc->c = NULL;
	luaL_setmetatable(L, CONFIG_MT);
	rc = load_config_arg(L, 1, &lc->c, &err);
	if (rc < 0) {
		lc->c = NULL;
		return push_fail(L, err.msg, -rc);
	}
	rc = apply_rules(L, lc->c, 2);
	leco_config_free(lc->c);
	lc->c = NULL;
	return rc;
}

static int l_state_names(lua_State *L)
{
	lua_createtable(L, 8, 0);
	for (int i = LECO_STATE_UNKNOWN; i <= LECO_STATE_ACTIVE; i++) {
		lua_pushstring(L, leco_state_name(i));
		lua_rawseti(L, -2, i);
	}
	return 1;
}

static const luaL_Reg leco_funcs[] = {
	{"open", l_open},
	{"rx_test", l_rx_test},
	{"load_config", l_load_config},
	{"state_names", l_state_names},
	{NULL, NULL},
};

static void new_class(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods)
{
	luaL_newmetatable(L, name);
	luaL_setfuncs(L, meta, 0);
	lua_newtable(L);
	luaL_setfuncs(L, methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, name);
	lua_setfield(L, -2, "__name");
	lua_pop(L, 1);
}

__attribute__((visibility("default"))) int luaopen_leco(lua_State *L)
{
	new_class(L, READER_MT, reader_meta, reader_methods);
	new_class(L, CONFIG_MT, config_meta, config_methods);
	luaL_newlib(L, leco_funcs);
	lua_pushstring(L, leco_version());
	lua_setfield(L, -2, "_VERSION");
	lua_pushstring(L, LUA_VERSION_MAJOR "." LUA_VERSION_MINOR);
	lua_setfield(L, -2, "_LUA");
	return 1;
}
