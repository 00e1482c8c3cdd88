-- SPDX-License-Identifier: LGPL-2.1-or-later
-- The leco Lua module: API shape, argument errors, runtime failures as nil+msg, __close/__gc,
-- rx_test, readers on missing pins, many cycles; live traffic when LECO_TEST_PIN is set
-- (tests/lua/run.sh sets it as root). Table-driven, one name per row (lua-cjson style).
local leco = require 'leco'
local luaver = _VERSION:match('%d+%.%d+')
local src = os.getenv('LECO_TEST_SRC') or '.'

local npass, nfail = 0, 0
local function check(name, ok, detail)
	if ok then
		npass = npass + 1
		print('ok   ' .. name)
	else
		nfail = nfail + 1
		print('FAIL ' .. name .. (detail ~= nil and (': ' .. tostring(detail)) or ''))
	end
end
local function has(s, sub) return type(s) == 'string' and s:find(sub, 1, true) ~= nil end

-- Children run without the ASan runtime that scripts/test-sanitize preloads into lua (their
-- own leaks at exit are not ours to report).
local function sh(cmd) return os.execute('env -u LD_PRELOAD ' .. cmd) end
local function sleep(s) sh(('sleep %g'):format(s)) end

local nopin = ('/sys/fs/bpf/leco-test-nonexistent-%s'):format(tostring({}):match('0x(%x+)') or '0')

-- shape ------------------------------------------------------------------------------------------
check('_VERSION is x.y.z', type(leco._VERSION) == 'string' and leco._VERSION:match('^%d+%.%d+%.%d+'),
	leco._VERSION)
check('_LUA matches the interpreter', leco._LUA == luaver, leco._LUA)
for _, f in ipairs{'open', 'rx_test', 'load_config', 'state_names'} do
	check('leco.' .. f .. ' is a function', type(leco[f]) == 'function')
end
do
	local r = leco.open{pin = nopin}
	for _, m in ipairs{'lines', 'status', 'conns', 'top', 'close'} do
		check('reader:' .. m .. ' is a method', type(r[m]) == 'function')
	end
	r:close()
end
check('state_names[3] == failed', leco.state_names()[3] == 'failed')
check('require returns the same table', require('leco') == leco)

-- bad arguments raise, with a message that says what is wrong -------------------------------------
local bad_args = {
	{'open(42)', 'bad argument #1 to', function() return leco.open(42) end},
	{'open unknown option', "unknown option 'pni'", function() return leco.open{pni = 'x'} end},
	{'open pin not a string', "field 'pin' must be a string", function() return leco.open{pin = 1} end},
	{'open config and rules', "'config' and 'rules' are exclusive",
		function() return leco.open{config = '/x.ini', rules = '[view]\n'} end},
	{'open max_lines negative', "field 'max_lines' must be an integer",
		function() return leco.open{pin = nopin, max_lines = -1} end},
	{'open max_lines fraction', "field 'max_lines' must be an integer",
		function() return leco.open{pin = nopin, max_lines = 1.5} end},
	{'open empty config path', "field 'config' is an empty path", function() return leco.open{config = ''} end},
	{'open rules boolean', "field 'rules' must be INI text or a table",
		function() return leco.open{rules = true} end},
	{'rules unknown section', "unknown section 'rx-porc'",
		function() return leco.open{pin = nopin, rules = {['rx-porc'] = {}}} end},
	{'rules section not a table', "section 'view' must be a table",
		function() return leco.open{pin = nopin, rules = {view = 3}} end},
	{'rules rule not a pair', "rx-proc[1] must be {regexp, replacement}",
		function() return leco.open{pin = nopin, rules = {['rx-proc'] = {'x'}}} end},
	{'rules regexp with a NUL byte', 'contains a NUL byte',
		function() return leco.rx_test({['rx-proc'] = {{'a\0b', 'c'}}}, 'x') end},
	{'rules unknown section names the function', "to 'rx_test' (rules: unknown section",
		function() return leco.rx_test({['rx-porc'] = {}}, 'x') end},
	{'open pin and pin_dir differ', "'pin' is another name for 'pin_dir'",
		function() return leco.open{pin = nopin, pin_dir = nopin .. 'x'} end},
	{'open pin_dir not a string', "field 'pin_dir' must be a string",
		function() return leco.open{pin_dir = 1} end},
	{'rx_test without a line', 'bad argument #2 to', function() return leco.rx_test('[view]\n') end},
	{'rx_test config boolean', 'bad argument #1 to', function() return leco.rx_test(true, 'x') end},
	{'load_config nil', 'bad argument #1 to', function() return leco.load_config() end},
	{'lines on a non-reader', 'leco.reader expected', function()
		local r = leco.open{pin = nopin}
		return r.lines({})
	end},
	{'lines on a closed reader', 'attempt to use a closed reader', function()
		local r = leco.open{pin = nopin}
		r:close()
		return r:lines()
	end},
	{'status on a closed reader', 'attempt to use a closed reader', function()
		local r = leco.open{pin = nopin}
		r:close()
		return r:status()
	end},
	{'top on a closed reader', 'attempt to use a closed reader', function()
		local r = leco.open{pin = nopin}
		r:close()
		return r:top()
	end},
	{'top unknown group-by', "field 'by' must be one of process, exe,",
		function() return leco.open{pin = nopin}:top{by = 'pid'} end},
	{'top sort not a name', "field 'sort' must be one of rate,",
		function() return leco.open{pin = nopin}:top{sort = 3} end},
	{'top n negative', "field 'n' must be an integer", function() return leco.open{pin = nopin}:top{n = -1} end},
	{'top keep fraction', "field 'keep' must be an integer",
		function() return leco.open{pin = nopin}:top{keep = 0.5} end},
	{'top unknown option', "unknown option 'group'", function() return leco.open{pin = nopin}:top{group = 'unit'} end},
	{'top options not a table', 'bad argument #1 to', function() return leco.open{pin = nopin}:top('unit') end},
	{'conns unknown option', "unknown option 'pid'", function() return leco.open{pin = nopin}:conns{pid = 1} end},
	{'apply on a closed config', 'attempt to use a closed config', function()
		local c = leco.load_config('[view]\n')
		c:close()
		return c:apply('x')
	end},
}
for _, row in ipairs(bad_args) do
	local ok, err = pcall(row[3])
	check('raises: ' .. row[1], not ok and has(err, row[2]), ok and 'did not raise' or err)
end

-- runtime failures return nil, msg, errno ---------------------------------------------------------
do
	local c, msg, e = leco.load_config('/nonexistent/leco-test.ini')
	check('load_config missing file: nil, msg, ENOENT',
		c == nil and has(msg, '/nonexistent/leco-test.ini') and e == 2, msg)
	local r, m2 = leco.rx_test('[rx-proc]\n(unclosed = x\n', 'line')
	check('rx_test bad regexp: nil, "<lua>:2:..."', r == nil and has(m2, '<lua>:2:'), m2)
	local rd, m3, e3 = leco.open{pin = nopin, rules = '[rx-proc]\n(unclosed = x\n'}
	check('open with a broken rule: nil, "...:2:COL: ...", EINVAL', rd == nil and has(m3, ':2:') and e3 == 22, m3)
	local rd4, m4 = leco.open{pin = nopin, config = '/nonexistent/leco-test.ini'}
	check('open with a missing config file: nil, msg', rd4 == nil and has(m4, 'leco-test.ini'), m4)
end

-- rx_test ------------------------------------------------------------------------------------------
do
	local line = '18:32 :: myuser :: drill [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp :: v 58B / 26B ^'
	local want = '18:32 :: drill [tmux] :: 10.2.0.1 DNS :: v 58B / 26B ^'
	local ini = table.concat({
		'[rx-proc]',
		'^(\\s*\\S+ ::) myuser :: = $1',
		'\\ 53/udp :: = \\ DNS ::',
		'\\ \\[tmux-spawn-\\S+\\] :: = \\ [tmux] ::', ''}, '\n')
	local tbl = {['rx-proc'] = {
		{'^(\\s*\\S+ ::) myuser :: ', '$1 '},
		{' 53/udp ::', ' DNS ::'},
		{' \\[tmux-spawn-\\S+\\] ::', ' [tmux] ::'}}}
	local rows = {
		{'INI text', ini},
		{'rules table', tbl},
		{'config object', leco.load_config(ini)},
	}
	for _, row in ipairs(rows) do
		local r, err = leco.rx_test(row[2], line)
		check('rx_test ' .. row[1] .. ': output', r and r.output == want, r and r.output or err)
		check('rx_test ' .. row[1] .. ': changed, not grouped',
			r and r.changed == true and r.grouped == false and r.dropped == false and r.group == nil)
	end
	local r = leco.rx_test(ini, 'nothing to see')
	check('rx_test no match: unchanged', r and r.output == 'nothing to see' and r.changed == false)
	r = leco.rx_test({['rx-group'] = {{'.*drill.*', 'dns'}}}, line)
	check('rx_test group', r and r.grouped == true and r.group == 'dns' and r.dropped == false,
		r and r.group)
	r = leco.rx_test({['rx-group'] = {{'.*drill.*', ''}}}, line)
	check('rx_test empty group drops', r and r.dropped == true)
	r = leco.rx_test({['rx-proc'] = {{'drill', 'g`resolver'}}}, line)
	check('rx_test g` groups', r and r.grouped == true and has(r.output, 'resolver'), r and r.output)
	r = leco.rx_test({['rx-proc'] = {{'(drill)', ' <$1> '}}}, 'a drill b')
	check('rules table keeps leading/trailing spaces', r and r.output == 'a  <drill>  b',
		r and ('[' .. r.output .. ']'))
	r = leco.rx_test({view = {['max-lines'] = 7, ['new-time'] = 3}, format = {['local-addr-port'] = true}},
		'x')
	check('rules table [view]/[format] values load', r and r.output == 'x')
	-- rules tables are built directly, not through INI text (issue 10 item 6): '#' or ';' at the
	-- start of a regexp, ' # ' in a value, '=' in a regexp and "\ " keep their meaning
	local c6 = leco.load_config{['rx-proc'] = {{'#a', 'x'}, {'c', '1 # 2'}, {';b', 'y'}, {'k=v', 'kv'},
		{'d', '\\ e'}}}
	check('rules table: a regexp starting with # is a rule', c6 and c6:apply('#a').output == 'x',
		c6 and c6:apply('#a').output)
	check("rules table: ' # ' in a value is kept", c6 and c6:apply('c').output == '1 # 2',
		c6 and c6:apply('c').output)
	check('rules table: a regexp starting with ; is a rule', c6 and c6:apply(';b').output == 'y')
	check('rules table: = in a regexp', c6 and c6:apply('k=v').output == 'kv')
	check('rules table: a backslash in a value is literal', c6 and c6:apply('d').output == '\\ e',
		c6 and c6:apply('d').output)
	local bad, bmsg, berr = leco.rx_test({['rx-proc'] = {{'ok', 'x'}, {'a(b', 'x'}}}, 'x')
	check('rules table: a bad regexp names its rule and column',
		bad == nil and bmsg == '<lua>: [rx-proc] rule 2, regexp column 4: missing closing parenthesis'
		and berr == 22, bmsg)
	bad, bmsg = leco.rx_test({['rx-proc'] = {{'(a)', '$2'}}}, 'x')
	check('rules table: a bad reference names the replacement column',
		bad == nil and has(bmsg, '[rx-proc] rule 1, replacement column 1: reference to group 2'), bmsg)
	bad, bmsg = leco.rx_test({view = {['max-lines'] = 'lots'}}, 'x')
	check('rules table: a bad option value', bad == nil and has(bmsg, "bad value 'lots' for max-lines"), bmsg)
	local ex = src .. '/examples/leco.ini'
	local c, err = leco.load_config(ex)
	check('examples/leco.ini loads', c ~= nil, err)
	if c then
		local n = c:notices()
		check('examples/leco.ini has no notices', type(n) == 'table' and #n == 0, n and n[1])
		local o = c:apply(line:gsub('myuser', 'alice'), nil)
		check('examples/leco.ini rewrites a DNS line', o and has(o.output, 'drill [tmux] :: 10.2.0.1 DNS ::'),
			o and o.output)
		c:close()
		c:close()
		check('config close is idempotent', tostring(c) == 'leco.config (closed)', tostring(c))
	end
end

-- readers on missing pins -------------------------------------------------------------------------
do
	local r = leco.open{pin = nopin}
	check('open on missing pins gives a reader', type(r) == 'userdata' and has(tostring(r), 'leco.reader ('),
		tostring(r))
	local lines, msg, e = r:lines()
	check('lines() on missing pins: nil, "probes not loaded: ..."',
		lines == nil and has(msg, 'probes not loaded') and e == 2, msg)
	local ok = pcall(r.lines, r)
	check('lines() does not raise on missing pins', ok)
	local tp, tmsg, te = r:top()
	check('top() on missing pins: nil, "probes not loaded: ...", ENOENT',
		tp == nil and has(tmsg, 'probes not loaded') and te == 2, tmsg)
	local cn, cmsg, ce = r:conns()
	check('conns() on missing pins: nil, "probes not loaded: ...", ENOENT',
		cn == nil and has(cmsg, 'probes not loaded') and ce == 2, cmsg)
	tp = r:top{poll = false}
	check('top{poll = false} before any poll: no groups, a total', type(tp) == 'table' and #tp == 0 and
		type(tp.total) == 'table' and tp.total.rx == 0 and tp.total.key == 'total')
	cn = r:conns{poll = false}
	check('conns{poll = false} before any poll: none', type(cn) == 'table' and #cn == 0)
	local st = r:status()
	check('status says not loaded', st and st.state == 'no_probes' and st.loaded == false, st and st.state)
	local rp = leco.open{pin_dir = nopin}
	check('open pin_dir: the same reader as pin', rp and select(3, rp:lines()) == 2)
	rp:close()
	check('status counts polls', st and st.polls >= 2, st and st.polls)
	check('status has notices', st and type(st.notices) == 'table')
	-- two readers in one state are independent
	local r2 = leco.open{pin = nopin, rules = {['rx-proc'] = {{'x', 'y'}}}}
	r:close()
	local l2, m2 = r2:lines()
	check('second reader works after the first is closed', l2 == nil and has(m2, 'probes not loaded'), m2)
	check('close is idempotent', pcall(r.close, r) and tostring(r) == 'leco.reader (closed)')
	r2:close()

	-- __gc: an unreferenced reader is collected (and freed by the module)
	local weak = setmetatable({}, {__mode = 'v'})
	weak[1] = leco.open{pin = nopin}
	collectgarbage()
	collectgarbage()
	check('__gc collects an unreferenced reader', weak[1] == nil)

	-- __close (5.4): a to-be-closed reader is closed at scope exit
	if luaver >= '5.4' then
		local chunk = load([[
			local leco, pin = ...
			local keep
			do
				local r <close> = leco.open{pin = pin}
				keep = r
			end
			return keep
		]])
		local keep = chunk(leco, nopin)
		check('__close closes at scope exit', tostring(keep) == 'leco.reader (closed)', tostring(keep))
		local mt = getmetatable(keep)
		check('__close and __gc present', mt and type(mt.__close) == 'function' and type(mt.__gc) == 'function')
	else
		local mt = getmetatable(leco.open{pin = nopin})
		check('no __close under 5.3, __gc present', mt and mt.__close == nil and type(mt.__gc) == 'function')
	end
end

-- many cycles: memory does not grow with the number of cycles ----------------------------------
-- A leak grows with every cycle; allocator noise does not. RSS is mostly noise here: it moves by
-- up to 1.5 MiB between identical batches (fragmentation, how much of the heap top glibc gives
-- back, when the GC ran), so it is printed, not judged. Judged are three exact counts, taken
-- after a warm-up and after each of two batches of N cycles: their growth over the second batch
-- must stay under N bytes (a leak of one 32-byte chunk every 32 cycles would exceed it); the
-- first batch's growth is shown beside it (a leak repeats it, a cache that fills up does not).
--   Lua heap   collectgarbage('count') after full collections
--   C heap     bytes malloc handed out and did not get back (glibc mallinfo2, through the test
--              module leco_test_mem), minus the Lua heap; run.sh turns off glibc's per-thread
--              cache, whose freed chunks would count as in use
--   mappings   bytes mapped outside the malloc heap (PCRE2 JIT code and stacks, anything mmap'd),
--              minus malloc's own mmap'd chunks
-- Under ASan the C counts mean nothing (its allocator, quarantine and shadow); LSan checks leaks.
do
	local asan = os.getenv('LECO_ASAN_PRELOAD') or (os.getenv('LD_PRELOAD') or ''):find('asan')
	local okmem, mem = pcall(require, 'leco_test_mem')
	check('test module leco_test_mem loads (tests/lua/mem.c)', asan or okmem, mem)
	local function rss_kb()
		local f = io.open('/proc/self/statm')
		if not f then return 0 end
		local _, res = f:read('n', 'n')
		f:close()
		return (res or 0) * 4
	end
	local function mapped() -- bytes in mappings other than the malloc heap
		local t = 0
		for l in io.lines('/proc/self/maps') do
			local lo, hi = l:match('^(%x+)%-(%x+)')
			if lo and not l:find('[heap]', 1, true) then
				t = t + tonumber(hi, 16) - tonumber(lo, 16)
			end
		end
		return t
	end
	local function sample(s) -- fills s, whose fields exist: nothing allocated between counts
		collectgarbage()
		collectgarbage()
		s.lua = math.floor(collectgarbage('count') * 1024)
		if okmem and not asan then
			local used, mmapped = mem.in_use()
			s.c = used - s.lua
			s.maps = mapped() - mmapped
		end
		s.rss = rss_kb()
	end
	local function cycle(n)
		for i = 1, n do
			local r = leco.open{pin = nopin, rules = '[rx-proc]\nfoo = bar\n'}
			r:lines()
			if i % 2 == 0 then r:close() end
			leco.rx_test({['rx-group'] = {{'.*', 'g'}}}, 'a line')
		end
	end
	local n = 2500
	local s0, s1, s2 = {}, {}, {}
	for _, s in ipairs{s0, s1, s2} do
		s.lua, s.c, s.maps, s.rss = 0, false, false, 0
	end
	cycle(500) -- warm up allocator and caches
	sample(s0)
	cycle(n)
	sample(s1)
	cycle(n)
	sample(s2)
	print(('note: RSS after warm-up and each batch of %d cycles: %d, %d, %d KiB (not judged)')
		:format(n, s0.rss, s1.rss, s2.rss))
	local fmt = '%d cycles: %s bytes flat (growth %d over the first batch, %d over the second)'
	for _, k in ipairs{'lua', 'c', 'maps'} do
		if s2[k] then -- false: not counted
			check(fmt:format(n, k, s1[k] - s0[k], s2[k] - s1[k]), s2[k] - s1[k] < n)
		elseif k ~= 'lua' then
			print(('note: %s bytes not counted under ASan (LSan checks)'):format(k))
		end
	end
end

-- live: probes loaded into a test pin dir, loopback traffic shows up in lines() ------------------
local pin, loader = os.getenv('LECO_TEST_PIN'), os.getenv('LECO_TEST_LOADER')
if pin and loader then
	local r = leco.open{pin_dir = pin, raw = true, max_lines = 100000} -- others' traffic must not push ours out
	local r2 = leco.open{pin = pin, rules = {['rx-proc'] = {{'python3', 'PYTHON'}}}, max_lines = 100000}
	local r3 = leco.open{pin = pin, max_lines = 1}
	local l0, m0 = r:lines()
	check('live: before leco-load: nil, probes not loaded', l0 == nil and has(m0, 'probes not loaded'), m0)
	local ok = sh(('%q --pin %q >&2'):format(loader, pin))
	check('live: leco-load --pin', ok)
	-- recovers by itself: poll (bounded) until lines() returns a table
	local lines, msg
	for _ = 1, 100 do
		lines, msg = r:lines()
		if lines then break end
		sleep(0.05)
	end
	check('live: reader recovers once the probes are loaded', type(lines) == 'table', msg)
	check('live: status ok', r:status().state == 'ok', r:status().message)
	-- a reader whose accounting starts before the traffic below
	local rt = leco.open{pin = pin, raw = true, max_lines = 1}
	check('live: top() starts the accounting', type(rt:top()) == 'table')

	-- known traffic: client sends 3000 bytes, server answers 7000, on 127.0.0.1
	local py = [[
import socket, threading, os, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
def serve():
    c, _ = srv.accept(); n = 0
    while n < 3000:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    c.sendall(b"y" * 7000); c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.create_connection(("127.0.0.1", port)); cl.sendall(b"x" * 3000)
got = 0
while got < 7000:
    b = cl.recv(65536)
    if not b: break
    got += len(b)
cl.close(); t.join()
s = socket.socket(); s.bind(("127.0.0.1", 0)); closed = s.getsockname()[1]; s.close()
try:
    socket.create_connection(("127.0.0.1", closed), timeout=2)
except ConnectionRefusedError:
    pass
print(port, os.getpid(), got, closed)
]]
	local f = io.popen("env -u LD_PRELOAD python3 -c '" .. py .. "'")
	local out = f:read('a')
	f:close()
	local port, pypid, got, closed = out:match('(%d+) (%d+) (%d+) (%d+)')
	port, pypid, closed = tonumber(port), tonumber(pypid), tonumber(closed)
	check('live: traffic made', port and tonumber(got) == 7000, out)
	local cl, sv, rf
	for _ = 1, 100 do
		lines = r:lines() or {}
		for _, l in ipairs(lines) do
			if l.rport == port and l.laddr == '127.0.0.1' then cl = l end
			if l.lport == port and l.raddr == '127.0.0.1' then sv = l end
			if l.rport == closed and l.pid == pypid then rf = l end
		end
		if cl and sv and rf then break end
		sleep(0.05)
	end
	check('live: client connection in lines()', cl ~= nil)
	check('live: server side in lines()', sv ~= nil)
	if cl then
		check('live: client proto/family/dir', cl.proto == 'tcp' and cl.family == 4 and cl.dir == 'out',
			('%s %s %s'):format(cl.proto, cl.family, cl.dir))
		check('live: client bytes tx 3000 rx 7000', cl.tx == 3000 and cl.rx == 7000,
			('tx %s rx %s'):format(cl.tx, cl.rx))
		check('live: client pid/comm/user', cl.pid == pypid and has(cl.comm, 'python') and cl.uid == 0 and
			cl.user == 'root', ('%s %s %s %s'):format(cl.pid, cl.comm, cl.uid, cl.user))
		check('live: line fields typed', type(cl.text) == 'string' and cl.text == cl.raw and
			type(cl.alpha) == 'number' and cl.alpha >= 0 and cl.alpha <= 1 and type(cl.age) == 'number' and
			type(cl.new) == 'boolean' and type(cl.state) == 'string' and type(cl.first_seen) == 'number' and
			type(cl.last_seen) == 'number' and type(cl.rx_rate) == 'number' and cl.error == nil,
			cl.text)
		check('live: raw text has the port', has(cl.text, tostring(port)), cl.text)
	end
	if sv then
		check('live: server side is inbound', sv.dir == 'in', sv.dir)
	end
	check('live: refused attempt: state failed, error ECONNREFUSED',
		rf and rf.state == 'failed' and rf.error == 'ECONNREFUSED' and rf.dir == 'out',
		rf and ('%s %s'):format(rf.state, rf.error))
	-- the accounting: the python process sent and received exactly 10,000 bytes (3,000 + 7,000
	-- on each side of its own connection), made 3 connections, 1 failed; it has exited
	local pg, conn
	for _ = 1, 100 do
		for _, g in ipairs(rt:top{by = 'process'} or {}) do
			if g.pid == pypid then pg = g end
		end
		if pg and pg.conns_total == 3 then break end
		sleep(0.05)
	end
	check('live: top: the process group, exact bytes', pg and pg.rx == 10000 and pg.tx == 10000,
		pg and ('rx %s tx %s'):format(pg.rx, pg.tx))
	check('live: top: 3 connections, 1 failed, none open', pg and pg.conns_total == 3 and
		pg.failed == 1 and pg.conns == 0, pg and ('%s %s %s'):format(pg.conns_total, pg.failed, pg.conns))
	check('live: top: group fields', pg and pg.by == 'process' and pg.comm == 'python3' and
		pg.user == 'root' and type(pg.key) == 'string' and pg.key:find('^' .. pypid) and
		type(pg.rx_rate) == 'number' and type(pg.first_seen) == 'number', pg and pg.key)
	for _ = 1, 40 do -- exited: its pid is checked once a second
		for _, g in ipairs(rt:top{by = 'process'} or {}) do
			if g.pid == pypid then pg = g end
		end
		if pg and pg.exited then break end
		sleep(0.05)
	end
	check('live: top: the process has exited, its group stays', pg and pg.exited == true)
	for _, c in ipairs(rt:conns{poll = false}) do
		if c.rport == port and c.dir == 'out' then conn = c end
	end
	check('live: conns: the client connection, exact, exited', conn and conn.tx == 3000 and
		conn.rx == 7000 and conn.pid == pypid and conn.exited == true and conn.text == nil,
		conn and ('%s %s %s'):format(conn.tx, conn.rx, conn.exited))
	local tot = rt:top{by = 'user', poll = false}.total
	check('live: top: the total counts them too', tot and tot.rx >= 10000 and tot.tx >= 10000)
	rt:close()
	-- the second reader (rules) sees the same connection, rewritten
	local seen2
	for _ = 1, 100 do
		for _, l in ipairs(r2:lines() or {}) do
			if l.rport == port then seen2 = l end
		end
		if seen2 then break end
		sleep(0.05)
	end
	check('live: second reader sees it with its own rules',
		seen2 and has(seen2.text, 'PYTHON') and not has(seen2.raw, 'PYTHON'), seen2 and seen2.text)
	-- a config that breaks while running: lines go on with the last good rules, plus a warning
	local cfg = os.tmpname()
	local function write(text)
		local f = assert(io.open(cfg, 'w'))
		f:write(text)
		f:close()
	end
	write('[rx-proc]\npython3 = PY\n')
	local r4 = leco.open{pin = pin, config = cfg}
	local l4, w4 = r4:lines()
	check('live: config file: lines, no warning', type(l4) == 'table' and w4 == nil, w4)
	write('[rx-proc]\n(python3 = PY\n# now broken\n')
	for _ = 1, 60 do
		l4, w4 = r4:lines()
		if w4 then break end
		sleep(0.05)
	end
	check('live: broken config: lines still come, with the error as a warning',
		type(l4) == 'table' and has(w4, ':2:') and r4:status().state == 'config_error'
		and r4:status().loaded == true, w4)
	write('[rx-proc]\npython3 = PYTHON3\n')
	for _ = 1, 60 do
		l4, w4 = r4:lines()
		if not w4 then break end
		sleep(0.05)
	end
	check('live: fixed config: warning gone', type(l4) == 'table' and w4 == nil, w4)
	r4:close()
	os.remove(cfg)

	local l3 = r3:lines()
	check('live: max_lines = 1 gives one line', l3 and #l3 == 1, l3 and #l3)
	r:close()
	r2:close()
	r3:close()
end

print(('%d passed, %d failed'):format(npass, nfail))
os.exit(nfail == 0 and 0 or 1)
