/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the `leco` Lua module: what its two halves share. lua/leco_lua.c is the
 * module and its readers; lua/leco_lua_config.c the rule engine on its own
 * (configs, rules tables, rx_test). Both use only include/leco.h.
 */
#ifndef LECO_LUA_H
#define LECO_LUA_H

#include <lauxlib.h>
#include <lua.h>

#include "leco.h"
#include "../lib/fields.h"

#if LUA_VERSION_NUM < 503
#error "the leco module needs Lua 5.3 or later"
#endif

/*
 * The one Lua API function whose symbol differs between 5.3 (lua_newuserdata) and 5.4
 * (lua_newuserdatauv, behind the lua_newuserdata macro). A weak reference lets a module built
 * for one Lua load into the other far enough for luaopen_leco's first call, luaL_checkversion,
 * to say "version mismatch" instead of the dynamic linker's "undefined symbol".
 */
#if LUA_VERSION_NUM >= 504
#pragma weak lua_newuserdatauv
#else
#pragma weak lua_newuserdata
#endif

#define READER_MT "leco.reader"
#define CONFIG_MT "leco.config"

/* A config handle; NULL once closed. Also owns configs being built, so that a raise in the
 * middle cannot leak one. */
struct lconfig {
	struct leco_config *c;
};

/* A reader handle; NULL once closed. */
struct lreader {
	struct leco_reader *r;
};

/* The reader argument 1, or raise ("attempt to use a closed reader"). */
struct lreader *lleco_check_reader(lua_State *L);
/* nil, msg, errno after poll failure `rc` (what the state means, then the reader's message). */
void lleco_push_poll_error(lua_State *L, struct leco_reader *r, int rc);
/* Fields of the struct at `base` (lib/fields.h) into the table on top; an `only` field only when
 * `shows` has its bit. */
void lleco_set_fields(lua_State *L, const struct leco_field *fields, size_t n, const void *base,
		      unsigned int shows);
/* reader:conns([opts]) and reader:top([opts]) (lua/leco_lua_top.c) */
int lleco_reader_conns(lua_State *L);
int lleco_reader_top(lua_State *L);

/* nil, msg, errno: the runtime-failure convention */
int lleco_push_fail(lua_State *L, const char *msg, int err);
/* t[k] = v for the table on top of the stack (a NULL string leaves the field nil) */
void lleco_set_str(lua_State *L, const char *k, const char *v);
void lleco_set_int(lua_State *L, const char *k, lua_Integer v);
void lleco_set_num(lua_State *L, const char *k, lua_Number v);
void lleco_set_bool(lua_State *L, const char *k, int v);

/* A new, empty config handle on top of the stack. */
struct lconfig *lleco_new_config(lua_State *L);
/* Fill `lc` from argument `arg` of `fn`: INI text (a newline or a leading '[', '#', ';'), a
 * path, or a rules table (built directly, no INI in between). 0, or a negative errno with
 * `err`; bad arguments raise. */
int lleco_load_config(lua_State *L, int arg, const char *fn, struct lconfig *lc,
		      struct leco_error *err);
/* Fill `lc` from the rules table at `t`; bad shapes raise, naming argument `arg` of `fn`. */
int lleco_config_from_table(lua_State *L, int t, int arg, const char *fn, struct lconfig *lc,
			    struct leco_error *err);

extern const luaL_Reg lleco_config_funcs[]; /* rx_test, load_config */
void lleco_config_class(lua_State *L);	    /* registers CONFIG_MT */

#endif /* LECO_LUA_H */
