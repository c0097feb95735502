// The time chart (uPlot, embedded from npm): totals per step, one line per
// group. Drag across it to choose a range; click a point to open the
// profile stored there. An optional band shades a chosen range (the
// sides of a comparison).
import { el, fmtValue, fmtTime } from './util.js';

const LINES = ['#1f5fbf', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d'];

const MAX_LINES = 8;

// At most MAX_LINES lines: the largest groups, the rest summed as "other".
function topSeries(series) {
  if (series.length <= MAX_LINES) return series;
  const sum = (s) => s.points.reduce((a, p) => a + p[1], 0);
  const sorted = [...series].sort((a, b) => sum(b) - sum(a));
  const keep = sorted.slice(0, MAX_LINES - 1), rest = sorted.slice(MAX_LINES - 1);
  const other = rest[0].points.map((p, i) => [p[0], rest.reduce((a, s) => a + s.points[i][1], 0)]);
  return [...keep, { labels: { other: `${rest.length} more` }, points: other }];
}

export class TimeChart {
  // opts: {onRange(fromMs, untilMs), onPoint(ms, stepMs), height}
  constructor(host, opts) {
    this.host = host;
    this.opts = opts;
    this.plot = null;
    this.band = null;
    this.ro = new ResizeObserver(() => {
      if (this.plot && this.host.clientWidth && this.host.clientWidth !== this.plot.width)
        this.plot.setSize({ width: this.host.clientWidth, height: this.plot.height });
    });
    this.ro.observe(host);
  }

  // res: /api/v1/range's answer; unit: the sample unit.
  setData(res, unit, band = null) {
    this.band = band;
    const series = topSeries(res.series || []);
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    this.host.replaceChildren();
    if (!series.length) {
      this.host.append(el('div', { class: 'chart-empty', text: 'No data in this range.' }));
      return;
    }
    const xs = series[0].points.map((p) => p[0] / 1000);
    this.step = xs.length > 1 ? (xs[1] - xs[0]) * 1000 : 0;
    const data = [xs, ...series.map((s) => s.points.map((p) => p[1]))];
    const label = (s) => Object.entries(s.labels || {}).map(([k, v]) => `${k}=${v}`).join(', ') || 'total';
    const self = this;
    const opts = {
      width: Math.max(200, this.host.clientWidth),
      height: this.opts.height || 150,
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 7 } },
      select: { show: true },
      legend: { show: series.length > 1, live: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#333', grid: { stroke: '#eee' } },
        { stroke: '#333', grid: { stroke: '#eee' }, size: 70, space: 20, values: (u, vals) => vals.map((v) => fmtValue(v, unit)) },
      ],
      series: [{ value: (u, v) => (v == null ? '' : fmtTime(v * 1000)) },
        ...series.map((s, k) => ({ label: label(s), stroke: LINES[k % LINES.length], width: 1.5,
          fill: series.length === 1 ? 'rgba(31,95,191,0.12)' : undefined,
          value: (u, v) => (v == null ? '' : fmtValue(v, unit)), points: { show: xs.length < 60 } }))],
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const a = u.posToVal(u.select.left, 'x'), b = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
          self.dragged = true;
          self.opts.onRange(Math.round(a * 1000), Math.round(b * 1000));
        }],
        draw: [(u) => self.drawBand(u)],
      },
    };
    this.plot = new uPlot(opts, data, this.host);
    this.data = data;
    const over = this.plot.over;
    over.addEventListener('mousedown', () => { this.dragged = false; });
    over.addEventListener('click', () => {
      if (this.dragged) return;
      const idx = this.plot.cursor.idx;
      if (idx == null || !this.opts.onPoint) return;
      const total = this.data.slice(1).reduce((a, ys) => a + (ys[idx] || 0), 0);
      if (total > 0) this.opts.onPoint(Math.round(this.data[0][idx] * 1000), this.step);
    });
  }

  drawBand(u) {
    if (!this.band) return;
    const ctx = u.ctx;
    const a = u.valToPos(this.band[0] / 1000, 'x', true), b = u.valToPos(this.band[1] / 1000, 'x', true);
    ctx.save();
    ctx.fillStyle = this.band[2] || 'rgba(31,95,191,0.15)';
    ctx.fillRect(a, u.bbox.top, Math.max(2, b - a), u.bbox.height);
    ctx.restore();
  }

  // Where (client coordinates) the chart draws time ms at mid-height:
  // for the tests, which drag and click like a person.
  clientPoint(ms) {
    const r = this.plot.over.getBoundingClientRect();
    return { x: r.left + this.plot.valToPos(ms / 1000, 'x'), y: r.top + r.height / 2 };
  }
}
