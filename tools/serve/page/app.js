// SPDX-License-Identifier: LGPL-2.1-or-later
// The leco serve page: plain JavaScript, Chart.js from Debian's libjs-chart.js (/chart.js),
// live updates from /api/events (server-sent events). Field names are those of the JSON API.
'use strict';

const $ = (sel) => document.querySelector(sel);
const SPARK = 60, LIVE = 300, LIVE_SERIES = 8;
const STEPS = {'1h': '5m', '24h': '1h', '7d': '6h', '30d': '1d', '1y': '4w'};
const COLORS = ['#1565c0', '#ef6c00', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#9e9d24',
	'#5d4037', '#455a64', '#ad1457'];
const spark = {process: new Map(), unit: new Map()};
let liveChart = null, historyChart = null, since = '24h', lastT = 0, historyOn = false;

function fmtBytes(n) {
	const u = ['B', 'K', 'M', 'G', 'T'];
	let i = 0;
	n = Number(n) || 0;
	while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
	return (i && n < 10 ? n.toFixed(1) : Math.round(n)) + u[i];
}
const fmtRate = (n) => (n > 0 ? fmtBytes(n) + '/s' : '');
function fmtWhen(t) {
	if (!t) return '';
	const d = Date.now() / 1000 - t;
	if (d < 60) return Math.max(0, Math.round(d)) + 's ago';
	if (d < 3600) return Math.round(d / 60) + 'm ago';
	if (d < 86400) return Math.round(d / 3600) + 'h ago';
	return new Date(t * 1000).toISOString().slice(0, 10);
}
function td(text, cls) {
	const e = document.createElement('td');
	e.textContent = text === undefined || text === null ? '' : String(text);
	if (cls) e.className = cls;
	e.title = e.textContent;
	return e;
}
function endpoint(addr, port) {
	if (!addr) return '';
	return (addr.includes(':') && addr[0] !== '[' ? '[' + addr + ']' : addr) + (port ? ':' + port : '');
}
// an address with the name a program here resolved it from (rname), when there is one
function named(addr, rname) {
	return rname ? rname + ' (' + addr + ')' : addr;
}
function fill(tbody, rows) {
	tbody.replaceChildren(...rows);
}
function showError(text) {
	const e = $('#error');
	e.hidden = !text;
	e.textContent = text || '';
}

function renderStatus(st) {
	const b = $('#state');
	b.textContent = st.loaded ? (st.state === 'ok' ? 'probes loaded' : 'config error')
		: st.state.replace('_', ' ');
	b.className = 'badge ' + (st.state === 'ok' ? 'ok' : st.loaded ? 'warn' : 'bad');
	showError(st.message ? (st.state === 'config_error' ? 'Config error: ' : '') + st.message : '');
	$('#summary').textContent = st.loaded ? `${st.conns} of ${st.conns_max} table entries` : '';
	const rows = [['state', st.state], ['leco-load', st.version], ['layout', st.layout_version],
		['libleco', st.library_version], ['pin dir', st.pin_dir], ['table', `${st.conns} of ${st.conns_max}`],
		['events', st.events], ['records new', st.conns_new], ['update fails', st.update_fail],
		['lost', st.lost], ['unattributed', st.unattributed], ['blocked', st.blocked],
		['execs', st.execs]];
	fill($('#health tbody'), rows.map(([k, v]) => {
		const tr = document.createElement('tr');
		tr.append(td(k), td(v, typeof v === 'number' ? 'n' : ''));
		return tr;
	}));
}

function renderConns(conns, count) {
	$('#conns-count').textContent = conns.length < count ? `${conns.length} of ${count}, open and most recent first` : `${count}`;
	fill($('#conns tbody'), conns.map((c) => {
		const tr = document.createElement('tr');
		tr.className = c.state + (lastT && c.first_seen >= lastT - 2 ? ' fresh' : '');
		tr.dataset.cookie = c.cookie;
		// first_ever (with --db): the app never talked to this endpoint before
		const cmd = td(c.cmd);
		if (c.first_ever) {
			cmd.prepend(Object.assign(document.createElement('span'), {className: 'first-ever',
				title: 'the first time this app talks to this endpoint', textContent: '\u2605 '}));
		}
		tr.append(td(c.state + (c.err ? ' ' + c.err : '')), td(c.proto), cmd,
			td(c.pid || ''), td(c.user), td(c.unit), td(c.dir), td(named(endpoint(c.raddr, c.rport), c.rname)),
			td(endpoint(c.laddr, c.lport)), td(fmtBytes(c.rx), 'n'), td(fmtBytes(c.tx), 'n'),
			td(fmtRate(c.rx_rate), 'n'), td(fmtRate(c.tx_rate), 'n'), td(fmtWhen(c.last_seen)));
		return tr;
	}));
}

function drawSpark(canvas, values) {
	const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
	const max = Math.max(1, ...values);
	ctx.clearRect(0, 0, w, h);
	ctx.strokeStyle = COLORS[0];
	ctx.lineWidth = 1.5;
	ctx.beginPath();
	values.forEach((v, i) => {
		const x = w - (values.length - 1 - i) * (w / (SPARK - 1)), y = h - 1 - (v / max) * (h - 3);
		i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
	});
	ctx.stroke();
}

function renderTop(by, groups) {
	const hist = spark[by], seen = new Set();
	const rows = groups.map((g) => {
		const k = g.key;
		seen.add(k);
		const v = hist.get(k) || [];
		v.push((g.rx_rate || 0) + (g.tx_rate || 0));
		if (v.length > SPARK) v.shift();
		hist.set(k, v);
		const tr = document.createElement('tr');
		const name = by === 'process' ? (g.cmd || g.key) : (g.key || '(none)');
		tr.append(td(name));
		if (by === 'process') tr.append(td(g.pid || ''), td(g.user));
		tr.append(td(g.conns, 'n'), td(fmtRate(g.rx_rate), 'n'), td(fmtRate(g.tx_rate), 'n'),
			td(fmtBytes(g.rx), 'n'), td(fmtBytes(g.tx), 'n'));
		const cell = document.createElement('td'), c = document.createElement('canvas');
		c.className = 'spark';
		c.width = 120;
		c.height = 22;
		cell.append(c);
		tr.append(cell);
		drawSpark(c, v);
		return tr;
	});
	for (const k of hist.keys()) if (!seen.has(k)) hist.delete(k);
	fill($('#top-' + by + ' tbody'), rows);
}

function chartOptions(stacked, timeLabels) {
	return {
		animation: false, responsive: true, maintainAspectRatio: false, normalized: true,
		interaction: {mode: 'nearest', intersect: false},
		plugins: {legend: {position: 'right'}},
		scales: {
			x: {stacked, ticks: {maxTicksLimit: 8, autoSkip: true}},
			y: {stacked, beginAtZero: true, ticks: {callback: (v) => fmtBytes(v) + (timeLabels ? '/s' : '')}},
		},
	};
}

// The live chart: rx+tx rate per program (process groups summed by program), stacked.
const live = {labels: [], series: new Map()};
function updateLive(t, groups) {
	const now = new Map();
	for (const g of groups) {
		const k = g.cmd || g.key;
		now.set(k, (now.get(k) || 0) + (g.rx_rate || 0) + (g.tx_rate || 0));
	}
	live.labels.push(new Date(t * 1000).toLocaleTimeString());
	for (const [k] of now) if (!live.series.has(k)) live.series.set(k, new Array(live.labels.length - 1).fill(0));
	for (const [k, v] of live.series) {
		v.push(now.get(k) || 0);
		if (v.length > LIVE) v.shift();
	}
	if (live.labels.length > LIVE) live.labels.shift();
	for (const [k, v] of live.series) if (v.every((x) => x === 0) && live.series.size > LIVE_SERIES) live.series.delete(k);
	if (typeof Chart === 'undefined') return;
	const top = [...live.series].sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0)).slice(0, LIVE_SERIES);
	const datasets = top.map(([k, v], i) => ({label: k, data: v.slice(), fill: true, pointRadius: 0, borderWidth: 1,
		borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length] + '99'}));
	if (!liveChart) {
		liveChart = new Chart($('#live-chart'), {type: 'line', data: {labels: live.labels.slice(), datasets},
			options: chartOptions(true, true)});
	} else {
		liveChart.data.labels = live.labels.slice();
		liveChart.data.datasets = datasets;
		liveChart.update('none');
	}
}

function onUpdate(ev) {
	const d = JSON.parse(ev.data);
	renderStatus(d.status);
	renderTop('process', d.top.process);
	renderTop('unit', d.top.unit);
	renderConns(d.conns, d.conns_count);
	updateLive(d.t, d.top.process);
	if (d.history && !historyOn) {
		historyOn = true;
		$('#history-body').hidden = false;
		loadHistory();
		setInterval(loadHistory, 60000);
	} else if (!d.history) {
		$('#history-note').textContent = 'no history database: start leco serve with --db PATH';
	}
	lastT = d.t;
	$('#updated').textContent = 'updated ' + new Date(d.t * 1000).toLocaleTimeString();
}

async function getJSON(url) {
	const r = await fetch(url, {credentials: 'same-origin', cache: 'no-store'});
	const body = await r.json().catch(() => ({error: r.statusText}));
	if (!r.ok) throw Object.assign(new Error(body.error || r.statusText), {status: r.status});
	return body;
}

// History: rx+tx per app; with time buckets (rows with t) a stacked chart over time, else one
// bar per app. Click an app for its endpoints.
async function loadHistory() {
	let rows;
	try {
		rows = await getJSON(`/api/history?since=${since}&by=app&n=10&step=${STEPS[since]}`);
	} catch (e) {
		$('#history-note').textContent = e.message;
		return;
	}
	$('#history-note').textContent = `since ${since}`;
	const apps = [...new Set(rows.map((r) => r.key))];
	const times = [...new Set(rows.filter((r) => r.t).map((r) => r.t))].sort((a, b) => a - b);
	let labels, datasets;
	if (times.length) {
		labels = times.map((t) => new Date(t * 1000).toLocaleString());
		datasets = apps.slice(0, 10).map((a, i) => ({label: a, backgroundColor: COLORS[i % COLORS.length],
			data: times.map((t) => rows.filter((r) => r.key === a && r.t === t).reduce((s, r) => s + r.rx + r.tx, 0))}));
	} else {
		labels = apps;
		datasets = [{label: 'received', backgroundColor: COLORS[0], data: rows.map((r) => r.rx)},
			{label: 'sent', backgroundColor: COLORS[1], data: rows.map((r) => r.tx)}];
	}
	if (typeof Chart === 'undefined') return;
	if (historyChart) historyChart.destroy();
	const opts = chartOptions(true, false);
	opts.onClick = (e, els) => {
		if (!els.length) return;
		const app = times.length ? datasets[els[0].datasetIndex].label : labels[els[0].index];
		loadEndpoints(app);
	};
	historyChart = new Chart($('#history-chart'), {type: 'bar', data: {labels, datasets}, options: opts});
	loadNew();
}

// An app's endpoints: every (app, endpoint) pair the history has for it.
async function loadEndpoints(app) {
	const rows = await getJSON(`/api/new?since=@0&app=${encodeURIComponent(app)}`).catch(() => []);
	$('#endpoints').hidden = false;
	$('#endpoints-app').textContent = app;
	fill($('#endpoints tbody'), rows.map((r) => {
		const tr = document.createElement('tr');
		tr.append(td(named(r.raddr, r.rname)), td(r.rport), td(r.proto), td(fmtWhen(r.first_seen)),
			td(fmtWhen(r.last_seen)));
		return tr;
	}));
}

async function loadNew() {
	const rows = await getJSON(`/api/new?since=${since}`).catch(() => []);
	fill($('#new tbody'), rows.map((r) => {
		const tr = document.createElement('tr');
		tr.append(td(r.app), td(named(r.raddr, r.rname)), td(r.rport), td(r.proto), td(fmtWhen(r.first_seen)));
		return tr;
	}));
}

function start() {
	if (typeof Chart === 'undefined') $('#live h2 small').textContent = 'charts need libjs-chart.js';
	for (const b of document.querySelectorAll('#ranges button')) {
		b.addEventListener('click', () => {
			document.querySelectorAll('#ranges button').forEach((x) => x.classList.toggle('on', x === b));
			since = b.dataset.since;
			if (historyOn) loadHistory();
		});
	}
	getJSON('/api/status').then(renderStatus).catch((e) => showError(e.message));
	const es = new EventSource('/api/events');
	es.addEventListener('update', onUpdate);
	es.onerror = () => {
		$('#state').textContent = 'reconnecting…';
		$('#state').className = 'badge warn';
	};
}
document.addEventListener('DOMContentLoaded', start);
