// Autocomplete for a label selector input: `{name="value", ...}`. Before
// a caret in a name position it offers label names; after `name="` (or
// another operator and a quote) it offers that label's values. Arrow keys
// move, Enter or Tab picks, Escape closes.
import { el } from './util.js';

export class Autocomplete {
  // src: {names(): Promise<string[]>, values(name): Promise<string[]>}
  constructor(input, src) {
    this.input = input;
    this.src = src;
    this.cache = new Map();
    this.list = el('ul', { class: 'complete', role: 'listbox', id: `${input.id}-list`, hidden: true });
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', this.list.id);
    input.setAttribute('aria-expanded', 'false');
    input.after(this.list);
    this.items = [];
    this.active = -1;
    input.addEventListener('input', () => this.update());
    input.addEventListener('focus', () => this.update());
    input.addEventListener('click', () => this.update());
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    input.addEventListener('keydown', (e) => this.onKey(e));
  }

  // What the caret is in: {kind: 'name'|'value', prefix, start, name}.
  context() {
    const v = this.input.value, caret = this.input.selectionStart ?? v.length;
    const before = v.slice(0, caret);
    const open = before.lastIndexOf('{');
    const segStart = Math.max(open, before.lastIndexOf(',')) + 1;
    if (open < 0 && before.trim() !== '') return null;
    const seg = before.slice(segStart);
    let m = /^\s*([A-Za-z_][A-Za-z0-9_.]*)?$/.exec(seg);
    if (m) return { kind: 'name', prefix: m[1] || '', start: segStart + seg.length - (m[1] || '').length };
    m = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*"([^"]*)$/.exec(seg);
    if (m) return { kind: 'value', name: m[1], prefix: m[3], start: caret - m[3].length };
    return null;
  }

  async fetch(key, fn) {
    if (!this.cache.has(key)) this.cache.set(key, fn().catch(() => []));
    return this.cache.get(key);
  }

  async update() {
    const c = this.context();
    if (!c) { this.close(); return; }
    const all = c.kind === 'name' ? await this.fetch('names', this.src.names)
      : await this.fetch(`v:${c.name}`, () => this.src.values(c.name));
    const p = c.prefix.toLowerCase();
    this.ctx = c;
    this.items = all.filter((s) => s.toLowerCase().startsWith(p) && s !== c.prefix).slice(0, 50);
    this.active = this.items.length ? 0 : -1;
    this.render();
  }

  render() {
    this.list.replaceChildren(...this.items.map((s, i) => el('li', {
      role: 'option', 'aria-selected': String(i === this.active), class: i === this.active ? 'active' : '',
      onmousedown: (e) => { e.preventDefault(); this.pick(i); },
    }, this.ctx.kind === 'name' ? s : `"${s}"`)));
    this.list.hidden = !this.items.length;
    this.input.setAttribute('aria-expanded', String(!this.list.hidden));
  }

  // Put item i at the caret: a name becomes `name="`, a value `value"`.
  pick(i) {
    const v = this.input.value, c = this.ctx, caret = this.input.selectionStart ?? v.length;
    let ins = this.items[i], rest = v.slice(caret);
    let pre = v.slice(0, c.start);
    if (!pre.includes('{')) pre = `{${pre}`;
    if (c.kind === 'name') ins += '="';
    else {
      ins = ins.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
      rest = rest.replace(/^[^",}]*"?/, '');
      if (!rest.includes('}')) rest += '}';
    }
    this.input.value = pre + ins + rest;
    const pos = (pre + ins).length;
    this.input.setSelectionRange(pos, pos);
    this.input.focus();
    this.update();
  }

  onKey(e) {
    if (this.list.hidden) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = this.items.length;
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.render();
    } else if ((e.key === 'Tab' || e.key === 'Enter') && this.active >= 0) {
      e.preventDefault();
      this.pick(this.active);
    } else if (e.key === 'Escape') {
      this.close();
    }
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
  }
}
