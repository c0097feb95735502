// Shared by the UI tests and the UI benchmark: the real server on
// loopback with a fresh data directory, real profiles pushed to it, and
// Debian's chromium driven by playwright-core (no browser is downloaded).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.STACKYARD_BIN || path.join(REPO, 'bin', 'stackyard');
export const TOOLS = process.env.STACKYARD_TOOLS || path.join(REPO, 'build', 'tools');
export const TESTDATA = process.env.STACKYARD_TESTDATA || '/work/shared/testdata/pprof';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = process.env.UI_ARTIFACTS || path.join(REPO, 'build', 'ui-artifacts');
export const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

export function tmpdir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export class Server {
  async start(extraArgs = []) {
    this.dir = tmpdir('stackyard-ui-');
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.log = '';
    this.proc = spawn(BIN, ['server', '--listen', `127.0.0.1:${this.port}`, '--data', path.join(this.dir, 'data'), ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => { this.log += d; });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    const t0 = Date.now();
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`server exited: ${this.log}`);
      try {
        if ((await fetch(`${this.base}/-/ready`)).ok) return this;
      } catch (_) { /* not listening yet */ }
      if (Date.now() - t0 > 20000) throw new Error(`server not ready after 20 s: ${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // POST a pprof file as app{labels} at Unix second `at`.
  async push(file, name, at) {
    const body = fs.readFileSync(file);
    const qs = new URLSearchParams({ name, format: 'pprof', from: String(at), until: String(at + 10) });
    const r = await fetch(`${this.base}/ingest?${qs}`, { method: 'POST', body });
    if (!r.ok) throw new Error(`push ${file}: ${r.status} ${await r.text()}`);
  }

  async json(p, params) {
    const r = await fetch(`${this.base}${p}?${new URLSearchParams(params)}`);
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return r.json();
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await done;
    }
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Real profiles of two services (etcd, prometheus) every 5 minutes over
// the last hour, CPU and heap; etcd's last profiles come from the Go
// compiler's CPU profile so that a comparison has something to show.
export async function pushRealData(server) {
  const now = Math.floor(Date.now() / 1000);
  const td = (f) => path.join(TESTDATA, f);
  for (let i = 1; i <= 11; i++) {
    const at = now - i * 300;
    await server.push(td(i <= 3 ? 'gocompile-nethttp-cpu.pb.gz' : 'etcd-cpu.pb.gz'), 'etcd{env=prod}', at);
    await server.push(td('prometheus-cpu.pb.gz'), 'prometheus{env=staging}', at + 1);
    await server.push(td('etcd-heap.pb.gz'), 'etcd{env=prod}', at + 2);
  }
  return now;
}

export function haveBrowser() {
  if (!fs.existsSync(CHROMIUM)) return `chromium not found at ${CHROMIUM} (Debian package chromium)`;
  if (!fs.existsSync(path.join(REPO, 'tests', 'ui', 'node_modules', 'playwright-core')))
    return 'playwright-core is not installed (cd tests/ui && npm ci)';
  return null;
}

// Chromium headless, every network feature that could reach out turned
// off, in a fresh profile directory.
export async function launch() {
  const { chromium } = await import('playwright-core');
  const profile = tmpdir('stackyard-chromium-');
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = ctx.close.bind(ctx);
  ctx.close = async () => { await close(); fs.rmSync(profile, { recursive: true, force: true }); };
  return ctx;
}

export function goTool() {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? 'go' : null;
}
