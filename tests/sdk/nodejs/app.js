'use strict';
// A small Node program profiled by the real @pyroscope/nodejs SDK.
// It burns CPU in two named functions (hotAlphaHash, hotBetaSort) and keeps
// allocating, pushes to a Pyroscope-compatible server every flush interval,
// then stops the SDK (which exports the last profiles) and exits.
//
// Usage: node app.js <serverAddress> [seconds]
//   e.g. node app.js http://127.0.0.1:4040 8
// Environment: SDK_FLUSH_MS (default 2000).
const Pyroscope = require('@pyroscope/nodejs');

const serverAddress = process.argv[2] || process.env.PYROSCOPE_SERVER_ADDRESS ||
  'http://127.0.0.1:4040';
const seconds = Number(process.argv[3] || 8);
const flushIntervalMs = Number(process.env.SDK_FLUSH_MS || 2000);

Pyroscope.init({
  serverAddress,
  appName: 'nodeapp',
  tags: { env: 'sdk-test' },
  flushIntervalMs,
  wall: { collectCpuTime: true },
  heap: { samplingIntervalBytes: 64 * 1024 },
});
Pyroscope.start();

// Kept alive so the heap (in-use) profile has something to show.
const retained = [];

function hotAlphaHash(ms) {
  // FNV-1a over a string, in plain JS so the time is this function's own.
  const end = Date.now() + ms;
  const text = 'stackyard continuous profiling '.repeat(64);
  let h = 0x811c9dc5;
  while (Date.now() < end) {
    for (let r = 0; r < 50; r++) {
      for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
      }
    }
  }
  return h;
}

function hotBetaSort(ms) {
  const end = Date.now() + ms;
  let s = 0;
  while (Date.now() < end) {
    const a = new Array(2000);
    for (let i = 0; i < a.length; i++) a[i] = (i * 7919) % 2003;
    a.sort((x, y) => x - y);
    s += a[1000];
  }
  return s;
}

function allocateChunks() {
  for (let i = 0; i < 64; i++) retained.push(new Array(512).fill(i));
  if (retained.length > 20000) retained.splice(0, 10000);
}

const deadline = Date.now() + seconds * 1000;
let sink = 0;

function tick() {
  if (Date.now() >= deadline) {
    finish();
    return;
  }
  sink += hotAlphaHash(30);
  sink += hotBetaSort(20);
  allocateChunks();
  // Yield to the event loop so the SDK's flush timers and uploads run.
  setImmediate(tick);
}

async function finish() {
  try {
    await Pyroscope.stop(); // exports the last wall and heap profiles
  } catch (e) {
    console.error('Pyroscope.stop failed:', e);
    process.exitCode = 1;
  }
  console.log('done sink=%d retained=%d', sink, retained.length);
}

tick();
