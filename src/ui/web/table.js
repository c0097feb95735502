// The top table: self and total per function, sortable, filterable.
// Rows come from /api/v1/query?format=top (the full profile, not the
// trimmed flame graph), or from a diff's top rows.
import { el, fmtValue, fmtPct } from './util.js';

export class TopTable {
  // cols: [{key, label, num, fmt(row)}]; opts: {onPick(name), onSandwich(name)}
  constructor(host, opts) {
    this.host = host;
    this.opts = opts;
    this.filter = el('input', { type: 'search', class: 'table-filter', placeholder: 'Filter functions',
      'aria-label': 'filter functions by name', oninput: () => this.render() });
    this.body = el('tbody');
    this.head = el('thead');
    this.table = el('table', { class: 'top' }, this.head, this.body);
    host.replaceChildren(this.filter, el('div', { class: 'table-scroll' }, this.table));
    this.rows = [];
    this.selected = null;
  }

  setRows(rows, cols, sortKey) {
    this.rows = rows;
    this.cols = cols;
    if (!this.sort || !cols.some((c) => c.key === this.sort.key)) this.sort = { key: sortKey, desc: true };
    this.render();
  }

  render() {
    const { key, desc } = this.sort;
    const f = this.filter.value.toLowerCase();
    const rows = this.rows.filter((r) => !f || r.name.toLowerCase().includes(f));
    const col = this.cols.find((c) => c.key === key);
    rows.sort((a, b) => {
      const va = col.sortValue ? col.sortValue(a) : a[key], vb = col.sortValue ? col.sortValue(b) : b[key];
      const c = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
      return desc ? -c : c;
    });
    this.head.replaceChildren(el('tr', {}, this.cols.map((c) => el('th', {
      class: c.num ? 'num' : '', scope: 'col',
      'aria-sort': c.key === key ? (desc ? 'descending' : 'ascending') : 'none',
    }, el('button', { type: 'button', onclick: () => this.sortBy(c.key) },
      c.label, c.key === key ? (desc ? ' ▼' : ' ▲') : '')))));
    const shown = rows.slice(0, 2000);
    this.body.replaceChildren(...shown.map((r) => {
      const tr = el('tr', { class: r.name === this.selected ? 'selected' : '', 'data-name': r.name },
        this.cols.map((c) => el('td', { class: c.num ? 'num' : 'name', title: c.num ? null : r.name },
          c.render ? c.render(r) : String(r[c.key]))));
      tr.addEventListener('click', (e) => {
        if (e.target.closest('button')) return;
        this.selected = r.name;
        this.render();
        this.opts.onPick(r.name);
      });
      return tr;
    }));
    if (rows.length > shown.length)
      this.body.append(el('tr', {}, el('td', { colspan: this.cols.length, class: 'more',
        text: `${rows.length - shown.length} more rows: filter to narrow` })));
    if (!rows.length)
      this.body.append(el('tr', {}, el('td', { colspan: this.cols.length, class: 'more', text: 'No functions match.' })));
  }

  sortBy(key) {
    if (this.sort.key === key) this.sort.desc = !this.sort.desc;
    else this.sort = { key, desc: key !== 'name' };
    this.render();
  }
}

// Columns of the top table of one profile: total is the profile's total.
export function topColumns(total, unit, onSandwich) {
  return [
    { key: 'flat', label: 'Self', num: true, render: (r) => fmtValue(r.flat, unit) },
    { key: 'flatPct', label: 'Self %', num: true, sortValue: (r) => r.flat, render: (r) => fmtPct(r.flat, total) },
    { key: 'cum', label: 'Total', num: true, render: (r) => fmtValue(r.cum, unit) },
    { key: 'cumPct', label: 'Total %', num: true, sortValue: (r) => r.cum, render: (r) => fmtPct(r.cum, total) },
    { key: 'name', label: 'Function', render: (r) => el('span', { class: 'fn' },
      el('span', { class: 'fn-name', text: r.name }),
      onSandwich ? el('button', { type: 'button', class: 'link sandwich-btn', title: 'callers and callees of this function',
        onclick: () => onSandwich(r.name), text: 'sandwich' }) : null) },
  ];
}

// Columns of a comparison: each side's share of its own total.
export function diffColumns(unit) {
  const pp = (v) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)} pp`;
  return [
    { key: 'baseShare', label: 'Baseline', num: true, render: (r) => `${(100 * r.baseShare).toFixed(2)}%` },
    { key: 'targetShare', label: 'Comparison', num: true, render: (r) => `${(100 * r.targetShare).toFixed(2)}%` },
    { key: 'change', label: 'Change', num: true, sortValue: (r) => Math.abs(r.change),
      render: (r) => el('span', { class: r.change > 0 ? 'grew' : r.change < 0 ? 'shrank' : '', text: pp(r.change) }) },
    { key: 'target_cum', label: 'Comparison total', num: true, render: (r) => fmtValue(r.target_cum, unit) },
    { key: 'name', label: 'Function', render: (r) => el('span', { class: 'fn-name', text: r.name }) },
  ];
}
