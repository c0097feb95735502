// Formatting, colours and small DOM helpers shared by the views.

export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

const SCALES = {
  nanoseconds: [[3600e9, 'h'], [60e9, 'min'], [1e9, 's'], [1e6, 'ms'], [1e3, 'µs'], [1, 'ns']],
  bytes: [[1 << 30, 'GiB'], [1 << 20, 'MiB'], [1 << 10, 'KiB'], [1, 'B']],
  count: [[1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, '']],
};

// A value in its unit, shortened: 140000000 nanoseconds -> "140 ms".
export function fmtValue(v, unit) {
  const scale = SCALES[unit] || SCALES.count;
  const a = Math.abs(v);
  for (const [div, suffix] of scale) {
    if (a >= div || div === 1) {
      const x = v / div;
      const digits = Math.abs(x) >= 100 || div === 1 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
      const s = String(Number(x.toFixed(digits))); // 90.0 -> 90, 1.50 -> 1.5
      return suffix ? `${s} ${suffix}` : s;
    }
  }
  return String(v);
}

export function fmtExact(v) {
  return Number(v).toLocaleString('en-US');
}

export function fmtPct(part, whole) {
  if (!whole) return '0%';
  return `${(100 * part / whole).toFixed(2)}%`;
}

export function fmtTime(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtAgo(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

// The package (or module) of a frame name, for colouring: Go's
// "github.com/a/b.(*T).M" -> "github.com/a/b", "runtime.mallocgc" ->
// "runtime"; "file.js:fn" or "Class::method" forms -> the part before.
export function packageOf(name) {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  if (dot > 0) return name.slice(0, dot);
  const colon = name.indexOf(':');
  if (colon > 0) return name.slice(0, colon);
  return name;
}

// Pastel colours (dark text stays readable on every one), picked by a
// hash of the package so one package has one colour everywhere.
export const PALETTE = [
  '#f2b880', '#9ad0ec', '#b5d99c', '#f4a6a6', '#c9b6e4', '#f7d488', '#8fd3c1',
  '#e7b7d3', '#a9c5f5', '#d6c8a5', '#f0c29e', '#a8dcd1', '#cfd89a', '#e3b0b0',
];

export function hashString(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function colorOf(name) {
  return PALETTE[hashString(packageOf(name)) % PALETTE.length];
}

// Diff colour: red where the comparison's share grew, green where it
// shrank, grey when about equal; stronger for larger changes.
export function diffColor(leftShare, rightShare) {
  const base = [0xd9, 0xd9, 0xd9];
  const d = rightShare - leftShare;
  const rel = leftShare > 0 ? d / leftShare : (rightShare > 0 ? 1 : 0);
  const t = Math.min(1, Math.abs(rel));
  if (t < 0.01) return 'rgb(217,217,217)';
  const to = d > 0 ? [0xe8, 0x4a, 0x4a] : [0x3c, 0xb0, 0x5a];
  const c = base.map((b, i) => Math.round(b + (to[i] - b) * (0.25 + 0.75 * t)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// "name:type:unit:period_type:period_unit" -> its parts.
export function splitType(t) {
  const [name, type, unit, periodType, periodUnit] = (t || '').split(':');
  return { name, type, unit, periodType, periodUnit };
}

export function download(name, blob) {
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
