// The HTTP API (docs/API.md) as the UI uses it. Every call rejects with an
// Error whose message is the server's {"error": "..."} text.

export class ApiError extends Error {
  constructor(msg, status = 0) {
    super(msg);
    this.status = status; // the HTTP status; 0 when the server was not reached
  }
}

async function get(path, params, as = 'json', signal) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {}))
    if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const url = qs.toString() ? `${path}?${qs}` : path;
  let r;
  try {
    r = await fetch(url, { signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(`cannot reach the server (${e.message})`);
  }
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try { msg = (await r.json()).error || msg; } catch (_) { /* not JSON */ }
    throw new ApiError(msg, r.status);
  }
  return as === 'json' ? r.json() : as === 'text' ? r.text() : r.blob();
}

export function queryUrl(params) {
  return `/api/v1/query?${new URLSearchParams(params)}`;
}

export const api = {
  profileTypes: (from, until) => get('/api/v1/profile-types', { from, until }),
  labelNames: (query, from, until) => get('/api/v1/labels', { query, from, until }),
  labelValues: (name, query, from, until) =>
    get(`/api/v1/labels/${encodeURIComponent(name)}/values`, { query, from, until }),
  range: (query, from, until, step, groupBy, signal) =>
    get('/api/v1/range', { query, from, until, step, group_by: groupBy }, 'json', signal),
  query: (params, as = 'json', signal) => get('/api/v1/query', params, as, signal),
  diff: (params, signal) => get('/api/v1/diff', params, 'json', signal),
  regress: (params, signal) => get('/api/v1/regress', params, 'json', signal),
  targets: () => get('/api/v1/targets'),
};
