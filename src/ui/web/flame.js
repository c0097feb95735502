// A flame graph on a canvas, from Pyroscope's flamebearer JSON.
//
// Nodes are kept in flat typed arrays, level by level, left to right, so
// a draw walks only the nodes that intersect the zoomed range (a binary
// search per level) and a hover is a binary search in one level. Root on
// top (or at the bottom with `inverted`, for the callers half of a
// sandwich). Frames narrower than half a pixel are not drawn; names are
// written only where they fit.
import { el, fmtValue, fmtExact, colorOf, diffColor } from './util.js';

const ROW = 18;
const FONT = '12px "DejaVu Sans Mono", ui-monospace, monospace';
const MIN_PX = 0.5;

export class FlameGraph {
  // host: an element to fill; opts: {inverted, firstLevel, onZoom(i),
  // onSelect(name) (a frame's "sandwich" request), label}
  constructor(host, opts = {}) {
    this.opts = opts;
    this.host = host;
    this.crumbs = el('nav', { class: 'crumbs', 'aria-label': 'zoom path' });
    this.canvas = el('canvas', { class: 'flame', tabindex: '0', role: 'img',
      'aria-label': opts.label || 'flame graph: arrows move, Enter zooms, Escape resets' });
    this.tip = el('div', { class: 'tooltip', role: 'tooltip', hidden: true });
    // hover and focus outlines go on a canvas above, so moving the mouse
    // never redraws the graph
    this.overlay = el('canvas', { class: 'flame-overlay', 'aria-hidden': 'true' });
    this.wrap = el('div', { class: 'flame-wrap' }, this.canvas, this.overlay);
    host.replaceChildren(this.crumbs, this.wrap, this.tip);
    this.n = 0;
    this.zoom = 0;
    this.focus = -1;
    this.hover = -1;
    this.search = '';
    this.lastDrawMs = 0;
    this.ctx = this.canvas.getContext('2d', { alpha: false });
    this.octx = this.overlay.getContext('2d');
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => this.hideTip());
    this.canvas.addEventListener('click', (e) => this.onClick(e));
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.resizeObs = new ResizeObserver(() => {
      if (this.n && this.wrap.clientWidth !== this.drawnWidth) this.draw();
    });
    this.resizeObs.observe(this.wrap);
  }

  // fb: the "flamebearer" object; meta: {units, format}; for a diff,
  // leftTicks and rightTicks.
  setData(fb, meta, diff = null) {
    const t0 = performance.now();
    const levels = fb.levels;
    const isDiff = !!diff;
    const step = isDiff ? 7 : 4;
    let n = 0;
    for (const l of levels) n += l.length / step;
    this.n = n;
    this.names = fb.names;
    this.units = meta.units;
    this.diff = isDiff ? { left: diff.leftTicks, right: diff.rightTicks } : null;
    this.ticks = fb.numTicks;
    this.x = new Float64Array(n);
    this.w = new Float64Array(n);
    this.self = new Float64Array(n);
    this.name = new Uint32Array(n);
    this.lvl = new Uint16Array(n);
    this.parent = new Int32Array(n);
    this.levelStart = new Uint32Array(levels.length + 1);
    if (isDiff) {
      this.lt = new Float64Array(n); this.ls = new Float64Array(n);
      this.rt = new Float64Array(n); this.rs = new Float64Array(n);
    }
    let i = 0;
    for (let L = 0; L < levels.length; L++) {
      const a = levels[L];
      this.levelStart[L] = i;
      let lEnd = 0, rEnd = 0;
      for (let k = 0; k < a.length; k += step, i++) {
        this.lvl[i] = L;
        if (isDiff) {
          const lx = lEnd + a[k], rx = rEnd + a[k + 3];
          lEnd = lx + a[k + 1];
          rEnd = rx + a[k + 4];
          this.lt[i] = a[k + 1]; this.ls[i] = a[k + 2];
          this.rt[i] = a[k + 4]; this.rs[i] = a[k + 5];
          this.x[i] = lx + rx;
          this.w[i] = a[k + 1] + a[k + 4];
          this.self[i] = a[k + 2] + a[k + 5];
          this.name[i] = a[k + 6];
        } else {
          this.x[i] = lEnd + a[k];
          this.w[i] = a[k + 1];
          lEnd = this.x[i] + a[k + 1];
          this.self[i] = a[k + 2];
          this.name[i] = a[k + 3];
        }
      }
    }
    this.levelStart[levels.length] = i;
    this.nlevels = levels.length;
    this.linkParents();
    this.colors = this.names.map((s) => colorOf(s));
    this.zoom = 0;
    this.focus = -1;
    this.applySearch();
    this.parseMs = performance.now() - t0;
    this.draw();
  }

  // Each node's parent: the node of the level above whose range holds
  // its start (both levels are sorted by x).
  linkParents() {
    this.parent.fill(-1);
    for (let L = 1; L < this.nlevels; L++) {
      let p = this.levelStart[L - 1];
      const pend = this.levelStart[L];
      for (let i = this.levelStart[L]; i < this.levelStart[L + 1]; i++) {
        while (p < pend - 1 && this.x[p] + this.w[p] <= this.x[i]) p++;
        this.parent[i] = p;
      }
    }
  }

  // Case-insensitive substring search (exact: whole name). Sets match[]
  // per node and the share of the matches (nested matches counted once).
  setSearch(term, exact = false) {
    this.search = term || '';
    this.exact = exact;
    this.path = null;
    this.applySearch();
    this.draw();
    return this.searchResult;
  }

  // Highlights one call path (frame names, root first, without the
  // "total" root): its frames and everything below its last frame, which
  // gets the focus outline. Replaces a search; null clears. Returns
  // searchResult with found (false when the path is not in the graph,
  // e.g. merged away by max_nodes) and node.
  setPath(frames) {
    this.path = frames && frames.length ? frames : null;
    this.search = '';
    this.applySearch();
    if (this.searchResult.node >= 0) this.focus = this.searchResult.node;
    this.draw();
    return this.searchResult;
  }

  // The node reached from the root by following frames, or -1.
  nodeOfPath(frames) {
    let i = 0;
    for (const f of frames) {
      const L = this.lvl[i] + 1;
      if (L >= this.nlevels) return -1;
      // children of i are contiguous on level L, inside i's range
      const end = this.levelStart[L + 1], X1 = this.x[i] + this.w[i];
      let c = this.firstEndingAfter(L, this.x[i]);
      while (c < end && this.x[c] < X1 && this.names[this.name[c]] !== f) c++;
      if (c >= end || this.x[c] >= X1) return -1;
      i = c;
    }
    return i;
  }

  applySearch() {
    if (!this.n) return;
    if (this.path) { this.applyPath(); return; }
    const term = this.search.toLowerCase();
    const byName = new Uint8Array(this.names.length);
    if (term) {
      this.names.forEach((s, k) => {
        const t = s.toLowerCase();
        byName[k] = this.exact ? (t === term) : t.includes(term);
      });
      byName[0] = 0;
    }
    this.match = new Uint8Array(this.n);
    const inside = new Uint8Array(this.n);
    let total = 0, count = 0, left = 0, right = 0;
    for (let i = 0; i < this.n; i++) {
      const p = this.parent[i];
      const m = byName[this.name[i]];
      this.match[i] = m;
      inside[i] = p >= 0 && (inside[p] || this.match[p]);
      if (m) {
        count++;
        if (!inside[i]) {
          total += this.w[i];
          if (this.diff) { left += this.lt[i]; right += this.rt[i]; }
        }
      }
    }
    this.searchResult = this.result(count, total, left, right, -1);
  }

  // A highlight's size: its share of all, and for a diff of each side.
  result(count, total, left, right, node) {
    const r = { count, total, share: this.ticks ? total / this.ticks : 0, node, found: count > 0 };
    if (this.diff) {
      r.leftShare = this.diff.left ? left / this.diff.left : 0;
      r.rightShare = this.diff.right ? right / this.diff.right : 0;
    }
    return r;
  }

  applyPath() {
    const end = this.nodeOfPath(this.path);
    this.match = new Uint8Array(this.n);
    if (end < 0) { this.searchResult = this.result(0, 0, 0, 0, -1); return; }
    for (let i = this.parent[end]; i > 0; i = this.parent[i]) this.match[i] = 1;
    // below the path's end: descendants have larger indices than their parent
    this.match[end] = 2;
    for (let i = end + 1; i < this.n; i++) if (this.parent[i] >= 0 && this.match[this.parent[i]] === 2) this.match[i] = 2;
    this.searchResult = this.result(this.path.length, this.w[end], this.diff ? this.lt[end] : 0, this.diff ? this.rt[end] : 0, end);
  }

  zoomTo(i) {
    this.zoom = i < 0 ? 0 : i;
    this.focus = this.zoom;
    this.draw();
    if (this.opts.onZoom) this.opts.onZoom(this.zoom);
  }

  reset() { this.zoomTo(0); }

  // Frame names from below the root down to node i (nodeOfPath's input).
  pathOf(i) {
    const frames = [];
    for (; i > 0; i = this.parent[i]) frames.unshift(this.names[this.name[i]]);
    return frames;
  }

  // Zooms to the node frames lead to; false (and no zoom) if there is none.
  zoomToPath(frames) {
    const i = frames.length ? this.nodeOfPath(frames) : -1;
    if (i <= 0) return false;
    this.zoomTo(i);
    return true;
  }

  // The node at level L whose range holds data x, or -1.
  nodeAt(L, X) {
    if (L < 0 || L >= this.nlevels) return -1;
    let lo = this.levelStart[L], hi = this.levelStart[L + 1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.x[mid] + this.w[mid] <= X) lo = mid + 1;
      else if (this.x[mid] > X) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  // The first node of level L that ends after data x X.
  firstEndingAfter(L, X) {
    let lo = this.levelStart[L], hi = this.levelStart[L + 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.x[mid] + this.w[mid] <= X) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  first() { return this.opts.firstLevel || 0; }

  rowY(L) {
    const f = this.first();
    return this.opts.inverted ? (this.nlevels - 1 - L) * ROW : (L - f) * ROW;
  }

  draw() {
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const W = Math.max(100, this.wrap.clientWidth);
    const rows = Math.max(1, this.nlevels - this.first());
    const H = this.n ? rows * ROW : ROW * 2;
    this.drawnWidth = this.wrap.clientWidth;
    if (this.canvas.width !== Math.round(W * dpr) || this.canvas.height !== Math.round(H * dpr)) {
      this.canvas.width = Math.round(W * dpr);
      this.canvas.height = Math.round(H * dpr);
      this.canvas.style.width = `${W}px`;
      this.canvas.style.height = `${H}px`;
      this.overlay.width = this.canvas.width;
      this.overlay.height = this.canvas.height;
      this.overlay.style.width = `${W}px`;
      this.overlay.style.height = `${H}px`;
    }
    this.dpr = dpr;
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);
    if (!this.n || !this.ticks) {
      this.octx.clearRect(0, 0, this.overlay.width, this.overlay.height);
      this.renderCrumbs();
      this.lastDrawMs = performance.now() - t0;
      return;
    }
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    if (!this.charW) this.charW = ctx.measureText('mmmmmmmmmm').width / 10;
    const z = this.zoom, X0 = this.x[z], X1 = X0 + this.w[z], zl = this.lvl[z];
    const scale = W / (X1 - X0);
    const searching = !!this.search || (!!this.path && this.searchResult.found);
    for (let L = this.first(); L < this.nlevels; L++) {
      const y = this.rowY(L);
      const end = this.levelStart[L + 1];
      const lo = this.firstEndingAfter(L, X0);
      for (let i = lo; i < end && this.x[i] < X1; i++) {
        const pw = this.w[i] * scale;
        if (pw < MIN_PX) continue;
        let px = (this.x[i] - X0) * scale;
        const faded = L < zl;
        let color;
        if (searching && !this.match[i]) color = '#e4e4e4';
        else if (this.diff) color = diffColor(this.lt[i] / (this.diff.left || 1), this.rt[i] / (this.diff.right || 1));
        else color = this.colors[this.name[i]];
        ctx.fillStyle = color;
        ctx.globalAlpha = faded ? 0.55 : 1;
        const rw = pw > 2 ? pw - 1 : pw;
        ctx.fillRect(px, y, rw, ROW - 1);
        if (pw > this.charW * 3 + 6) {
          const maxChars = Math.floor((pw - 6) / this.charW);
          let s = this.names[this.name[i]];
          if (s.length > maxChars) s = s.slice(0, Math.max(1, maxChars - 1)) + '…';
          ctx.globalAlpha = 1;
          ctx.fillStyle = searching && !this.match[i] ? '#595959' : '#111111';
          if (px < 0) px = 0;
          ctx.fillText(s, px + 3, y + ROW / 2);
        }
      }
    }
    ctx.globalAlpha = 1;
    this.drawOverlay();
    this.renderCrumbs();
    this.lastDrawMs = performance.now() - t0;
  }

  // Where node i is drawn, in CSS pixels of the canvas; null if hidden.
  rectOf(i) {
    const z = this.zoom, X0 = this.x[z], X1 = X0 + this.w[z];
    if (i < 0 || i >= this.n || this.x[i] >= X1 || this.x[i] + this.w[i] <= X0) return null;
    if (this.lvl[i] < this.first()) return null;
    const scale = this.wrap.clientWidth / (X1 - X0);
    const x = Math.max(0, (this.x[i] - X0) * scale);
    const right = Math.min(this.wrap.clientWidth, (this.x[i] + this.w[i] - X0) * scale);
    return { x, y: this.rowY(this.lvl[i]), w: right - x, h: ROW - 1 };
  }

  drawOverlay() {
    const o = this.octx;
    o.setTransform(1, 0, 0, 1, 0, 0);
    o.clearRect(0, 0, this.overlay.width, this.overlay.height);
    o.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (this.focus >= 0 && this.focus < this.n) this.outline(this.focus, '#1a4fd6', 2);
    if (this.hover >= 0) this.outline(this.hover, '#111111', 1);
  }

  outline(i, color, width) {
    const r = this.rectOf(i);
    if (!r) return;
    this.octx.strokeStyle = color;
    this.octx.lineWidth = width;
    this.octx.strokeRect(r.x + width / 2, r.y + width / 2, Math.max(1, r.w - width), r.h - width);
  }

  // The node under a mouse event, or -1.
  hit(e) {
    if (!this.n) return -1;
    const b = this.canvas.getBoundingClientRect();
    const px = e.clientX - b.left, py = e.clientY - b.top;
    const row = Math.floor(py / ROW);
    const L = this.opts.inverted ? this.nlevels - 1 - row : row + this.first();
    if (L < this.first()) return -1;
    const z = this.zoom, X0 = this.x[z], W0 = this.w[z];
    return this.nodeAt(L, X0 + px * W0 / b.width);
  }

  onMove(e) {
    const i = this.hit(e);
    if (i !== this.hover) {
      this.hover = i;
      this.drawOverlay();
    }
    if (i < 0) { this.hideTip(); return; }
    this.showTip(i, e.clientX, e.clientY);
  }

  onClick(e) {
    const i = this.hit(e);
    if (i >= 0) this.zoomTo(i);
  }

  // The numbers of node i, as the tooltip and the tests read them.
  stats(i) {
    const p = this.parent[i];
    const s = { name: this.names[this.name[i]], self: this.self[i], total: this.w[i],
      ofAll: this.ticks ? this.w[i] / this.ticks : 0, ofParent: p >= 0 && this.w[p] ? this.w[i] / this.w[p] : 1 };
    if (this.diff) {
      Object.assign(s, { leftTotal: this.lt[i], leftSelf: this.ls[i], rightTotal: this.rt[i], rightSelf: this.rs[i],
        leftShare: this.diff.left ? this.lt[i] / this.diff.left : 0,
        rightShare: this.diff.right ? this.rt[i] / this.diff.right : 0 });
    }
    return s;
  }

  showTip(i, cx, cy) {
    const s = this.stats(i), u = this.units;
    const row = (k, v, exact) => el('tr', {}, el('th', { text: k }), el('td', { text: v }),
      el('td', { class: 'exact', text: exact }));
    const rows = this.diff ? [
      row('Baseline', `${fmtValue(s.leftTotal, u)} (${(100 * s.leftShare).toFixed(2)}%)`, fmtExact(s.leftTotal)),
      row('Comparison', `${fmtValue(s.rightTotal, u)} (${(100 * s.rightShare).toFixed(2)}%)`, fmtExact(s.rightTotal)),
      row('Change', `${s.rightShare >= s.leftShare ? '+' : ''}${(100 * (s.rightShare - s.leftShare)).toFixed(2)} pp of total`, ''),
    ] : [
      row('Self', fmtValue(s.self, u), fmtExact(s.self)),
      row('Total', fmtValue(s.total, u), fmtExact(s.total)),
      row('% of all', `${(100 * s.ofAll).toFixed(2)}%`, ''),
      row('% of parent', `${(100 * s.ofParent).toFixed(2)}%`, ''),
    ];
    this.tip.replaceChildren(el('div', { class: 'tip-name', text: s.name }),
      el('table', {}, el('tbody', {}, rows)),
      el('div', { class: 'tip-hint', text: 'click to zoom' }));
    this.tip.dataset.node = String(i);
    this.tip.hidden = false;
    const tw = this.tip.offsetWidth, th = this.tip.offsetHeight;
    const x = cx + 16 + tw > window.innerWidth ? cx - tw - 12 : cx + 16;
    const y = cy + 16 + th > window.innerHeight ? cy - th - 12 : cy + 16;
    this.tip.style.left = `${Math.max(4, x)}px`;
    this.tip.style.top = `${Math.max(4, y)}px`;
  }

  hideTip() {
    this.tip.hidden = true;
    if (this.hover >= 0) { this.hover = -1; this.drawOverlay(); }
  }

  // Keyboard: arrows move the focused frame, Enter zooms to it, Escape
  // resets the zoom, u or Backspace zooms out one level.
  onKey(e) {
    if (!this.n) return;
    let f = this.focus >= 0 ? this.focus : this.zoom;
    const toRoot = this.opts.inverted ? 'ArrowDown' : 'ArrowUp';
    const toLeaf = this.opts.inverted ? 'ArrowUp' : 'ArrowDown';
    switch (e.key) {
      case toRoot: if (this.parent[f] >= 0 && this.lvl[f] > this.first()) f = this.parent[f]; break;
      case toLeaf: { const c = this.firstChild(f); if (c >= 0) f = c; break; }
      case 'ArrowLeft': if (f > this.levelStart[this.lvl[f]]) f--; break;
      case 'ArrowRight': if (f + 1 < this.levelStart[this.lvl[f] + 1]) f++; break;
      case 'Enter': this.zoomTo(f); e.preventDefault(); return;
      case 'Escape': this.reset(); e.preventDefault(); return;
      case 'u': case 'Backspace': this.zoomTo(this.parent[this.zoom]); e.preventDefault(); return;
      default: return;
    }
    e.preventDefault();
    this.focus = f;
    this.drawOverlay();
    const r = this.rectOf(f);
    if (r) {
      const b = this.canvas.getBoundingClientRect();
      this.showTip(f, b.left + r.x + r.w / 2, b.top + r.y + r.h);
    }
  }

  firstChild(i) {
    const L = this.lvl[i] + 1;
    if (L >= this.nlevels) return -1;
    const c = this.nodeAt(L, this.x[i]);
    return c >= 0 && this.parent[c] === i ? c : -1;
  }

  renderCrumbs() {
    const path = [];
    for (let i = this.zoom; i >= 0; i = this.parent[i]) path.unshift(i);
    const items = path.filter((i) => this.lvl[i] >= this.first() || i === 0).map((i) =>
      el('button', { class: 'crumb', type: 'button', onclick: () => this.zoomTo(i),
        'aria-current': i === this.zoom ? 'true' : null,
        text: i === 0 ? 'all' : this.names[this.name[i]] }));
    this.crumbs.replaceChildren(...items);
    this.crumbs.hidden = this.zoom === 0;
  }

  // The largest node named name (exact), or -1.
  find(name) {
    const k = this.names.indexOf(name);
    let best = -1;
    for (let i = 0; i < this.n; i++)
      if (this.name[i] === k && (best < 0 || this.w[i] > this.w[best])) best = i;
    return best;
  }

  toPNG() {
    return new Promise((resolve) => this.canvas.toBlob(resolve, 'image/png'));
  }
}
