// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Several Lua states in one process: each loads the leco module from the build tree and uses
 * its own readers and rules; closing one state leaves the others working; four states in four
 * threads at once (no C globals in the module). usage: test_lua_states CPATH
 */
#include <pthread.h>
#include <stdio.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "harness.h"

static const char *cpath;
static const char *const pin = "/sys/fs/bpf/leco-test-nonexistent-states";

static const char *const loop_script =
	"local leco = require 'leco'\n"
	"local pin, n, tag = ...\n"
	"for i = 1, n do\n"
	"	local r = assert(leco.open{pin = pin, rules = '[rx-proc]\\nfoo = ' .. tag .. "
	"'\\n'})\n"
	"	local l, msg = r:lines()\n"
	"	assert(l == nil and msg:find('probes not loaded', 1, true), msg)\n"
	"	local x = assert(leco.rx_test({['rx-proc'] = {{'foo', tag .. i}}}, 'a foo'))\n"
	"	assert(x.output == 'a ' .. tag .. i, x.output)\n"
	"	if i % 2 == 0 then r:close() end\n"
	"end\n"
	"collectgarbage()\n"
	"return tag\n";

static lua_State *new_state(void)
{
	lua_State *L = luaL_newstate();

	luaL_openlibs(L);
	lua_getglobal(L, "package");
	lua_pushstring(L, cpath);
	lua_setfield(L, -2, "cpath");
	lua_pop(L, 1);
	return L;
}

/* run `code` with the given string args; 0 or -1 with the Lua error in msg */
static int run(lua_State *L, const char *code, int nargs, const char **args, char *msg, size_t sz)
{
	if (luaL_loadstring(L, code)) {
		snprintf(msg, sz, "%s", lua_tostring(L, -1));
		return -1;
	}
	for (int i = 0; i < nargs; i++)
		lua_pushstring(L, args[i]);
	if (lua_pcall(L, nargs, 1, 0)) {
		snprintf(msg, sz, "%s", lua_tostring(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	snprintf(msg, sz, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
	lua_pop(L, 1);
	return 0;
}

static void test_two_states(void)
{
	lua_State *a = new_state(), *b = new_state();
	const char *args[] = {pin};
	char msg[512];

	/* a reader in each state, kept in a global */
	const char *open = "R = assert(require('leco').open{pin = ...}) return tostring(R)";
	CHECKF(run(a, open, 1, args, msg, sizeof(msg)) == 0, "%s", msg);
	CHECKF(run(b, open, 1, args, msg, sizeof(msg)) == 0, "%s", msg);
	/* closing state b (its reader is collected, the module handle released) ... */
	lua_close(b);
	/* ... leaves a's reader and module working */
	const char *use =
		"local l, m = R:lines() assert(l == nil and m:find('probes not loaded', 1, true), "
		"m)"
		" assert(require('leco').rx_test('[rx-proc]\\nx = y\\n', 'x').output == 'y')"
		" R:close() return tostring(R)";
	CHECKF(run(a, use, 0, NULL, msg, sizeof(msg)) == 0, "%s", msg);
	CHECK_STREQ(msg, "leco.reader (closed)");
	lua_close(a);
}

struct job {
	char tag[16];
	int rc;
	char msg[512];
};

static void *thread_main(void *p)
{
	struct job *j = p;
	lua_State *L = new_state();
	const char *args[] = {pin, "200", j->tag};

	j->rc = run(L, loop_script, 3, args, j->msg, sizeof(j->msg));
	lua_close(L);
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[4];
	struct job jobs[4];

	for (int i = 0; i < 4; i++) {
		snprintf(jobs[i].tag, sizeof(jobs[i].tag), "T%d_", i);
		CHECK(pthread_create(&t[i], NULL, thread_main, &jobs[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECKF(jobs[i].rc == 0, "thread %d: %s", i, jobs[i].msg);
		CHECK_STREQ(jobs[i].msg, jobs[i].tag);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CPATH\n", argv[0]);
		return 2;
	}
	cpath = argv[1];
	RUN(test_two_states);
	RUN(test_threads);
	return th_done();
}
