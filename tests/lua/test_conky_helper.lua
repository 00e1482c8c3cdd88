-- SPDX-License-Identifier: LGPL-2.1-or-later
-- lua/leco/conky.lua outside conky: cairo and conky_window are stubs that record what the
-- helper draws, so positions, colours, shadows, the one-line error path and the text-only
-- variant are checked under every Lua version. (tests/conky runs the real conky.)
local src = os.getenv('LECO_TEST_SRC') or '.'
local helper = src .. '/lua/leco/conky.lua'

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
local function near(a, b) return math.abs(a - b) < 1e-6 end

-- cairo stubs ------------------------------------------------------------------------------------
local rec
local function reset() rec = {texts = {}, surfaces = 0, destroyed = 0, contexts = 0, freed = 0} end
reset()
CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL, CAIRO_FONT_WEIGHT_BOLD = 0, 0, 1
function cairo_xlib_surface_create() rec.surfaces = rec.surfaces + 1 return {} end
function cairo_surface_destroy() rec.destroyed = rec.destroyed + 1 end
function cairo_create() rec.contexts = rec.contexts + 1 return {} end
function cairo_destroy() rec.freed = rec.freed + 1 end
function cairo_select_font_face(_, face, _, weight) rec.face, rec.weight = face, weight end
function cairo_set_font_size(_, size) rec.size = size end
function cairo_set_source_rgba(_, r, g, b, a) rec.color = {r, g, b, a} end
function cairo_move_to(_, x, y) rec.x, rec.y = x, y end
function cairo_show_text(_, text)
	rec.texts[#rec.texts + 1] = {text = text, x = rec.x, y = rec.y, color = rec.color}
end
function cairo_rectangle(_, x, y, w, h) rec.rect = {x = x, y = y, w = w, h = h} end
function cairo_fill()
	rec.rects = rec.rects or {}
	rec.rects[#rec.rects + 1] = {x = rec.rect.x, y = rec.rect.y, w = rec.rect.w, h = rec.rect.h,
		color = rec.color}
end
function cairo_set_line_width() end
function cairo_line_to(_, x, y) rec.segments = (rec.segments or 0) + 1 end
function cairo_stroke() rec.strokes = (rec.strokes or 0) + 1 end

local nopin = '/sys/fs/bpf/leco-test-nonexistent-helper'
local window = {display = 1, drawable = 2, visual = 3, width = 800, height = 600}

-- not drawing before conky has a window --------------------------------------------------------
local M = dofile(helper)
check('module table with setup/draw/text/shutdown',
	type(M) == 'table' and type(M.setup) == 'function' and type(M.draw) == 'function' and
	type(M.text) == 'function' and type(M.shutdown) == 'function')
check('conky hook globals defined', type(conky_leco_draw) == 'function' and
	type(conky_leco_startup) == 'function' and type(conky_leco_shutdown) == 'function' and
	type(conky_leco_text) == 'function')
M.setup{pin = nopin, x = 5, y = 7, size = 10, line_height = 15, shadow = '1,2,000f',
	colors = {error = 'ff0000'}, font = 'Test Mono', bold = true}
conky_window = nil
M.draw()
check('no window: nothing drawn, no surface', rec.surfaces == 0 and #rec.texts == 0)

-- probes missing: exactly one line, with its shadow first ---------------------------------------
conky_window = window
M.draw()
local t = rec.texts
check('probes missing: one line + one shadow stamp', #t == 2, #t)
if #t == 2 then
	check('the line says what to do', t[2].text == 'leco: probes not loaded — run: sudo leco-load',
		t[2].text)
	check('line at x, y + size', t[2].x == 5 and t[2].y == 17, ('%s,%s'):format(t[2].x, t[2].y))
	check('error colour, opaque', near(t[2].color[1], 1) and near(t[2].color[2], 0) and
		near(t[2].color[4], 1))
	check('shadow first, offset 1,2, black', t[1].text == t[2].text and t[1].x == 6 and
		t[1].y == 19 and near(t[1].color[1], 0) and near(t[1].color[4], 1))
end
check('font face, weight, size', rec.face == 'Test Mono' and rec.weight == 1 and rec.size == 10)
check('surface and context destroyed every frame', rec.surfaces == 1 and rec.destroyed == 1 and
	rec.contexts == 1 and rec.freed == 1)
reset()
M.draw()
check('second frame: same single line', #rec.texts == 2 and rec.surfaces == 1 and rec.destroyed == 1)
local txt = M.text()
check('text variant: one coloured line', txt ==
	'${color ff0000}leco: probes not loaded — run: sudo leco-load${color}', txt)
M.shutdown()

-- broken rules: the error line names the place -----------------------------------------------------
M = dofile(helper)
M.setup{pin = nopin, rules = '[rx-proc]\n(broken = x\n', shadow = false}
reset()
M.draw()
check('broken config: one line, no shadow', #rec.texts == 1, #rec.texts)
check('broken config: the line says where', rec.texts[1] and has(rec.texts[1].text, ':2:') and
	rec.texts[1].text:find('^leco: ') ~= nil, rec.texts[1] and rec.texts[1].text)
M.shutdown()

-- bad options are survivable ---------------------------------------------------------------------
M = dofile(helper)
local ok = pcall(M.setup, {pin = nopin, bogus = 1, colors = {normal = 'not-a-colour'},
	shadow = 'x,y', line_height = '+4', size = 20})
check('unknown option, bad colour, bad shadow: no raise', ok)
reset()
ok = pcall(M.draw)
check('draws after bad options', ok and #rec.texts == 1, #rec.texts)
check("line_height '+4' = size + 4 (no second line to see; no raise)", ok)
M.shutdown()
M = dofile(helper)
M.setup{pin = 42} -- raises inside leco.open: caught, shown as a line
reset()
M.draw()
check('reader options that raise: shown as one line', #rec.texts >= 1 and
	has(rec.texts[#rec.texts].text, "field 'pin' must be a string"), rec.texts[1] and rec.texts[1].text)
M.shutdown()

-- widget.ini colour/shadow syntax --------------------------------------------------------------
M = dofile(helper)
M.setup{pin = nopin, shadow = '-1,-1,000c 1,1,000c 2,2,0008', colors = {error = '0f08'}}
reset()
M.draw()
check('three shadow stamps + text', #rec.texts == 4, #rec.texts)
if #rec.texts == 4 then
	check('4-digit rgba: 000c is black at 12/15', near(rec.texts[1].color[4], 12 / 15) and
		rec.texts[1].x == 9 and rec.texts[3].x == 12)
	check("4-digit rgba text colour '0f08'", near(rec.texts[4].color[2], 1) and
		near(rec.texts[4].color[4], 8 / 15))
end
M.shutdown()

-- the message is chosen by the errno the module returns, not by its wording ---------------------
do
	local real = package.loaded.leco
	local function shown(errno, msg)
		package.loaded.leco = {open = function()
			return {lines = function() return nil, msg, errno end, close = function() end}
		end}
		local H = dofile(helper)
		H.setup{shadow = false}
		reset()
		H.draw()
		H.shutdown()
		return rec.texts[1] and rec.texts[1].text
	end
	local got = shown(2, 'pin dir gone')
	check('errno 2 (ENOENT), other wording: the leco-load hint',
		got == 'leco: probes not loaded — run: sudo leco-load', got)
	got = shown(13, 'denied')
	check('errno 13 (EACCES): the group hint', got == 'leco: denied — is this user in group leco?', got)
	got = shown(71, 'probes not loaded, or so it says')
	check('errno 71 (EPROTO) whose text says "probes not loaded": no leco-load hint',
		got == 'leco: probes not loaded, or so it says', got)
	package.loaded.leco = nil
	package.preload.leco = function()
		error('version mismatch: app. needs 504.0, Lua core provides 503.0')
	end
	local H = dofile(helper)
	H.setup{shadow = false}
	reset()
	H.draw()
	H.shutdown()
	got = rec.texts[1] and rec.texts[1].text
	check('a module built for another Lua: says so', has(got, 'built for another Lua') and
		has(got, 'version mismatch'), got)
	package.preload.leco = nil
	package.loaded.leco = real
end

-- the top panel, from a reader whose top() is recorded -------------------------------------------
do
	local real = package.loaded.leco
	local asked, rate = {}, 2048
	local function groups()
		local g = {
			{by = 'unit', key = 'tmux', rx_rate = rate, tx_rate = 1024, rx = 5 * 1048576, tx = 300,
				exited = false, unattributed = false},
			{by = 'unit', key = '', rx_rate = rate / 2, tx_rate = 0, rx = 10, tx = 20, exited = true,
				unattributed = false},
		}
		g.total = {by = 'unit', key = 'total', rx_rate = 3072, tx_rate = 1024, rx = 5242890, tx = 320}
		return g
	end
	package.loaded.leco = {open = function()
		return {lines = function() return {} end, close = function() end,
			top = function(_, o) asked[#asked + 1] = o return groups() end}
	end}
	local H = dofile(helper)
	H.setup{shadow = false, size = 10, top = {x = 20, y = 300, width = 500, n = 2, by = 'unit',
		sort = 'total', colors = {exited = 0x808080}, bogus = 1}}
	for i = 1, 3 do
		reset()
		rate = 1024 * i
		H.draw()
	end
	H.shutdown()
	local o = asked[#asked]
	check('top panel: reader:top asked with the options, on the poll lines() made',
		#asked == 3 and o.poll == false and o.by == 'unit' and o.sort == 'total' and o.n == 2, o and o.by)
	local texts = {}
	for _, t in ipairs(rec.texts) do texts[#texts + 1] = t.text end
	check('top panel: title with the grouping and the totals',
		rec.texts[1] and rec.texts[1].text == 'by unit  v 3.0K/s ^ 1.0K/s  total v 5.0M ^ 320B' and
		rec.texts[1].x == 20 and rec.texts[1].y == 310, texts[1])
	check('top panel: a row per group: name, rates, totals',
		texts[2] == 'tmux' and texts[3] == 'v 3.0K ^ 1.0K' and texts[4] == '5.0M/300B' and
		texts[5] == '-' and texts[6] == 'v 1.5K ^ 0', table.concat(texts, ' | '))
	check('top panel: exited rows in their colour', rec.texts[5] and
		near(rec.texts[5].color[1], 0x80 / 255) and not near(rec.texts[2].color[1], 0x80 / 255))
	local bars = {}
	for _, r in ipairs(rec.rects or {}) do
		if r.h == 4 then bars[#bars + 1] = r end
	end
	check('top panel: rx and tx bars per row, scaled to the busiest',
		#bars == 4 and near(bars[1].w, 370) and near(bars[2].w, 370 / 3) and near(bars[3].w, 185) and
		bars[4].w == 0, #bars .. ' bars' .. (bars[3] and (', ' .. bars[3].w) or ''))
	check('top panel: a sparkline per row after three polls', (rec.strokes or 0) == 2 and
		(rec.segments or 0) == 4, ('%s strokes %s segments'):format(rec.strokes, rec.segments))
	-- no `top` table: the lines alone, as before
	asked = {}
	H = dofile(helper)
	H.setup{shadow = false}
	reset()
	H.draw()
	H.shutdown()
	check('no top table: reader:top not asked, nothing but lines', #asked == 0 and rec.rects == nil)
	package.loaded.leco = real
end

-- live: lines drawn, capped by max_lines -------------------------------------------------------
local pin = os.getenv('LECO_TEST_PIN')
if pin then
	M = dofile(helper)
	M.setup{pin = pin, max_lines = 2, shadow = false, min_alpha = 0} -- test_leco.lua made >= 2
	local n = 0
	for _ = 1, 50 do
		reset()
		M.draw()
		n = #rec.texts
		if n == 2 then break end
		os.execute('env -u LD_PRELOAD sleep 0.1')
	end
	check('live: two lines drawn (max_lines = 2)', n == 2, n)
	check('live: no message line', rec.texts[1] and not has(rec.texts[1].text, 'leco:'),
		rec.texts[1] and rec.texts[1].text)
	check('live: rows one line_height apart', n == 2 and near(rec.texts[2].y - rec.texts[1].y, 12 * 1.4))
	local tt = M.text(2)
	local _, lines = tt:gsub('\n', '')
	check('live: text(2) gives two lines', lines == 1 and has(tt, '${color '), tt)
	M.shutdown()
	-- the top panel from the real module: test_leco.lua's python process is in it
	M = dofile(helper)
	M.setup{pin = pin, shadow = false, top = {n = 50, by = 'program', sort = 'total'}}
	local found
	for _ = 1, 20 do
		reset()
		M.draw()
		for _, t in ipairs(rec.texts) do
			if t.text == 'python3' or t.text == 'test_leco.lua' then found = t.text end
		end
		if found and rec.rects then break end
		os.execute('env -u LD_PRELOAD sleep 0.1')
	end
	check('live: top panel drawn from reader:top', rec.rects ~= nil and #rec.texts > 1, #rec.texts)
	M.shutdown()
end

print(('%d passed, %d failed'):format(npass, nfail))
os.exit(nfail == 0 and 0 or 1)
