// Browser tests of the web UI: Debian's chromium, driven by
// playwright-core, against the real server holding real profiles
// (/work/shared/testdata/pprof), with the API as the oracle and
// `go tool pprof` reading the exported file. Screenshots go to
// build/ui-artifacts. Run by tests/ui/run.sh (and so by tests/run.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Server, pushRealData, launch, ARTIFACTS, CPU, TESTDATA, TOOLS, tmpdir } from './lib.mjs';

const HEAP = 'memory:inuse_space:bytes:space:bytes';
let server, ctx, page;
const errors = [];

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await new Server().start();
  await pushRealData(server);
  ctx = await launch();
  page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
});

after(async () => {
  if (ctx) await ctx.close();
  if (server) await server.stop();
});

const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
const stateOf = () => page.evaluate(() => window.__stackyard.state);

async function open(query = '') {
  await page.goto(`${server.base}/${query}`);
  await settle();
}

// Waits until the page has loaded what its URL asks for; a script error
// fails at once, with its message.
async function settle() {
  let onError;
  const failed = new Promise((_, reject) => {
    onError = (e) => reject(new Error(`script error in the page: ${e.message}`));
    page.on('pageerror', onError);
  });
  try {
    await Promise.race([failed,
      page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 20000 })]);
  } finally {
    page.off('pageerror', onError);
  }
}

// Drags across a chart from fraction a to fraction b of its width, as a
// person would, and waits for the page to load what that chose.
async function dragChart(selector, a, b) {
  const r = await page.locator(`${selector} .u-over`).boundingBox();
  await page.mouse.move(r.x + r.width * a, r.y + r.height / 2);
  await navigate(async () => {
    await page.mouse.down();
    await page.mouse.move(r.x + r.width * b, r.y + r.height / 2, { steps: 8 });
    await page.mouse.up();
  });
}

async function navigate(action) {
  await page.evaluate(() => { document.body.dataset.state = 'loading'; });
  await action();
  await settle();
}

// Non-white pixels and distinct colours of a canvas, read back from it.
function canvasInk(selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0, red = 0, green = 0;
    const colors = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) ink++;
      if (i % 64 === 0) colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (d[i] > 200 && d[i + 1] < 140 && d[i + 2] < 140) red++;
      if (d[i + 1] > 150 && d[i] < 120 && d[i + 2] < 130) green++;
    }
    return { ink, total: d.length / 4, colors: colors.size, red, green };
  }, selector);
}

// The flamebearer's nodes with absolute x and parents (an oracle written
// apart from the UI's own parser).
function decode(fb) {
  const out = [];
  fb.levels.forEach((lv, L) => {
    let end = 0;
    for (let k = 0; k < lv.length; k += 4) {
      const x = end + lv[k];
      end = x + lv[k + 1];
      const parent = L ? out.find((p) => p.level === L - 1 && p.x <= x && x < p.x + p.total) : null;
      out.push({ level: L, x, total: lv[k + 1], self: lv[k + 2], name: fb.names[lv[k + 3]], parent });
    }
  });
  return out;
}

const apiQuery = (params) => server.json('/api/v1/query', params);
const ticks = (which = 'flame') => page.evaluate((w) => window.__stackyard.ui[w].ticks, which);

test('opening / shows the last hour of CPU across all services at once', async () => {
  await open();
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  const st = await stateOf();
  assert.equal(st.type, CPU);
  assert.equal(await page.locator('#type').inputValue(), CPU);
  const ink = await canvasInk('#flame-pane canvas.flame');
  assert.ok(ink.ink > ink.total * 0.2, `flame graph canvas is mostly blank: ${JSON.stringify(ink)}`);
  assert.ok(ink.colors > 5, `flame graph has too few colours: ${ink.colors}`);
  const fg = await apiQuery({ query: `${CPU}{}`, format: 'flamegraph', max_nodes: 16384 });
  assert.equal(await ticks(), fg.flamebearer.numTicks);
  assert.ok(await page.locator('#chart canvas').count() > 0, 'time chart missing');
  await shot('01-explore');
  assert.deepEqual(errors, []);
});

test("a tooltip's numbers equal what the API returns", async () => {
  await open();
  const fg = await apiQuery({ query: `${CPU}{}`, format: 'flamegraph', max_nodes: 16384 });
  const nodes = decode(fg.flamebearer);
  const N = fg.flamebearer.numTicks;
  const pick = nodes.filter((n) => n.level === 2).sort((a, b) => b.total - a.total)[0];
  const box = await page.locator('#flame-pane canvas.flame').boundingBox();
  await page.mouse.move(box.x + ((pick.x + pick.total / 2) / N) * box.width, box.y + 2 * 18 + 9);
  const tip = page.locator('#flame-pane .tooltip');
  await tip.waitFor({ state: 'visible' });
  assert.equal(await tip.locator('.tip-name').textContent(), pick.name);
  const cell = async (label, col) => (await tip.locator(`tr:has(th:text-is("${label}")) td`).nth(col).textContent()).trim();
  const exact = (s) => Number(s.replace(/,/g, ''));
  assert.equal(exact(await cell('Self', 1)), pick.self);
  assert.equal(exact(await cell('Total', 1)), pick.total);
  assert.equal(await cell('% of all', 0), `${(100 * pick.total / N).toFixed(2)}%`);
  assert.equal(await cell('% of parent', 0), `${(100 * pick.total / pick.parent.total).toFixed(2)}%`);
  await shot('02-tooltip');
});

test('choose a profile type and a label selector with autocomplete', async () => {
  await open();
  await navigate(() => page.locator('#type').selectOption(HEAP));
  assert.equal((await stateOf()).type, HEAP);
  const heap = await apiQuery({ query: `${HEAP}{}`, format: 'flamegraph', max_nodes: 16384 });
  assert.equal(await ticks(), heap.flamebearer.numTicks);

  await navigate(() => page.locator('#type').selectOption(CPU));
  const q = page.locator('#query');
  await q.click();
  await q.pressSequentially('{serv');
  const list = page.locator('#query-list');
  await list.locator('li', { hasText: 'service_name' }).waitFor();
  await q.press('Enter');
  assert.equal(await q.inputValue(), '{service_name="');
  await list.locator('li', { hasText: 'prometheus' }).click();
  assert.equal(await q.inputValue(), '{service_name="prometheus"}');
  await navigate(() => page.locator('#query-form button[type=submit]').click());
  assert.equal((await stateOf()).q, '{service_name="prometheus"}');
  const prom = await apiQuery({ query: `${CPU}{service_name="prometheus"}`, format: 'flamegraph', max_nodes: 16384 });
  assert.equal(await ticks(), prom.flamebearer.numTicks);
  assert.ok(prom.flamebearer.numTicks > 0);
  await shot('03-selector');
});

test('drag across the chart to choose a range', async () => {
  await open();
  await dragChart('#chart', 0.5, 0.8);
  const st = await stateOf();
  assert.match(st.from, /^\d{13}$/);
  assert.match(st.until, /^\d{13}$/);
  assert.ok(Number(st.until) > Number(st.from));
  const fg = await apiQuery({ query: `${CPU}{}`, from: st.from, until: st.until, format: 'flamegraph', max_nodes: 16384 });
  assert.equal(await ticks(), fg.flamebearer.numTicks);
  const all = await apiQuery({ query: `${CPU}{}`, format: 'flamegraph', max_nodes: 16384 });
  assert.ok(fg.flamebearer.numTicks < all.flamebearer.numTicks, 'the range should hold fewer samples than the hour');
  assert.equal(await page.locator('#range').inputValue(), '');
});

test('click a point of the chart to open that single profile', async () => {
  await open('?q=' + encodeURIComponent('{service_name="etcd"}'));
  const pt = await page.evaluate(() => {
    const c = window.__stackyard.ui.chart;
    const idx = c.data[1].findIndex((v) => v > 0);
    return c.clientPoint(c.data[0][idx] * 1000);
  });
  await page.mouse.move(pt.x, pt.y);
  await navigate(() => page.mouse.click(pt.x, pt.y));
  const st = await stateOf();
  assert.match(st.at, /^\d+$/);
  assert.ok(await page.locator('#single-banner').isVisible());
  const one = await server.json('/api/v1/profile', { query: `${CPU}{service_name="etcd"}`, at: st.at, format: 'flamegraph' });
  assert.ok(one.flamebearer.numTicks > 0, 'no profile stored at the opened time');
  assert.equal(await ticks(), one.flamebearer.numTicks);
  await shot('04-single-profile');
  await navigate(() => page.locator('#single-back').click());
  assert.equal((await stateOf()).at, '');
});

test('click a frame to zoom; breadcrumb and keyboard go back', async () => {
  await open();
  const fg = await apiQuery({ query: `${CPU}{}`, format: 'flamegraph', max_nodes: 16384 });
  const N = fg.flamebearer.numTicks;
  const pick = decode(fg.flamebearer).filter((n) => n.level === 1).sort((a, b) => b.total - a.total)[0];
  const canvas = page.locator('#flame-pane canvas.flame');
  const box = await canvas.boundingBox();
  await canvas.click({ position: { x: ((pick.x + pick.total / 2) / N) * box.width, y: 18 + 9 } });
  const crumbs = page.locator('#flame-pane .crumbs');
  await crumbs.waitFor({ state: 'visible' });
  assert.equal(await crumbs.locator('[aria-current=true]').textContent(), pick.name);
  // the zoomed frame now spans the width: its label is drawn at the left
  const zoomed = await page.evaluate(() => { const f = window.__stackyard.ui.flame; return f.stats(f.zoom); });
  assert.equal(zoomed.name, pick.name);
  assert.equal(zoomed.total, pick.total);
  await shot('05-zoomed');
  await crumbs.locator('button', { hasText: 'all' }).click();
  assert.equal(await page.evaluate(() => window.__stackyard.ui.flame.zoom), 0);
  // keyboard: f focuses the graph, arrows move, Enter zooms, Escape resets
  await page.keyboard.press('f');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const z = await page.evaluate(() => { const f = window.__stackyard.ui.flame; return f.lvl[f.zoom]; });
  assert.equal(z, 1);
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => window.__stackyard.ui.flame.zoom), 0);
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search');
});

test('the zoom is in the URL: a copied link opens the same frame zoomed', async () => {
  await open();
  const fg = await apiQuery({ query: `${CPU}{}`, format: 'flamegraph', max_nodes: 16384 });
  const N = fg.flamebearer.numTicks;
  // the widest frame two levels below the root, clicked on level 2
  const pick = decode(fg.flamebearer).filter((n) => n.level === 2).sort((a, b) => b.total - a.total)[0];
  const canvas = page.locator('#flame-pane canvas.flame');
  const box = await canvas.boundingBox();
  await canvas.click({ position: { x: ((pick.x + pick.total / 2) / N) * box.width, y: 2 * 18 + 9 } });
  const want = await page.evaluate(() => { const f = window.__stackyard.ui.flame; return { path: f.pathOf(f.zoom), stats: f.stats(f.zoom) }; });
  assert.equal(want.stats.name, pick.name);
  assert.equal(want.path.length, 2);
  assert.equal((await stateOf()).zoom, want.path.join(';'));
  const url = await page.evaluate(() => location.href);
  assert.match(url, /[?&]zoom=/);
  const p2 = await ctx.newPage();
  await p2.goto(url);
  await p2.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20000 });
  const got = await p2.evaluate(() => { const f = window.__stackyard.ui.flame; return { path: f.pathOf(f.zoom), stats: f.stats(f.zoom) }; });
  assert.deepEqual(got.path, want.path);
  assert.equal(got.stats.total, want.stats.total);
  assert.ok(await p2.locator('#flame-pane .crumbs').isVisible());
  // resetting the zoom takes it out of the URL
  await p2.locator('#reset-zoom').click();
  assert.doesNotMatch(await p2.evaluate(() => location.href), /[?&]zoom=/);
  await p2.close();
  // a zoom path the data does not have is dropped, not kept in the URL
  await open('?zoom=' + encodeURIComponent('no.such;frame'));
  assert.equal(await page.evaluate(() => window.__stackyard.ui.flame.zoom), 0);
  assert.equal((await stateOf()).zoom, '');
});

test('search highlights matches and shows their share', async () => {
  await open();
  await page.locator('#search').fill('mallocgc');
  const res = await page.evaluate(() => window.__stackyard.ui.flame.searchResult);
  assert.ok(res.count > 0);
  // oracle: matching frames not inside another match, from the API's nodes
  const fg = await apiQuery({ query: `${CPU}{}`, format: 'flamegraph', max_nodes: 16384 });
  const nodes = decode(fg.flamebearer);
  const m = (n) => n.name.toLowerCase().includes('mallocgc');
  const inMatch = (n) => { for (let p = n.parent; p; p = p.parent) if (m(p)) return true; return false; };
  const want = nodes.filter((n) => m(n) && !inMatch(n)).reduce((a, n) => a + n.total, 0);
  assert.equal(res.total, want);
  const text = await page.locator('#search-result').textContent();
  assert.ok(text.includes(`${(100 * want / fg.flamebearer.numTicks).toFixed(2)}% of the total`), text);
  assert.equal((await stateOf()).search, 'mallocgc');
  const ink = await canvasInk('#flame-pane canvas.flame');
  assert.ok(ink.colors > 2);
  await shot('06-search');
});

test('top table: sortable, filterable, linked to the flame graph', async () => {
  await open('?view=both');
  const top = await apiQuery({ query: `${CPU}{}`, format: 'top' });
  const table = page.locator('#table-pane table.top');
  await table.locator('tbody tr').first().waitFor();
  assert.equal(await table.locator('tbody tr').first().getAttribute('data-name'),
    [...top.rows].sort((a, b) => b.flat - a.flat)[0].name);
  await table.locator('th button', { hasText: /^Total/ }).first().click();
  const byCum = [...top.rows].sort((a, b) => b.cum - a.cum)[0];
  assert.equal(await table.locator('tbody tr').first().getAttribute('data-name'), byCum.name);
  await page.locator('#table-pane .table-filter').fill('scanobject');
  const names = await table.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.name));
  assert.ok(names.length > 0 && names.every((n) => n.toLowerCase().includes('scanobject')), names.join(','));
  await table.locator('tbody tr').first().click();
  const name = names[0];
  const row = top.rows.find((r) => r.name === name);
  const res = await page.evaluate(() => window.__stackyard.ui.flame.searchResult);
  assert.ok(res.count > 0);
  assert.equal(res.total, row.cum, 'highlighted share in the flame graph equals the function\'s cum');
  await shot('07-table');
});

test('sandwich view: callers above, callees below', async () => {
  await open('?view=table');
  const fn = 'runtime.mallocgc';
  const top = await apiQuery({ query: `${CPU}{}`, format: 'top' });
  const row = page.locator(`#table-pane tr[data-name="${fn}"]`);
  await page.locator('#table-pane .table-filter').fill(fn);
  await row.hover();
  await navigate(() => row.locator('.sandwich-btn').click());
  const st = await stateOf();
  assert.equal(st.view, 'sandwich');
  assert.equal(st.fn, fn);
  const cum = top.rows.find((r) => r.name === fn).cum;
  assert.equal(await ticks('callers'), cum);
  assert.equal(await ticks('callees'), cum);
  for (const half of ['#flame-pane .sandwich-half:nth-of-type(1) canvas.flame', '#flame-pane .sandwich-half:nth-of-type(2) canvas.flame']) {
    const ink = await canvasInk(half);
    assert.ok(ink.ink > 100, `sandwich half ${half} is blank`);
  }
  // callers are drawn inverted: the function is the bottom row
  const bottom = await page.evaluate(() => { const f = window.__stackyard.ui.callers; return f.rowY(1); });
  const height = await page.evaluate(() => parseFloat(window.__stackyard.ui.callers.canvas.style.height));
  assert.equal(bottom, height - 18);
  await shot('08-sandwich');

  // go tool pprof -peek on the same merged profile lists the same direct
  // callers and callees with the same values
  const sw = await server.json('/api/v1/query', { query: `${CPU}{}`, format: 'sandwich', function: fn });
  const level2 = (fb) => {
    const m = {};
    for (let k = 0; k < (fb.levels[2] || []).length; k += 4) m[fb.names[fb.levels[2][k + 3]]] = fb.levels[2][k + 1];
    return m;
  };
  const pb = path.join(tmpdir('stackyard-ui-peek-'), 'merged.pb.gz');
  const r = await fetch(`${server.base}/api/v1/query?${new URLSearchParams({ query: `${CPU}{}`, format: 'pprof' })}`);
  fs.writeFileSync(pb, Buffer.from(await r.arrayBuffer()));
  const peek = spawnSync('go', ['tool', 'pprof', '-peek', `^${fn.replace(/\./g, '\\.')}$`, pb], { encoding: 'utf8', timeout: 120000 });
  fs.rmSync(path.dirname(pb), { recursive: true, force: true });
  assert.equal(peek.status, 0, peek.stderr);
  const units = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, mins: 60e9, hrs: 3600e9 };
  const dur = (t) => { const m = /^([\d.]+)(ns|us|µs|ms|s|mins|hrs)$/.exec(t); return Math.round(Number(m[1]) * units[m[2]]); };
  const callers = {}, callees = {};
  let seen = false;
  for (const l of peek.stdout.split('\n')) {
    const m = /^\s+(\S+)\s+[\d.]+%\s+\|\s+(\S.*)$/.exec(l);
    if (l.includes(`| ${fn}`)) seen = true;
    // pprof marks a frame inlined into its caller " (inline)"; flame-graph
    // names are the function's own (the exported pprof keeps inline info).
    else if (m) (seen ? callees : callers)[m[2].trim().replace(/ \(inline\)$/, '')] = dur(m[1]);
  }
  assert.ok(Object.keys(callers).length > 0, peek.stdout);
  assert.deepEqual(level2(sw.callers.flamebearer), callers);
  assert.deepEqual(level2(sw.callees.flamebearer), callees);
});

test('compare two ranges: diff flame graph and the biggest changes', async () => {
  await open('?page=compare');
  const st = await stateOf();
  assert.equal(st.page, 'compare');
  const ui = await page.evaluate(() => ({ left: window.__stackyard.ui.diffFlame.diff.left, right: window.__stackyard.ui.diffFlame.diff.right }));
  const ink = await canvasInk('#diff-pane canvas.flame');
  assert.ok(ink.red > 100 && ink.green > 100, `diff should show growth and shrinkage: ${JSON.stringify(ink)}`);
  // drag on the baseline chart: a new baseline range, same answer as the API
  await dragChart('#lchart', 0.05, 0.45);
  const s2 = await stateOf();
  assert.match(s2.lfrom, /^\d{13}$/);
  const rfrom = s2.rfrom || null;
  const sides = await page.evaluate(() => window.__stackyard.ui.diffSides);
  const diff = await server.json('/api/v1/diff', { base: `${CPU}{}`, base_from: s2.lfrom, base_until: s2.luntil,
    target: `${CPU}{}`, from: sides.right.from, until: sides.right.until });
  const now = await page.evaluate(() => ({ left: window.__stackyard.ui.diffFlame.diff.left, right: window.__stackyard.ui.diffFlame.diff.right }));
  assert.equal(now.left, diff.leftTicks);
  assert.equal(now.right, diff.rightTicks);
  assert.equal(now.right, ui.right, 'the comparison side did not change');
  assert.equal(rfrom, null);
  // the changes table: largest |change| first, computed from the API's rows
  const rows = diff.top.map((t) => ({ name: t.name, change: t.target_cum / diff.rightTicks - t.base_cum / diff.leftTicks }));
  rows.sort((a, b) => Math.abs(b.change) - Math.abs(a.change));
  const first = page.locator('#diff-table tbody tr').first();
  assert.equal(await first.getAttribute('data-name'), rows[0].name);
  assert.ok(await page.locator('#what-changed').count() === 1, 'the place for the "what changed" panel is there');
  await shot('09-compare');
});

test('compare two selectors over the same range', async () => {
  await open('?page=compare');
  for (const [side, svc] of [['l', 'etcd'], ['r', 'prometheus']]) {
    const input = page.locator(`#${side}q`);
    await input.fill(`{service_name="${svc}"}`);
    await navigate(() => page.locator(`#${side}form button[type=submit]`).click());
  }
  const st = await stateOf();
  assert.equal(st.lq, '{service_name="etcd"}');
  assert.equal(st.rq, '{service_name="prometheus"}');
  const sides = await page.evaluate(() => window.__stackyard.ui.diffSides);
  const total = async (q, side) => (await apiQuery({ query: `${CPU}${q}`, from: side.from, until: side.until, format: 'top' })).total;
  const d = await page.evaluate(() => window.__stackyard.ui.diffFlame.diff);
  assert.equal(d.left, await total(st.lq, sides.left));
  assert.equal(d.right, await total(st.rq, sides.right));
  assert.ok(d.left > 0 && d.right > 0);
  await shot('09b-compare-selectors');
});

// Two generated sets of 30 CPU profiles each (tests/tools/genregress):
// the same program, the comparison with one function's self share raised
// by 5 points. The API is the oracle for every number the panel shows.
function genregress(dir, prefix, seed, inject) {
  const tool = path.join(TOOLS, 'genregress');
  assert.ok(fs.existsSync(tool), `${tool} not found: build it (make tools)`);
  const args = ['--program', '4', '--seed', String(seed), '--profiles', '30', '--type', 'cpu', '-o', path.join(dir, prefix)];
  if (inject !== undefined) args.push('--inject-rank', String(inject), '--by', '0.05');
  const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${prefix}-`)).sort().map((f) => path.join(dir, f));
  return { injected: r.stdout.trim(), files };
}

const pct2 = (v) => `${(100 * v).toFixed(2)}%`;
const pp2 = (v) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(2)}`;
const panelState = () => page.evaluate(() => document.getElementById('what-changed').dataset.state);
const waitPanel = () => page.waitForFunction(() => !['loading', undefined].includes(document.getElementById('what-changed').dataset.state),
  null, { timeout: 20000 });

// The panel's text but the function names (which may hold any word).
const panelNumbers = () => page.evaluate(() => {
  const h = document.getElementById('what-changed');
  const parts = [...h.querySelectorAll('.wc-summary, .wc-tabs, .wc-stats')].map((e) => e.textContent);
  for (const n of h.querySelector('.wc-body').childNodes) if (n.nodeName !== 'OL') parts.push(n.textContent);
  return parts.join(' ');
});

// The colour drawn at the middle of diff flame graph node i.
function pixelOf(i) {
  return page.evaluate((n) => {
    const f = window.__stackyard.ui.diffFlame;
    const r = f.rectOf(n);
    const d = f.ctx.getImageData(Math.round((r.x + r.w / 2) * f.dpr), Math.round((r.y + 4) * f.dpr), 1, 1).data;
    return `rgb(${d[0]},${d[1]},${d[2]})`;
  }, i);
}

test('what changed: an injected regression ranks first with the numbers of /api/v1/regress; click highlights', async () => {
  const s = await new Server().start();
  const dir = tmpdir('stackyard-ui-regress-');
  try {
    const now = Math.floor(Date.now() / 1000);
    const t0 = now - 3000, t1 = now - 1200;
    const base = genregress(dir, 'base', 1);
    const target = genregress(dir, 'target', 2, 2);
    for (const [i, f] of base.files.entries()) await s.push(f, 'gen{version=1}', t0 + 10 * i);
    for (const [i, f] of target.files.entries()) await s.push(f, 'gen{version=2}', t1 + 10 * i);
    const from = String((now - 3600) * 1000), until = String(now * 1000);
    const lq = '{version="1"}', rq = '{version="2"}';
    const sides = { base: `${CPU}${lq}`, base_from: from, base_until: until, target: `${CPU}${rq}`, from, until };
    const oracle = (params) => s.json('/api/v1/regress', { ...sides, limit: 100, ...params });
    const rep = await oracle({ threshold: '1%', confidence: '0.99' });
    assert.equal(rep.functions[0].name, target.injected, 'the API ranks the injected function first');

    const qs = new URLSearchParams({ page: 'compare', from, until, lq, rq, lfrom: from, luntil: until, rfrom: from, runtil: until });
    const t = Date.now();
    await page.goto(`${s.base}/?${qs}`);
    await settle();
    const loadMs = Date.now() - t;
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
    assert.equal(await panelState(), 'ready');
    const panel = page.locator('#what-changed');
    assert.ok(await panel.isVisible());
    assert.doesNotMatch(await panelNumbers(), /null|undefined|NaN|Infinity/);
    // the summary, the lists' counts, and the functions in the API's order
    assert.match(await panel.locator('.wc-verdict').textContent(), new RegExp(`${rep.regressions} functions regressed by more than 1\\.00 pp`));
    assert.equal(await panel.locator('.wc-tabs [data-list="functions"]').textContent(), `Functions (${rep.functions_count})`);
    assert.equal(await panel.locator('.wc-tabs [data-list="paths"]').textContent(), `Call paths (${rep.paths_count})`);
    assert.equal(await panel.locator('.wc-tabs [data-list="new"]').textContent(), `New (${rep.new_paths_count})`);
    const rows = panel.locator('.wc-row');
    assert.equal(await rows.count(), rep.functions.length);
    assert.deepEqual(await rows.evaluateAll((bs) => bs.slice(0, 10).map((b) => b.dataset.key)), rep.functions.slice(0, 10).map((f) => f.name));
    // the first row: the injected function, a regression, with the API's numbers
    const first = rows.first();
    const top = rep.functions[0];
    assert.equal(await first.getAttribute('data-key'), target.injected);
    assert.equal(top.verdict, 'regression');
    assert.equal((await first.locator('.verdict').textContent()).trim(), '▲ regression');
    for (const k of ['self', 'total']) {
      const st = first.locator(`.wc-stat[data-stat="${k}"]`);
      assert.equal(await st.locator('.wc-shares').textContent(), `${pct2(top[k].base)} → ${pct2(top[k].target)}`);
      assert.equal(await st.locator('.wc-delta').textContent(), `${pp2(top[k].delta)} pp`);
      assert.equal(await st.locator('.wc-ci').textContent(), `[${pp2(top[k].lo)}, ${pp2(top[k].hi)}]`);
    }
    // every row's verdict, written out, is the API's
    const verdicts = await rows.evaluateAll((bs) => bs.map((b) => b.querySelector('.verdict').dataset.verdict));
    assert.deepEqual(verdicts, rep.functions.map((f) => f.verdict));
    // "flagged only": the API's non-noise rows, each with its rank in the API's list
    await page.locator('#wc-flagged').check();
    assert.equal((await stateOf()).flagged, '1');
    const flagged = rep.functions.map((f, k) => [f, k]).filter(([f]) => f.verdict !== 'noise');
    assert.ok(flagged.length >= 1);
    assert.deepEqual(await rows.evaluateAll((bs) => bs.map((b) => [b.dataset.key, b.querySelector('.wc-rank').textContent])),
      flagged.map(([f, k]) => [f.name, String(k + 1)]));
    assert.match(await panel.locator('.wc-more').textContent(), new RegExp(`^${rep.functions.length - flagged.length} rows of noise hidden`));
    await page.locator('#wc-flagged').uncheck();
    assert.equal((await stateOf()).flagged, '');
    assert.equal(await rows.count(), rep.functions.length);
    const worst = await worstContrast({ root: '#what-changed', selectors: ['*'] });
    assert.ok(worst[0].r >= 4.5, `lowest contrast in the panel: ${JSON.stringify(worst)}`);
    // beside the diff flame graph, and nothing spills sideways at 1280x800
    const [pb, fb] = [await panel.boundingBox(), await page.locator('#diff-pane').boundingBox()];
    assert.ok(pb.x >= fb.x + fb.width && Math.abs(pb.y - fb.y) < 40, `panel ${JSON.stringify(pb)} not beside the flame graph ${JSON.stringify(fb)}`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the page is wider than 1280');
    await panel.scrollIntoViewIfNeeded();
    await shot('13-what-changed');

    // click the function: its frames (and only those) stay coloured on the
    // diff flame graph, with each side's share as /api/v1/diff has them
    await first.click();
    assert.equal(await first.getAttribute('aria-pressed'), 'true');
    const st = await stateOf();
    assert.equal(st.search, target.injected);
    assert.equal(await page.locator('#diff-table tr.selected').getAttribute('data-name'), target.injected);
    const diff = await s.json('/api/v1/diff', { base: sides.base, base_from: from, base_until: until, target: sides.target, from, until });
    const lv = diff.flamebearer.levels, names = diff.flamebearer.names;
    let left = 0, right = 0;
    for (const level of lv) for (let k = 0; k < level.length; k += 7) {
      if (names[level[k + 6]] === target.injected) { left += level[k + 1]; right += level[k + 4]; }
    }
    // (the generated program never recurses, so frames of one name do not nest)
    assert.equal(await page.locator('#diff-search-result').textContent(),
      `${await page.evaluate(() => window.__stackyard.ui.diffFlame.searchResult.count)} frames match: `
      + `baseline ${pct2(left / diff.leftTicks)} → comparison ${pct2(right / diff.rightTicks)} of the total`);
    const nodes = await page.evaluate((name) => {
      const f = window.__stackyard.ui.diffFlame;
      const out = { hit: [], miss: -1 };
      for (let i = 1; i < f.n; i++) {
        const mine = f.names[f.name[i]] === name;
        if (mine && f.match[i]) out.hit.push(i);
        if (mine !== !!f.match[i]) throw new Error(`node ${i} (${f.names[f.name[i]]}) highlighted wrongly`);
        const r = f.rectOf(i);
        if (!mine && out.miss < 0 && r && r.w > 20 && f.lvl[i] > 0) out.miss = i;
      }
      out.hit.sort((a, b) => f.w[b] - f.w[a]);
      return out;
    }, target.injected);
    assert.ok(nodes.hit.length > 0);
    assert.notEqual(await pixelOf(nodes.hit[0]), 'rgb(228,228,228)', 'the function is drawn in its diff colour');
    assert.equal(await pixelOf(nodes.miss), 'rgb(228,228,228)', 'other frames are dimmed');

    // keyboard: arrows move between rows, Enter picks
    await first.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.equal((await stateOf()).search, rep.functions[1].name);

    // no new call paths here: the panel says so rather than staying blank
    await panel.locator('.wc-tabs [data-list="new"]').click();
    assert.equal(rep.new_paths_count, 0);
    assert.match(await panel.locator('.wc-empty').textContent(), /^No new call paths/);

    // call paths: the first ends in the injected function; a click
    // highlights exactly that path in the diff flame graph
    await panel.locator('.wc-tabs [data-list="paths"]').click();
    assert.equal((await stateOf()).wc, 'paths');
    const prow = panel.locator('.wc-row').first();
    const frames = rep.paths[0].frames;
    assert.equal(await prow.getAttribute('data-key'), frames.join(';'));
    assert.equal(frames[frames.length - 1], target.injected);
    assert.equal(await prow.locator('.wc-delta').textContent(), `${pp2(rep.paths[0].total.delta)} pp`);
    await prow.click();
    assert.equal((await stateOf()).path, frames.join(';'));
    const chain = await page.evaluate((want) => {
      const f = window.__stackyard.ui.diffFlame;
      const namesTo = (i) => { const out = []; for (let k = i; k > 0; k = f.parent[k]) out.unshift(f.names[f.name[k]]); return out; };
      const prefix = (a, b) => a.length <= b.length && a.every((x, k) => x === b[k]);
      // highlighted: the path's frames and everything below its end, nothing else
      const wrong = [];
      let miss = -1;
      for (let i = 1; i < f.n; i++) {
        const c = namesTo(i);
        const on = prefix(c, want) || prefix(want, c);
        if (on !== !!f.match[i]) wrong.push(c.join(';'));
        const r = f.rectOf(i);
        if (!on && miss < 0 && r && r.w > 20) miss = i;
      }
      return { out: namesTo(f.searchResult.node), node: f.searchResult.node, focus: f.focus === f.searchResult.node, wrong, miss };
    }, frames);
    assert.deepEqual(chain.out, frames);
    assert.deepEqual(chain.wrong, []);
    assert.ok(chain.focus, 'the path\'s last frame has the focus outline');
    assert.notEqual(await pixelOf(chain.node), 'rgb(228,228,228)', 'the path is drawn in its diff colour');
    assert.equal(await pixelOf(chain.miss), 'rgb(228,228,228)', 'frames off the path are dimmed');
    assert.match(await page.locator('#diff-search-result').textContent(), new RegExp(`^Call path to ${target.injected.replace('.', '\\.')}: baseline`));

    // a threshold out of range is refused in place: nothing is asked, the answer stays
    await page.locator('#wc-threshold').fill('-3');
    await page.locator('#wc-threshold').press('Enter');
    assert.equal(await page.locator('#wc-threshold').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#wc-threshold-help').textContent(), /from 0 to 100/);
    assert.equal((await stateOf()).threshold, '1');
    assert.equal(await panelState(), 'ready');

    // threshold and confidence: in the URL, and the panel answers as the API does
    await page.locator('#wc-threshold').fill('10');
    await page.locator('#wc-confidence').selectOption('0.9');
    await page.locator('#wc-threshold').press('Enter');
    await waitPanel();
    const st2 = await stateOf();
    assert.equal(st2.threshold, '10');
    assert.equal(st2.confidence, '0.9');
    const rep10 = await oracle({ threshold: '10%', confidence: '0.9' });
    assert.equal(rep10.regressed, false);
    assert.match(await panel.locator('.wc-verdict').textContent(), /No change beyond 10\.00 pp|No regression beyond 10\.00 pp/);
    const v10 = await panel.locator('.wc-row .verdict').evaluateAll((vs) => vs.map((v) => v.dataset.verdict));
    assert.deepEqual(v10, rep10.paths.map((p) => p.verdict));
    // a copied link opens the same panel, with the path highlighted
    const url = await page.evaluate(() => location.href);
    assert.match(url, /threshold=10&confidence=0\.9&wc=paths&path=/);
    await page.goto(url);
    await settle();
    assert.equal(await panelState(), 'ready');
    assert.equal(await page.locator('#wc-threshold').inputValue(), '10');
    assert.equal(await page.locator('#wc-confidence').inputValue(), '0.9');
    assert.equal(await panel.locator('.wc-row[aria-pressed="true"]').getAttribute('data-key'), frames.join(';'));
    assert.deepEqual(await page.evaluate(() => window.__stackyard.ui.diffFlame.path), frames);

    // a comparison range holding 3 profiles: "too few profiles", with the API's reason
    const few = new URLSearchParams({ ...Object.fromEntries(qs), rfrom: String(t1 * 1000), runtil: String((t1 + 25) * 1000) });
    const r = await fetch(`${s.base}/api/v1/regress?${new URLSearchParams({ ...sides, from: few.get('rfrom'), until: few.get('runtil'), threshold: '1%', confidence: '0.99', limit: 100 })}`);
    assert.equal(r.status, 422);
    const why = (await r.json()).error;
    assert.match(why, /too few profiles to judge/);
    await page.goto(`${s.base}/?${few}`);
    await settle();
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', 'the diff still shows');
    assert.equal(await panelState(), 'few');
    assert.equal(await panel.locator('.wc-title').textContent(), 'Too few profiles to judge');
    assert.equal(await panel.locator('.wc-msg').textContent(), why);
    assert.equal(await panel.locator('.wc-row').count(), 0);
    await panel.scrollIntoViewIfNeeded();
    await shot('13b-what-changed-too-few');
    // a bad threshold in a link: the server's error, and a retry
    await page.goto(`${s.base}/?${new URLSearchParams({ ...Object.fromEntries(qs), threshold: 'abc' })}`);
    await settle();
    assert.equal(await panelState(), 'error');
    assert.match(await panel.locator('.wc-msg').textContent(), /threshold/);
    assert.ok(await panel.locator('button', { hasText: 'Retry' }).isVisible());
    // a broken selector fails the whole comparison: the panel says so too
    await page.goto(`${s.base}/?${new URLSearchParams({ ...Object.fromEntries(qs), lq: '{version=~"("}' })}`);
    await settle();
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
    assert.equal(await panelState(), 'error');
    assert.equal(await panel.locator('.wc-title').textContent(), 'The comparison could not be loaded');
    assert.equal(await panel.locator('.wc-msg').textContent(), (await page.locator('#status p').textContent()).replace(/^Error: /, ''));
    console.log(`# what changed: compare page with 2 x 30 profiles ready in ${loadMs} ms`);
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('what changed: new and vanished call paths of two services', async () => {
  const until = Date.now(), from = until - 2 * 3600e3;
  const lq = '{service_name="etcd"}', rq = '{service_name="prometheus"}';
  const range = { lfrom: String(from), luntil: String(until), rfrom: String(from), runtil: String(until) };
  await open(`?${new URLSearchParams({ page: 'compare', from, until, lq, rq, ...range, wc: 'new' })}`);
  assert.equal(await panelState(), 'ready');
  const rep = await server.json('/api/v1/regress', { base: `${CPU}${lq}`, base_from: range.lfrom, base_until: range.luntil,
    target: `${CPU}${rq}`, from: range.rfrom, until: range.runtil, threshold: '1%', confidence: '0.99', limit: 100 });
  assert.ok(rep.new_paths_count > 0 && rep.vanished_paths_count > 0, 'two different programs');
  const panel = page.locator('#what-changed');
  for (const [list, rows, side, n] of [['new', rep.new_paths, 'comparison', rep.target.profiles],
    ['vanished', rep.vanished_paths, 'baseline', rep.base.profiles]]) {
    await panel.locator(`.wc-tabs [data-list="${list}"]`).click();
    assert.equal((await stateOf()).wc, list);
    assert.doesNotMatch(await panelNumbers(), /null|undefined|NaN|Infinity/);
    const row = panel.locator('.wc-row');
    assert.deepEqual(await row.evaluateAll((bs) => bs.map((b) => b.dataset.key)), rows.map((p) => p.frames.join(';')));
    const seen = list === 'new' ? rows[0].total.target_profiles : rows[0].total.base_profiles;
    assert.equal(await row.first().locator('.wc-seen').textContent(), `in ${seen} of ${n} ${side} profiles`);
    await row.first().click();
    const got = await page.evaluate(() => {
      const f = window.__stackyard.ui.diffFlame;
      const i = f.searchResult.node, chain = [];
      for (let k = i; k > 0; k = f.parent[k]) chain.unshift(f.names[f.name[k]]);
      return { chain, left: f.lt[i], right: f.rt[i] };
    });
    assert.deepEqual(got.chain, rows[0].frames);
    // in the diff a new path costs nothing in the baseline, a vanished one nothing in the comparison
    if (list === 'new') assert.ok(got.left === 0 && got.right > 0, JSON.stringify(got));
    else assert.ok(got.right === 0 && got.left > 0, JSON.stringify(got));
    if (list === 'new') {
      await panel.scrollIntoViewIfNeeded();
      await shot('13c-what-changed-new-paths');
    }
  }
});

test('a copied link opens the same view', async () => {
  // absolute times: "now-1h" in a link means a later hour when opened later
  const until = Date.now(), from = until - 3600e3;
  await open(`?page=compare&from=${from}&until=${until}`);
  await dragChart('#rchart', 0.6, 0.95);
  await page.locator('#diff-search').fill('runtime');
  const url = await page.evaluate(() => location.href); // page.url() may lag behind replaceState
  const before = await page.evaluate(() => ({ ...window.__stackyard.ui.diffFlame.diff, s: window.__stackyard.state }));
  const p2 = await ctx.newPage();
  await p2.goto(url);
  await p2.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20000 });
  const after2 = await p2.evaluate(() => ({ ...window.__stackyard.ui.diffFlame.diff, s: window.__stackyard.state }));
  assert.deepEqual(after2, before);
  assert.equal(await p2.locator('#diff-search').inputValue(), 'runtime');
  assert.equal(await p2.evaluate(() => window.__stackyard.ui.diffFlame.search), 'runtime');
  await p2.close();
});

test('export: pprof loads in go tool pprof; folded text; PNG', async () => {
  await open();
  const dl = async (sel) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.locator(sel).click()]);
    const p = path.join(ARTIFACTS, d.suggestedFilename());
    await d.saveAs(p);
    return p;
  };
  const pb = await dl('#export-pprof');
  const top = await apiQuery({ query: `${CPU}{}`, format: 'top' });
  const go = spawnSync('go', ['tool', 'pprof', '-top', '-nodecount=5', pb], { encoding: 'utf8', timeout: 120000 });
  assert.equal(go.status, 0, `go tool pprof failed: ${go.stderr}`);
  const first = [...top.rows].sort((a, b) => b.flat - a.flat)[0].name;
  assert.ok(go.stdout.includes(first), `go tool pprof -top does not list ${first}:\n${go.stdout}`);
  const folded = fs.readFileSync(await dl('#export-folded'), 'utf8');
  const sum = folded.trim().split('\n').reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  assert.equal(sum, top.total);
  const png = fs.readFileSync(await dl('#export-png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 2000);
});

test('empty, error and wide layouts', async () => {
  // an unknown page or view falls back to the default
  await open('?page=nonsense&view=nonsense');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.ok(await page.locator('#page-explore').isVisible());
  // an error from the server is shown as such
  await open('?q=' + encodeURIComponent('{service_name=~"("}'));
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
  assert.match(await page.locator('#status').textContent(), /Error: .*query/);
  // a selector with no data: an empty state, not a blank page
  await open('?q=' + encodeURIComponent('{service_name="nothing-here"}'));
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready-empty');
  assert.match(await page.locator('#status').textContent(), /no samples/);
  // a server without data says how to push some
  const empty = await new Server().start();
  try {
    await page.goto(`${empty.base}/`);
    await settle();
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'empty');
    assert.match(await page.locator('#status').textContent(), /No profiles yet/);
    await shot('10-empty');
  } finally {
    await empty.stop();
  }
  // 1280x800 and wide: nothing spills sideways
  for (const [w, h] of [[1280, 800], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    await open('?view=both');
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(over <= 0, `page is ${over}px wider than ${w}`);
    await shot(`11-both-${w}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('the chart keeps eight lines: the largest services and the rest summed', async () => {
  const s = await new Server().start();
  try {
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 11; i++)
      await s.push(path.join(TESTDATA, i < 5 ? 'gocompile-nethttp-cpu.pb.gz' : 'etcd-cpu.pb.gz'), `svc${i}`, now - 600 + i);
    await page.goto(`${s.base}/`);
    await settle();
    const lines = await page.evaluate(() => {
      const c = window.__stackyard.ui.chart;
      return c.plot.series.slice(1).map((x) => x.label);
    });
    assert.equal(lines.length, 8);
    assert.equal(lines[7], 'other=4 more');
    for (let i = 0; i < 5; i++) assert.ok(lines.includes(`service_name=svc${i}`), lines.join(' | '));
    const sums = await page.evaluate(() => window.__stackyard.ui.chart.data.slice(1).map((ys) => ys.reduce((a, v) => a + v, 0)));
    const all = await s.json('/api/v1/query', { query: `${CPU}{}`, format: 'top' });
    assert.equal(sums.reduce((a, v) => a + v, 0), all.total, 'the lines add up to the total');
  } finally {
    await s.stop();
  }
});

test('targets page: health per target and profile type', async () => {
  // a real HTTP endpoint serving a real CPU profile, and one that is down
  const body = fs.readFileSync(path.join(TESTDATA, 'etcd-cpu.pb.gz'));
  const app = http.createServer((req, res) => {
    if (req.url.startsWith('/debug/pprof/profile')) { res.writeHead(200); res.end(body); return; }
    res.writeHead(404); res.end();
  });
  await new Promise((r) => app.listen(0, '127.0.0.1', r));
  const dead = http.createServer();
  await new Promise((r) => dead.listen(0, '127.0.0.1', r));
  const deadPort = dead.address().port;
  await new Promise((r) => dead.close(r));
  const dir = tmpdir('stackyard-ui-cfg-');
  const cfg = path.join(dir, 'stackyard.yml');
  const off = '{enabled: false}';
  fs.writeFileSync(cfg, `scrape_configs:
  - job_name: uitest
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:${app.address().port}", "127.0.0.1:${deadPort}"]
    profiling_config:
      pprof_config:
        memory: ${off}
        block: ${off}
        mutex: ${off}
        goroutine: ${off}
`);
  const s = await new Server().start(['--config', cfg]);
  try {
    const t0 = Date.now();
    for (;;) {
      const { targets } = await s.json('/api/v1/targets', {});
      if (targets.some((t) => t.health === 'up') && targets.some((t) => t.health === 'down')) break;
      assert.ok(Date.now() - t0 < 20000, `targets not scraped: ${JSON.stringify(targets)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.goto(`${s.base}/?page=targets`);
    await settle();
    const rows = page.locator('table.targets tbody tr');
    assert.equal(await rows.count(), 2);
    assert.equal(await page.locator('table.targets .health.up').count(), 1);
    assert.equal(await page.locator('table.targets .health.down').count(), 1);
    assert.ok((await page.locator('table.targets td.error').allTextContents()).join('').length > 0);
    await shot('12-targets');
  } finally {
    await s.stop();
    app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The lowest contrast ratios of visible text in the page: the computed
// colour of every element matched by selectors under root against its
// background, plus (frames) the flame graph's label and frame colours.
function worstContrast({ root = 'body', selectors, frames = false }) {
  return page.evaluate(async ({ root: r, selectors: sels, frames: fr }) => {
    const { PALETTE, diffColor } = await import('/ui/util.js');
    const rgb = (c) => {
      const m = c.startsWith('#') ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) : c.match(/\d+/g).slice(0, 3).map(Number);
      return m.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    };
    const lum = (c) => { const [x, y, z] = rgb(c); return 0.2126 * x + 0.7152 * y + 0.0722 * z; };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const pairs = [];
    if (fr) {
      // flame graph labels: dark text on every frame colour, dimmed text on dimmed frames
      for (const c of PALETTE) pairs.push(['frame ' + c, '#111111', c]);
      for (const [l, q] of [[0.5, 0], [0, 0.5], [0.5, 0.5], [0.1, 0.2], [0.2, 0.1]])
        pairs.push([`diff ${l}->${q}`, '#111111', diffColor(l, q)]);
      pairs.push(['dimmed frame', '#595959', '#e4e4e4']);
    }
    // page text: the computed colours of visible text on its background
    const bgOf = (e) => {
      for (; e; e = e.parentElement) {
        const b = getComputedStyle(e).backgroundColor;
        if (b && !/rgba\(0, 0, 0, 0\)|transparent/.test(b)) return b;
      }
      return 'rgb(255, 255, 255)';
    };
    const host = document.querySelector(r);
    for (const sel of sels) {
      for (const e of host.querySelectorAll(sel)) {
        if (!e.offsetParent || !e.textContent.trim()) continue;
        pairs.push([`${sel} ${e.className}`, getComputedStyle(e).color, bgOf(e)]);
      }
    }
    return pairs.map(([what, fg, bg]) => ({ what, fg, bg, r: ratio(fg, bg) })).sort((a, b) => a.r - b.r).slice(0, 3);
  }, { root, selectors, frames });
}

test('text contrast meets WCAG AA (4.5:1)', async () => {
  await open('?view=both');
  const worst = await worstContrast({ frames: true,
    selectors: ['body', 'th', 'td', '.controls label', '.search-result', '.pages a', '.brand', '.keys', 'button', 'a'] });
  assert.ok(worst[0].r >= 4.5, `lowest contrast: ${JSON.stringify(worst)}`);
});

test('assets: built in, gzipped, cached by ETag', async () => {
  const r = await fetch(`${server.base}/ui/app.js`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /javascript/);
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  const again = await fetch(`${server.base}/ui/app.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const missing = await fetch(`${server.base}/ui/nope.js`);
  assert.equal(missing.status, 404);
  const idx = await fetch(`${server.base}/`);
  assert.match(idx.headers.get('content-security-policy'), /default-src 'self'/);
  assert.match(await idx.text(), /<script type="module" src="\/ui\/app.js">/);
  // the sandwich format says what it needs
  const noFn = await fetch(`${server.base}/api/v1/query?${new URLSearchParams({ query: `${CPU}{}`, format: 'sandwich' })}`);
  assert.equal(noFn.status, 400);
  assert.match((await noFn.json()).error, /function=NAME/);
  const sw = await server.json('/api/v1/query', { query: `${CPU}{}`, format: 'sandwich', function: 'no.such.function' });
  assert.equal(sw.callers.flamebearer.numTicks, 0);
  assert.equal(sw.callees.flamebearer.numTicks, 0);
  assert.deepEqual(errors, [], 'no script errors in any test');
});
