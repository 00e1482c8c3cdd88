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
		first_ever = 0xffd75f,  -- the app never talked to this endpoint before (history)
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
	-- history (leco record): a database path marks lines whose app never talked to that
	-- endpoint before with the first_ever colour and this badge (false: no badge); also
	-- what ${lua_parse leco_history_top N} reads
	history = nil,
	first_ever_badge = '\u{2605} ',
	history_every = 60,         -- seconds between reads of today's top apps
}
local known = {max_lines = true, pin_dir = true, pin = true, config = true, rules = true,
	raw = true, proc_root = true, history = true}
for k in pairs(defaults) do known[k] = true end

local st = {
	opts = nil, reader = nil, open_err = nil, next_open = 0, frame = 0,
	lines = {}, msg = nil, warn = nil, logged = nil, leco = nil,
}
-- today's top apps from the history (M.history_top)
local hist = {h = nil, next_read = 0, text = ''}

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

local function build_options(user)
	local o = {}
	for k, v in pairs(defaults) do o[k] = v end
	o.colors = {}
	for k, v in pairs(defaults.colors) do o.colors[k] = v end
	for k, v in pairs(user or {}) do
		if k == 'colors' and type(v) == 'table' then
			for ck, cv in pairs(v) do o.colors[ck] = cv end
		elseif not known[k] then
			log('unknown option "', tostring(k), '" ignored')
		else
			o[k] = v
		end
	end
	for k, v in pairs(o.colors) do o.colors[k] = parse_color(v, {1, 1, 1, 1}) end
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
		rules = o.rules, raw = o.raw, proc_root = o.proc_root, max_lines = o.max_lines,
		history = o.history})
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
	if hist.h then hist.h:close() end
	hist.h, hist.next_read = nil, 0
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
		elseif l.first_ever then c = o.colors.first_ever
		elseif l.new then c = o.colors.new
		elseif l.dir == 'in' then c = o.colors['in'] end
		local text = tostring(l[o.field] or l.text or '')
		if l.first_ever and o.first_ever_badge then text = o.first_ever_badge .. text end
		rows[#rows + 1] = {text, c, (l.alpha or 1) * o.opacity}
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

local function draw_rows(cr, o, rows)
	local cairo_move_to, cairo_show_text, cairo_set_source_rgba =
		cairo_move_to, cairo_show_text, cairo_set_source_rgba
	cairo_select_font_face(cr, o.font, CAIRO_FONT_SLANT_NORMAL,
		o.bold and CAIRO_FONT_WEIGHT_BOLD or CAIRO_FONT_WEIGHT_NORMAL)
	cairo_set_font_size(cr, o.size)
	local y = o.y + o.size
	for _, r in ipairs(rows) do
		local text, c, a = r[1], r[2], r[3]
		if a >= o.min_alpha then
			for _, s in ipairs(o.shadows) do
				local sc = s[3]
				cairo_set_source_rgba(cr, sc[1], sc[2], sc[3], sc[4] * a)
				cairo_move_to(cr, o.x + s[1], y + s[2])
				cairo_show_text(cr, text)
			end
			cairo_set_source_rgba(cr, c[1], c[2], c[3], c[4] * a)
			cairo_move_to(cr, o.x, y)
			cairo_show_text(cr, text)
		end
		y = y + o.lh
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
	local dok, derr = pcall(draw_rows, cr, st.opts or build_options(nil), rows)
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

-- history ----------------------------------------------------------------------------------------

-- Today's top apps from the history database, as conky text; read every history_every s.
function M.history_top(n)
	if not st.opts then M.startup() end
	local o = st.opts
	n = math.tointeger(tonumber(n)) or 5
	if not o.history then return 'leco: no history = \'PATH\' in the leco table' end
	if os.time() < hist.next_read then return hist.text end
	hist.next_read = os.time() + (tonumber(o.history_every) or 60)
	if not st.leco then
		local ok, mod = pcall(require, 'leco')
		if not ok then return module_error(mod) end
		st.leco = mod
	end
	local err
	if not hist.h then hist.h, err = st.leco.history(o.history) end
	local totals
	if hist.h then totals, err = hist.h:totals{since = os.time{year = os.date('*t').year,
		month = os.date('*t').month, day = os.date('*t').day, hour = 0}, by = 'app', top = n} end
	if not totals then
		if hist.h then hist.h:close() end
		hist.h = nil -- opened again next time (the file may come back)
		hist.text = 'leco: ' .. tostring(err)
		log_once(hist.text)
		return hist.text
	end
	local out = {}
	for _, t in ipairs(totals) do
		out[#out + 1] = string.format('%-20s %9s v %9s ^', t.key:sub(1, 20):gsub('%$', '$$'),
			M.size(t.rx), M.size(t.tx))
	end
	hist.text = #out > 0 and table.concat(out, '\n') or 'leco: nothing recorded today'
	return hist.text
end

-- "58B", "3.4M": the sizes of the lines
function M.size(v)
	local units, u = {'B', 'K', 'M', 'G', 'T'}, 1
	while v >= 1024 and u < #units do v, u = v / 1024, u + 1 end
	return u == 1 and string.format('%d%s', v, units[u]) or
		string.format(v < 10 and '%.1f%s' or '%.0f%s', v, units[u])
end

-- conky calls conky_<name> for lua_*_hook = '<name>' and ${lua_parse <name>}
conky_leco_startup = function() M.startup() end
conky_leco_draw = function() M.draw() end
conky_leco_shutdown = function() M.shutdown() end
conky_leco_text = function(n) return M.text(n) end
conky_leco_history_top = function(n) return M.history_top(n) end

return M
