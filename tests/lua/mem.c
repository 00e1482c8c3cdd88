// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Test-only Lua module leco_test_mem: glibc's malloc statistics, for the check in
 * test_leco.lua that memory does not grow with the number of open/close cycles.
 *   in_use()  bytes malloc has handed out and not had back (heap chunks in use plus
 *             chunks of their own mmap), and the second of these alone
 * Exact counts, unlike RSS, which moves with fragmentation and with how much of the heap
 * top glibc gives back. Freed chunks that glibc's per-thread cache keeps count as in use:
 * tests/lua/run.sh turns that cache off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0).
 */
#include <malloc.h>

#include <lauxlib.h>
#include <lua.h>

static int mem_in_use(lua_State *L)
{
	struct mallinfo2 m = mallinfo2();

	lua_pushinteger(L, (lua_Integer)(m.uordblks + m.hblkhd));
	lua_pushinteger(L, (lua_Integer)m.hblkhd);
	return 2;
}

int luaopen_leco_test_mem(lua_State *L)
{
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, mem_in_use);
	lua_setfield(L, -2, "in_use");
	return 1;
}
