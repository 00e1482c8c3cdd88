-- SPDX-License-Identifier: LGPL-2.1-or-later
-- The Lua history API on the database tests/history/mkdb.c writes (contents listed there).
-- usage: lua5.x history.lua DB   (LUA_CPATH finds the module)
local db = assert(arg[1], 'usage: history.lua DB')
local leco = require 'leco'
local pass, fail = 0, 0
local function check(name, cond, ...)
	if cond then pass = pass + 1 print('ok   ' .. name)
	else fail = fail + 1 io.stderr:write('FAIL ' .. name .. ' ', table.concat({...}, ' '), '\n') end
end
local function by_key(rows)
	local t = {}
	for _, r in ipairs(rows) do t[r.key] = r end
	return t
end

local h, err, errno = leco.history(db)
check('open', h, tostring(err))
check('tostring', tostring(h):match('^leco%.history %('))

-- totals, one table per row, the CLI's JSON names
local rows = assert(h:totals{since = '2h', by = 'app'})
local t = by_key(rows)
check('two apps', #rows == 2, #rows)
check('alpha bytes', t.alpha and t.alpha.rx == 1050 and t.alpha.tx == 120,
	t.alpha and t.alpha.rx, t.alpha and t.alpha.tx)
check('alpha conns', t.alpha and t.alpha.conns == 2 and t.alpha.failed == 0)
check('beta failed', t.beta and t.beta.conns == 2 and t.beta.failed == 1 and t.beta.rx == 7)
check('largest first', rows[1].key == 'alpha')
check('by field', rows[1].by == 'app')
check('first/last seen are unix seconds', rows[1].first_seen > 1.7e9 and
	rows[1].last_seen >= rows[1].first_seen)
t = by_key(assert(h:totals{since = os.time() - 7200, ['until'] = os.time() + 60, by = 'remote'}))
check('by remote', t['192.0.2.1'] and t['192.0.2.1'].rx == 1007)
check('by remote: rname where recorded', t['192.0.2.1'].rname == 'svc.example.test' and
	t['192.0.2.2'].rname == '', t['192.0.2.1'].rname)
t = by_key(assert(h:totals{since = '2h', by = 'proto'}))
check('by proto', t.udp and t.udp.rx == 50 and t.tcp and t.tcp.rx == 1007)
t = by_key(assert(h:totals{since = '2h', by = 'port'}))
check('by port', t['53'] and t['53'].tx == 20 and t['8080'] and t['8080'].failed == 1)
check('top', #assert(h:totals{since = '2h', by = 'remote', top = 1}) == 1)
check('empty range', #assert(h:totals{since = '@1', ['until'] = '@2'}) == 0)

-- new pairs
local new = assert(h:new{since = '2h'})
check('four new pairs', #new == 4, #new)
local seen = {}
for _, p in ipairs(new) do seen[p.app .. ' ' .. p.raddr .. ':' .. p.rport .. '/' .. p.proto] = p end
check('pair alpha udp', seen['alpha 192.0.2.2:53/udp'])
check('pair beta failed', seen['beta 192.0.2.3:8080/tcp'])
check('pair rname', seen['beta 192.0.2.1:443/tcp'].rname == 'svc.example.test' and
	seen['alpha 192.0.2.2:53/udp'].rname == '')
check('pair fields', new[1].first_seen > 1.7e9 and new[1].user ~= nil and new[1].exe ~= nil)
check('nothing new later', #assert(h:new{since = os.time() + 10}) == 0)

-- bad arguments raise; unknown options too
local function raises(name, f, pat)
	local ok, e = pcall(f)
	check(name, not ok and tostring(e):find(pat, 1, true), tostring(e))
end
raises('unknown option', function() h:totals{sincee = '2h'} end,
	"unknown option 'sincee'; known: since, until, by, top")
raises('bad by', function() h:totals{by = 'program'} end, "field 'by'")
raises('bad since', function() h:totals{since = 'yesterday'} end, "'yesterday' is not a time")
raises('bad top', function() h:new{top = -1} end, "field 'top'")
raises('bad type', function() h:totals{since = {}} end, "must be a number or a string")
raises('not a table', function() h:totals('2h') end, 'table expected')

-- runtime failures return nil, msg, errno
local n, m, e = leco.history('/nonexistent/leco-history.db')
check('missing file: nil, msg, errno', n == nil and m:find('no history recorded') and e == 2,
	tostring(m), tostring(e))
n, m = leco.history('/etc/passwd')
check('not a database', n == nil and m:find('not a database'), tostring(m))

-- close: idempotent, then "closed"
h:close()
h:close()
check('closed tostring', tostring(h) == 'leco.history (closed)')
raises('use after close', function() h:totals{} end, 'attempt to use a closed history')
if _VERSION == 'Lua 5.4' then
	local ok = pcall(load([[
		local leco, db = ...
		do local hh <close> = assert(leco.history(db)) end]]), leco, db)
	check('__close', ok)
end
print(pass .. ' passed, ' .. fail .. ' failed')
os.exit(fail == 0 and 0 or 1)
