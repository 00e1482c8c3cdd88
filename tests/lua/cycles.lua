-- SPDX-License-Identifier: LGPL-2.1-or-later
-- Many open/close, rx_test and lines() cycles: run under valgrind (tests/lua/run.sh) or
-- LSan; every object the module creates must be freed, by close() or by the GC.
-- usage: lua cycles.lua [N]
local leco = require 'leco'
local n = tonumber(arg and arg[1]) or 1000
local pin = '/sys/fs/bpf/leco-test-nonexistent-cycles'
local rules = '[rx-proc]\n\\ 53/udp :: = \\ DNS ::\n[rx-group]\n.*drill.* = dns\n'
local bad = '[rx-proc]\n(unclosed = x\n'
local line = '18:32 :: u :: drill :: 10.2.0.1 53/udp :: v 58B / 26B ^'
for i = 1, n do
	local r = assert(leco.open{pin = pin, rules = rules})
	assert(r:lines() == nil)
	assert(r:status())
	if i % 2 == 0 then r:close() end          -- the other half is left to __gc
	assert(leco.rx_test(rules, line))
	assert(leco.rx_test(bad, line) == nil)
	assert(leco.open{pin = pin, rules = bad} == nil)
	local c = assert(leco.load_config{['rx-proc'] = {{'drill', 'dig'}}})
	assert(c:apply(line).output:find('dig', 1, true))
	if i % 3 == 0 then c:close() end
	pcall(leco.open, {pin = pin, bogus = true}) -- raises before allocating
	-- rules tables: the config built from one goes to the reader (or stays with the handle
	-- when something fails before or after it is built)
	local rt = assert(leco.open{pin_dir = pin, rules = {['rx-proc'] = {{'drill', 'dig'}},
		view = {['max-lines'] = 3}}})
	if i % 2 == 0 then rt:close() end
	assert(leco.open{pin_dir = pin, rules = {['rx-proc'] = {{'(x', 'y'}}}} == nil)
	pcall(leco.open, {pin_dir = pin, rules = {['rx-proc'] = {{'ok', 'y'}, {'x'}}}}) -- raises mid-build
	assert(leco.rx_test({['rx-proc'] = {{'#drill', 'x'}}}, line))
	if i % 50 == 0 then collectgarbage() end
end
collectgarbage()
print(('%d cycles done'):format(n))
