// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The `leco` Lua module: readers of the pinned connection table (this file) and
 * the rule engine (lua/leco_lua_config.c), for conky's Lua, lua5.3 and lua5.4.
 * One source, built once per Lua version (lua/CMakeLists.txt); uses only the
 * public API in include/leco.h.
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

#include "leco_lua.h"
#include "../lib/line_conn.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

int lleco_push_fail(lua_State *L, const char *msg, int err)
{
	lua_pushnil(L);
	lua_pushstring(L, msg && *msg ? msg : (err ? strerror(err) : "unknown error"));
	lua_pushinteger(L, err);
	return 3;
}

void lleco_set_str(lua_State *L, const char *k, const char *v)
{
	if (!v)
		return; /* leave the field nil */
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

void lleco_set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

void lleco_set_num(lua_State *L, const char *k, lua_Number v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

void lleco_set_bool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

/* ------------------------------------------------------------------------ */
/* leco.open                                                                 */

static const char *const open_keys[] = {"pin_dir", "pin",	"config",    "rules",
					"raw",	   "max_lines", "proc_root", "cgroup_root",
					"passwd",  "history",	NULL};

void lleco_check_keys(lua_State *L, int t, const char *fn, const char *const keys[],
		      const char *known)
{
	if (lua_isnoneornil(L, t))
		return;
	luaL_checktype(L, t, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, t)) {
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

/* The plain options of leco.open's table into `o`. */
static void open_options(lua_State *L, struct leco_reader_opts *o)
{
	const char *pin = opt_string_field(L, 1, "pin");

	/* pin_dir, as in C (.pin_dir) and the CLI (--pin-dir); pin= is the older spelling */
	o->pin_dir = opt_string_field(L, 1, "pin_dir");
	if (pin && o->pin_dir && strcmp(pin, o->pin_dir))
		luaL_error(L, "bad argument #1 to 'open' ('pin' is another name for 'pin_dir': "
			      "give one)");
	if (!o->pin_dir)
		o->pin_dir = pin;
	o->config_path = opt_string_field(L, 1, "config");
	o->proc_root = opt_string_field(L, 1, "proc_root");
	o->cgroup_root = opt_string_field(L, 1, "cgroup_root");
	o->passwd_path = opt_string_field(L, 1, "passwd");
	/* a history database (leco record): lines get first_ever */
	o->history_path = opt_string_field(L, 1, "history");
	if (o->config_path && !*o->config_path)
		luaL_error(L, "bad argument #1 to 'open' (field 'config' is an empty path)");
	lua_getfield(L, 1, "raw");
	o->raw = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (lua_getfield(L, 1, "max_lines") != LUA_TNIL) {
		int isint;
		lua_Integer ml = lua_tointegerx(L, -1, &isint);

		if (!isint || ml < 0 || ml > 100000)
			luaL_error(L, "bad argument #1 to 'open' (field 'max_lines' must be an "
				      "integer 0..100000)");
		o->max_lines = (unsigned int)ml;
	}
	lua_pop(L, 1);
}

/*
 * `rules`, left at stack slot 2: INI text (kept there until the reader has parsed it), or a
 * config handle built from a table, which the reader takes over when it opens. 0, or a
 * negative errno with `err`.
 */
static int open_rules(lua_State *L, struct leco_reader_opts *o, struct leco_error *err)
{
	struct lconfig *lc;
	int rc;

	lua_getfield(L, 1, "rules");
	if (lua_isnil(L, 2))
		return 0;
	if (o->config_path)
		luaL_error(L, "bad argument #1 to 'open' ('config' and 'rules' are exclusive)");
	if (lua_type(L, 2) == LUA_TSTRING) {
		o->config_text = lua_tostring(L, 2);
		return 0;
	}
	if (!lua_istable(L, 2))
		luaL_error(L,
			   "bad argument #1 to 'open' (field 'rules' must be INI text or a table, "
			   "got %s)",
			   luaL_typename(L, 2));
	lc = lleco_new_config(L);
	if ((rc = lleco_config_from_table(L, 2, 1, "open", lc, err)) < 0)
		return rc;
	lua_replace(L, 2);
	o->config = lc->c;
	return 0;
}

/* leco.open{pin_dir=, config= | rules=, raw=, max_lines=, proc_root=, cgroup_root=, passwd=,
 * history=} */
static int l_open(lua_State *L)
{
	LECO_OPTS(leco_reader_opts, opts);
	struct leco_error err;
	struct lreader *lr;
	int rc;

	memset(&err, 0, sizeof(err));
	if (lua_isnoneornil(L, 1))
		lua_newtable(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lleco_check_keys(L, 1, "open", open_keys,
			 "pin_dir (or pin), config, rules, raw, max_lines, proc_root, cgroup_root, "
			 "passwd, history");
	open_options(L, &opts);
	if ((rc = open_rules(L, &opts, &err)) < 0)
		return lleco_push_fail(L, err.msg, -rc);
	/* allocate first so that a Lua memory error cannot leak a reader */
	lr = lua_newuserdata(L, sizeof(*lr));
	lr->r = NULL;
	luaL_setmetatable(L, READER_MT);
	rc = leco_reader_open(&opts, &lr->r, &err);
	if (rc < 0) {
		lr->r = NULL;
		return lleco_push_fail(L, err.msg, -rc);
	}
	if (opts.config) /* the reader has it now */
		((struct lconfig *)lua_touserdata(L, 2))->c = NULL;
	return 1;
}

/* ------------------------------------------------------------------------ */
/* reader                                                                    */

struct lreader *lleco_check_reader(lua_State *L)
{
	struct lreader *lr = luaL_checkudata(L, 1, READER_MT);

	if (!lr->r)
		luaL_error(L, "attempt to use a closed reader");
	return lr;
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

static void lua_member(void *ctx, const char *name, const struct leco_field_value *v)
{
	lua_State *L = ctx;

	if (v->kind == 's')
		lleco_set_str(L, name, v->s); /* NULL: the field stays nil */
	else if (v->kind == 'u')	      /* counters past 2^63 wrap, as Lua integers do */
		lleco_set_int(L, name, (lua_Integer)v->u);
	else if (v->kind == 'd')
		lleco_set_num(L, name, v->d);
	else if (v->kind == 'b')
		lleco_set_bool(L, name, (int)v->i);
	else
		lleco_set_int(L, name, (lua_Integer)v->i);
}

void lleco_set_fields(lua_State *L, const struct leco_field *fields, size_t n, const void *base,
		      unsigned int shows)
{
	leco_fields_each(fields, n, base, shows, lua_member, L);
}

static void push_line(lua_State *L, const struct leco_line *ln)
{
	struct leco_conn_info ci;

	lua_createtable(L, 0, 7 + (int)LECO_NFIELDS(leco_conn_fields));
	lleco_set_str(L, "text", ln->text);
	lleco_set_str(L, "raw", ln->raw);
	lleco_set_str(L, "group", ln->group);
	lleco_set_num(L, "alpha", ln->alpha);
	lleco_set_num(L, "age", ln->age);
	lleco_set_bool(L, "new", ln->is_new);
	lleco_set_bool(L, "changed", ln->changed);
	leco_line_as_conn(ln, &ci);
	lleco_set_fields(L, leco_conn_fields, LECO_NFIELDS(leco_conn_fields), &ci, 0);
}

/* Prefix the library's message with what the state means, once. */
void lleco_push_poll_error(lua_State *L, struct leco_reader *r, int rc)
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
	struct lreader *lr = lleco_check_reader(L);
	const char *warn;
	size_t n;
	int rc;

	rc = leco_reader_poll(lr->r);
	if (rc < 0) {
		lua_pushnil(L);
		lleco_push_poll_error(L, lr->r, rc);
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

static void push_notices(lua_State *L, struct leco_reader *r)
{
	size_t nn = leco_reader_notice_count(r);

	lua_createtable(L, nn > 0x7fffffff ? 0 : (int)nn, 0);
	for (size_t i = 0; i < nn; i++) {
		lua_pushstring(L, leco_reader_notice(r, i));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* What layout 2 added: counters, the closed ring, evictions, and which hook serves each job:
 * hooks = {["udp bytes"] = "...", ...}, lacks = {["udp bytes"] = "...", ...} (non-empty only) */
static void status_layout2(lua_State *L, struct leco_reader *r, const struct leco_status *st)
{
	const char *job, *hook, *lacks;

	lleco_set_int(L, "tcp_new", (lua_Integer)st->stat_tcp_new);
	lleco_set_int(L, "blocked_in", (lua_Integer)st->stat_blocked_in);
	lleco_set_int(L, "scan_merged", (lua_Integer)st->stat_scan_merged);
	lleco_set_int(L, "storage_fail", (lua_Integer)st->stat_storage_fail);
	lleco_set_int(L, "restarted", (lua_Integer)st->stat_restarted);
	lleco_set_int(L, "adopted", (lua_Integer)st->stat_adopted);
	lleco_set_int(L, "closed_max", st->closed_max);
	lleco_set_int(L, "closed_total", (lua_Integer)st->closed_total);
	lleco_set_int(L, "closed_overwritten", (lua_Integer)st->closed_overwritten);
	lleco_set_int(L, "closed_missed", (lua_Integer)st->closed_missed);
	lleco_set_int(L, "conns_evicted", (lua_Integer)st->conns_evicted);
	lua_createtable(L, 0, (int)st->hooks);
	for (uint32_t i = 0; i < st->hooks && !leco_reader_hook(r, i, &job, &hook, &lacks); i++)
		lleco_set_str(L, job, hook);
	lua_setfield(L, -2, "hooks");
	lua_createtable(L, 0, 2);
	for (uint32_t i = 0; i < st->hooks && !leco_reader_hook(r, i, &job, &hook, &lacks); i++)
		if (lacks[0])
			lleco_set_str(L, job, lacks);
	lua_setfield(L, -2, "lacks");
}

/* What layout 3 added: names of remote addresses */
static void status_names(lua_State *L, const struct leco_status *st)
{
	lleco_set_int(L, "names_calls", (lua_Integer)st->stat_names_calls);
	lleco_set_int(L, "names_dup", (lua_Integer)st->stat_names_dup);
	lleco_set_int(L, "names_max", st->names_max);
	lleco_set_int(L, "names_total", (lua_Integer)st->names_total);
	lleco_set_int(L, "names_overwritten", (lua_Integer)st->names_overwritten);
	lleco_set_int(L, "names_missed", (lua_Integer)st->names_missed);
	lleco_set_int(L, "names_known", st->names_known);
	lleco_set_int(L, "names_evicted", (lua_Integer)st->names_evicted);
}

static int reader_status(lua_State *L)
{
	struct lreader *lr = lleco_check_reader(L);
	struct leco_status st;
	const char *msg;
	int rc;

	memset(&st, 0, sizeof(st));
	st.sz = sizeof(st);
	/* not attached (-ENOENT, -EACCES, -EPROTO) still fills the status: report it */
	rc = leco_reader_status(lr->r, &st);
	if (rc < 0 && rc != -ENOENT && rc != -EACCES && rc != -EPROTO)
		return lleco_push_fail(L, leco_reader_errmsg(lr->r), -rc);

	lua_createtable(L, 0, 20);
	lleco_set_str(L, "state", leco_reader_state_name(st.state));
	/* include/leco.h: the reader reads the probes */
	lleco_set_bool(L, "loaded", st.state == LECO_READER_OK || st.state == LECO_READER_CONFIG);
	msg = leco_reader_errmsg(lr->r);
	lleco_set_str(L, "message", msg ? msg : "");
	lleco_set_int(L, "layout_version", st.layout_version);
	lleco_set_str(L, "version", st.version);
	lleco_set_int(L, "conns", st.conns);
	lleco_set_int(L, "conns_max", st.conns_max);
	lleco_set_int(L, "events", (lua_Integer)st.stat_events);
	lleco_set_int(L, "conns_new", (lua_Integer)st.stat_conns_new);
	lleco_set_int(L, "update_fail", (lua_Integer)st.stat_update_fail);
	lleco_set_int(L, "lost", (lua_Integer)st.stat_lost);
	lleco_set_int(L, "unattributed", (lua_Integer)st.stat_unattributed);
	lleco_set_int(L, "blocked", (lua_Integer)st.stat_blocked);
	lleco_set_int(L, "execs", (lua_Integer)st.stat_execs);
	lleco_set_int(L, "polls", (lua_Integer)st.polls);
	lleco_set_int(L, "reattaches", (lua_Integer)st.reattaches);
	status_layout2(L, lr->r, &st);
	status_names(L, &st);
	push_notices(L, lr->r);
	lua_setfield(L, -2, "notices");
	return 1;
}

static const luaL_Reg reader_methods[] = {
	{"lines", reader_lines},
	{"status", reader_status},
	{"conns", lleco_reader_conns}, /* lua/leco_lua_top.c */
	{"top", lleco_reader_top},
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
/* the module                                                                */

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
	{"state_names", l_state_names},
	{NULL, NULL},
};

__attribute__((visibility("default"))) int luaopen_leco(lua_State *L)
{
	/* first: a module built for another Lua version stops here, with "version mismatch" */
	luaL_checkversion(L);
	luaL_newmetatable(L, READER_MT);
	luaL_setfuncs(L, reader_meta, 0);
	luaL_newlibtable(L, reader_methods);
	luaL_setfuncs(L, reader_methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	lleco_config_class(L);
	lleco_history_class(L);
	lua_createtable(L, 0, 8);
	luaL_setfuncs(L, leco_funcs, 0);
	luaL_setfuncs(L, lleco_config_funcs, 0);
	luaL_setfuncs(L, lleco_history_funcs, 0);
	lua_pushstring(L, leco_version());
	lua_setfield(L, -2, "_VERSION");
	lua_pushstring(L, LUA_VERSION_MAJOR "." LUA_VERSION_MINOR);
	lua_setfield(L, -2, "_LUA");
	return 1;
}
