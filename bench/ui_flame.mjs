// UI benchmark: how long the browser takes to draw a flame graph of about
// 100,000 nodes, and to zoom in it. Debian's chromium (headless, software
// rendering) via playwright-core, against the real server holding one
// generated profile. Run by bench/ui.sh (make bench).
//
//   node bench/ui_flame.mjs PROFILE.pb.gz [RUNS]
//
// Each figure is timed inside the page with performance.now(): "draw" is
// FlameGraph.draw() at the root plus a 1-pixel read-back, which waits for
// the canvas to finish rasterising; "zoom" is zoomTo() on a frame a few
// levels down (a full redraw of its subtree) plus the read-back; "hover" is
// the mouse handler (frame lookup, outline on the overlay, tooltip); "parse"
// is setData() (flamebearer JSON -> typed arrays, parents, colours, first
// draw). "open" is navigation to a drawn page, including the query.
import { Server, launch } from '../tests/ui/lib.mjs';

const [file, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 20);
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

const server = await new Server().start();
const ctx = await launch();
try {
  await server.push(file, 'bench', Math.floor(Date.now() / 1000) - 60);
  const page = await ctx.newPage();
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], p90: s[Math.floor(s.length * 0.9)], max: s[s.length - 1] };
  };
  const line = (label, xs) => {
    const s = stats(xs);
    console.log(`  ${label.padEnd(36)} median ${s.median.toFixed(1).padStart(6)} ms  p90 ${s.p90.toFixed(1).padStart(6)} ms  max ${s.max.toFixed(1).padStart(6)} ms`);
    return s;
  };
  let worst = 0;
  for (const maxNodes of ['0', '16384']) {
    const opens = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await page.goto(`${server.base}/?max_nodes=${maxNodes}&type=${encodeURIComponent(CPU)}`);
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60000 });
      opens.push(Date.now() - t0);
    }
    const r = await page.evaluate(async (runs) => {
      const f = window.__stackyard.ui.flame;
      const flush = () => f.ctx.getImageData(0, 0, 1, 1);
      const time = (fn) => { const t0 = performance.now(); fn(); flush(); return performance.now() - t0; };
      const fb = await (await fetch(`/api/v1/query?${new URLSearchParams({ query: `${window.__stackyard.state.type}{}`, format: 'flamegraph', max_nodes: window.__stackyard.state.max_nodes })}`)).json();
      const draw = [], zoom = [], parse = [], unzoom = [];
      // zoom targets: the largest frames at depth 4..8
      const cand = [];
      for (let i = 0; i < f.n; i++) if (f.lvl[i] >= 4 && f.lvl[i] <= 8) cand.push(i);
      cand.sort((a, b) => f.w[b] - f.w[a]);
      for (let k = 0; k < runs; k++) {
        draw.push(time(() => f.draw()));
        zoom.push(time(() => f.zoomTo(cand[k % Math.min(cand.length, 10)])));
        unzoom.push(time(() => f.reset()));
      }
      // hover: the frame lookup, the outline and the tooltip, at points spread over the graph
      const hover = [];
      const b = f.canvas.getBoundingClientRect();
      for (let k = 0; k < runs; k++) {
        const e = new MouseEvent('mousemove', { clientX: b.left + ((k * 37) % 100) / 100 * b.width, clientY: b.top + ((k * 13) % 30) * 18 + 9 });
        const t0 = performance.now();
        f.onMove(e);
        f.octx.getImageData(0, 0, 1, 1);
        hover.push(performance.now() - t0);
      }
      f.hideTip();
      for (let k = 0; k < Math.max(3, runs / 4); k++) parse.push(time(() => f.setData(fb.flamebearer, fb.metadata)));
      return { nodes: f.n, levels: f.nlevels, width: f.canvas.width, height: f.canvas.height, draw, zoom, unzoom, hover, parse };
    }, RUNS);
    console.log(`-- max_nodes=${maxNodes === '0' ? '0 (all)' : maxNodes}: ${r.nodes} nodes in ${r.levels} levels, canvas ${r.width}x${r.height} px, ${RUNS} runs`);
    worst = Math.max(worst, line('draw at the root', r.draw).median, line('zoom to a frame 4-8 levels down', r.zoom).median,
      line('reset zoom (draw at the root)', r.unzoom).median);
    line('hover: find frame, outline, tooltip', r.hover);
    line('setData: parse + first draw', r.parse);
    line('open the page (query + draw)', opens);
  }
  console.log(`  target: under 200 ms per draw and zoom: ${worst < 200 ? 'met' : 'NOT met'} (worst median ${worst.toFixed(1)} ms)`);
} finally {
  await ctx.close();
  await server.stop();
}
