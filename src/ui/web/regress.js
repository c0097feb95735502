// The comparison's "what changed" panel: /api/v1/regress (docs/REGRESS.md)
// as ranked lists of functions (self and total share), call paths, and
// new and vanished call paths. Every row shows the change of its share in
// percentage points with its simultaneous confidence interval, as numbers
// and as a small bar, and a verdict written out in words (colour only
// repeats it). The panel only shows: app.js owns the state (threshold,
// confidence, list, highlighted row) and reacts to the callbacks.
import { el, fmtValue } from './util.js';

export const LISTS = ['functions', 'paths', 'new', 'vanished'];
const LIST_LABELS = { functions: 'Functions', paths: 'Call paths', new: 'New', vanished: 'Vanished' };
const LIST_TITLES = { functions: 'functions by the change of their self share', paths: 'call paths by where the change concentrates',
  new: 'call paths seen only in the comparison', vanished: 'call paths seen only in the baseline' };
const CONFIDENCES = ['0.8', '0.9', '0.95', '0.99', '0.999'];
const MARK = { regression: '▲', improvement: '▼', noise: '–' };
// A list says what its emptiness means: an empty panel is never silent.
const EMPTY = {
  functions: 'No function has a share of at least 0.1% on either side.',
  paths: 'No call path has a share of at least 0.1% on either side.',
  new: 'No new call paths: every call path of the comparison is also in the baseline.',
  vanished: 'No vanished call paths: every call path of the baseline is also in the comparison.',
};

const pct = (v) => `${(100 * v).toFixed(2)}%`;
const pp = (v) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(2)}`;
const pathKey = (frames) => frames.join(';');

function verdictBadge(v) {
  return el('span', { class: `verdict v-${v}`, 'data-verdict': v }, `${MARK[v] || ''} ${v}`);
}

// A change and its interval on a shared scale of ±max: zero, the
// threshold on both sides, the interval and the point estimate. Drawn
// with CSS only; the numbers beside it carry the same information.
function ciBar(s, threshold, max) {
  const x = (v) => `${Math.max(0, Math.min(100, 50 + (50 * v) / max))}%`;
  const mk = (cls, left, width) => {
    const e = el('span', { class: cls });
    e.style.left = left;
    if (width !== undefined) e.style.width = width;
    return e;
  };
  const lo = Math.max(-max, s.lo), hi = Math.min(max, s.hi);
  return el('span', { class: `ci-bar v-${s.verdict}`, 'aria-hidden': 'true' },
    mk('ci-zero', '50%'), threshold > 0 ? mk('ci-thr', x(-threshold)) : null, threshold > 0 ? mk('ci-thr', x(threshold)) : null,
    mk('ci-int', x(lo), `${(50 * (hi - lo)) / max}%`), mk('ci-dot', x(s.delta)));
}

// One statistic (self, total, or a path's share): base -> target, the
// change and its interval, in points of the total.
function statLine(label, s, threshold, max) {
  return el('span', { class: 'wc-stat', 'data-stat': label },
    el('span', { class: 'wc-k', text: label }),
    el('span', { class: 'wc-shares', text: `${pct(s.base)} → ${pct(s.target)}` }),
    el('span', { class: `wc-delta v-${s.verdict}`, text: `${pp(s.delta)} pp` }),
    el('span', { class: 'wc-ci', title: 'confidence interval of the change, in points of the total', text: `[${pp(s.lo)}, ${pp(s.hi)}]` }),
    ciBar(s, threshold, max),
    s.tested ? null : el('span', { class: 'wc-note', text: 'below 0.1%, not tested' }));
}

export class WhatChanged {
  // host: the <section> to fill. opts: onControls({threshold,
  // confidence}), onList(name), onFlagged(bool), onFunction(name),
  // onPath(frames).
  constructor(host, opts) {
    this.host = host;
    this.opts = opts;
    this.list = 'functions';
    this.selected = '';
    this.threshold = el('input', { id: 'wc-threshold', type: 'number', min: '0', max: '100', step: '0.5', inputmode: 'decimal',
      'aria-describedby': 'wc-threshold-help' });
    this.confidence = el('select', { id: 'wc-confidence' });
    const form = el('form', { class: 'wc-controls', 'aria-label': 'test settings', novalidate: true },
      el('label', {}, 'Threshold ', this.threshold, ' pp'),
      el('label', {}, 'Confidence ', this.confidence),
      el('button', { type: 'submit', text: 'Apply' }));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.confidence.addEventListener('change', () => this.submit());
    this.help = el('p', { id: 'wc-threshold-help', class: 'wc-help' });
    this.summary = el('div', { class: 'wc-summary', 'aria-live': 'polite' });
    this.tabs = el('div', { class: 'wc-tabs views', role: 'group', 'aria-label': 'what changed: lists' });
    this.flaggedBox = el('input', { id: 'wc-flagged', type: 'checkbox', onchange: () => this.opts.onFlagged(this.flaggedBox.checked) });
    this.body = el('div', { class: 'wc-body' });
    this.body.addEventListener('keydown', (e) => this.onKey(e));
    host.replaceChildren(el('div', { class: 'wc-head' }, el('h2', { text: 'What changed' }), form),
      this.help, this.summary,
      el('div', { class: 'wc-listbar' }, this.tabs, el('label', { class: 'wc-flagged' }, this.flaggedBox, ' flagged only')),
      this.body);
    host.hidden = false;
  }

  // threshold in points ("1" = one percentage point), confidence as a
  // fraction ("0.99"), list: one of LISTS, flagged: hide the noise rows.
  setControls(threshold, confidence, list, flagged) {
    this.threshold.value = threshold;
    const opts = CONFIDENCES.includes(confidence) ? CONFIDENCES : [...CONFIDENCES, confidence];
    this.confidence.replaceChildren(...opts.map((c) => el('option', { value: c, selected: c === confidence,
      text: `${Number((100 * Number(c)).toFixed(3))}%` })));
    this.list = LISTS.includes(list) ? list : 'functions';
    this.flagged = !!flagged;
    this.flaggedBox.checked = this.flagged;
    this.invalid('');
  }

  // The threshold's validation message ('' for none).
  invalid(msg) {
    this.help.textContent = msg;
    this.help.className = msg ? 'wc-help invalid' : 'wc-help';
    if (msg) this.threshold.setAttribute('aria-invalid', 'true');
    else this.threshold.removeAttribute('aria-invalid');
  }

  submit() {
    const t = this.threshold.value.trim();
    const n = Number(t);
    if (t === '' || !Number.isFinite(n) || n < 0 || n > 100) {
      this.invalid('The threshold is a change of share in percentage points, from 0 to 100.');
      return;
    }
    this.invalid('');
    this.opts.onControls({ threshold: String(n), confidence: this.confidence.value });
  }

  setState(kind) {
    this.host.dataset.state = kind;
    this.host.setAttribute('aria-busy', String(kind === 'loading'));
  }

  loading() {
    this.setState('loading');
    this.summary.replaceChildren(el('p', { class: 'wc-loading', text: 'Testing every function and call path…' }));
  }

  // A failed request, said plainly: too few profiles (with what to do),
  // a side without profiles, or any other error with a retry.
  setError(err, retry, title = 'The regression test failed') {
    const msg = err.message || String(err);
    this.report = null;
    this.tabs.replaceChildren();
    this.body.replaceChildren();
    let kind = 'error', hint = null;
    if (/too few profiles/.test(msg)) {
      kind = 'few';
      title = 'Too few profiles to judge';
      hint = 'The test measures the noise from the spread between profiles, so it needs at least 5 non-empty profiles '
        + 'on each side. Widen a side\'s range by dragging on its chart, or collect more profiles.';
    } else if (/no profiles match/.test(msg)) {
      kind = 'none';
      title = 'A side holds no profiles';
      hint = 'Choose another range (drag on the side\'s chart) or another selector.';
    }
    this.setState(kind);
    this.summary.replaceChildren(el('div', { class: `wc-notice ${kind}`, role: kind === 'error' ? 'alert' : null },
      el('p', { class: 'wc-title', text: title }), el('p', { class: 'wc-msg', text: msg }),
      hint ? el('p', { text: hint }) : null,
      kind === 'error' && retry ? el('button', { type: 'button', onclick: retry, text: 'Retry' }) : null));
  }

  // rep: the /api/v1/regress JSON; unit: the profile type's unit.
  setReport(rep, unit) {
    const t0 = performance.now();
    this.report = rep;
    this.unit = unit;
    this.setState('ready');
    this.renderSummary();
    this.render();
    this.lastRenderMs = performance.now() - t0; // for the benchmark
  }

  renderSummary() {
    const r = this.report;
    const t = `${(100 * r.threshold).toFixed(2)} pp`;
    const conf = `${Number((100 * r.confidence).toFixed(3))}%`;
    const fn = (n) => `${n} function${n === 1 ? '' : 's'}`;
    let head, kind;
    if (r.regressed) {
      kind = 'regression';
      const callers = r.regressions - r.self_regressions;
      head = `${fn(r.regressions)} regressed by more than ${t} (${r.self_regressions} in own code${callers ? `, ${callers} only through callees` : ''})`
        + `${r.improvements ? `, ${fn(r.improvements)} improved` : ''}.`;
    } else if (r.improvements) {
      kind = 'improvement';
      head = `No regression beyond ${t}; ${fn(r.improvements)} improved.`;
    } else {
      kind = 'noise';
      head = `No change beyond ${t} clear of the noise.`;
    }
    const tot = r.totals;
    const empty = (s) => (s.empty ? ` (${s.empty} empty left out)` : '');
    this.summary.replaceChildren(
      el('p', { class: `wc-verdict v-${kind}` }, verdictBadge(kind), ' ', head),
      el('p', { class: 'wc-meta', text: `At ${conf} confidence for all ${r.tests} tests at once (Welch, Bonferroni). `
        + `Baseline ${r.base.profiles} profiles${empty(r.base)}, comparison ${r.target.profiles}${empty(r.target)}; `
        + `mean total per profile ${fmtValue(r.base.mean_total, this.unit)} → ${fmtValue(r.target.mean_total, this.unit)} `
        + `(${pp(tot.delta)}% [${pp(tot.lo)}%, ${pp(tot.hi)}%], ${tot.verdict}).` }));
  }

  // The lists as tabs with their counts, and the chosen one's rows.
  render() {
    const r = this.report;
    if (!r) return;
    const lists = {
      functions: [r.functions, r.functions_count], paths: [r.paths, r.paths_count],
      new: [r.new_paths, r.new_paths_count], vanished: [r.vanished_paths, r.vanished_paths_count],
    };
    const refocus = this.tabs.contains(document.activeElement);
    this.tabs.replaceChildren(...LISTS.map((k) => el('button', { type: 'button', 'data-list': k,
      'aria-pressed': String(k === this.list), title: LIST_TITLES[k], onclick: () => this.opts.onList(k) }, `${LIST_LABELS[k]} (${lists[k][1]})`)));
    if (refocus) this.tabs.querySelector('[aria-pressed="true"]').focus();
    const [rows, count] = lists[this.list];
    // rows keep their rank in the API's list when the noise is hidden
    const shown = rows.map((row, k) => [row, k]).filter(([row]) => !this.flagged || row.verdict !== 'noise');
    if (!shown.length) {
      this.body.replaceChildren(el('p', { class: 'hint wc-empty', text: rows.length ? `Nothing flagged among these ${rows.length}: `
        + `no change beyond ${(100 * r.threshold).toFixed(2)} pp is clear of the noise. Untick "flagged only" to see them.` : EMPTY[this.list] }));
      return;
    }
    const stats = (row) => (this.list === 'functions' ? [row.self, row.total] : [row.total]);
    const max = Math.max(2 * r.threshold, 0.001, ...shown.flatMap(([row]) => stats(row).flatMap((s) => [Math.abs(s.lo), Math.abs(s.hi)])));
    const items = shown.map(([row, k]) => (this.list === 'functions'
      ? this.functionRow(row, k, r.threshold, max) : this.pathRow(row, k, r.threshold, max)));
    const hidden = rows.length - shown.length;
    const notes = [hidden ? `${hidden} rows of noise hidden.` : '',
      count > rows.length ? `The first ${rows.length} of ${count}; the rest changed less.` : ''].filter(Boolean);
    this.body.replaceChildren(el('ol', { class: 'wc-list', 'data-list': this.list }, items),
      notes.length ? el('p', { class: 'wc-more', text: notes.join(' ') }) : '');
  }

  functionRow(f, k, threshold, max) {
    return this.row('function', f.name, () => this.opts.onFunction(f.name), k, f.verdict,
      el('span', { class: 'wc-name', text: f.name, title: f.name }),
      el('span', { class: 'wc-stats' }, statLine('self', f.self, threshold, max), statLine('total', f.total, threshold, max)));
  }

  // A path reads leaf first (where the change is), then where it is
  // called from; new and vanished paths say in how many profiles they are.
  pathRow(p, k, threshold, max) {
    const leaf = p.frames[p.frames.length - 1];
    const callers = p.frames.slice(0, -1).reverse();
    const s = p.total;
    const seen = this.list === 'new' ? `in ${s.target_profiles} of ${this.report.target.profiles} comparison profiles`
      : this.list === 'vanished' ? `in ${s.base_profiles} of ${this.report.base.profiles} baseline profiles` : null;
    return this.row('path', pathKey(p.frames), () => this.opts.onPath(p.frames), k, p.verdict,
      el('span', { class: 'wc-name', text: leaf, title: p.frames.join('\n') }),
      el('span', { class: 'wc-callers', title: p.frames.join(' › '), text: callers.length ? `← ${callers.join(' ← ')}` : '(a root)' }),
      el('span', { class: 'wc-stats' }, statLine('share', s, threshold, max), seen ? el('span', { class: 'wc-seen', text: seen }) : null));
  }

  row(kind, key, pick, k, verdict, ...kids) {
    const b = el('button', { type: 'button', class: 'wc-row', 'data-kind': kind, 'data-key': key,
      'aria-pressed': String(key === this.selected), onclick: pick },
    el('span', { class: 'wc-rank', text: String(k + 1) }), verdictBadge(verdict), ...kids);
    return el('li', { class: `v-${verdict}` }, b);
  }

  // Marks the highlighted row: a function's name or a path's frames
  // joined by ";" ('' for none).
  select(key) {
    this.selected = key || '';
    for (const b of this.body.querySelectorAll('.wc-row')) b.setAttribute('aria-pressed', String(b.dataset.key === this.selected));
  }

  // Up and down arrows move between rows (Tab leaves the list).
  onKey(e) {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const rows = [...this.body.querySelectorAll('.wc-row')];
    const i = rows.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    rows[Math.max(0, Math.min(rows.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))].focus();
  }
}

export { pathKey };
