-- SPDX-License-Identifier: LGPL-2.1-or-later
--[[ leco.conky: draw libleco's connection lines in conky with cairo.

In a conkyrc (conky >= 1.10 syntax):

  conky.config = {
      lua_load = '/usr/share/lua/5.3/leco/conky.lua',   -- or package.searchpath('leco.conky', package.path)
      lua_startup_hook = 'leco_startup',
      lua_draw_hook_post = 'leco_draw',
      lua_shutdown_hook = 'leco_shutdown',
      ...
  }
  leco = { x = 10, y = 30, font = 'DejaVu Sans Mono', size = 12 }   -- all optional

The `leco` table is read from the conkyrc itself (conky_config): the helper evaluates the
file once more at startup with a dummy `conky` table and takes its global `leco`. Other
ways to set options: a global `leco` table in a Lua file loaded before this one, or
require('leco.conky').setup{...}. Options: see doc/conky.md and `defaults` below.

For text-only setups: ${lua_parse leco_text [N]} returns up to N lines with ${color}s.

A second panel, `top`, draws who uses the network (reader:top{}): one row per process (or
exe, program, unit, user, remote, port, proto) with rx and tx bars, a sparkline of its recent
rates and its totals. It is on when the `leco` table has a `top` table: leco = { ..., top =
{ x = 12, y = 500, n = 6 } } (doc/conky.md lists its options).

Never prints (conky owns stdout); logs changes of state to stderr, once each.
]]

local M = {}

local luaver = _VERSION:match('%d+%.%d+')

local function log(...)
	io.stderr:write('leco.conky: ', table.concat({...}), '\n')
end

local function exists(path)
	local f = io.open(path, 'rb')
	if f then f:close() end
	return f ~= nil
end

-- In a source checkout (lua/leco/conky.lua next to lua/leco_lua.c) prefer the freshly
-- built module: $LECO_BUILD_DIR/lua/5.x/leco.so, else <checkout>/build/lua/5.x/leco.so.
-- Installed copies rely on the normal package.cpath.
do
	local src = debug.getinfo(1, 'S').source
	local here = src:match('^@(.*)/[^/]*$')
	local root = here and here:match('^(.*)/lua/leco$')
	local dirs = {}
	if os.getenv('LECO_BUILD_DIR') then dirs[#dirs + 1] = os.getenv('LECO_BUILD_DIR') end
	if root and exists(root .. '/lua/leco_lua.c') then dirs[#dirs + 1] = root .. '/build' end
	for _, b in ipairs(dirs) do
		local d = b .. '/lua/' .. luaver
		if exists(d .. '/leco.so') then
			package.cpath = d .. '/?.so;' .. package.cpath
			break
		end
	end
end

local defaults = {
	x = 10, y = 10,             -- top-left corner of the first line, pixels
	font = 'DejaVu Sans Mono',  -- cairo "toy" font family
	bold = false,
	size = 12,                  -- font size, pixels
	line_height = 1.4,          -- factor of size (1.4), pixels (integer >= 4: 18), or '+N' gap
	max_lines = nil,            -- lines to show; nil: max-lines of the config (default 40)
	opacity = 1.0,              -- multiplies every line's fade alpha
	min_alpha = 0.02,           -- lines fainter than this are not drawn (their row stays)
	colors = {                  -- 0xRRGGBB, 'rrggbb', 'rrggbbaa' or {r, g, b[, a]} (0..1)
		normal = 0xd8d8d8, new = 0xffffff, ['in'] = 0x8fc8ff,
		failed = 0xffa060, blocked = 0xff5050, error = 0xffb000,
	},
	-- outline/shadow: the text stamped at offsets first (widget.ini font-shadow syntax or
	-- a list of {dx, dy, color}); false disables it
	shadow = '-1,-1,000c 1,1,000c 2,2,0008',
	every = 1,                  -- poll the reader every N-th draw
	retry = 5,                  -- seconds between attempts to open a reader that failed
	-- reader options, passed to leco.open: pin_dir (pin is the older name), config, rules,
	-- raw, proc_root
	pin_dir = nil, config = nil, rules = nil, raw = nil, proc_root = nil,
	field = 'text',             -- which line field to draw
}
local known = {max_lines = true, pin_dir = true, pin = true, config = true, rules = true,
	raw = true, proc_root = true, top = true}
for k in pairs(defaults) do known[k] = true end

local st = {
	opts = nil, reader = nil, open_err = nil, next_open = 0, frame = 0,
	lines = {}, msg = nil, warn = nil, logged = nil, leco = nil,
	groups = nil, hist = {}, -- the top panel: last reader:top{} and each group's recent rates
}

local function log_once(msg)
	if msg ~= st.logged then
		st.logged = msg
		if msg then log(msg) end
	end
end

-- colours ----------------------------------------------------------------------------------------

local function parse_color(c, fallback)
	if type(c) == 'number' then
		return {((c >> 16) & 255) / 255, ((c >> 8) & 255) / 255, (c & 255) / 255, 1}
	elseif type(c) == 'table' then
		return {c[1] or 0, c[2] or 0, c[3] or 0, c[4] or 1}
	elseif type(c) == 'string' then
		local h = c:gsub('^#', '')
		if h:match('^%x+$') then
			if #h == 4 or #h == 3 then -- widget.ini short form: one nibble per channel
				local v = {}
				for i = 1, #h do v[i] = tonumber(h:sub(i, i), 16) / 15 end
				return {v[1], v[2], v[3], v[4] or 1}
			elseif #h == 6 or #h == 8 then
				local v = {}
				for i = 1, #h, 2 do v[#v + 1] = tonumber(h:sub(i, i + 1), 16) / 255 end
				return {v[1], v[2], v[3], v[4] or 1}
			end
		end
	end
	if fallback then return fallback end
	error('bad colour ' .. tostring(c))
end

local function parse_shadow(s)
	local out = {}
	if s == false or s == nil then return out end
	if type(s) == 'string' then
		for item in s:gmatch('%S+') do
			local x, y, c = item:match('^(-?%d+),(-?%d+),?(%x*)$')
			if not x then error('bad shadow item "' .. item .. '" (want x,y[,rgba])') end
			out[#out + 1] = {tonumber(x), tonumber(y), parse_color(c ~= '' and c or '000f')}
		end
	elseif type(s) == 'table' then
		for _, it in ipairs(s) do
			out[#out + 1] = {it[1] or 1, it[2] or 1, parse_color(it[3] or 0)}
		end
	else
		error('bad shadow (want a string or a table)')
	end
	return out
end

-- options ----------------------------------------------------------------------------------------

-- The `leco` table of the conkyrc: evaluate the file again with a dummy `conky`.
local function conkyrc_options()
	if type(conky_config) ~= 'string' then return nil end
	local env = setmetatable({conky = {}}, {__index = _G})
	local chunk = loadfile(conky_config, 't', env)
	if not chunk then return nil end
	local ok = pcall(chunk)
	if ok and type(rawget(env, 'leco')) == 'table' then return rawget(env, 'leco') end
	return nil
end

-- The top panel's options (leco.top), each optional.
local top_defaults = {
	x = nil, y = nil,           -- top-left corner; default: below the lines
	width = 560,                -- pixels
	font = nil, size = nil,     -- default: the lines' font and size
	by = 'process',             -- process, exe, program, unit, user, remote, port, proto
	sort = 'rate',              -- any reader:top sort key (doc/lua.md)
	n = 6,                      -- rows
	keep = nil,                 -- seconds a finished group stays (reader:top's keep)
	bar_height = 4,             -- pixels, each of the rx and tx bars
	history = 60,               -- polls in the sparkline (a minute at update_interval 1)
	title = true,               -- a first row: group-by and the totals of everything
	colors = {
		text = 0xd8d8d8, title = 0xffffff, exited = 0x909090,
		rx = 0x5fb3ff, tx = 0xffa050, spark = 0x9fe0a0, box = 'ffffff1c',
	},
}

-- defaults overlaid with the user's table: colours merged one by one and parsed, keys not in
-- `known` reported (under `prefix`) and ignored.
local function merge(defaults, user, known, prefix)
	local o = {}
	for k, v in pairs(defaults) do o[k] = v end
	o.colors = {}
	for k, v in pairs(defaults.colors) do o.colors[k] = v end
	for k, v in pairs(user or {}) do
		if k == 'colors' and type(v) == 'table' then
			for ck, cv in pairs(v) do o.colors[ck] = cv end
		elseif not known[k] then
			log('unknown option "', prefix, tostring(k), '" ignored')
		else
			o[k] = v
		end
	end
	for k, v in pairs(o.colors) do o.colors[k] = parse_color(v, {1, 1, 1, 1}) end
	return o
end

local top_known = {x = true, y = true, font = true, size = true, keep = true}
for k in pairs(top_defaults) do top_known[k] = true end

local function build_top(user, o)
	if type(user) ~= 'table' then
		if user ~= nil and user ~= false then log('option "top" must be a table') end
		return nil
	end
	local t = merge(top_defaults, user, top_known, 'top.')
	t.font, t.size = t.font or o.font, tonumber(t.size) or o.size
	t.x = tonumber(t.x) or o.x
	-- below the lines by default: max_lines rows (or 20) of the lines' height
	t.y = tonumber(t.y) or (o.y + (o.max_lines or 20) * o.lh + o.size)
	t.n = math.max(1, math.tointeger(t.n) or 6)
	t.history = math.max(2, math.tointeger(t.history) or 60)
	return t
end

local function build_options(user)
	local o = merge(defaults, user, known, '')
	local ok, sh = pcall(parse_shadow, o.shadow)
	if not ok then log(sh); sh = {} end
	o.shadows = sh
	local lh = o.line_height
	if type(lh) == 'string' and lh:match('^%+%d+$') then
		o.lh = o.size + tonumber(lh:sub(2))
	elseif math.type(lh) == 'integer' and lh >= 4 then
		o.lh = lh
	else
		o.lh = o.size * (tonumber(lh) or 1.4)
	end
	o.every = math.max(1, math.tointeger(o.every) or 1)
	o.top = build_top(o.top, o)
	return o
end

-- reader -----------------------------------------------------------------------------------------

-- What to tell the user, by the errno reader:lines() returns (doc/lua.md), not by its wording.
local ENOENT, EPERM, EACCES = 2, 1, 13
local function explain(msg, errno)
	if errno == ENOENT then
		return 'leco: probes not loaded — run: sudo leco-load'
	elseif errno == EACCES or errno == EPERM then
		return 'leco: ' .. msg .. ' — is this user in group leco?'
	end
	return 'leco: ' .. msg
end

-- require('leco') failed: a module built for another Lua than this conky's says "version
-- mismatch" (doc/conky.md); name both versions, as the fix is to install the other one.
local function module_error(err)
	err = tostring(err)
	if err:find('version mismatch', 1, true) then
		return 'leco: the leco module was built for another Lua than this conky\'s Lua ' ..
			luaver .. ' (install the one for Lua ' .. luaver .. '): ' .. err:gsub('\n.*', '')
	end
	return 'leco: cannot load the Lua module: ' .. err:gsub('\n.*', '')
end

local function try_open()
	if st.reader then return true end
	if os.time() < st.next_open then return false end
	st.next_open = os.time() + (tonumber(st.opts.retry) or 5)
	if not st.leco then
		local ok, mod = pcall(require, 'leco')
		if not ok then
			st.msg = module_error(mod)
			log_once(tostring(mod))
			return false
		end
		st.leco = mod
	end
	local o = st.opts
	local ok, r, err = pcall(st.leco.open, {pin_dir = o.pin_dir, pin = o.pin, config = o.config,
		rules = o.rules, raw = o.raw, proc_root = o.proc_root, max_lines = o.max_lines})
	if not ok then -- bad options: raised
		st.msg = 'leco: ' .. tostring(r)
		log_once(st.msg)
		return false
	elseif not r then
		st.msg = 'leco: ' .. tostring(err)
		log_once(st.msg)
		return false
	end
	st.reader = r
	return true
end

local function poll()
	if not try_open() then return end
	local ok, lines, msg, errno = pcall(st.reader.lines, st.reader)
	if not ok then
		st.msg = 'leco: ' .. tostring(lines)
	elseif not lines then
		st.msg = explain(tostring(msg), errno)
		log_once(tostring(msg))
	else
		st.lines, st.msg, st.warn = lines, nil, msg and ('leco: ' .. msg) or nil
		log_once(st.warn)
		if st.opts.top then M.poll_top() end
	end
end

-- The top panel's groups from the poll lines() just made, and each one's rate history.
function M.poll_top()
	local t = st.opts.top
	local ok, groups, msg = pcall(st.reader.top, st.reader,
		{poll = false, by = t.by, sort = t.sort, n = t.n, keep = t.keep})
	if not ok or not groups then
		st.groups = nil
		log_once(tostring(ok and msg or groups))
		return
	end
	st.groups = groups
	local seen = {}
	for _, g in ipairs(groups) do
		local h = st.hist[g.key] or {}
		h[#h + 1] = g.rx_rate + g.tx_rate
		if #h > t.history then table.remove(h, 1) end
		st.hist[g.key], seen[g.key] = h, true
	end
	for k, h in pairs(st.hist) do -- a group off the panel fades out of its history
		if not seen[k] then
			h[#h + 1] = 0
			if #h > t.history then table.remove(h, 1) end
			if #h == t.history and math.max(table.unpack(h)) == 0 then
				st.hist[k] = nil
			end
		end
	end
end

-- public -----------------------------------------------------------------------------------------

function M.setup(user)
	st.opts = build_options(user)
	return M
end

function M.startup()
	if not st.opts then
		M.setup(rawget(_G, 'leco') ~= nil and type(leco) == 'table' and leco or conkyrc_options())
	end
	try_open() -- the reader lives from here to M.shutdown(); draws before this open it too
end

function M.shutdown()
	if st.reader then st.reader:close() end
	st.reader, st.lines = nil, {}
end

-- The lines to show now: {text, color, alpha}; one message line when something is wrong.
function M.rows()
	if not st.opts then M.startup() end
	local o = st.opts
	st.frame = st.frame + 1
	if st.frame % o.every == 1 or o.every == 1 or not st.reader then poll() end
	local rows = {}
	if st.msg then
		rows[1] = {st.msg, o.colors.error, 1}
		return rows
	end
	if st.warn then rows[1] = {st.warn, o.colors.error, 1} end
	for _, l in ipairs(st.lines) do
		if o.max_lines and #rows >= o.max_lines then break end
		local c = o.colors.normal
		if l.state == 'failed' then c = o.colors.failed
		elseif l.state == 'blocked' then c = o.colors.blocked
		elseif l.new then c = o.colors.new
		elseif l.dir == 'in' then c = o.colors['in'] end
		rows[#rows + 1] = {tostring(l[o.field] or l.text or ''), c, (l.alpha or 1) * o.opacity}
	end
	return rows
end

local cairo_loaded = false
local function load_cairo()
	if cairo_loaded then return end
	cairo_loaded = true
	pcall(require, 'cairo')      -- conky-all: global cairo_* functions
	pcall(require, 'cairo_xlib') -- newer conky: cairo_xlib_surface_create lives here
end

-- Text at (x, y) in colour c with opacity a, over the outline (o.shadows).
local function stamp(cr, o, x, y, text, c, a)
	for _, s in ipairs(o.shadows) do
		local sc = s[3]
		cairo_set_source_rgba(cr, sc[1], sc[2], sc[3], sc[4] * a)
		cairo_move_to(cr, x + s[1], y + s[2])
		cairo_show_text(cr, text)
	end
	cairo_set_source_rgba(cr, c[1], c[2], c[3], c[4] * a)
	cairo_move_to(cr, x, y)
	cairo_show_text(cr, text)
end

local function draw_rows(cr, o, rows)
	cairo_select_font_face(cr, o.font, CAIRO_FONT_SLANT_NORMAL,
		o.bold and CAIRO_FONT_WEIGHT_BOLD or CAIRO_FONT_WEIGHT_NORMAL)
	cairo_set_font_size(cr, o.size)
	local y = o.y + o.size
	for _, r in ipairs(rows) do
		if r[3] >= o.min_alpha then stamp(cr, o, o.x, y, r[1], r[2], r[3]) end
		y = y + o.lh
	end
end

-- top panel ---------------------------------------------------------------------------------------

-- Bytes as the lines show them: 512B, 1.5K, 23M (1024-based).
local function size(v)
	local u = 1
	local units = {'B', 'K', 'M', 'G', 'T'}
	if v < 0.5 then return '0' end
	while v >= 1000 and u < #units do v, u = v / 1024, u + 1 end
	return string.format((u > 1 and v < 9.95) and '%.1f%s' or '%.0f%s', v, units[u])
end

local function fill(cr, c, x, y, w, h)
	cairo_set_source_rgba(cr, c[1], c[2], c[3], c[4])
	cairo_rectangle(cr, x, y, w, h)
	cairo_fill(cr)
end

-- The sparkline of `h` (rates, oldest first) in the box at (x, y, w, h), scaled to its peak.
local function sparkline(cr, t, hist, x, y, w, bh)
	fill(cr, t.colors.box, x, y, w, bh)
	if not hist or #hist < 2 then return end
	local peak = math.max(1024, table.unpack(hist))
	local c = t.colors.spark
	cairo_set_source_rgba(cr, c[1], c[2], c[3], c[4])
	cairo_set_line_width(cr, 1.2)
	for i, v in ipairs(hist) do
		local px = x + w - (#hist - i) * w / (t.history - 1)
		local py = y + bh - 1 - v / peak * (bh - 2)
		if i == 1 then cairo_move_to(cr, px, py) else cairo_line_to(cr, px, py) end
	end
	cairo_stroke(cr)
end

-- What a row is called: the program and pid for processes, else the group's key.
local function top_name(g)
	if g.unattributed then return '(unattributed)' end
	if g.by == 'process' then return string.format('%s %d', g.cmd, g.pid) end
	if g.key == '' then return '-' end
	return g.key
end

local function draw_top(cr, o, t, groups)
	cairo_select_font_face(cr, t.font, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
	cairo_set_font_size(cr, t.size)
	local x, y, w = t.x, t.y, t.width
	local cw = t.size * 0.6 -- a monospace cell, near enough for any font
	local tot = groups.total
	if t.title and tot then
		stamp(cr, o, x, y + t.size, string.format('by %s  v %s/s ^ %s/s  total v %s ^ %s',
			t.by, size(tot.rx_rate), size(tot.tx_rate), size(tot.rx), size(tot.tx)),
			t.colors.title, 1)
		y = y + t.size * 1.5
	end
	local peak = 1024
	for _, g in ipairs(groups) do peak = math.max(peak, g.rx_rate, g.tx_rate) end
	local rowh, bar_w = t.size + 2 * t.bar_height + 6, w * 0.74
	for _, g in ipairs(groups) do
		local c = g.exited and t.colors.exited or t.colors.text
		local name = top_name(g)
		local room = math.floor(w * 0.36 / cw) - 1
		if #name > room then name = name:sub(1, math.max(1, room - 1)) .. '+' end
		stamp(cr, o, x, y + t.size, name, c, 1)
		stamp(cr, o, x + w * 0.36, y + t.size,
			string.format('v %s ^ %s', size(g.rx_rate), size(g.tx_rate)), c, 1)
		stamp(cr, o, x + w * 0.58, y + t.size, size(g.rx) .. '/' .. size(g.tx), c, 1)
		local by = y + t.size + 3
		fill(cr, t.colors.box, x, by, bar_w, 2 * t.bar_height + 1)
		local function bar(rate) return math.max(rate > 0 and 1 or 0, bar_w * rate / peak) end
		fill(cr, t.colors.rx, x, by, bar(g.rx_rate), t.bar_height)
		fill(cr, t.colors.tx, x, by + t.bar_height + 1, bar(g.tx_rate), t.bar_height)
		sparkline(cr, t, st.hist[g.key], x + w * 0.78, y + 2, w * 0.22, rowh - 4)
		y = y + rowh
	end
end

function M.draw()
	if conky_window == nil then return end
	load_cairo()
	if not cairo_xlib_surface_create then
		log_once('no cairo in this conky (install conky-all)')
		return
	end
	local ok, rows = pcall(M.rows)
	if not ok then
		rows = {{'leco: ' .. tostring(rows), parse_color(defaults.colors.error), 1}}
		log_once(rows[1][1])
	end
	local cs = cairo_xlib_surface_create(conky_window.display, conky_window.drawable,
		conky_window.visual, conky_window.width, conky_window.height)
	local cr = cairo_create(cs)
	local o = st.opts or build_options(nil)
	local dok, derr = pcall(draw_rows, cr, o, rows)
	if dok and o.top and st.groups and not st.msg then
		dok, derr = pcall(draw_top, cr, o, o.top, st.groups)
	end
	cairo_destroy(cr)
	cairo_surface_destroy(cs)
	if not dok then log_once(tostring(derr)) end
end

-- ${lua_parse leco_text [N]}: lines for conky's own text, coloured per state.
function M.text(n)
	local ok, rows = pcall(M.rows)
	if not ok then return 'leco: ' .. tostring(rows) end
	n = tonumber(n) or #rows
	local out = {}
	for i = 1, math.min(n, #rows) do
		local r = rows[i]
		local a = math.max(0, math.min(1, r[3]))
		-- conky's text has no alpha: fade the colour toward black instead
		local col = string.format('%02x%02x%02x', math.floor(r[2][1] * 255 * a + 0.5),
			math.floor(r[2][2] * 255 * a + 0.5), math.floor(r[2][3] * 255 * a + 0.5))
		out[#out + 1] = '${color ' .. col .. '}' .. r[1]:gsub('%$', '$$') .. '${color}'
	end
	return table.concat(out, '\n')
end

-- conky calls conky_<name> for lua_*_hook = '<name>' and ${lua_parse <name>}
conky_leco_startup = function() M.startup() end
conky_leco_draw = function() M.draw() end
conky_leco_shutdown = function() M.shutdown() end
conky_leco_text = function(n) return M.text(n) end

return M
