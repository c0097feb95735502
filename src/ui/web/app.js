// Stackyard's web UI. All state is in the URL's query string (see KEYS),
// so a copied link opens the same view; every change of state goes
// through go(), which rewrites the URL and renders again.
import { api, queryUrl } from './api.js';
import { FlameGraph } from './flame.js';
import { TimeChart } from './chart.js';
import { TopTable, topColumns, diffColumns } from './table.js';
import { Autocomplete } from './autocomplete.js';
import { WhatChanged, LISTS, pathKey } from './regress.js';
import { el, fmtValue, fmtTime, fmtAgo, splitType, download } from './util.js';

// URL keys and their defaults. page: explore | compare | targets;
// view (explore): flame | table | both | sandwich; q: label matchers;
// at: one profile's time (ms); l*/r*: the comparison's baseline and
// comparison sides (selector matchers, range); threshold (points of the
// total), confidence, wc (the "what changed" list), flagged ("1": hide
// its noise rows) and path (a call path highlighted in the diff, frames
// joined by ";"): its regression test; zoom: the zoomed frame of the
// flame graph (explore) or diff flame graph (compare) as the frames from
// the root down to it, joined by ";" (kept while the data changes, dropped
// when the new data has no such frame).
const KEYS = {
  page: 'explore', view: 'flame', type: '', q: '{}', from: 'now-1h', until: 'now',
  search: '', fn: '', at: '', max_nodes: '16384',
  lq: '', lfrom: '', luntil: '', rq: '', rfrom: '', runtil: '',
  threshold: '1', confidence: '0.99', wc: 'functions', flagged: '', path: '', zoom: '',
};
const REGRESS_ROWS = 100; // rows per list of the "what changed" panel
const PAGES = ['explore', 'compare', 'targets'];
const VIEWS = ['flame', 'table', 'both', 'sandwich'];
const PREFERRED_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const RANGES = [['now-5m', '5 minutes'], ['now-15m', '15 minutes'], ['now-1h', '1 hour'],
  ['now-6h', '6 hours'], ['now-24h', '24 hours'], ['now-7d', '7 days'], ['now-30d', '30 days']];

let state = readState();
let types = [];
let inflight = null;
let regressInflight = null;
let regressSeq = 0; // only the latest regress answer is shown
const $ = (id) => document.getElementById(id);
const ui = {};

function readState() {
  const p = new URLSearchParams(location.search);
  const s = {};
  for (const [k, d] of Object.entries(KEYS)) s[k] = p.get(k) ?? d;
  if (!PAGES.includes(s.page)) s.page = KEYS.page;
  if (!VIEWS.includes(s.view)) s.view = KEYS.view;
  if (!LISTS.includes(s.wc)) s.wc = KEYS.wc;
  return s;
}

function writeUrl(push) {
  const p = new URLSearchParams();
  for (const [k, d] of Object.entries(KEYS)) if (state[k] !== d && state[k] !== '') p.set(k, state[k]);
  const url = `${location.pathname}${p.toString() ? `?${p}` : ''}`;
  if (url !== location.pathname + location.search) history[push ? 'pushState' : 'replaceState'](null, '', url);
}

// Change state, record it in the URL (a new history entry unless
// replace), and render. render: 'all' reloads data; 'none' only the URL.
function go(changes, { replace = false, render = 'all' } = {}) {
  Object.assign(state, changes);
  writeUrl(!replace);
  if (render === 'all') load();
}

// A time as the server reads it ("now-1h", "now", Unix s/ms/us/ns, RFC
// 3339) -> Unix ms, for the chart and the comparison's defaults.
function toMs(s, now = Date.now()) {
  if (!s || s === 'now') return now;
  const m = /^now([+-])(\d+)(ms|s|m|h|d|w)$/.exec(s);
  if (m) {
    const mult = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[m[3]];
    return now + (m[1] === '-' ? -1 : 1) * Number(m[2]) * mult;
  }
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return s.length <= 10 ? n * 1e3 : s.length <= 13 ? n : s.length <= 16 ? n / 1e3 : n / 1e6;
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? now : t;
}

const selector = (q) => `${state.type}${q && q.trim() ? q.trim() : '{}'}`;
const unit = () => splitType(state.type).unit;

// ---- status: loading, empty, error ------------------------------------

function setStatus(kind, msg, extra) {
  document.body.dataset.state = kind;
  const box = $('status');
  box.className = `status ${kind}`;
  box.hidden = kind === 'ready';
  box.replaceChildren(el('p', { text: msg }), extra || '');
}

// ---- the controls bar ---------------------------------------------------

function renderControls() {
  const sel = $('type');
  sel.replaceChildren(...types.map((t) => el('option', { value: t, text: t, selected: t === state.type })));
  sel.disabled = !types.length;
  $('query').value = state.q === '{}' ? '' : state.q;
  const range = $('range');
  const known = RANGES.some(([v]) => v === state.from) && state.until === 'now';
  range.replaceChildren(...RANGES.map(([v, label]) => el('option', { value: v, text: `Last ${label}`, selected: known && v === state.from })),
    known ? '' : el('option', { value: '', selected: true, text: `${fmtTime(toMs(state.from))} to ${fmtTime(toMs(state.until))}` }));
  for (const b of document.querySelectorAll('[data-page]')) b.setAttribute('aria-current', b.dataset.page === state.page ? 'page' : 'false');
  for (const b of document.querySelectorAll('.views [data-view]')) b.setAttribute('aria-pressed', String(b.dataset.view === state.view));
  $('search').value = state.search;
  $('diff-search').value = state.search;
}

function bindControls() {
  $('type').addEventListener('change', (e) => go({ type: e.target.value, fn: '', at: '' }));
  $('range').addEventListener('change', (e) => e.target.value && go({ from: e.target.value, until: 'now', at: '', lfrom: '', luntil: '', rfrom: '', runtil: '' }));
  $('refresh').addEventListener('click', () => load());
  $('query-form').addEventListener('submit', (e) => {
    e.preventDefault();
    ui.complete.close();
    go({ q: $('query').value.trim() || '{}', at: '' });
  });
  // label names and values of the chosen type and range, for every selector input
  const labels = {
    names: () => api.labelNames(selector('{}'), state.from, state.until).then((r) => r.names.filter((n) => !n.startsWith('__'))),
    values: (name) => api.labelValues(name, selector('{}'), state.from, state.until).then((r) => r.values),
  };
  ui.complete = new Autocomplete($('query'), labels);
  for (const id of ['lq', 'rq']) new Autocomplete($(id), labels);
  for (const b of document.querySelectorAll('[data-page]'))
    b.addEventListener('click', (e) => { e.preventDefault(); go({ page: b.dataset.page }); });
  for (const b of document.querySelectorAll('.views [data-view]'))
    b.addEventListener('click', () => go({ view: b.dataset.view }));
  for (const id of ['search', 'diff-search']) {
    $(id).addEventListener('input', (e) => {
      state.search = e.target.value;
      state.path = '';
      writeUrl(false);
      applySearch();
    });
  }
  for (const id of ['reset-zoom', 'diff-reset-zoom'])
    $(id).addEventListener('click', () => { for (const f of flames()) f.reset(); });
  for (const id of ['export-png', 'diff-export-png']) {
    $(id).addEventListener('click', async () => {
      const f = state.page === 'compare' ? ui.diffFlame : state.view === 'sandwich' ? ui.callees : ui.flame;
      if (f) download('flamegraph.png', await f.toPNG());
    });
  }
  $('single-back').addEventListener('click', () => go({ at: '' }));
  document.addEventListener('keydown', onKey);
  window.addEventListener('popstate', () => { state = readState(); load(); });
}

// Keyboard: "/" focuses the search, "f" the flame graph, Escape resets
// the zoom (inside the flame graph, arrows move and Enter zooms).
function onKey(e) {
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
  const search = $(state.page === 'compare' ? 'diff-search' : 'search');
  const main = state.page === 'compare' ? ui.diffFlame : ui.flame || ui.callees;
  if (e.key === '/' && !typing) { e.preventDefault(); search.focus(); search.select(); }
  else if (e.key === 'f' && !typing && main) { e.preventDefault(); main.canvas.focus(); }
  else if (e.key === 'Escape' && !typing && e.target.tagName !== 'CANVAS') { for (const f of flames()) f.reset(); }
  else if (e.key === 'Escape' && e.target === search) { e.target.blur(); }
}

function flames() {
  return [ui.flame, ui.callers, ui.callees, ui.diffFlame].filter(Boolean);
}

// The search (or, in the comparison, a highlighted call path) on every
// flame graph, and what it matched.
function applySearch() {
  let res = null;
  for (const f of flames()) {
    const r = f === ui.diffFlame && state.path ? f.setPath(state.path.split(';')) : f.setSearch(state.search);
    if (f === ui.flame || f === ui.diffFlame) res = r;
  }
  if (state.page === 'compare') { describeDiffHighlight(res); return; }
  const out = $('search-result');
  if (!state.search || !res) { out.textContent = ''; return; }
  out.textContent = res.count
    ? `${res.count} frames match, ${(100 * res.share).toFixed(2)}% of the total`
    : 'no frame matches';
}

// In the comparison a highlight has a share on each side.
function describeDiffHighlight(res) {
  const out = $('diff-search-result');
  ui.whatChanged?.select(state.path || state.search);
  const picked = state.path ? null : state.search;
  if (ui.diffTable && ui.diffTable.selected !== picked) { ui.diffTable.selected = picked; ui.diffTable.render(); }
  if ((!state.search && !state.path) || !res) { out.textContent = ''; return; }
  const sides = `baseline ${(100 * res.leftShare).toFixed(2)}% → comparison ${(100 * res.rightShare).toFixed(2)}% of the total`;
  if (state.path) {
    const leaf = state.path.slice(state.path.lastIndexOf(';') + 1);
    out.textContent = res.found ? `Call path to ${leaf}: ${sides}` : `The call path to ${leaf} is not in the flame graph (merged into a larger frame).`;
  } else {
    out.textContent = res.count ? `${res.count} frames match: ${sides}` : 'no frame matches';
  }
}

// ---- loading ------------------------------------------------------------

async function load() {
  if (inflight) inflight.abort();
  const ctl = new AbortController();
  inflight = ctl;
  renderControls();
  for (const p of PAGES) $(`page-${p}`).hidden = p !== state.page;
  $('controls').hidden = state.page === 'targets';
  setStatus('loading', 'Loading…');
  try {
    if (state.page === 'targets') { await loadTargets(); return; }
    if (!(await loadTypes())) return;
    renderControls();
    if (state.page === 'compare') await loadCompare(ctl.signal);
    else await loadExplore(ctl.signal);
  } catch (e) {
    if (e.name === 'AbortError') return;
    setStatus('error', `Error: ${e.message}`, el('button', { type: 'button', onclick: () => load(), text: 'Retry' }));
    if (state.page === 'compare') ui.whatChanged.setError(e, () => load(), 'The comparison could not be loaded');
  }
}

// Profile types in range; picks one (CPU first) when the URL names none.
async function loadTypes() {
  types = (await api.profileTypes(state.from, state.until)).profile_types;
  if (!types.length) {
    const older = (await api.profileTypes('now-30d', 'now')).profile_types;
    for (const p of ['page-explore', 'page-compare']) $(p).hidden = true;
    const extra = older.length
      ? el('button', { type: 'button', onclick: () => go({ from: 'now-30d', until: 'now' }), text: 'Show the last 30 days' })
      : el('pre', { text: `curl -X POST --data-binary @cpu.pb.gz \\\n  '${location.origin}/ingest?name=myapp&format=pprof'` });
    setStatus('empty', older.length
      ? 'No profiles in this time range. There are older ones.'
      : 'No profiles yet. Push one, or start the server with a scrape --config:', extra);
    return false;
  }
  if (!types.includes(state.type)) {
    state.type = types.includes(PREFERRED_TYPE) ? PREFERRED_TYPE
      : types.find((t) => /:cpu:/.test(t)) || types[0];
    writeUrl(false);
  }
  return true;
}

function rangeParams() {
  if (state.at) return { from: state.at, until: String(Number(state.at) + 1) };
  return { from: state.from, until: state.until };
}

async function loadExplore(signal) {
  const sel = selector(state.q);
  const r = rangeParams();
  const want = { query: sel, ...r };
  const view = state.view;
  $('single-banner').hidden = !state.at;
  if (state.at) $('single-time').textContent = fmtTime(Number(state.at));
  const jobs = [
    api.range(sel, state.from, state.until, undefined, 'service_name', signal),
    api.query({ ...want, format: 'top' }, 'json', signal),
    view === 'sandwich'
      ? (state.fn ? api.query({ ...want, format: 'sandwich', function: state.fn, max_nodes: state.max_nodes }, 'json', signal) : null)
      : api.query({ ...want, format: 'flamegraph', max_nodes: state.max_nodes }, 'json', signal),
  ];
  const [range, top, graph] = await Promise.all(jobs);
  if (signal.aborted) return;
  renderChart(range);
  $('export-pprof').href = queryUrl({ ...want, format: 'pprof' });
  $('export-folded').href = queryUrl({ ...want, format: 'folded' });
  const panes = $('panes');
  panes.dataset.view = view;
  renderTable(top);
  if (view === 'sandwich') renderSandwich(graph);
  else renderFlame(graph);
  applySearch();
  if (!top.total) {
    setStatus('empty', 'The selection holds no samples in this range. Widen the range or the selector.');
    document.body.dataset.state = 'ready-empty';
    return;
  }
  setStatus('ready', '');
}

function renderChart(range) {
  const band = state.at ? [Number(state.at), Number(state.at) + (ui.chart?.step || 10000), 'rgba(194,65,12,0.25)'] : null;
  ui.chart = ui.chart || new TimeChart($('chart'), {
    onRange: (a, b) => go({ from: String(a), until: String(b), at: '' }),
    onPoint: (ms, step) => openPoint(ms, step),
  });
  ui.chart.setData(range, unit(), band);
}

// A click on the chart: find the stored profile in that step (the range
// endpoint, ever finer, down to 1 ms) and show it alone.
async function openPoint(ms, step) {
  const sel = selector(state.q);
  let from = ms, until = ms + Math.max(step, 1);
  try {
    while (until - from > 1) {
      const s = Math.max(1, Math.ceil((until - from) / 1000));
      const res = await api.range(sel, String(from), String(until), `${s}ms`);
      const sums = new Map();
      for (const ser of res.series) for (const [t, v] of ser.points) sums.set(t, (sums.get(t) || 0) + v);
      const first = [...sums.entries()].filter(([, v]) => v > 0).map(([t]) => t).sort((a, b) => a - b)[0];
      if (first === undefined) return;
      from = first;
      until = first + s;
      if (s === 1) break;
    }
    go({ at: String(from) });
  } catch (e) {
    setStatus('error', `Error: ${e.message}`);
  }
}

// A flame graph whose zoom is kept in the URL (see KEYS.zoom).
function zoomedFlame(pane, label) {
  const f = new FlameGraph(pane, { label, onZoom: (i) => {
    state.zoom = i > 0 ? pathKey(f.pathOf(i)) : '';
    writeUrl(false);
  } });
  return f;
}

// After new data: the URL's zoom again, or none if its frame is gone.
function restoreZoom(f) {
  if (state.zoom && !f.zoomToPath(state.zoom.split(';'))) {
    state.zoom = '';
    writeUrl(false);
  }
}

function renderFlame(res) {
  ui.callers = ui.callees = null;
  if (!ui.flame || !$('flame-pane').contains(ui.flame.canvas)) ui.flame = zoomedFlame($('flame-pane'), 'flame graph');
  ui.flame.setData(res.flamebearer, res.metadata);
  restoreZoom(ui.flame);
}

function renderTable(top) {
  ui.table = ui.table || new TopTable($('table-pane'), {
    onPick: (name) => {
      state.search = name;
      writeUrl(false);
      $('search').value = name;
      for (const f of flames()) f.setSearch(name, true);
      const res = (ui.flame || ui.callees)?.searchResult;
      $('search-result').textContent = res ? `${name}: ${(100 * res.share).toFixed(2)}% of the total` : '';
      if (state.view === 'sandwich') go({ fn: name });
    },
  });
  const rows = top.rows.map((r) => ({ ...r }));
  ui.table.setRows(rows, topColumns(top.total, unit(), (name) => go({ view: 'sandwich', fn: name })), 'flat');
}

function renderSandwich(res) {
  ui.flame = null;
  const pane = $('flame-pane');
  if (!res) {
    ui.callers = ui.callees = null;
    pane.replaceChildren(el('p', { class: 'hint', text: 'Pick a function in the table to see its callers (above) and callees (below).' }));
    return;
  }
  const up = el('div', { class: 'sandwich-half' }), down = el('div', { class: 'sandwich-half' });
  pane.replaceChildren(el('h3', { text: `Callers of ${res.function}` }), up,
    el('h3', { text: `Callees of ${res.function}` }), down);
  ui.callers = new FlameGraph(up, { inverted: true, firstLevel: 1, label: `callers of ${res.function}` });
  ui.callees = new FlameGraph(down, { firstLevel: 1, label: `callees of ${res.function}` });
  ui.callers.setData(res.callers.flamebearer, res.callers.metadata);
  ui.callees.setData(res.callees.flamebearer, res.callees.metadata);
  up.scrollTop = up.scrollHeight; // the function itself is at the bottom
}

// ---- comparison -------------------------------------------------------------

// The two sides: each a selector and a range. By default both use the
// page's selector, the baseline the first half of the range and the
// comparison the second.
function sides() {
  const a = toMs(state.from), b = toMs(state.until), mid = Math.round((a + b) / 2);
  return {
    left: { q: state.lq || state.q, from: state.lfrom || String(Math.round(a)), until: state.luntil || String(mid) },
    right: { q: state.rq || state.q, from: state.rfrom || String(mid), until: state.runtil || String(Math.round(b)) },
  };
}

// The two sides as /api/v1/diff and /api/v1/regress take them.
function sideParams({ left, right }) {
  return { base: selector(left.q), base_from: left.from, base_until: left.until,
    target: selector(right.q), from: right.from, until: right.until };
}

// The regression test of the two sides; resolves to {report} or {error}
// (a side with too few profiles is an answer, not a failure of the page).
function fetchRegress(signal) {
  const params = { ...sideParams(sides()), threshold: `${state.threshold}%`, confidence: state.confidence, limit: REGRESS_ROWS };
  const seq = ++regressSeq;
  return api.regress(params, signal).then((report) => ({ report, seq }), (error) => ({ error, seq }));
}

function showRegress({ report, error, seq }) {
  const wc = ui.whatChanged;
  if (seq !== regressSeq) return; // a newer question is on its way
  wc.setControls(state.threshold, state.confidence, state.wc, state.flagged);
  if (error) wc.setError(error, () => loadRegress());
  else wc.setReport(report, unit());
  wc.select(state.path || state.search);
}

// Only the panel, after its threshold or confidence changed.
async function loadRegress() {
  if (regressInflight) regressInflight.abort();
  const ctl = new AbortController();
  regressInflight = ctl;
  ui.whatChanged.setControls(state.threshold, state.confidence, state.wc, state.flagged);
  ui.whatChanged.loading();
  const res = await fetchRegress(ctl.signal);
  if (!ctl.signal.aborted) showRegress(res);
}

async function loadCompare(signal) {
  const { left, right } = sides();
  if (regressInflight) regressInflight.abort();
  ui.whatChanged.setControls(state.threshold, state.confidence, state.wc, state.flagged);
  ui.whatChanged.loading();
  ui.diffSides = { left, right };
  $('lq').value = left.q === '{}' ? '' : left.q;
  $('rq').value = right.q === '{}' ? '' : right.q;
  $('lrange').textContent = `${fmtTime(toMs(left.from))} to ${fmtTime(toMs(left.until))}`;
  $('rrange').textContent = `${fmtTime(toMs(right.from))} to ${fmtTime(toMs(right.until))}`;
  const [lr, rr, diff, regress] = await Promise.all([
    api.range(selector(left.q), state.from, state.until, undefined, 'service_name', signal),
    api.range(selector(right.q), state.from, state.until, undefined, 'service_name', signal),
    api.diff(sideParams({ left, right }), signal),
    fetchRegress(signal),
  ]);
  if (signal.aborted) return;
  ui.lchart = ui.lchart || new TimeChart($('lchart'), { height: 110, onRange: (a, b) => go({ lfrom: String(a), luntil: String(b) }) });
  ui.rchart = ui.rchart || new TimeChart($('rchart'), { height: 110, onRange: (a, b) => go({ rfrom: String(a), runtil: String(b) }) });
  ui.lchart.setData(lr, unit(), [toMs(left.from), toMs(left.until), 'rgba(31,95,191,0.18)']);
  ui.rchart.setData(rr, unit(), [toMs(right.from), toMs(right.until), 'rgba(194,65,12,0.18)']);
  $('diff-totals').textContent = `Baseline total ${fmtValue(diff.leftTicks, unit())}, comparison total ${fmtValue(diff.rightTicks, unit())}. Red grew, green shrank, as a share of each side's total.`;
  ui.diffFlame = ui.diffFlame || zoomedFlame($('diff-pane'), 'diff flame graph');
  ui.diffFlame.setData(diff.flamebearer, diff.metadata, diff);
  restoreZoom(ui.diffFlame);
  const rows = (diff.top || []).map((r) => {
    const baseShare = diff.leftTicks ? r.base_cum / diff.leftTicks : 0;
    const targetShare = diff.rightTicks ? r.target_cum / diff.rightTicks : 0;
    return { ...r, baseShare, targetShare, change: targetShare - baseShare };
  });
  ui.diffTable = ui.diffTable || new TopTable($('diff-table'), { onPick: highlightFunction });
  ui.diffTable.setRows(rows, diffColumns(unit()), 'change');
  showRegress(regress);
  applySearch();
  if (!diff.leftTicks && !diff.rightTicks) {
    setStatus('empty', 'Neither side holds samples. Choose other ranges by dragging on each chart.');
    document.body.dataset.state = 'ready-empty';
    return;
  }
  setStatus('ready', '');
}

// A function picked in the panel or the table: its frames (exact name)
// on the diff flame graph, with its share on each side.
function highlightFunction(name) {
  state.search = name;
  state.path = '';
  writeUrl(false);
  $('diff-search').value = name;
  describeDiffHighlight(ui.diffFlame.setSearch(name, true));
}

// A call path picked in the panel: the path and what is below it; the
// zoom is reset if it hid the path.
function highlightPath(frames) {
  state.path = pathKey(frames);
  state.search = '';
  writeUrl(false);
  $('diff-search').value = '';
  const f = ui.diffFlame;
  const res = f.setPath(frames);
  if (res.found && !f.rectOf(res.node)) { f.reset(); f.focus = res.node; f.drawOverlay(); }
  describeDiffHighlight(res);
}

// Another list of the same answer, or the same without its noise.
function relist(changes) {
  go(changes, { replace: true, render: 'none' });
  ui.whatChanged.setControls(state.threshold, state.confidence, state.wc, state.flagged);
  ui.whatChanged.render();
  ui.whatChanged.select(state.path || state.search);
}

function bindCompare() {
  ui.whatChanged = new WhatChanged($('what-changed'), {
    onControls: (c) => { go(c, { render: 'none' }); loadRegress(); },
    onList: (wc) => relist({ wc }),
    onFlagged: (on) => relist({ flagged: on ? '1' : '' }),
    onFunction: highlightFunction,
    onPath: highlightPath,
  });
  for (const side of ['l', 'r']) {
    $(`${side}form`).addEventListener('submit', (e) => {
      e.preventDefault();
      go({ [`${side}q`]: $(`${side}q`).value.trim() || '{}' });
    });
  }
  $('swap').addEventListener('click', () => {
    const { left, right } = sides();
    go({ lq: right.q, lfrom: right.from, luntil: right.until, rq: left.q, rfrom: left.from, runtil: left.until });
  });
}

// ---- targets --------------------------------------------------------------

async function loadTargets() {
  const { targets } = await api.targets();
  const host = $('targets');
  if (!targets.length) {
    host.replaceChildren(el('p', { class: 'hint', text: 'No scrape targets. Start the server with --config FILE listing scrape_configs (docs/CONFIG.md).' }));
    setStatus('ready', '');
    return;
  }
  const up = targets.filter((t) => t.health === 'up').length;
  host.replaceChildren(el('p', { text: `${up} of ${targets.length} up` }), el('table', { class: 'targets' },
    el('thead', {}, el('tr', {}, ['Health', 'Job', 'Endpoint', 'Profile type', 'Labels', 'Last scrape', 'Duration', 'Last error']
      .map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, targets.map((t) => el('tr', {},
      el('td', {}, el('span', { class: `health ${t.health}`, text: t.health })),
      el('td', { text: t.job }), el('td', { class: 'url', text: t.url }), el('td', { text: t.profile_type }),
      el('td', { class: 'labels', text: Object.entries(t.labels || {}).map(([k, v]) => `${k}="${v}"`).join(', ') }),
      el('td', { text: t.last_scrape ? fmtAgo(t.last_scrape) : 'never' }),
      el('td', { text: t.duration_seconds ? `${(t.duration_seconds * 1000).toFixed(0)} ms` : '' }),
      el('td', { class: 'error', text: t.last_error || '' }))))));
  setStatus('ready', '');
}

// ---- start --------------------------------------------------------------

// For the browser tests and the benchmark: read-only handles on the views.
window.__stackyard = { get state() { return { ...state }; }, ui };

bindControls();
bindCompare();
load();
